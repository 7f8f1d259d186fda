// SPDX-License-Identifier: Apache-2.0
package io.grapevine.config;

import io.grapevine.wire.WireFormat;
import java.nio.charset.StandardCharsets;

/**
 * The one rule for cluster names, checked wherever a name is given (agent settings, {@code
 * ClusterBuilder}, the packet writer every node uses): 1 to {@link #MAX_BYTES} UTF-8 bytes, the room
 * the packet header has for it.
 */
public final class ClusterNames {
  /** Longest cluster name in UTF-8 bytes: the wire format's limit. */
  public static final int MAX_BYTES = WireFormat.MAX_CLUSTER_NAME_BYTES;

  private ClusterNames() {}

  /** What is wrong with {@code name} as a cluster name, or null when it is fine. */
  public static String error(String name) {
    if (name == null) {
      return "a cluster name is required";
    }
    int n = name.getBytes(StandardCharsets.UTF_8).length;
    if (n < 1 || n > MAX_BYTES) {
      return "cluster name must be 1.." + MAX_BYTES + " UTF-8 bytes (the packet header's limit), got " + n;
    }
    return null;
  }

  /**
   * Returns {@code name} if it is a valid cluster name.
   *
   * @throws IllegalArgumentException with the message of {@link #error}
   */
  public static String check(String name) {
    String error = error(name);
    if (error != null) {
      throw new IllegalArgumentException(error);
    }
    return name;
  }
}
