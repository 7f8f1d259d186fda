// SPDX-License-Identifier: Apache-2.0
package io.grapevine.membership;

import io.grapevine.config.MembershipConfig;
import io.grapevine.api.MemberEvent;
import io.grapevine.api.MemberState;
import io.grapevine.api.Member;
import io.grapevine.node.Endpoint;
import io.grapevine.stack.ProtocolStack;
import io.grapevine.testkit.StackCluster;
import io.grapevine.testkit.VirtualNetwork;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.random.RandomGenerator;

/** Membership stacks on the test kit's network: building them, joining them, reading their views. */
final class Members {
  static final String CLUSTER = "test";

  private Members() {}

  /** A stack running one {@link Membership}, sized as {@code config} says. */
  static ProtocolStack stack(String name, Endpoint endpoint, long incarnation, MembershipConfig config,
      RandomGenerator random) {
    return builder(name, endpoint, incarnation, config, random).build();
  }

  static ProtocolStack.Builder builder(String name, Endpoint endpoint, long incarnation, MembershipConfig config,
      RandomGenerator random) {
    return builder(CLUSTER, name, endpoint, incarnation, config, random);
  }

  static ProtocolStack.Builder builder(String cluster, String name, Endpoint endpoint, long incarnation,
      MembershipConfig config, RandomGenerator random) {
    Membership m = new Membership(cluster, name, endpoint, incarnation, new byte[0], config, random);
    return ProtocolStack.builder(name, endpoint, cluster).datagramBytes(config.udpPayloadBytes)
        .streamMessageMaxBytes(config.streamMessageMaxBytes).add(m);
  }

  /** {@code n} nodes n0.. with fixed latency {@code latencyMillis}, started; n1.. join through n0. */
  static StackCluster cluster(int n, long seed, long latencyMillis, MembershipConfig config) {
    return cluster(n, seed, latencyMillis, config, (node, b) -> {});
  }

  /** As above, letting {@code more} add protocols above membership on each stack. */
  static StackCluster cluster(int n, long seed, long latencyMillis, MembershipConfig config,
      BiConsumer<StackCluster.Slot, ProtocolStack.Builder> more) {
    StackCluster c = StackCluster.builder(seed).clusterName(CLUSTER)
        .latency(io.grapevine.testkit.LinkLatency.fixed(latencyMillis))
        .build(n, (node, b) -> {
          Membership m = new Membership(CLUSTER, node.name(), node.endpoint(), 1, new byte[0], config,
              node.random("membership"));
          b.datagramBytes(config.udpPayloadBytes).streamMessageMaxBytes(config.streamMessageMaxBytes).add(m);
          more.accept(node, b);
        });
    for (int i = 1; i < n; i++) {
      join(c.node(i), c.node(0));
    }
    return c;
  }

  static Membership membership(VirtualNetwork.Node node) {
    return node.protocol(Membership.class);
  }

  /** Every node's membership, crashed ones included. */
  static List<Membership> all(StackCluster c) {
    return c.protocols(Membership.class);
  }

  /** The memberships of the nodes that are up. */
  static List<Membership> live(VirtualNetwork net) {
    List<Membership> list = new ArrayList<>();
    for (VirtualNetwork.Node n : net.liveNodes()) {
      list.add(membership(n));
    }
    return list;
  }

  static void join(VirtualNetwork.Node node, VirtualNetwork.Node seed) {
    node.call((now, out) -> membership(node).join(now, List.of(seed.endpoint()), out));
  }

  static MemberState stateOf(Membership observer, String name) {
    Member m = observer.member(name);
    return m == null ? null : m.state();
  }

  /** Events of type {@code type} about {@code about}, as seen by {@code observer}. */
  static long count(VirtualNetwork.Node observer, MemberEvent.Type type, String about) {
    return observer.events(MemberEvent.class).stream()
        .filter(e -> e.type() == type && e.member().name().equals(about))
        .count();
  }

  /** The first event of type {@code type} about {@code about} that {@code observer} emitted. */
  static MemberEvent firstEvent(VirtualNetwork.Node observer, MemberEvent.Type type, String about) {
    return observer.events(MemberEvent.class).stream()
        .filter(e -> e.type() == type && e.member().name().equals(about))
        .findFirst()
        .orElseThrow(() -> new AssertionError(observer.name() + " never saw " + type + " of " + about));
  }

  /** {@code messages} as one packet of the test cluster, framed as a stack would send them. */
  static java.nio.ByteBuffer packet(List<MembershipMessages.Message> messages) {
    io.grapevine.wire.PacketWriter w = new io.grapevine.wire.PacketWriter(1 << 20, CLUSTER).begin();
    for (MembershipMessages.Message m : messages) {
      w.beginMessage(m.type());
      m.writeBody(w);
      w.endMessage();
    }
    return w.finish();
  }
}
