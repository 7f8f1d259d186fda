// SPDX-License-Identifier: Apache-2.0
package io.grapevine.antientropy;

import io.grapevine.config.AntiEntropyConfig;
import io.grapevine.node.Endpoint;
import io.grapevine.stack.ProtocolStack;
import io.grapevine.testkit.VirtualNetwork;
import java.util.SplittableRandom;

/**
 * Replicas on the test kit's network: node i is a stack {@code n<i>} running one {@link AntiEntropy}
 * over replica {@code r<i>}, with uniform random peers among the nodes that are up.
 */
final class Replicas {
  static final String CLUSTER = "kv-test";
  /** The network's clock starts here: a plausible wall-clock time for HLCs, TTLs and tombstones. */
  static final long START_MILLIS = 1_000_000;

  private Replicas() {}

  /** An empty network at {@link #START_MILLIS}, with a fixed 1 ms latency. */
  static VirtualNetwork network(long seed) {
    VirtualNetwork net = new VirtualNetwork(seed);
    net.runUntil(START_MILLIS);
    return net;
  }

  static VirtualNetwork.Node add(VirtualNetwork net, AntiEntropyConfig config) {
    return add(net, config, new InMemoryReplicaStore());
  }

  /** Adds and starts the next replica, on {@code store}. */
  static VirtualNetwork.Node add(VirtualNetwork net, AntiEntropyConfig config, ReplicaStore store) {
    return add(net, config, store, null);
  }

  /** As {@link #add(VirtualNetwork, AntiEntropyConfig, ReplicaStore)}, asking {@code durability} (null: the default). */
  static VirtualNetwork.Node add(VirtualNetwork net, AntiEntropyConfig config, ReplicaStore store,
      Durability durability) {
    int i = net.size();
    Endpoint endpoint = VirtualNetwork.endpointOf(i);
    Replica replica = durability == null ? new Replica("r" + i, store, config)
        : new Replica("r" + i, store, config, durability);
    AntiEntropy kv = new AntiEntropy(replica,
        new SplittableRandom(ProtocolStack.seedFor(net.seed(), AntiEntropy.PROTOCOL_NAME + "/" + i)), 0);
    ProtocolStack stack = ProtocolStack.builder("n" + i, endpoint, CLUSTER).peers(net.uniformPeers(endpoint))
        .add(kv).build();
    return net.add(stack).start();
  }

  static AntiEntropy kv(VirtualNetwork.Node node) {
    return node.protocol(AntiEntropy.class);
  }

  static Replica replica(VirtualNetwork.Node node) {
    return kv(node).replica();
  }

  /** Whether every replica has the same hash-tree root. */
  static boolean converged(VirtualNetwork net) {
    long root = replica(net.node(0)).tree().root();
    for (VirtualNetwork.Node n : net.nodes()) {
      if (replica(n).tree().root() != root) {
        return false;
      }
    }
    return true;
  }

  /** Runs until every root agrees and nothing is in flight (checked every 100 ms), or {@code maxMillis} passes. */
  static boolean runUntilConverged(VirtualNetwork net, long maxMillis) {
    return net.runUntil(() -> converged(net) && net.packetsInFlight() == 0, maxMillis, 100);
  }
}
