// SPDX-License-Identifier: Apache-2.0
package io.grapevine.antientropy;

import io.grapevine.config.AntiEntropyConfig;
import java.nio.file.Path;

/**
 * Opens durable replica stores: how a driver finds the disk store (grapevine-store's H2 MVStore
 * one) without depending on it, through {@link java.util.ServiceLoader}. Library users who keep the
 * replicated store in memory need no provider on the classpath.
 */
public interface ReplicaStoreProvider {
  /**
   * Opens (creating if needed) the store kept under {@code dir}.
   *
   * @throws RuntimeException naming the directory when it cannot be opened
   */
  ReplicaStore open(Path dir, AntiEntropyConfig config);
}
