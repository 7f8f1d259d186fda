// SPDX-License-Identifier: Apache-2.0
package io.grapevine.membership;

import static org.assertj.core.api.Assertions.assertThat;

import io.grapevine.api.MemberState;
import io.grapevine.config.MembershipConfig;
import io.grapevine.membership.MembershipMessages.Deflated;
import io.grapevine.membership.MembershipMessages.MemberStateEntry;
import io.grapevine.membership.MembershipMessages.Message;
import io.grapevine.membership.MembershipMessages.Ping;
import io.grapevine.membership.MembershipMessages.PushPull;
import io.grapevine.node.Delivery;
import io.grapevine.node.Endpoint;
import io.grapevine.testkit.LinkLatency;
import io.grapevine.testkit.Packet;
import io.grapevine.testkit.StackCluster;
import io.grapevine.testkit.VirtualNetwork;
import io.grapevine.wire.DropReason;
import io.grapevine.wire.MessageType;
import io.grapevine.wire.PacketWriter;
import io.grapevine.wire.WireFormat;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.zip.Deflater;
import org.junit.jupiter.api.Test;

/**
 * Deflated push-pulls: sent only to peers that said they read them, applied like plain ones, and
 * refused whole, within a bounded amount of inflating, when they do not add up.
 */
class DeflatedPushPullTest {
  private static final Endpoint PEER = VirtualNetwork.endpointOf(50);
  private static final int TYPE_AT = WireFormat.CLUSTER_OFFSET + Members.CLUSTER.length();

  private static boolean isPushPull(Packet p) {
    return p.delivery() == Delivery.STREAM && p.bytes().length > TYPE_AT + 3
        && p.bytes()[TYPE_AT] == MessageType.PUSH_PULL.code();
  }

  private static boolean deflated(Packet p) {
    return (p.bytes()[TYPE_AT + 3] & 4) != 0;
  }

  /** N nodes, node i configured by {@code levels[i]}, joined through n0. */
  private static StackCluster cluster(long seed, int... levels) {
    StackCluster c = StackCluster.builder(seed).clusterName(Members.CLUSTER).latency(LinkLatency.uniform(1, 5))
        .build(levels.length, (node, b) -> {
          // Each push-pull encoded afresh: these tests count, exchange by exchange, what the vouches
          // of the moment allow; a reused encoding carries those of its own time (PushPullReuseTest).
          MembershipConfig config = MembershipConfig.local().toBuilder()
              .pushPullInterval(java.time.Duration.ofSeconds(2)).pushPullDeflateLevel(levels[node.index()])
              .pushPullReuse(java.time.Duration.ZERO).build();
          b.datagramBytes(config.udpPayloadBytes).streamMessageMaxBytes(config.streamMessageMaxBytes)
              .add(new Membership(Members.CLUSTER, node.name(), node.endpoint(), 1, new byte[0], config,
                  node.random("membership")));
        });
    for (int i = 1; i < levels.length; i++) {
      Members.join(c.node(i), c.node(0));
    }
    return c;
  }

  @Test
  void peersThatReadDeflatedPushPullsGetThemAfterSayingSoAndOthersNever() {
    // n0..n3 deflate; n4 and n5 neither deflate nor ask for it, as a node of an earlier version.
    StackCluster c = cluster(7, 6, 6, 6, 6, 0, 0);
    List<Packet> pushPulls = new ArrayList<>();
    c.network().onSend(p -> {
      if (isPushPull(p)) {
        pushPulls.add(p);
      }
    });
    c.runFor(120_000);

    for (Membership m : Members.all(c)) {
      assertThat(m.liveCount()).as(m.name()).isEqualTo(6);
    }
    List<Endpoint> plainOnly = List.of(c.endpoint(4), c.endpoint(5));
    assertThat(pushPulls.stream().filter(p -> plainOnly.contains(p.to())).filter(DeflatedPushPullTest::deflated))
        .as("deflated push-pulls to peers that never asked").isEmpty();
    assertThat(pushPulls.stream().filter(p -> plainOnly.contains(p.from())).filter(DeflatedPushPullTest::deflated))
        .isEmpty();
    List<Packet> amongDeflaters = pushPulls.stream()
        .filter(p -> !plainOnly.contains(p.from()) && !plainOnly.contains(p.to())).toList();
    assertThat(amongDeflaters).hasSizeGreaterThan(20);
    // Every exchange between two deflating nodes after the first between them is deflated.
    assertThat(amongDeflaters.stream().filter(DeflatedPushPullTest::deflated).count())
        .isGreaterThan(amongDeflaters.size() * 3 / 4);
    long plainSize = pushPulls.stream().filter(p -> plainOnly.contains(p.to())).mapToInt(Packet::size).max()
        .orElseThrow();
    long deflatedSize = amongDeflaters.stream().filter(DeflatedPushPullTest::deflated).mapToInt(Packet::size).max()
        .orElseThrow();
    assertThat(deflatedSize).isLessThan(plainSize);
    for (VirtualNetwork.Node n : c.nodes()) {
      assertThat(n.stack().stats().droppedTotal()).as(n.name() + " dropped nothing").isZero();
    }
  }

  /**
   * In a fresh 50-node cluster (two nodes at level 0, as nodes that do not read deflated
   * push-pulls), nodes learn from one another's push-pulls which members read deflated ones: nearly
   * every exchange between two deflating nodes is deflated from the start, not only those between
   * nodes that have already exchanged directly, and no level-0 node ever gets one.
   */
  @Test
  void nodesLearnWhoReadsDeflatedPushPullsFromOneAnother() {
    int[] levels = new int[50];
    java.util.Arrays.fill(levels, 6);
    levels[17] = 0;
    levels[33] = 0;
    StackCluster c = cluster(11, levels);
    List<Endpoint> plainOnly = List.of(c.endpoint(17), c.endpoint(33));
    List<Packet> amongDeflaters = new ArrayList<>();
    List<Packet> toPlainOnly = new ArrayList<>();
    c.network().onSend(p -> {
      if (isPushPull(p)) {
        if (plainOnly.contains(p.to())) {
          toPlainOnly.add(p);
        } else if (!plainOnly.contains(p.from())) {
          amongDeflaters.add(p);
        }
      }
    });
    c.runFor(60_000);

    for (Membership m : Members.all(c)) {
      assertThat(m.liveCount()).as(m.name()).isEqualTo(50);
    }
    assertThat(toPlainOnly).as("push-pulls to level-0 nodes").isNotEmpty();
    assertThat(toPlainOnly.stream().filter(DeflatedPushPullTest::deflated)).as("deflated to level-0 nodes").isEmpty();
    long deflated = amongDeflaters.stream().filter(DeflatedPushPullTest::deflated).count();
    System.out.printf("push-pulls among deflating nodes in the first 60 s: %d, deflated %d (%.2f)%n",
        amongDeflaters.size(), deflated, (double) deflated / amongDeflaters.size());
    // The first 300 take in the joins through n0 (plain: the joiner knows nothing yet) and each
    // node's first exchanges, all plain when only a peer's own push-pull told.
    List<Packet> first = amongDeflaters.subList(0, Math.min(300, amongDeflaters.size()));
    long firstDeflated = first.stream().filter(DeflatedPushPullTest::deflated).count();
    long bytes = first.stream().mapToLong(Packet::size).sum();
    System.out.printf("first 300: deflated %d, %d bytes per push-pull%n", firstDeflated, bytes / 300);
    assertThat(amongDeflaters).hasSizeGreaterThan(500);
    assertThat(deflated).as("deflated of " + amongDeflaters.size()).isGreaterThan(amongDeflaters.size() * 9L / 10);
    assertThat(firstDeflated).as("deflated of the first 300").isGreaterThan(300 * 3 / 4);
    for (VirtualNetwork.Node n : c.nodes()) {
      assertThat(n.stack().stats().droppedTotal()).as(n.name() + " dropped nothing").isZero();
    }
  }

  /** A plain push-pull from "peer" listing itself and m0..m9, vouching for itself and {@code vouched}. */
  private static ByteBuffer vouching(boolean reply, int... vouched) {
    List<Message> messages = new ArrayList<>();
    messages.add(new PushPull(false, reply, "peer", PEER, 11));
    messages.add(new MemberStateEntry(MemberState.ALIVE, 1, "peer", PEER, 1, 1, new byte[0]));
    byte[] bits = new byte[2];
    bits[0] = 1;
    for (int i = 0; i < 10; i++) {
      messages.add(entry(i));
    }
    for (int i : vouched) {
      bits[(i + 1) / 8] |= (byte) (1 << ((i + 1) % 8));
    }
    messages.add(new MembershipMessages.ProtocolState(Membership.INFLATES, bits));
    return Members.packet(messages);
  }

  @Test
  void aVouchCountsUntilTheMemberSpeaksForItselfAndNeverForALevelZeroNode() {
    MembershipConfig config = MembershipConfig.lan().toBuilder().pushPullInterval(java.time.Duration.ofSeconds(1))
        .build();
    VirtualNetwork net = new VirtualNetwork(1);
    VirtualNetwork.Node n0 = node(net, config);
    List<Packet> pushPulls = new ArrayList<>();
    net.onSend(p -> {
      if (isPushPull(p)) {
        pushPulls.add(p);
      }
    });
    // m1 speaks for itself first: a plain push-pull without the marker (a node at level 0).
    n0.deliverNow(VirtualNetwork.endpointOf(101), packet1(), Delivery.STREAM);
    // Then peer vouches for m1 (wrongly) and for m2 (never heard from).
    n0.deliverNow(PEER, vouching(true, 1, 2), Delivery.STREAM);
    assertThat(n0.stack().stats().droppedTotal()).isZero();
    pushPulls.clear();
    net.runFor(30_000);

    Endpoint m1 = VirtualNetwork.endpointOf(101);
    Endpoint m2 = VirtualNetwork.endpointOf(102);
    Endpoint m3 = VirtualNetwork.endpointOf(103);
    // m1 heard from itself (no marker), m3 vouched for by nobody: plain. m2 vouched for, peer said so.
    assertThat(to(pushPulls, m1)).isNotEmpty().noneMatch(DeflatedPushPullTest::deflated);
    assertThat(to(pushPulls, m2)).isNotEmpty().allMatch(DeflatedPushPullTest::deflated);
    assertThat(to(pushPulls, m3)).isNotEmpty().noneMatch(DeflatedPushPullTest::deflated);
    assertThat(to(pushPulls, PEER)).isNotEmpty().allMatch(DeflatedPushPullTest::deflated);

    // A node at level 0 takes no vouches: it deflates to nobody.
    VirtualNetwork net0 = new VirtualNetwork(1);
    VirtualNetwork.Node plain = node(net0, config.toBuilder().pushPullDeflateLevel(0).build());
    List<Packet> fromPlain = new ArrayList<>();
    net0.onSend(p -> {
      if (isPushPull(p)) {
        fromPlain.add(p);
      }
    });
    plain.deliverNow(PEER, vouching(false, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9), Delivery.STREAM);
    net0.runFor(30_000);
    assertThat(fromPlain).hasSizeGreaterThan(10).noneMatch(DeflatedPushPullTest::deflated);
  }

  private static List<Packet> to(List<Packet> packets, Endpoint to) {
    return packets.stream().filter(p -> p.to().equals(to)).toList();
  }

  /** A plain push-pull from m1 about itself alone, without the marker. */
  private static ByteBuffer packet1() {
    PacketWriter w = new PacketWriter(1 << 16, Members.CLUSTER).begin();
    for (Message m : List.<Message>of(new PushPull(false, true, "m1", VirtualNetwork.endpointOf(101), 1), entry(1))) {
      w.beginMessage(m.type());
      m.writeBody(w);
      w.endMessage();
    }
    return w.finish();
  }

  private static MemberStateEntry entry(int i) {
    return new MemberStateEntry(MemberState.ALIVE, 1, "m" + i, VirtualNetwork.endpointOf(100 + i), 1, 1, new byte[0]);
  }

  /** The framed messages, as they follow a push-pull header in a plain packet. */
  private static byte[] framed(List<Message> messages) {
    PacketWriter w = new PacketWriter(1 << 16, Members.CLUSTER).begin();
    for (Message m : messages) {
      w.beginMessage(m.type());
      m.writeBody(w);
      w.endMessage();
    }
    ByteBuffer b = w.finish();
    byte[] all = new byte[b.remaining()];
    b.get(all);
    int start = WireFormat.CLUSTER_OFFSET + Members.CLUSTER.length();
    return java.util.Arrays.copyOfRange(all, start, all.length - WireFormat.CRC_LENGTH);
  }

  private static byte[] deflate(byte[] raw) {
    Deflater d = new Deflater(6);
    d.setInput(raw);
    d.finish();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] chunk = new byte[4096];
    while (!d.finished()) {
      out.write(chunk, 0, d.deflate(chunk));
    }
    d.end();
    return out.toByteArray();
  }

  private static ByteBuffer packet(int count, int declaredRaw, byte[] data) {
    PacketWriter w = new PacketWriter(1 << 20, Members.CLUSTER).begin();
    for (Message m : List.<Message>of(new PushPull(false, true, "peer", PEER, count, true),
        new Deflated(declaredRaw, data, List.of()))) {
      w.beginMessage(m.type());
      m.writeBody(w);
      w.endMessage();
    }
    return w.finish();
  }

  private static VirtualNetwork.Node node(VirtualNetwork net, MembershipConfig config) {
    return net.add(Members.stack("n0", VirtualNetwork.endpointOf(0), 1, config, new SplittableRandom(1))).start();
  }

  @Test
  void aDeflatedPushPullIsAppliedAndOneThatDoesNotAddUpIsDroppedWhole() {
    MembershipConfig config = MembershipConfig.lan().toBuilder().pushPullMaxBytes(4096).build();
    VirtualNetwork net = new VirtualNetwork(1);
    VirtualNetwork.Node n0 = node(net, config);
    List<Message> five = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      five.add(entry(i));
    }
    byte[] raw = framed(five);
    byte[] data = deflate(raw);

    // Declared longer than the receiver's cap: refused before inflating anything.
    n0.deliverNow(PEER, packet(5, 4097, data), Delivery.STREAM);
    assertThat(n0.stack().stats().dropped(DropReason.PUSH_PULL_TOO_LARGE)).isEqualTo(1);
    // Inflates to more than it declares: the output stops at the declared length, and it is refused.
    n0.deliverNow(PEER, packet(5, raw.length - 1, data), Delivery.STREAM);
    assertThat(n0.stack().stats().dropped(DropReason.PUSH_PULL_TOO_LARGE)).isEqualTo(2);
    // Inflates to less than it declares, or is not deflate at all.
    n0.deliverNow(PEER, packet(5, raw.length + 1, data), Delivery.STREAM);
    n0.deliverNow(PEER, packet(5, raw.length, new byte[] {1, 2, 3, 4, 5}), Delivery.STREAM);
    // Holds a message that has no place in a push-pull.
    byte[] ping = framed(List.of(new Ping(1, "n0", "peer", PEER)));
    n0.deliverNow(PEER, packet(0, ping.length, deflate(ping)), Delivery.STREAM);
    // Announces a count the inflated entries do not match.
    n0.deliverNow(PEER, packet(6, raw.length, data), Delivery.STREAM);
    assertThat(n0.stack().stats().dropped(DropReason.BAD_FIELD)).isEqualTo(4);
    // Over a datagram.
    n0.deliverNow(PEER, packet(5, raw.length, data), Delivery.DATAGRAM);
    assertThat(n0.stack().stats().dropped(DropReason.UNEXPECTED)).isEqualTo(1);
    assertThat(Members.membership(n0).size()).as("nothing of them applied").isZero();

    n0.deliverNow(PEER, packet(5, raw.length, data), Delivery.STREAM);
    assertThat(n0.stack().stats().droppedTotal()).isEqualTo(7);
    assertThat(Members.membership(n0).size()).isEqualTo(5);
  }

  @Test
  void aDeflateBombCostsNoMoreThanTheCap() {
    MembershipConfig config = MembershipConfig.lan().toBuilder().pushPullMaxBytes(64 * 1024).build();
    VirtualNetwork net = new VirtualNetwork(1);
    VirtualNetwork.Node n0 = node(net, config);
    // 16 MB of zeros deflate to about 16 KB; declared as 64 KiB, the most this node accepts.
    byte[] bomb = deflate(new byte[16 * 1024 * 1024]);
    assertThat(bomb.length).isLessThan(20_000);
    n0.deliverNow(PEER, packet(0, 64 * 1024, bomb), Delivery.STREAM);
    assertThat(n0.stack().stats().dropped(DropReason.PUSH_PULL_TOO_LARGE)).isEqualTo(1);
  }
}
