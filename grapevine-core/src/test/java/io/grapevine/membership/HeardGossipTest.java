// SPDX-License-Identifier: Apache-2.0
package io.grapevine.membership;

import static org.assertj.core.api.Assertions.assertThat;

import io.grapevine.api.MemberState;
import io.grapevine.config.MembershipConfig;
import io.grapevine.membership.MembershipMessages.Alive;
import io.grapevine.membership.MembershipMessages.MemberStateEntry;
import io.grapevine.membership.MembershipMessages.PushPull;
import io.grapevine.node.Delivery;
import io.grapevine.node.Endpoint;
import io.grapevine.testkit.VirtualNetwork;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * While the gossip queue is long (a join storm), gossip that brings back news this node has queued
 * counts as one of its transmissions: the sender has it already. Such queues then drain once the
 * news is widespread; a short queue sends each update its full count.
 */
class HeardGossipTest {
  private static final Endpoint PEER = VirtualNetwork.endpointOf(50);
  private static final Endpoint X = VirtualNetwork.endpointOf(60);

  private static Alive alive(long incarnation) {
    return new Alive(incarnation, "x", X, 1, 1, new byte[0]);
  }

  @Test
  void queuedNewsHeardBackIsRetiredAtTheLimit() {
    VirtualNetwork net = new VirtualNetwork(1);
    VirtualNetwork.Node n0 = net.add(Members.stack("n0", VirtualNetwork.endpointOf(0), 1, MembershipConfig.lan(),
        new SplittableRandom(1))).start();
    Membership m = Members.membership(n0);
    n0.deliverNow(PEER, Members.packet(List.of(alive(1))), Delivery.DATAGRAM);
    assertThat(m.hasPendingBroadcast("x")).isTrue();
    int limit = m.retransmitLimit();

    // A short queue: news heard back does not count.
    for (int i = 0; i < 2 * limit; i++) {
      n0.deliverNow(PEER, Members.packet(List.of(alive(1))), Delivery.DATAGRAM);
    }
    assertThat(m.hasPendingBroadcast("x")).isTrue();
    // A long one: news of as many members as reannounceQueueLimit, by gossip.
    int others = MembershipConfig.lan().reannounceQueueLimit;
    for (int i = 0; i < others; i++) {
      n0.deliverNow(PEER, Members.packet(List.of(new Alive(1, "o" + i, VirtualNetwork.endpointOf(100 + i), 1, 1,
          new byte[0]))), Delivery.DATAGRAM);
    }
    assertThat(m.pendingBroadcasts()).isGreaterThan(others);
    limit = m.retransmitLimit();

    // The same news from a push-pull is a table, not gossip: the queue keeps its entry.
    for (int i = 0; i < limit; i++) {
      n0.deliverNow(PEER, Members.packet(List.of(new PushPull(false, true, "peer", PEER, 1),
          new MemberStateEntry(MemberState.ALIVE, 1, "x", X, 1, 1, new byte[0]))), Delivery.STREAM);
    }
    assertThat(m.hasPendingBroadcast("x")).isTrue();

    // Heard by gossip once short of the limit: still owed one transmission.
    for (int i = 0; i < limit - 1; i++) {
      n0.deliverNow(PEER, Members.packet(List.of(alive(1))), Delivery.DATAGRAM);
    }
    assertThat(m.hasPendingBroadcast("x")).isTrue();
    n0.deliverNow(PEER, Members.packet(List.of(alive(1))), Delivery.DATAGRAM);
    assertThat(m.hasPendingBroadcast("x")).isFalse();

    // Newer news is queued afresh, and older news does not count against it.
    n0.deliverNow(PEER, Members.packet(List.of(alive(2))), Delivery.DATAGRAM);
    for (int i = 0; i < 2 * limit; i++) {
      n0.deliverNow(PEER, Members.packet(List.of(alive(1))), Delivery.DATAGRAM);
    }
    assertThat(m.hasPendingBroadcast("x")).isTrue();
  }
}
