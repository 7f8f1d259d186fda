// SPDX-License-Identifier: Apache-2.0
package io.grapevine.overlay;

import io.grapevine.config.HyParViewConfig;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grapevine.dissemination.Dissemination;
import io.grapevine.config.DisseminationConfig;
import io.grapevine.api.UserEvent;
import io.grapevine.node.Endpoint;
import io.grapevine.node.ProtocolEvent;
import io.grapevine.stack.ProtocolStack;
import io.grapevine.testkit.LinkLatency;
import io.grapevine.testkit.StackCluster;
import io.grapevine.testkit.VirtualNetwork;
import io.grapevine.wire.MessageType;
import io.grapevine.wire.PacketWriter;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class HyParViewTest {
  static final HyParViewConfig CONFIG = HyParViewConfig.defaults();

  /** Nodes with HyParView only, on a network with a random 1..20 ms latency; none started. */
  static StackCluster nodes(int n, long seed, HyParViewConfig config) {
    return StackCluster.builder(seed).deferStart().latency(LinkLatency.uniform(1, 20))
        .build(n, (node, stack) -> stack.add(new HyParView(config, node.random("hyparview"))));
  }

  /** N nodes with HyParView only; node i starts and joins at i × 20 ms through a random earlier node. */
  static StackCluster overlay(int n, long seed) {
    StackCluster net = nodes(n, seed, CONFIG);
    SplittableRandom contacts = new SplittableRandom(seed ^ 0x5DEECE66DL);
    net.start(0);
    for (int i = 1; i < n; i++) {
      net.runUntil(i * 20L);
      join(net, i, List.of(net.endpoint(contacts.nextInt(i))));
    }
    return net;
  }

  /** Starts node {@code i} (if it is not) and has it join through {@code contacts}. */
  static void join(StackCluster net, int i, List<Endpoint> contacts) {
    net.start(i);
    HyParView h = hpv(net, i);
    net.call(i, (now, out) -> h.join(now, contacts, out));
  }

  static HyParView hpv(StackCluster net, int i) {
    return net.protocol(i, HyParView.class);
  }

  static boolean connected(StackCluster net) {
    return Overlays.connected(net.network(), node -> node.protocol(HyParView.class).activeView());
  }

  static double symmetric(StackCluster net) {
    long entries = 0;
    long sym = 0;
    for (VirtualNetwork.Node node : net.network().liveNodes()) {
      for (Endpoint e : node.protocol(HyParView.class).activeView()) {
        VirtualNetwork.Node other = net.network().node(e);
        entries++;
        if (other.isUp() && other.protocol(HyParView.class).isActive(node.endpoint())) {
          sym++;
        }
      }
    }
    return sym / (double) entries;
  }

  @Test
  void joinsFormAConnectedSymmetricOverlayWithBoundedViews() {
    int n = 300;
    StackCluster net = overlay(n, 11);
    net.runFor(20_000);
    assertThat(connected(net)).isTrue();
    List<HyParView> hpv = net.protocols(HyParView.class);
    double meanActive = 0;
    for (HyParView h : hpv) {
      assertThat(h.activeSize()).isBetween(1, CONFIG.activeViewSize);
      assertThat(h.passiveView().size()).isLessThanOrEqualTo(CONFIG.passiveViewSize);
      meanActive += h.activeSize() / (double) n;
    }
    assertThat(meanActive).isGreaterThan(CONFIG.activeViewSize - 1);
    assertThat(symmetric(net)).isGreaterThan(0.97);
    long rejoins = 0;
    for (HyParView h : hpv) {
      rejoins += h.stats().rejoins;
    }
    assertThat(rejoins).as("re-joins in a healthy overlay (a refusal is an answer)").isZero();
    // Shuffles fill the passive views.
    assertThat(hpv.get(n / 2).passiveView().size()).isGreaterThan(CONFIG.passiveViewSize / 2);
  }

  @Test
  void staysConnectedAndSymmetricUnderChurn() {
    int n = 250;
    StackCluster net = overlay(n, 12);
    net.runFor(10_000);
    SplittableRandom churn = new SplittableRandom(99);
    // 2% of the nodes replaced per second for 20 s: crash, and a fresh node joins at the same address.
    for (int s = 0; s < 20; s++) {
      for (int k = 0; k < n / 50; k++) {
        int victim = 1 + churn.nextInt(n - 1);
        net.restart(victim);
        int contact;
        do {
          contact = churn.nextInt(n);
        } while (contact == victim);
        join(net, victim, List.of(net.endpoint(contact)));
      }
      net.runFor(1000);
    }
    net.runFor(10_000);
    assertThat(connected(net)).isTrue();
    assertThat(symmetric(net)).isGreaterThan(0.95);
  }

  @Test
  void repairsActiveViewsFromPassiveViewsAfterMassCrash() {
    int n = 250;
    StackCluster net = overlay(n, 13);
    net.runFor(15_000);
    SplittableRandom r = new SplittableRandom(5);
    int crashed = 0;
    while (crashed < n * 4 / 10) {
      int i = r.nextInt(n);
      if (net.node(i).isUp()) {
        net.crash(i);
        crashed++;
      }
    }
    net.runFor(15_000);
    long promotions = 0;
    for (VirtualNetwork.Node node : net.network().liveNodes()) {
      HyParView h = node.protocol(HyParView.class);
      for (Endpoint e : h.activeView()) {
        assertThat(net.network().node(e).isUp()).as("%s keeps a crashed active peer", node).isTrue();
      }
      promotions += h.stats().promotions;
    }
    assertThat(promotions).isPositive();
    assertThat(connected(net)).isTrue();
  }

  /**
   * 90% of 300 nodes crash at once; the three seed nodes every node joined through survive (as a
   * deployment's seeds would). Fragments whose views name only each other and dead nodes re-join
   * through a seed once their active views have stayed short for {@code rejoinAfter}; with the
   * re-join off, the same crash (same seed) leaves the overlay in pieces.
   */
  @Test
  void strandedFragmentsRejoinThroughTheSeedsAfterA90PercentCrash() {
    assertThat(afterMassCrash(HyParViewConfig.defaults().toBuilder().rejoinAfter(Duration.ZERO).build()).connected)
        .as("without re-join the crash leaves fragments (so the test below can fail)").isFalse();
    MassCrash withRejoin = afterMassCrash(CONFIG);
    assertThat(withRejoin.connected).as("overlay connected again after the crash").isTrue();
    assertThat(withRejoin.rejoins).isPositive();
  }

  /**
   * Three nodes can never fill an active view of 5, so every view stays short; re-joining teaches
   * them nothing, and the waits between re-joins double: over 10 minutes a node re-joins at most 8
   * times (5, 10, 20, ... s), not every 5 s (120 times).
   */
  @Test
  void aClusterSmallerThanTheActiveViewBacksOffItsRejoins() {
    int n = 3;
    StackCluster net = overlay(n, 19);
    net.runFor(600_000);
    assertThat(connected(net)).isTrue();
    List<HyParView> hpv = net.protocols(HyParView.class);
    for (HyParView h : hpv) {
      assertThat(h.activeSize()).isEqualTo(2);
      assertThat(h.stats().rejoins).isBetween(0L, 8L);
    }
    assertThat(hpv.get(1).stats().rejoins + hpv.get(2).stats().rejoins).as("the joiners did re-join").isPositive();
  }

  record MassCrash(boolean connected, long rejoins) {}

  static MassCrash afterMassCrash(HyParViewConfig config) {
    return afterMassCrash(config, 18, 9);
  }

  static MassCrash afterMassCrash(HyParViewConfig config, long seed, int tenths) {
    int n = 300;
    int seeds = 3;
    StackCluster net = nodes(n, seed, config);
    SplittableRandom contacts = new SplittableRandom(seed);
    net.start(0);
    for (int i = 1; i < n; i++) {
      net.runUntil(i * 20L);
      List<Endpoint> join = new ArrayList<>();
      join.add(net.endpoint(contacts.nextInt(i)));
      for (int s = 0; s < Math.min(i, seeds); s++) {
        join.add(net.endpoint(s));
      }
      join(net, i, join);
    }
    net.runFor(15_000);
    SplittableRandom r = new SplittableRandom(seed + 6);
    int crashed = 0;
    while (crashed < n * tenths / 10) {
      int i = seeds + r.nextInt(n - seeds);
      if (net.node(i).isUp()) {
        net.crash(i);
        crashed++;
      }
    }
    net.runFor(30_000);
    long rejoins = 0;
    for (VirtualNetwork.Node node : net.network().liveNodes()) {
      rejoins += node.protocol(HyParView.class).stats().rejoins;
    }
    return new MassCrash(connected(net), rejoins);
  }

  @Test
  void disseminationRunsUnchangedOverTheActiveView() {
    int n = 200;
    DisseminationConfig dc = DisseminationConfig.defaults().toBuilder().mode(DisseminationConfig.Mode.PUSH)
        .roundInterval(Duration.ofMillis(200)).antiEntropyInterval(Duration.ofSeconds(2)).build();
    // HyParView is the stack's peer sampler: dissemination gossips over the active view.
    StackCluster net = StackCluster.builder(14).deferStart().latency(LinkLatency.uniform(1, 20))
        .build(n, (node, stack) -> stack.add(new HyParView(CONFIG, node.random("hyparview")))
            .add(new Dissemination(dc, 1, node.random("events"))));
    net.start(0);
    for (int i = 1; i < n; i++) {
      net.runUntil(i * 20L);
      join(net, i, List.of(net.endpoint(0)));
    }
    net.runFor(10_000);
    Dissemination origin = net.protocol(7, Dissemination.class);
    net.call(7, (now, out) -> origin.publish(now, "deploy", new byte[] {1, 2, 3}, null, out));
    net.runFor(20_000);
    for (int i = 0; i < n; i++) {
      long got = net.node(i).events(UserEvent.class).stream().filter(u -> u.topic().equals("deploy")).count();
      assertThat(got).as("node %d", i).isEqualTo(1);
    }
  }

  @Test
  void malformedMessagesAreDroppedAndCounted() {
    Endpoint self = Endpoint.ipv4(0x0A000001, 7946);
    Endpoint other = Endpoint.ipv4(0x0A000002, 7946);
    HyParView h = new HyParView(CONFIG, new SplittableRandom(1));
    ProtocolStack host = ProtocolStack.builder("a", self, "test").peers(h).add(h).build();
    PacketWriter w = new PacketWriter(1400, "test");
    List<ByteBuffer> bad = new ArrayList<>();
    // NEIGHBOR with a flag of 7
    bad.add(copy(w.begin().beginMessage(MessageType.HPV_NEIGHBOR).putEndpoint(other).putByte(7).endMessage().finish()));
    // FORWARD_JOIN cut short
    bad.add(copy(w.begin().beginMessage(MessageType.HPV_FORWARD_JOIN).putEndpoint(other).endMessage().finish()));
    // SHUFFLE_REPLY announcing 200 entries
    bad.add(copy(w.begin().beginMessage(MessageType.HPV_SHUFFLE_REPLY).putEndpoint(other).putByte(200).endMessage()
        .finish()));
    // JOIN with trailing bytes
    bad.add(copy(w.begin().beginMessage(MessageType.HPV_JOIN).putEndpoint(other).putInt(5).endMessage().finish()));
    // bad address family
    bad.add(copy(w.begin().beginMessage(MessageType.HPV_KEEPALIVE).putByte(9).putInt(1).putShort(1).endMessage()
        .finish()));
    List<ProtocolEvent> events = new ArrayList<>();
    for (ByteBuffer b : bad) {
      host.onPacket(0, other, b, io.grapevine.node.Delivery.DATAGRAM, new Collect(events));
    }
    assertThat(host.dropped()).isEqualTo(bad.size());
    assertThat(h.activeSize()).isZero();
    assertThat(h.passiveView()).isEmpty();
    // a well-formed JOIN is taken
    host.onPacket(0, other, copy(w.begin().beginMessage(MessageType.HPV_JOIN).putEndpoint(other).endMessage().finish()),
        io.grapevine.node.Delivery.DATAGRAM, new Collect(events));
    assertThat(h.activeView()).containsExactly(other);
  }

  @Test
  void aMemberDeclaredDeadLeavesTheViewsAtOnceButASuspectStays() {
    Endpoint self = Endpoint.ipv4(0x0A000001, 7946);
    Endpoint b = Endpoint.ipv4(0x0A000002, 7946);
    Endpoint c = Endpoint.ipv4(0x0A000003, 7946);
    HyParView h = new HyParView(CONFIG, new SplittableRandom(1));
    ProtocolStack host = ProtocolStack.builder("a", self, "test").peers(h).add(h).build();
    PacketWriter w = new PacketWriter(1400, "test");
    List<ProtocolEvent> events = new ArrayList<>();
    for (Endpoint e : List.of(b, c)) {
      host.onPacket(0, e, copy(w.begin().beginMessage(MessageType.HPV_JOIN).putEndpoint(e).endMessage().finish()),
          io.grapevine.node.Delivery.DATAGRAM, new Collect(events));
    }
    assertThat(h.activeView()).containsExactlyInAnyOrder(b, c);
    h.onPeerEvent(10, memberEvent(io.grapevine.api.MemberEvent.Type.SUSPECTED, c), new Collect(events));
    assertThat(h.activeView()).containsExactlyInAnyOrder(b, c);
    h.onPeerEvent(10, memberEvent(io.grapevine.api.MemberEvent.Type.DEAD, b), new Collect(events));
    assertThat(h.activeView()).containsExactly(c);
    assertThat(h.passiveView()).doesNotContain(b);
    assertThat(h.stats().failuresReported).isEqualTo(1);
    // Long before failureTimeout: the signal, not the keep-alive timer, removed it.
    assertThat(h.stats().failuresDetected).isZero();
    h.peerFailed(20, c, new Collect(events));
    assertThat(h.activeSize()).isZero();
    assertThat(h.stats().failuresReported).isEqualTo(2);
  }

  private static io.grapevine.api.MemberEvent memberEvent(io.grapevine.api.MemberEvent.Type type,
      Endpoint e) {
    return new io.grapevine.api.MemberEvent(type, new io.grapevine.api.Member("m", e,
        io.grapevine.api.MemberState.ALIVE, 1, new byte[0], 1, 1, 0));
  }

  @Test
  void configRejectsBadValuesWithClearMessages() {
    assertThatThrownBy(() -> new HyParViewConfig.Builder().activeViewSize(0).build())
        .hasMessageContaining("activeViewSize");
    assertThatThrownBy(() -> new HyParViewConfig.Builder().passiveRandomWalkLength(9).build())
        .hasMessageContaining("passiveRandomWalkLength");
    assertThatThrownBy(() -> new HyParViewConfig.Builder().failureTimeout(Duration.ofMillis(500)).build())
        .hasMessageContaining("failureTimeout");
    assertThatThrownBy(() -> new HyParViewConfig.Builder().rejoinAfter(Duration.ofMillis(500)).build())
        .hasMessageContaining("rejoinAfter");
    assertThat(HyParViewConfig.forClusterSize(100_000).activeViewSize).isEqualTo(6);
    assertThat(HyParViewConfig.forClusterSize(100_000).passiveViewSize).isEqualTo(36);
  }

  static ByteBuffer copy(ByteBuffer b) {
    ByteBuffer c = ByteBuffer.allocate(b.remaining());
    c.put(b.duplicate()).flip();
    return c;
  }

  record Collect(List<ProtocolEvent> events) implements io.grapevine.node.Outbox {
    @Override
    public void send(Endpoint to, ByteBuffer packet, io.grapevine.node.Delivery delivery) {}

    @Override
    public void emit(ProtocolEvent event) {
      events.add(event);
    }
  }
}
