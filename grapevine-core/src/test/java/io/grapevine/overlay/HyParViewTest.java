package io.grapevine.overlay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grapevine.dissemination.Dissemination;
import io.grapevine.dissemination.DisseminationConfig;
import io.grapevine.dissemination.UserEvent;
import io.grapevine.node.Endpoint;
import io.grapevine.node.ProtocolEvent;
import io.grapevine.stack.ProtocolStack;
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

  /** N nodes with HyParView only; node i joins at i × 20 ms through a random earlier node. */
  static OverlayNetwork overlay(int n, long seed, HyParView[] hpv) {
    OverlayNetwork net = new OverlayNetwork(n, seed);
    SplittableRandom contacts = new SplittableRandom(seed ^ 0x5DEECE66DL);
    for (int i = 0; i < n; i++) {
      install(net, i, hpv);
    }
    net.call(0, out -> hpv[0].start(0));
    for (int i = 1; i < n; i++) {
      net.runUntil(i * 20L);
      int contact = contacts.nextInt(i);
      final int node = i;
      net.call(i, out -> hpv[node].join(net.now, List.of(net.endpoints.get(contact)), out));
    }
    return net;
  }

  static void install(OverlayNetwork net, int i, HyParView[] hpv) {
    install(net, i, hpv, CONFIG);
  }

  static void install(OverlayNetwork net, int i, HyParView[] hpv, HyParViewConfig config) {
    net.install(i, (e, r) -> {
      HyParView h = new HyParView(config, r);
      hpv[i] = h;
      return ProtocolStack.builder("n" + i, e, "test").peers(h).add(h).build();
    });
  }

  static double symmetric(OverlayNetwork net, HyParView[] hpv) {
    long entries = 0;
    long sym = 0;
    for (int i = 0; i < net.n; i++) {
      if (!net.up[i]) {
        continue;
      }
      for (Endpoint e : hpv[i].activeView()) {
        int j = net.index(e);
        entries++;
        if (net.up[j] && hpv[j].isActive(net.endpoints.get(i))) {
          sym++;
        }
      }
    }
    return sym / (double) entries;
  }

  @Test
  void joinsFormAConnectedSymmetricOverlayWithBoundedViews() {
    int n = 300;
    HyParView[] hpv = new HyParView[n];
    OverlayNetwork net = overlay(n, 11, hpv);
    net.runUntil(net.now + 20_000);
    assertThat(OverlayNetwork.connected(net, i -> hpv[i].activeView())).isTrue();
    double meanActive = 0;
    for (HyParView h : hpv) {
      assertThat(h.activeSize()).isBetween(1, CONFIG.activeViewSize);
      assertThat(h.passiveView().size()).isLessThanOrEqualTo(CONFIG.passiveViewSize);
      meanActive += h.activeSize() / (double) n;
    }
    assertThat(meanActive).isGreaterThan(CONFIG.activeViewSize - 1);
    assertThat(symmetric(net, hpv)).isGreaterThan(0.97);
    long rejoins = 0;
    for (HyParView h : hpv) {
      rejoins += h.stats().rejoins;
    }
    assertThat(rejoins).as("re-joins in a healthy overlay (a refusal is an answer)").isZero();
    // Shuffles fill the passive views.
    assertThat(hpv[n / 2].passiveView().size()).isGreaterThan(CONFIG.passiveViewSize / 2);
  }

  @Test
  void staysConnectedAndSymmetricUnderChurn() {
    int n = 250;
    HyParView[] hpv = new HyParView[n];
    OverlayNetwork net = overlay(n, 12, hpv);
    net.runUntil(net.now + 10_000);
    SplittableRandom churn = new SplittableRandom(99);
    // 2% of the nodes replaced per second for 20 s: crash, and a fresh node joins at the same address.
    for (int s = 0; s < 20; s++) {
      for (int k = 0; k < n / 50; k++) {
        int victim = 1 + churn.nextInt(n - 1);
        net.crash(victim);
        install(net, victim, hpv);
        int contact;
        do {
          contact = churn.nextInt(n);
        } while (contact == victim);
        final int c = contact;
        net.call(victim, out -> hpv[victim].join(net.now, List.of(net.endpoints.get(c)), out));
      }
      net.runUntil(net.now + 1000);
    }
    net.runUntil(net.now + 10_000);
    assertThat(OverlayNetwork.connected(net, i -> hpv[i].activeView())).isTrue();
    assertThat(symmetric(net, hpv)).isGreaterThan(0.95);
  }

  @Test
  void repairsActiveViewsFromPassiveViewsAfterMassCrash() {
    int n = 250;
    HyParView[] hpv = new HyParView[n];
    OverlayNetwork net = overlay(n, 13, hpv);
    net.runUntil(net.now + 15_000);
    SplittableRandom r = new SplittableRandom(5);
    int crashed = 0;
    while (crashed < n * 4 / 10) {
      int i = r.nextInt(n);
      if (net.up[i]) {
        net.crash(i);
        crashed++;
      }
    }
    net.runUntil(net.now + 15_000);
    long promotions = 0;
    for (int i = 0; i < n; i++) {
      if (!net.up[i]) {
        continue;
      }
      for (Endpoint e : hpv[i].activeView()) {
        assertThat(net.up[net.index(e)]).as("node %d keeps a crashed active peer", i).isTrue();
      }
      promotions += hpv[i].stats().promotions;
    }
    assertThat(promotions).isPositive();
    assertThat(OverlayNetwork.connected(net, i -> hpv[i].activeView())).isTrue();
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
    HyParView[] hpv = new HyParView[n];
    OverlayNetwork net = overlay(n, 19, hpv);
    net.runUntil(net.now + 600_000);
    assertThat(OverlayNetwork.connected(net, i -> hpv[i].activeView())).isTrue();
    for (HyParView h : hpv) {
      assertThat(h.activeSize()).isEqualTo(2);
      assertThat(h.stats().rejoins).isBetween(0L, 8L);
    }
    assertThat(hpv[1].stats().rejoins + hpv[2].stats().rejoins).as("the joiners did re-join").isPositive();
  }

  record MassCrash(boolean connected, long rejoins) {}

  static MassCrash afterMassCrash(HyParViewConfig config) {
    return afterMassCrash(config, 18, 9);
  }

  static MassCrash afterMassCrash(HyParViewConfig config, long seed, int tenths) {
    int n = 300;
    int seeds = 3;
    HyParView[] hpv = new HyParView[n];
    OverlayNetwork net = new OverlayNetwork(n, seed);
    SplittableRandom contacts = new SplittableRandom(seed);
    for (int i = 0; i < n; i++) {
      install(net, i, hpv, config);
    }
    net.call(0, out -> hpv[0].start(0));
    for (int i = 1; i < n; i++) {
      net.runUntil(i * 20L);
      List<Endpoint> join = new ArrayList<>();
      join.add(net.endpoints.get(contacts.nextInt(i)));
      for (int s = 0; s < Math.min(i, seeds); s++) {
        join.add(net.endpoints.get(s));
      }
      final int node = i;
      net.call(i, out -> hpv[node].join(net.now, join, out));
    }
    net.runUntil(net.now + 15_000);
    SplittableRandom r = new SplittableRandom(seed + 6);
    int crashed = 0;
    while (crashed < n * tenths / 10) {
      int i = seeds + r.nextInt(n - seeds);
      if (net.up[i]) {
        net.crash(i);
        crashed++;
      }
    }
    net.runUntil(net.now + 30_000);
    long rejoins = 0;
    for (int i = 0; i < n; i++) {
      if (net.up[i]) {
        rejoins += hpv[i].stats().rejoins;
      }
    }
    return new MassCrash(OverlayNetwork.connected(net, i -> hpv[i].activeView()), rejoins);
  }

  @Test
  void disseminationRunsUnchangedOverTheActiveView() {
    int n = 200;
    HyParView[] hpv = new HyParView[n];
    Dissemination[] dis = new Dissemination[n];
    OverlayNetwork net = new OverlayNetwork(n, 14);
    DisseminationConfig dc = DisseminationConfig.defaults().toBuilder().mode(DisseminationConfig.Mode.PUSH)
        .roundInterval(Duration.ofMillis(200)).antiEntropyInterval(Duration.ofSeconds(2)).build();
    for (int i = 0; i < n; i++) {
      final int node = i;
      net.install(i, (e, r) -> {
        hpv[node] = new HyParView(CONFIG, r);
        dis[node] = new Dissemination(dc, 1, r);
        return ProtocolStack.builder("n" + node, e, "test").peers(hpv[node]).add(hpv[node]).add(dis[node]).build();
      });
    }
    net.call(0, out -> hpv[0].start(0));
    for (int i = 1; i < n; i++) {
      net.runUntil(i * 20L);
      final int node = i;
      net.call(i, out -> hpv[node].join(net.now, List.of(net.endpoints.get(0)), out));
    }
    net.runUntil(net.now + 10_000);
    net.call(7, out -> dis[7].publish(net.now, "deploy", new byte[] {1, 2, 3}, null, out));
    net.runUntil(net.now + 20_000);
    for (int i = 0; i < n; i++) {
      long got = net.events.get(i).stream().filter(e -> e instanceof UserEvent u && u.topic().equals("deploy"))
          .count();
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
    h.onPeerEvent(10, memberEvent(io.grapevine.membership.MemberEvent.Type.SUSPECTED, c), new Collect(events));
    assertThat(h.activeView()).containsExactlyInAnyOrder(b, c);
    h.onPeerEvent(10, memberEvent(io.grapevine.membership.MemberEvent.Type.DEAD, b), new Collect(events));
    assertThat(h.activeView()).containsExactly(c);
    assertThat(h.passiveView()).doesNotContain(b);
    assertThat(h.stats().failuresReported).isEqualTo(1);
    // Long before failureTimeout: the signal, not the keep-alive timer, removed it.
    assertThat(h.stats().failuresDetected).isZero();
    h.peerFailed(20, c, new Collect(events));
    assertThat(h.activeSize()).isZero();
    assertThat(h.stats().failuresReported).isEqualTo(2);
  }

  private static io.grapevine.membership.MemberEvent memberEvent(io.grapevine.membership.MemberEvent.Type type,
      Endpoint e) {
    return new io.grapevine.membership.MemberEvent(type, new io.grapevine.membership.Member("m", e,
        io.grapevine.membership.MemberState.ALIVE, 1, new byte[0], 1, 1, 0));
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
