// SPDX-License-Identifier: Apache-2.0
package io.grapevine.store;

import io.grapevine.config.AntiEntropyConfig;
import io.grapevine.antientropy.ReplicaStore;
import io.grapevine.antientropy.ReplicaStoreProvider;
import java.nio.file.Path;

/** Opens {@link MvReplicaStore}s: the durable store a driver finds through {@link java.util.ServiceLoader}. */
public final class MvReplicaStoreProvider implements ReplicaStoreProvider {
  @Override
  public ReplicaStore open(Path dir, AntiEntropyConfig config) {
    return MvReplicaStore.open(dir, config);
  }
}
