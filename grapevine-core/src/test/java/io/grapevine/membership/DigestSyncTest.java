// SPDX-License-Identifier: Apache-2.0
package io.grapevine.membership;

import static org.assertj.core.api.Assertions.assertThat;

import io.grapevine.api.MemberState;
import io.grapevine.api.MembershipStats;
import io.grapevine.config.MembershipConfig;
import io.grapevine.membership.MembershipMessages.MemberStateEntry;
import io.grapevine.membership.MembershipMessages.Message;
import io.grapevine.membership.MembershipMessages.ProtocolState;
import io.grapevine.membership.MembershipMessages.PushPull;
import io.grapevine.membership.MembershipMessages.SyncDigest;
import io.grapevine.node.Delivery;
import io.grapevine.node.Endpoint;
import io.grapevine.testkit.Packet;
import io.grapevine.testkit.StackCluster;
import io.grapevine.testkit.Traffic;
import io.grapevine.testkit.VirtualNetwork;
import io.grapevine.wire.DropReason;
import io.grapevine.wire.MessageType;
import io.grapevine.wire.PacketReader;
import io.grapevine.wire.PacketWriter;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Digest syncs: a node sends a summary of its member table to a random member, which answers only
 * when they differ, and then with the members of the differing buckets alone.
 */
class DigestSyncTest {
  private static final Endpoint PEER = VirtualNetwork.endpointOf(50);
  /** Gossip that misses news under loss (one transmission, one target) and no periodic full sync in the run. */
  private static final MembershipConfig THIN_GOSSIP = MembershipConfig.lan().toBuilder().retransmitMult(1)
      .gossipNodes(1).pushPullInterval(Duration.ofMinutes(10)).backlogSyncAfter(Duration.ZERO).build();

  private static long sum(List<Membership> ms, java.util.function.ToLongFunction<MembershipStats> f) {
    return ms.stream().mapToLong(m -> f.applyAsLong(m.stats())).sum();
  }

  private static int complete(List<Membership> ms, int n) {
    return (int) ms.stream().filter(m -> m.liveCount() == n).count();
  }

  /**
   * 60 nodes join through one seed while 30% of datagrams are lost and each update is gossiped
   * once: without digest syncs some views stay incomplete for minutes (until the next full sync);
   * with them every view completes, repaired by partial exchanges, with fewer full push-pulls.
   */
  @Test
  void digestSyncsRepairWhatLossyGossipMissed() {
    int n = 60;
    for (long seed = 1; seed <= 3; seed++) {
      StackCluster on = Members.cluster(n, seed, 2, THIN_GOSSIP);
      StackCluster off = Members.cluster(n, seed, 2, THIN_GOSSIP.toBuilder().digestSyncInterval(Duration.ZERO).build());
      on.network().loss(0.3, Traffic.DATAGRAMS);
      off.network().loss(0.3, Traffic.DATAGRAMS);
      on.runFor(40_000);
      off.runFor(40_000);
      List<Membership> withSync = Members.all(on);
      List<Membership> without = Members.all(off);
      System.out.printf("seed %d: complete views with digest syncs %d, without %d of %d; full push-pulls %d vs %d;"
          + " digests %d, repairs %d%n", seed, complete(withSync, n), complete(without, n), n,
          sum(withSync, MembershipStats::pushPulls), sum(without, MembershipStats::pushPulls),
          sum(withSync, MembershipStats::digestSyncs), sum(withSync, MembershipStats::digestSyncRepairs));
      assertThat(complete(withSync, n)).as("seed %d", seed).isEqualTo(n);
      assertThat(complete(without, n)).as("seed %d", seed).isLessThan(n);
      assertThat(sum(withSync, MembershipStats::digestSyncRepairs)).isPositive();
      assertThat(sum(without, MembershipStats::digestSyncs)).isZero();
      assertThat(sum(withSync, MembershipStats::pushPulls)).isLessThan(sum(without, MembershipStats::pushPulls));
    }
  }

  /** Once the views agree, the digests find them equal: no member entry travels, only small datagrams. */
  @Test
  void equalTablesExchangeOnlyTheDigest() {
    int n = 40;
    StackCluster c = Members.cluster(n, 4, 2, THIN_GOSSIP.toBuilder().retransmitMult(4).gossipNodes(3).build());
    c.runFor(30_000);
    List<Membership> ms = Members.all(c);
    assertThat(complete(ms, n)).isEqualTo(n);
    long digests = sum(ms, MembershipStats::digestSyncs);
    long repairs = sum(ms, MembershipStats::digestSyncRepairs);
    List<Packet> sent = new ArrayList<>();
    c.network().onSend(sent::add);
    c.runFor(60_000);
    // One digest a node every 5 s (±25%): about 480 in 60 s.
    assertThat(sum(ms, MembershipStats::digestSyncs) - digests).isBetween(400L, 560L);
    assertThat(sum(ms, MembershipStats::digestSyncRepairs)).isEqualTo(repairs);
    assertThat(sent).noneMatch(p -> p.delivery() == Delivery.STREAM);
    assertThat(sent).allMatch(p -> p.bytes().length < 1_400);
  }

  private static VirtualNetwork.Node node(VirtualNetwork net, MembershipConfig config) {
    return net.add(Members.stack("n0", VirtualNetwork.endpointOf(0), 1, config, new SplittableRandom(1))).start();
  }

  private static ByteBuffer packet(List<Message> messages) {
    return Members.packet(messages);
  }

  /** n0 holding {@code n} members besides itself, learned from one push-pull. */
  private static VirtualNetwork.Node nodeWith(VirtualNetwork net, int n) {
    VirtualNetwork.Node n0 = node(net, MembershipConfig.lan());
    List<Message> messages = new ArrayList<>();
    messages.add(new PushPull(false, true, "peer", PEER, n));
    for (int i = 0; i < n; i++) {
      messages.add(new MemberStateEntry(MemberState.ALIVE, 1, "m" + i, VirtualNetwork.endpointOf(100 + i), 1, 1,
          new byte[0]));
    }
    n0.deliverNow(PEER, packet(messages), Delivery.STREAM);
    assertThat(Members.membership(n0).size()).isEqualTo(n);
    return n0;
  }

  /** n0 with {@code n} members, and the packets it sends from now on. */
  private record Watched(VirtualNetwork.Node n0, List<Packet> sent) {}

  private static Watched watched(int n) {
    VirtualNetwork net = new VirtualNetwork(1);
    VirtualNetwork.Node n0 = nodeWith(net, n);
    List<Packet> sent = new ArrayList<>();
    net.onSend(sent::add);
    return new Watched(n0, sent);
  }

  /** The member entries of the partial push-pulls among {@code sent}, by name. */
  private static List<String> partialEntries(List<Packet> sent) throws Exception {
    List<String> names = new ArrayList<>();
    for (Packet p : sent) {
      PacketReader r = new PacketReader(Members.CLUSTER);
      r.open(p.buffer());
      boolean partial = false;
      while (r.nextMessage()) {
        Message m = MembershipMessages.read(r, 512);
        if (m instanceof PushPull h) {
          partial = h.partial();
        } else if (m instanceof MemberStateEntry e && partial) {
          names.add(e.name());
        }
      }
    }
    return names;
  }

  @Test
  void aDigestIsAnsweredWithTheMembersOfTheDifferingBucketsAlone() throws Exception {
    // 16 buckets: coarser than the member table's slots; 1,024: finer (neighbouring buckets share slots).
    for (int buckets : new int[] {16, MemberDigest.FINE}) {
      Watched w = watched(300);
      VirtualNetwork.Node n0 = w.n0();
      List<Packet> sent = w.sent();
      MemberDigest mine = Members.membership(n0).tableDigest();

      // The same sums: nothing to send.
      n0.deliverNow(PEER, packet(List.of(new SyncDigest("peer", PEER, mine.sums(buckets)))), Delivery.DATAGRAM);
      assertThat(sent).isEmpty();

      // One bucket differs (that of m0, m1, ... in turn): exactly n0's members of that bucket come
      // back, in one partial push-pull. Many buckets, so that some share slots or probe runs with
      // their neighbours.
      for (int i = 0; i < 40; i++) {
        sent.clear();
        int odd = MemberDigest.bucket("m" + i, buckets);
        long[] sums = mine.sums(buckets);
        sums[odd] += 1;
        n0.deliverNow(PEER, packet(List.of(new SyncDigest("peer", PEER, sums))), Delivery.DATAGRAM);
        assertThat(sent).hasSize(1).allMatch(p -> p.delivery() == Delivery.STREAM);
        List<String> expected = new ArrayList<>();
        for (String name : Members.membership(n0).members().stream().map(io.grapevine.api.Member::name).toList()) {
          if (MemberDigest.bucket(name, buckets) == odd) {
            expected.add(name);
          }
        }
        assertThat(expected).contains("m" + i);
        assertThat(partialEntries(sent)).as("%d buckets, m%d's", buckets, i)
            .containsExactlyInAnyOrderElementsOf(expected);
      }
      assertThat(Members.membership(n0).stats().digestSyncRepairs()).isEqualTo(40);
    }
  }

  @Test
  void everyBucketDifferingSendsAtMostTheCap() throws Exception {
    Watched w = watched(1_000);
    VirtualNetwork.Node n0 = w.n0();
    List<Packet> sent = w.sent();
    n0.deliverNow(PEER, packet(List.of(new SyncDigest("peer", PEER, new long[64]))), Delivery.STREAM);
    int cap = MembershipConfig.lan().digestSyncMaxEntries;
    assertThat(partialEntries(sent)).hasSizeBetween(cap / 2, cap);
  }

  /**
   * A digest that differs in more buckets than one partial carries brings this node's own next
   * digest sync forward to a probe interval from now; one that differs in a single bucket leaves it
   * at its interval (5 s ±25%, the first not before 3.75 s).
   */
  @Test
  void aFarTableSyncsAgainWithinAProbeInterval() {
    for (boolean far : new boolean[] {true, false}) {
      VirtualNetwork net = new VirtualNetwork(1);
      VirtualNetwork.Node n0 = nodeWith(net, 1_000);
      Membership m = Members.membership(n0);
      long[] sums = m.tableDigest().sums(64);
      if (far) {
        sums = new long[64];
      } else {
        sums[3] += 1;
      }
      n0.deliverNow(PEER, packet(List.of(new SyncDigest("peer", PEER, sums))), Delivery.STREAM);
      assertThat(m.stats().digestSyncRepairs()).isEqualTo(1);
      net.runFor(MembershipConfig.lan().probeInterval.toMillis() * 5 / 4 + 10);
      assertThat(m.stats().digestSyncs()).as("far %s", far).isEqualTo(far ? 1 : 0);
    }
  }

  /** A partial push-pull from the peer carrying one new member and the buckets {@code marker} names. */
  private static ByteBuffer partial(boolean reply, String member, byte[] marker) {
    return packet(List.of(new PushPull(false, reply, "peer", PEER, 1, false, true),
        new MemberStateEntry(MemberState.ALIVE, 1, member, VirtualNetwork.endpointOf(97), 1, 1, new byte[0]),
        new ProtocolState(Membership.SYNC_BUCKETS, marker)));
  }

  /** The second step applied; answered with n0's members of the named buckets (the third). */
  @Test
  void aPartialPushPullIsMergedAndAnsweredOnce() throws Exception {
    Watched w = watched(50);
    VirtualNetwork.Node n0 = w.n0();
    List<Packet> sent = w.sent();
    byte[] all = ByteBuffer.allocate(5).putInt(4).put((byte) 0x0f).array();
    n0.deliverNow(PEER, partial(false, "fresh", all), Delivery.STREAM);
    assertThat(Members.membership(n0).member("fresh")).isNotNull();
    assertThat(partialEntries(sent)).hasSize(52);
    // A reply is not answered.
    sent.clear();
    n0.deliverNow(PEER, partial(true, "fresh2", all), Delivery.STREAM);
    assertThat(Members.membership(n0).member("fresh2")).isNotNull();
    assertThat(sent).isEmpty();
  }

  /**
   * Verdicts travel by gossip, not by digest syncs: a suspect or dead entry in a partial does not
   * make n0 suspect a member it holds alive; an unknown suspect is learned, as alive.
   */
  @Test
  void aPartialPushPullCarriesNoVerdicts() {
    Watched w = watched(10);
    VirtualNetwork.Node n0 = w.n0();
    byte[] all = ByteBuffer.allocate(5).putInt(1).put((byte) 1).array();
    n0.deliverNow(PEER, packet(List.of(new PushPull(false, true, "peer", PEER, 3, false, true),
        new MemberStateEntry(MemberState.SUSPECT, 1, "m1", VirtualNetwork.endpointOf(101), 1, 1, new byte[0]),
        new MemberStateEntry(MemberState.DEAD, 1, "m2", VirtualNetwork.endpointOf(102), 1, 1, new byte[0]),
        new MemberStateEntry(MemberState.SUSPECT, 1, "new", VirtualNetwork.endpointOf(96), 1, 1, new byte[0]),
        new ProtocolState(Membership.SYNC_BUCKETS, all))), Delivery.STREAM);
    Membership m = Members.membership(n0);
    assertThat(Members.stateOf(m, "m1")).isEqualTo(MemberState.ALIVE);
    assertThat(Members.stateOf(m, "m2")).isEqualTo(MemberState.ALIVE);
    assertThat(Members.stateOf(m, "new")).isEqualTo(MemberState.ALIVE);
    assertThat(m.stats().suspicionsRaised()).isZero();
    // The same entries in a full push-pull are taken as suspicions (a remote death as a suspicion).
    n0.deliverNow(PEER, packet(List.of(new PushPull(false, true, "peer", PEER, 2),
        new MemberStateEntry(MemberState.SUSPECT, 1, "m1", VirtualNetwork.endpointOf(101), 1, 1, new byte[0]),
        new MemberStateEntry(MemberState.DEAD, 1, "m2", VirtualNetwork.endpointOf(102), 1, 1, new byte[0]))),
        Delivery.STREAM);
    assertThat(Members.stateOf(m, "m1")).isEqualTo(MemberState.SUSPECT);
    assertThat(Members.stateOf(m, "m2")).isEqualTo(MemberState.SUSPECT);
  }

  @Test
  void malformedDigestsAndPartialsAreDroppedAndCounted() {
    VirtualNetwork net = new VirtualNetwork(1);
    VirtualNetwork.Node n0 = nodeWith(net, 10);
    // Three buckets: not a power of two.
    PacketWriter w = new PacketWriter(1024, Members.CLUSTER).begin();
    w.beginMessage(MessageType.SYNC_DIGEST);
    w.putString8("peer").putEndpoint(PEER).putInt(3).putLong(1).putLong(2).putLong(3);
    w.endMessage();
    n0.deliverNow(PEER, w.finish(), Delivery.DATAGRAM);
    assertThat(n0.stack().stats().dropped(DropReason.BAD_FIELD)).isEqualTo(1);
    // A partial push-pull that does not name its buckets, or names them wrongly: nothing applied.
    n0.deliverNow(PEER, packet(List.of(new PushPull(false, true, "peer", PEER, 1, false, true),
        new MemberStateEntry(MemberState.ALIVE, 1, "x", VirtualNetwork.endpointOf(97), 1, 1, new byte[0]))),
        Delivery.STREAM);
    n0.deliverNow(PEER, packet(List.of(new PushPull(false, true, "peer", PEER, 1, false, true),
        new MemberStateEntry(MemberState.ALIVE, 1, "x", VirtualNetwork.endpointOf(97), 1, 1, new byte[0]),
        new ProtocolState(Membership.SYNC_BUCKETS, ByteBuffer.allocate(6).putInt(8).array()))), Delivery.STREAM);
    assertThat(n0.stack().stats().dropped(DropReason.BAD_FIELD)).isEqualTo(3);
    assertThat(Members.membership(n0).member("x")).isNull();
  }
}
