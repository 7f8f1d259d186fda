// SPDX-License-Identifier: Apache-2.0
package io.grapevine.assembly;

import io.grapevine.node.Endpoint;
import io.grapevine.stack.ProtocolStack;
import java.util.random.RandomGenerator;

/**
 * Who a node is, for the factories that build its protocols.
 *
 * @param name the node's name (unique in the cluster)
 * @param endpoint its advertised endpoint
 * @param clusterName the cluster it belongs to
 * @param incarnation this life's starting incarnation (grows across restarts); also the epoch of the
 *     events it originates
 * @param seed the node's seed, from which each protocol's randomness derives
 * @param metadata the node's initial membership metadata
 */
public record NodeSetup(String name, Endpoint endpoint, String clusterName, long incarnation, long seed,
    byte[] metadata) {
  /** The random generator of protocol {@code protocolName} on this node ({@link ProtocolStack#randomFor}). */
  public RandomGenerator random(String protocolName) {
    return ProtocolStack.randomFor(seed, protocolName);
  }

  /** A stack builder for this node, with its name, endpoint, cluster and seed. */
  public ProtocolStack.Builder stackBuilder() {
    return ProtocolStack.builder(name, endpoint, clusterName).seed(seed);
  }
}
