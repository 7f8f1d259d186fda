// SPDX-License-Identifier: Apache-2.0
package io.grapevine.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grapevine.node.Delivery;
import io.grapevine.node.Endpoint;
import io.grapevine.node.Outbox;
import io.grapevine.node.PeerSampler;
import io.grapevine.node.ProtocolEvent;
import io.grapevine.node.ProtocolNode;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The network with scripted nodes: faults, ordering, timers, crashes, counters. */
class VirtualNetworkTest {

  /** An event carrying a number, to check what the network collects. */
  record Noted(long value) implements ProtocolEvent {}

  /** Records what it receives and when it is woken; its deadline is whatever the test sets. */
  static final class Probe implements ProtocolNode {
    final List<long[]> received = new ArrayList<>(); // {time, tag, delivery ordinal}
    final List<Long> ticks = new ArrayList<>();
    long deadline = Long.MAX_VALUE;
    /** Period of a repeating timer, 0 for a one-shot one. */
    long period;
    /** Whether a tick leaves the deadline where it was (a buggy node). */
    boolean stuck;

    @Override
    public void onPacket(long now, Endpoint from, ByteBuffer packet, Delivery d, Outbox out) {
      received.add(new long[] {now, packet.get(packet.position()), d.ordinal()});
      out.emit(new Noted(packet.get(packet.position())));
    }

    @Override
    public void onTick(long now, Outbox out) {
      ticks.add(now);
      if (!stuck) {
        deadline = period > 0 ? now + period : Long.MAX_VALUE;
      }
    }

    @Override
    public long nextDeadlineMillis() {
      return deadline;
    }

    long count(int tag) {
      return received.stream().filter(r -> r[1] == tag).count();
    }
  }

  private static VirtualNetwork.Node[] nodes(VirtualNetwork net, Probe... probes) {
    VirtualNetwork.Node[] n = new VirtualNetwork.Node[probes.length];
    for (int i = 0; i < probes.length; i++) {
      n[i] = net.add("p" + i, VirtualNetwork.endpointOf(i), probes[i]);
    }
    return n;
  }

  private static void send(VirtualNetwork.Node from, VirtualNetwork.Node to, int tag, Delivery delivery) {
    from.call((now, out) -> {
      ByteBuffer b = ByteBuffer.allocate(8);
      b.put(0, (byte) tag);
      out.send(to.endpoint(), b, delivery);
      b.put(0, (byte) 99); // the network copied it: reuse must not leak into the delivered packet
    });
  }

  @Test
  void seededLossHitsDatagramsAtItsRateAndSparesStreams() {
    Probe a = new Probe();
    Probe b = new Probe();
    VirtualNetwork net = new VirtualNetwork(1).loss(0.2).latency(LinkLatency.uniform(1, 9));
    VirtualNetwork.Node[] n = nodes(net, a, b);
    for (int k = 0; k < 10_000; k++) {
      send(n[0], n[1], 0, Delivery.DATAGRAM);
    }
    for (int k = 0; k < 1000; k++) {
      send(n[0], n[1], 1, Delivery.STREAM);
    }
    net.runFor(100);
    // 10,000 draws at p = 0.2: the standard deviation is 40, so ±200 is five of them.
    assertThat(net.packetsLost()).isBetween(1800L, 2200L);
    assertThat(b.count(0)).isEqualTo(10_000 - net.packetsLost());
    assertThat(b.count(1)).as("streams are reliable").isEqualTo(1000);
    assertThat(net.packetsSent(Delivery.DATAGRAM)).isEqualTo(10_000);
    assertThat(net.packetsSent(Delivery.STREAM)).isEqualTo(1000);
    assertThat(net.stats().balanced()).isTrue();
    assertThat(b.received).allMatch(r -> r[0] >= 1 && r[0] <= 9);
  }

  @Test
  void lossOfAllTrafficHitsStreamsToo() {
    Probe a = new Probe();
    Probe b = new Probe();
    VirtualNetwork net = new VirtualNetwork(2).loss(0.5, Traffic.ALL);
    VirtualNetwork.Node[] n = nodes(net, a, b);
    for (int k = 0; k < 2000; k++) {
      send(n[0], n[1], 1, Delivery.STREAM);
    }
    net.runFor(10);
    assertThat(b.count(1)).isBetween(850L, 1150L);
    assertThat(net.stats().lost()).isEqualTo(2000 - b.count(1));
  }

  @Test
  void duplicationDeliversTwiceAtItsRateAndTheCountersBalance() {
    Probe a = new Probe();
    Probe b = new Probe();
    VirtualNetwork net = new VirtualNetwork(3).duplication(0.1).loss(0.1).latency(LinkLatency.jitter(5, 20));
    VirtualNetwork.Node[] n = nodes(net, a, b);
    for (int k = 0; k < 10_000; k++) {
      send(n[0], n[1], 0, Delivery.DATAGRAM);
    }
    net.runFor(1);
    assertThat(net.packetsInFlight()).isPositive();
    assertThat(net.stats().balanced()).isTrue();
    net.runFor(100);
    NetworkStats s = net.stats();
    assertThat(s.duplicated()).isBetween(750L, 1050L); // about 9,000 survivors at p = 0.1
    assertThat(s.delivered()).isEqualTo(10_000 - s.lost() + s.duplicated());
    assertThat(b.received).hasSize((int) s.delivered());
    assertThat(b.received).allMatch(r -> r[0] >= 5 && r[0] <= 25);
    assertThat(s.inFlight()).isZero();
    assertThat(s.balanced()).isTrue();
  }

  @Test
  void turningDuplicationOnDoesNotChangeWhichPacketsAreLost() {
    long[] lostWith = new long[2];
    for (int run = 0; run < 2; run++) {
      Probe b = new Probe();
      VirtualNetwork net = new VirtualNetwork(4).loss(0.3).duplication(run == 0 ? 0 : 0.5);
      VirtualNetwork.Node[] n = nodes(net, new Probe(), b);
      for (int k = 0; k < 100; k++) {
        send(n[0], n[1], k, Delivery.DATAGRAM);
      }
      net.runFor(10);
      Set<Long> tags = new HashSet<>();
      b.received.forEach(r -> tags.add(r[1]));
      lostWith[run] = 100 - tags.size();
    }
    assertThat(lostWith[1]).isEqualTo(lostWith[0]);
  }

  @Test
  void aPartitionDropsBothWaysStreamsIncludedUntilItHeals() {
    Probe a = new Probe();
    Probe b = new Probe();
    Probe c = new Probe();
    VirtualNetwork net = new VirtualNetwork(5);
    VirtualNetwork.Node[] n = nodes(net, a, b, c);
    VirtualNetwork.LinkRule cut = net.partition(n[0]);
    send(n[0], n[1], 1, Delivery.DATAGRAM);
    send(n[1], n[0], 2, Delivery.DATAGRAM);
    send(n[0], n[2], 3, Delivery.STREAM);
    send(n[2], n[0], 4, Delivery.STREAM);
    send(n[1], n[2], 5, Delivery.DATAGRAM); // same side: passes
    net.runFor(10);
    assertThat(a.received).isEmpty();
    assertThat(b.received).isEmpty();
    assertThat(c.received).extracting(r -> r[1]).containsExactly(5L);
    assertThat(net.stats().blocked()).isEqualTo(4);
    assertThat(cut.isActive()).isTrue();
    net.heal();
    assertThat(cut.isActive()).isFalse();
    send(n[0], n[1], 6, Delivery.DATAGRAM);
    send(n[1], n[0], 7, Delivery.STREAM);
    net.runFor(10);
    assertThat(b.received).extracting(r -> r[1]).containsExactly(6L);
    assertThat(a.received).extracting(r -> r[1]).containsExactly(7L);
  }

  @Test
  void aDatagramOnlyRuleLetsStreamsThroughAndARemovedRuleStopsDropping() {
    Probe a = new Probe();
    Probe b = new Probe();
    VirtualNetwork net = new VirtualNetwork(6);
    VirtualNetwork.Node[] n = nodes(net, a, b);
    VirtualNetwork.LinkRule oneWay =
        net.drop((from, to) -> from.equals(n[0].endpoint()) && to.equals(n[1].endpoint()), Traffic.DATAGRAMS);
    send(n[0], n[1], 1, Delivery.DATAGRAM);
    send(n[0], n[1], 2, Delivery.STREAM);
    send(n[1], n[0], 3, Delivery.DATAGRAM);
    net.runFor(10);
    assertThat(b.received).extracting(r -> r[1]).containsExactly(2L);
    assertThat(a.received).extracting(r -> r[1]).containsExactly(3L);
    oneWay.remove();
    send(n[0], n[1], 4, Delivery.DATAGRAM);
    net.runFor(10);
    assertThat(b.received).extracting(r -> r[1]).containsExactly(2L, 4L);
    VirtualNetwork.LinkRule isolated = net.isolate(n[1]);
    send(n[0], n[1], 5, Delivery.STREAM);
    send(n[1], n[0], 6, Delivery.STREAM);
    net.runFor(10);
    assertThat(b.received).hasSize(2);
    assertThat(a.received).hasSize(1);
    isolated.remove();
  }

  @Test
  void aCrashedNodeGetsNoPacketsNorTimersAndResumesOrRestarts() {
    Probe a = new Probe();
    Probe b = new Probe();
    b.deadline = 50;
    b.period = 100;
    VirtualNetwork net = new VirtualNetwork(7).latency(LinkLatency.fixed(10));
    VirtualNetwork.Node[] n = nodes(net, a, b);
    net.runUntil(60);
    assertThat(b.ticks).containsExactly(50L);
    send(n[0], n[1], 1, Delivery.DATAGRAM); // in flight when b crashes: lost
    n[1].crash();
    send(n[0], n[1], 2, Delivery.STREAM);
    send(n[1], n[0], 3, Delivery.DATAGRAM); // a crashed node sends nothing
    net.runUntil(1_000);
    assertThat(n[1].isUp()).isFalse();
    assertThat(b.received).isEmpty();
    assertThat(b.ticks).containsExactly(50L);
    assertThat(a.received).isEmpty();
    assertThat(net.stats().undeliverable()).isEqualTo(3);
    assertThat(net.liveCount()).isEqualTo(1);

    n[1].resume(); // with the state it had: its timer was due at 150, so it fires at once
    send(n[0], n[1], 4, Delivery.DATAGRAM);
    net.runUntil(1_050);
    assertThat(b.ticks).containsExactly(50L, 1_000L);
    assertThat(b.received).extracting(r -> r[1]).containsExactly(4L);

    Probe fresh = new Probe();
    n[1].restart(fresh);
    send(n[0], n[1], 5, Delivery.DATAGRAM);
    net.runUntil(1_300);
    assertThat(n[1].protocolNode()).isSameAs(fresh);
    assertThat(n[1].restarts()).isEqualTo(1);
    assertThat(fresh.received).extracting(r -> r[1]).containsExactly(5L);
    assertThat(b.ticks).as("the old life is never stepped again").containsExactly(50L, 1_000L);
  }

  @Test
  void sameTimeEventsRunInTheOrderTheyWereQueuedAndFixedLatencyKeepsLinksInOrder() {
    Probe a = new Probe();
    Probe b = new Probe();
    VirtualNetwork net = new VirtualNetwork(8).latency(LinkLatency.fixed(5));
    VirtualNetwork.Node[] n = nodes(net, a, b);
    for (int k = 0; k < 50; k++) {
      send(n[0], n[1], k, Delivery.DATAGRAM);
    }
    net.runFor(100);
    assertThat(b.received).extracting(r -> r[1]).containsExactlyElementsOf(
        java.util.stream.LongStream.range(0, 50).boxed().toList());
    assertThat(b.received).allMatch(r -> r[0] == 5);
  }

  @Test
  void aMovedDeadlineLeavesNoStaleWakeUpAndAStuckOneTicksOncePerMillisecond() {
    Probe a = new Probe();
    Probe b = new Probe();
    VirtualNetwork net = new VirtualNetwork(9);
    VirtualNetwork.Node[] n = nodes(net, a, b);
    a.deadline = 100;
    n[0].call((now, out) -> {});
    a.deadline = 300; // moved later: the wake-up at 100 is stale
    n[0].call((now, out) -> {});
    b.deadline = 10;
    b.stuck = true; // never moves its deadline on
    net.runUntil(20);
    net.runUntil(1_000);
    assertThat(a.ticks).containsExactly(300L);
    assertThat(b.ticks).hasSize(991).startsWith(10L, 11L, 12L).endsWith(1_000L);
  }

  @Test
  void aDeadlineChangedOutsideACallIsSeenWhenTheNextRunStarts() {
    Probe a = new Probe();
    VirtualNetwork net = new VirtualNetwork(10);
    nodes(net, a);
    net.runUntil(100);
    a.deadline = 150;
    net.runUntil(200);
    assertThat(a.ticks).containsExactly(150L);
  }

  @Test
  void runUntilAConditionStopsAtTheFirstMillisecondItHoldsOrAtTheBound() {
    Probe a = new Probe();
    Probe b = new Probe();
    VirtualNetwork net = new VirtualNetwork(11).latency(LinkLatency.fixed(7));
    VirtualNetwork.Node[] n = nodes(net, a, b);
    send(n[0], n[1], 1, Delivery.DATAGRAM);
    assertThat(net.runUntil(() -> !b.received.isEmpty(), 1_000)).isTrue();
    assertThat(net.now()).isEqualTo(7);
    assertThat(net.runUntil(() -> b.received.size() > 1, 500)).isFalse();
    assertThat(net.now()).isEqualTo(507);
    send(n[0], n[1], 2, Delivery.DATAGRAM);
    assertThat(net.runUntil(() -> b.received.size() > 1, 1_000, 100)).isTrue();
    assertThat(net.now()).isEqualTo(607);
    assertThat(net.runUntil(() -> true, 0)).isTrue();
  }

  @Test
  void deliverInFlightEmptiesTheNetworkWithoutFiringTimers() {
    Probe a = new Probe();
    Probe b = new Probe();
    b.deadline = 3;
    VirtualNetwork net = new VirtualNetwork(12).latency(LinkLatency.fixed(10));
    VirtualNetwork.Node[] n = nodes(net, a, b);
    net.runUntil(1);
    send(n[0], n[1], 1, Delivery.DATAGRAM);
    net.deliverInFlight();
    assertThat(net.packetsInFlight()).isZero();
    assertThat(net.now()).isEqualTo(11);
    assertThat(b.received).extracting(r -> r[0]).containsExactly(11L);
    assertThat(b.ticks).isEmpty();
    net.runUntil(11);
    assertThat(b.ticks).as("late, at the next run").containsExactly(11L);
  }

  @Test
  void eventsAreCollectedPerNodeAndSniffersSeeEveryPacket() {
    Probe a = new Probe();
    Probe b = new Probe();
    VirtualNetwork net = new VirtualNetwork(13).loss(1.0);
    VirtualNetwork.Node[] n = nodes(net, a, b);
    List<Packet> sniffed = new ArrayList<>();
    List<Packet> delivered = new ArrayList<>();
    List<String> heard = new ArrayList<>();
    net.onSend(sniffed::add).onDeliver(delivered::add)
        .onEvent((node, now, e) -> heard.add(node.name() + "@" + now + ":" + e));
    send(n[0], n[1], 1, Delivery.DATAGRAM); // lost, but sniffed
    send(n[0], n[1], 2, Delivery.STREAM);
    net.runFor(5);
    assertThat(sniffed).extracting(p -> p.bytes()[0]).containsExactly((byte) 1, (byte) 2);
    assertThat(sniffed.get(0).from()).isEqualTo(n[0].endpoint());
    assertThat(sniffed.get(0).to()).isEqualTo(n[1].endpoint());
    assertThat(sniffed.get(0).size()).isEqualTo(8);
    assertThat(delivered).extracting(Packet::delivery).containsExactly(Delivery.STREAM);
    assertThat(n[1].events()).containsExactly(new Noted(2));
    assertThat(n[1].events(Noted.class)).containsExactly(new Noted(2));
    assertThat(n[0].events()).isEmpty();
    assertThat(net.events(Noted.class)).containsExactly(new Noted(2));
    assertThat(heard).containsExactly("p1@1:Noted[value=2]");
    assertThat(n[0].packetsSent()).isEqualTo(2);
    assertThat(n[1].packetsReceived()).isEqualTo(1);

    net.collectEvents(false);
    net.loss(0);
    send(n[0], n[1], 3, Delivery.DATAGRAM);
    net.runFor(5);
    assertThat(n[1].events()).hasSize(1);
    assertThat(heard).hasSize(2);
  }

  @Test
  void deliverNowHandsAPacketOverAtOnceOutsideTheCounters() {
    Probe a = new Probe();
    VirtualNetwork net = new VirtualNetwork(14);
    VirtualNetwork.Node[] n = nodes(net, a);
    net.runUntil(42);
    n[0].deliverNow(VirtualNetwork.endpointOf(200), ByteBuffer.wrap(new byte[] {9}), Delivery.STREAM);
    assertThat(a.received).hasSize(1);
    assertThat(a.received.get(0)).containsExactly(42, 9, Delivery.STREAM.ordinal());
    assertThat(net.stats().delivered()).isZero();
    n[0].crash();
    assertThatThrownBy(() -> n[0].deliverNow(VirtualNetwork.endpointOf(200), ByteBuffer.allocate(1), Delivery.DATAGRAM))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void packetsToNoNodeAreCountedUndeliverable() {
    VirtualNetwork net = new VirtualNetwork(15);
    VirtualNetwork.Node a = net.add("a", VirtualNetwork.endpointOf(0), new Probe());
    a.call((now, out) -> out.send(VirtualNetwork.endpointOf(77), ByteBuffer.allocate(3), Delivery.DATAGRAM));
    net.runFor(10);
    assertThat(net.stats().undeliverable()).isEqualTo(1);
    assertThat(net.stats().bytesSent()).isEqualTo(3);
  }

  @Test
  void uniformPeersAreDistinctLiveAndNeverSelf() {
    VirtualNetwork net = new VirtualNetwork(16);
    List<VirtualNetwork.Node> n = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      n.add(net.add("p" + i, VirtualNetwork.endpointOf(i), new Probe()));
    }
    PeerSampler peers = net.uniformPeers(n.get(0).endpoint());
    assertThat(peers.size()).isEqualTo(9);
    for (int round = 0; round < 200; round++) {
      List<Endpoint> out = new ArrayList<>();
      peers.sample(3, out);
      assertThat(out).hasSize(3).doesNotHaveDuplicates().doesNotContain(n.get(0).endpoint());
    }
    n.get(3).crash();
    n.get(4).crash();
    assertThat(peers.size()).isEqualTo(7);
    List<Endpoint> all = new ArrayList<>();
    peers.sample(100, all);
    assertThat(all).hasSize(7).doesNotContain(n.get(0).endpoint(), n.get(3).endpoint(), n.get(4).endpoint());
    // Every live peer comes up about equally often.
    int[] hits = new int[10];
    for (int round = 0; round < 7_000; round++) {
      List<Endpoint> out = new ArrayList<>();
      peers.sample(1, out);
      hits[net.node(out.get(0)).index()]++;
    }
    for (int i : new int[] {1, 2, 5, 6, 7, 8, 9}) {
      assertThat(hits[i]).as("node %d", i).isBetween(800, 1200);
    }
    n.get(0).crash();
    assertThat(peers.size()).isEqualTo(7);
  }

  @Test
  void nodesAreFoundByIndexNameAndEndpointAndBadInputIsRefused() {
    VirtualNetwork net = new VirtualNetwork(17);
    VirtualNetwork.Node a = net.add("a", VirtualNetwork.endpointOf(0), new Probe());
    VirtualNetwork.Node b = net.add("b", VirtualNetwork.endpointOf(1), new Probe());
    assertThat(net.node(1)).isSameAs(b);
    assertThat(net.node("a")).isSameAs(a);
    assertThat(net.node(VirtualNetwork.endpointOf(1))).isSameAs(b);
    assertThat(net.find(VirtualNetwork.endpointOf(5))).isNull();
    assertThat(VirtualNetwork.endpointOf(0)).hasToString("10.0.0.1:7946");
    assertThatThrownBy(() -> net.add("c", VirtualNetwork.endpointOf(0), new Probe()))
        .hasMessageContaining("already at 10.0.0.1:7946");
    net.add("a", VirtualNetwork.endpointOf(2), new Probe());
    assertThatThrownBy(() -> net.node("a")).hasMessageContaining("more than one node is named a");
    assertThatThrownBy(() -> net.node("zz")).hasMessageContaining("no node is named zz");
    assertThatThrownBy(() -> net.loss(1.5)).hasMessageContaining("loss must be a probability");
    assertThatThrownBy(() -> LinkLatency.uniform(5, 4)).hasMessageContaining("below the minimum");
    assertThatThrownBy(() -> a.stack()).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> net.runFor(-1)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void fakeClockOnlyMovesForward() {
    FakeClock clock = new FakeClock(100);
    assertThat(clock.advance(50)).isEqualTo(150);
    assertThat(clock.advanceTo(400)).isEqualTo(400);
    assertThat(clock.getAsLong()).isEqualTo(400);
    assertThatThrownBy(() -> clock.advance(-1)).hasMessageContaining("backwards");
    assertThatThrownBy(() -> clock.advanceTo(399)).hasMessageContaining("backwards");
    assertThat(new FakeClock().now()).isZero();
  }
}
