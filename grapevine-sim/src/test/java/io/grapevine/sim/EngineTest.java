// SPDX-License-Identifier: Apache-2.0
package io.grapevine.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.grapevine.node.Delivery;
import io.grapevine.node.Endpoint;
import io.grapevine.node.Outbox;
import io.grapevine.node.ProtocolNode;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The engine with scripted nodes: delivery times, the network model and wake-ups. */
class EngineTest {

  /** Records what it receives and when it is woken; sends what the test tells it to. */
  static final class Probe implements ProtocolNode {
    final List<long[]> received = new ArrayList<>(); // {time, first byte, length}
    final List<Long> ticks = new ArrayList<>();
    long deadline = Long.MAX_VALUE;

    @Override
    public void onPacket(long now, Endpoint from, ByteBuffer packet, Delivery d, Outbox out) {
      received.add(new long[] {now, packet.get(packet.position()), packet.remaining()});
    }

    @Override
    public void onTick(long now, Outbox out) {
      ticks.add(now);
      deadline = Long.MAX_VALUE;
    }

    @Override
    public long nextDeadlineMillis() {
      return deadline;
    }
  }

  private static Engine engine(NetworkModel net, Probe... nodes) {
    Engine e = new Engine(nodes.length, net, 1, (n, ev, now) -> 0, true);
    for (int i = 0; i < nodes.length; i++) {
      e.install(i, nodes[i]);
    }
    return e;
  }

  private static void send(Engine e, int from, int to, int bytes, byte tag, Delivery d) {
    e.call(from, out -> {
      ByteBuffer b = ByteBuffer.allocate(bytes);
      b.put(0, tag);
      out.send(e.endpoint(to), b, d);
      b.put(0, (byte) 99); // the engine copied it: reuse must not leak into the delivered packet
    });
  }

  @Test
  void bandwidthCapSerialisesAPeersPackets() {
    Probe a = new Probe();
    Probe b = new Probe();
    Engine e = engine(new NetworkModel(Latency.constant(1000), 0, 0, 10_000, 0), a, b);
    for (int k = 0; k < 5; k++) {
      send(e, 0, 1, 1000, (byte) k, Delivery.DATAGRAM);
    }
    e.runUntil(10_000_000, Long.MAX_VALUE);
    // 1000 B at 10,000 B/s = 100 ms each, then 1 ms of latency.
    assertThat(b.received).extracting(r -> r[0]).containsExactly(1L, 101L, 201L, 301L, 401L);
    assertThat(b.received).extracting(r -> r[1]).containsExactly(0L, 1L, 2L, 3L, 4L);
    assertThat(e.bytesOut(0)).isEqualTo(5000);
  }

  @Test
  void linkPartitionDropsUntilHealAndDownNodesLosePackets() {
    Probe a = new Probe();
    Probe b = new Probe();
    Probe c = new Probe();
    NetworkModel net = new NetworkModel(Latency.constant(500), 0, 0, 0, 0);
    net.addLinkPartition(0, 50_000, List.of(new int[] {0, 1}));
    Engine e = engine(net, a, b, c);
    net.refresh(0);
    send(e, 0, 1, 10, (byte) 1, Delivery.STREAM); // cut, even reliable streams
    send(e, 0, 2, 10, (byte) 2, Delivery.DATAGRAM); // not cut
    e.schedule(50_000, () -> net.refresh(e.nowMicros()));
    e.schedule(60_000, () -> send(e, 0, 1, 10, (byte) 3, Delivery.DATAGRAM));
    e.schedule(70_000, () -> e.crash(2));
    e.schedule(70_000, () -> send(e, 0, 2, 10, (byte) 4, Delivery.DATAGRAM));
    e.runUntil(1_000_000, Long.MAX_VALUE);
    assertThat(b.received).extracting(r -> r[1]).containsExactly(3L);
    assertThat(c.received).extracting(r -> r[1]).containsExactly(2L);
    assertThat(e.droppedPartition()).isEqualTo(1);
    assertThat(e.droppedDown()).isEqualTo(1);
  }

  @Test
  void lossAndDuplicationHitDatagramsOnlyAtTheirRates() {
    Probe a = new Probe();
    Probe b = new Probe();
    Engine e = engine(new NetworkModel(Latency.uniform(1000, 9000), 0.2, 0.1, 0, 0), a, b);
    for (int k = 0; k < 10_000; k++) {
      send(e, 0, 1, 8, (byte) 0, Delivery.DATAGRAM);
    }
    for (int k = 0; k < 1000; k++) {
      send(e, 0, 1, 8, (byte) 1, Delivery.STREAM);
    }
    e.runUntil(Long.MAX_VALUE / 2, Long.MAX_VALUE);
    long datagrams = b.received.stream().filter(r -> r[1] == 0).count();
    long streams = b.received.stream().filter(r -> r[1] == 1).count();
    assertThat(streams).isEqualTo(1000);
    assertThat(e.lost()).isBetween(1800L, 2200L);
    assertThat(e.duplicated()).isBetween(650L, 950L);
    assertThat(datagrams).isEqualTo(10_000 - e.lost() + e.duplicated());
  }

  @Test
  void aMovedDeadlineLeavesNoStaleWakeUpAndSlowNodesGetPacketsLate() {
    Probe a = new Probe();
    Probe b = new Probe();
    Engine e = engine(new NetworkModel(Latency.constant(2000), 0, 0, 0, 0), a, b);
    a.deadline = 100;
    e.call(0, out -> { });
    a.deadline = 300; // moved later: the wake-up at 100 is stale
    e.call(0, out -> { });
    e.setSlow(1, 250);
    send(e, 0, 1, 4, (byte) 7, Delivery.DATAGRAM);
    e.runUntil(1_000_000, Long.MAX_VALUE);
    assertThat(a.ticks).containsExactly(300L);
    assertThat(b.received).extracting(r -> r[0]).containsExactly(252L);
    assertThat(b.received).extracting(r -> r[1]).containsExactly(7L);
  }
}
