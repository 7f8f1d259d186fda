package io.grapevine.membership;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The membership state machine stepped over an in-memory network with a fake clock. */
class MembershipTest {
  private static final MembershipConfig LAN = MembershipConfig.lan();

  private static List<Membership> cluster(TestNetwork net, int n, MembershipConfig config) {
    List<Membership> nodes = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      nodes.add(net.add("n" + i, i + 1, config));
    }
    for (int i = 1; i < n; i++) {
      net.join(nodes.get(i), nodes.get(0));
    }
    return nodes;
  }

  private static void assertAllSee(TestNetwork net, List<Membership> observers, String name, MemberState state) {
    for (Membership m : observers) {
      assertThat(net.stateOf(m, name)).as("%s sees %s", m.name(), name).isEqualTo(state);
    }
  }

  @Test
  void nodesJoinThroughOneSeedAndAllConverge() {
    TestNetwork net = new TestNetwork(1, 1);
    List<Membership> nodes = cluster(net, 10, LAN);
    net.runFor(5_000);
    for (Membership m : nodes) {
      assertThat(m.members()).hasSize(10).allMatch(x -> x.state() == MemberState.ALIVE);
      assertThat(m.liveCount()).isEqualTo(10);
    }
    assertThat(net.events.get("n1")).anyMatch(e -> e instanceof JoinResult);
  }

  @Test
  void crashedNodeIsSuspectedThenDeclaredDeadWithinTheSuspicionBound() {
    TestNetwork net = new TestNetwork(2, 1);
    List<Membership> nodes = cluster(net, 8, LAN);
    net.runFor(5_000);
    Membership victim = nodes.get(5);
    long crashAt = net.now;
    net.crash(victim);
    List<Membership> survivors = net.live();

    // Every member is probed within one shuffled round (N-1 intervals); then the suspicion runs
    // at most its maximum; then gossip spreads it.
    long bound = 8 * LAN.probeInterval.toMillis() + LAN.suspicionMaxMillis(8) + 5_000;
    long firstSuspect = -1;
    while (net.now - crashAt < bound) {
      net.runFor(100);
      if (firstSuspect < 0 && survivors.stream().anyMatch(m -> net.stateOf(m, "n5") == MemberState.SUSPECT)) {
        firstSuspect = net.now;
      }
      if (survivors.stream().allMatch(m -> net.stateOf(m, "n5") == MemberState.DEAD)) {
        break;
      }
    }
    assertThat(firstSuspect).isPositive();
    assertAllSee(net, survivors, "n5", MemberState.DEAD);
    assertThat(net.now - crashAt).isLessThan(bound);
    for (Membership m : survivors) {
      assertThat(net.count(m, MemberEvent.Type.SUSPECTED, "n5") + net.count(m, MemberEvent.Type.DEAD, "n5"))
          .isGreaterThanOrEqualTo(1);
      assertThat(m.liveCount()).isEqualTo(7);
    }
  }

  @Test
  void suspectedNodeRefutesAndStaysAlive() {
    TestNetwork net = new TestNetwork(3, 1);
    List<Membership> nodes = cluster(net, 6, LAN);
    net.runFor(5_000);
    Membership n3 = nodes.get(3);
    long before = n3.localMember().incarnation();
    // Cut n3 off for one probe round's worth of time, long enough to be suspected, not declared dead.
    net.drop = (from, to) -> from.equals(n3.endpoint()) || to.equals(n3.endpoint());
    long start = net.now;
    while (nodes.stream().noneMatch(m -> net.stateOf(m, "n3") == MemberState.SUSPECT)) {
      net.runFor(50);
      assertThat(net.now - start).as("someone suspects n3").isLessThan(20_000);
    }
    net.drop = (from, to) -> false;
    long healed = net.now;
    while (nodes.stream().anyMatch(m -> net.stateOf(m, "n3") != MemberState.ALIVE)) {
      net.runFor(100);
      assertThat(net.now - healed).as("n3 alive everywhere after the heal").isLessThan(30_000);
    }

    assertThat(n3.localMember().incarnation()).isGreaterThan(before);
    assertThat(n3.stats().selfRefutations()).isPositive();
    assertThat(nodes.stream().mapToLong(m -> m.stats().suspicionsRefuted()).sum()).isPositive();
  }

  @Test
  void gracefulLeaveIsLeftNotDead() {
    TestNetwork net = new TestNetwork(4, 1);
    List<Membership> nodes = cluster(net, 6, LAN);
    net.runFor(5_000);
    Membership leaver = nodes.get(2);
    leaver.leave(net.now, net.outbox(leaver));
    net.runFor(LAN.leavePropagateTime.toMillis());
    net.crash(leaver);
    net.runFor(20_000);
    for (Membership m : net.live()) {
      assertThat(net.stateOf(m, "n2")).isEqualTo(MemberState.LEFT);
      assertThat(net.count(m, MemberEvent.Type.DEAD, "n2")).isZero();
    }
  }

  @Test
  void crashIsDeadNotLeft() {
    TestNetwork net = new TestNetwork(5, 1);
    List<Membership> nodes = cluster(net, 6, LAN);
    net.runFor(5_000);
    net.crash(nodes.get(4));
    net.runFor(60_000);
    for (Membership m : net.live()) {
      assertThat(net.stateOf(m, "n4")).isEqualTo(MemberState.DEAD);
      assertThat(net.count(m, MemberEvent.Type.LEFT, "n4")).isZero();
    }
  }

  @Test
  void independentConfirmationsShortenSuspicion() {
    // With k confirmations the timeout is the minimum; with none it is the maximum.
    MembershipConfig config = LAN;
    int n = 10;
    long min = config.suspicionMinMillis(n);
    long max = config.suspicionMaxMillis(n);
    Suspicion lonely = new Suspicion(0, min, max, 3, "a");
    Suspicion confirmed = new Suspicion(0, min, max, 3, "a");
    assertThat(confirmed.confirm("b")).isTrue();
    assertThat(confirmed.confirm("b")).as("same accuser twice").isFalse();
    assertThat(confirmed.confirm("a")).as("the first accuser").isFalse();
    assertThat(confirmed.confirm("c")).isTrue();
    assertThat(confirmed.confirm("d")).isTrue();
    assertThat(confirmed.confirm("e")).as("beyond k").isFalse();
    assertThat(lonely.deadlineMillis()).isEqualTo(max);
    assertThat(confirmed.deadlineMillis()).isEqualTo(min);

    // And in a cluster: a crash seen by many is declared dead sooner than the max timeout.
    TestNetwork net = new TestNetwork(6, 1);
    List<Membership> nodes = cluster(net, n, config);
    net.runFor(5_000);
    net.crash(nodes.get(7));
    long crashAt = net.now;
    Membership observer = nodes.get(0);
    while (net.stateOf(observer, "n7") != MemberState.DEAD) {
      net.runFor(100);
      assertThat(net.now - crashAt).isLessThan(120_000);
    }
    MemberEvent suspected = firstEvent(net, observer, MemberEvent.Type.SUSPECTED, "n7");
    MemberEvent dead = firstEvent(net, observer, MemberEvent.Type.DEAD, "n7");
    assertThat(dead.member().stateSinceMillis() - suspected.member().stateSinceMillis())
        .as("suspicion shortened by confirmations")
        .isLessThan(max);
  }

  private static MemberEvent firstEvent(TestNetwork net, Membership observer, MemberEvent.Type type, String name) {
    return net.events.get(observer.name()).stream()
        .filter(e -> e instanceof MemberEvent me && me.type() == type && me.member().name().equals(name))
        .map(e -> (MemberEvent) e)
        .findFirst()
        .orElseThrow(() -> new AssertionError(observer.name() + " never saw " + type + " of " + name));
  }

  @Test
  void higherIncarnationWinsAndStaleClaimsAreIgnored() {
    TestNetwork net = new TestNetwork(7, 1);
    List<Membership> nodes = cluster(net, 3, LAN);
    net.runFor(3_000);
    Membership n1 = nodes.get(1);
    long inc = n1.localMember().incarnation();
    Membership observer = nodes.get(0);
    // A stale suspicion (lower incarnation) changes nothing.
    MembershipMessagesTestAccess.deliverSuspect(net, observer, "n1", inc - 1, "n2");
    assertThat(net.stateOf(observer, "n1")).isEqualTo(MemberState.ALIVE);
    // A current one does.
    MembershipMessagesTestAccess.deliverSuspect(net, observer, "n1", inc, "n2");
    assertThat(net.stateOf(observer, "n1")).isEqualTo(MemberState.SUSPECT);
    // An alive at the same incarnation does not clear it; a higher one does.
    MembershipMessagesTestAccess.deliverAlive(net, observer, n1, inc);
    assertThat(net.stateOf(observer, "n1")).isEqualTo(MemberState.SUSPECT);
    MembershipMessagesTestAccess.deliverAlive(net, observer, n1, inc + 1);
    assertThat(net.stateOf(observer, "n1")).isEqualTo(MemberState.ALIVE);
    assertThat(observer.member("n1").incarnation()).isEqualTo(inc + 1);
  }

  @Test
  void deadMembersAreReapedAndTombstonesKeepStaleGossipOut() {
    MembershipConfig config = LAN.toBuilder().deadMemberRetention(Duration.ofSeconds(30)).build();
    TestNetwork net = new TestNetwork(8, 1);
    List<Membership> nodes = cluster(net, 5, config);
    net.runFor(5_000);
    Membership victim = nodes.get(4);
    long oldInc = victim.localMember().incarnation();
    net.crash(victim);
    net.runFor(60_000 + 30_000);
    for (Membership m : net.live()) {
      assertThat(m.member("n4")).as("%s reaped n4", m.name()).isNull();
      assertThat(net.count(m, MemberEvent.Type.REAPED, "n4")).isEqualTo(1);
    }
    // Stale gossip (the old incarnation) does not bring it back.
    Membership observer = nodes.get(0);
    MembershipMessagesTestAccess.deliverAlive(net, observer, victim, oldInc);
    assertThat(observer.member("n4")).isNull();
    // A real restart (new incarnation) does.
    net.nodes.remove(victim.endpoint());
    Membership restarted = net.add("n4", victim.endpoint(), oldInc + 1000, config);
    net.join(restarted, observer);
    net.runFor(10_000);
    for (Membership m : net.live()) {
      assertThat(net.stateOf(m, "n4")).as("%s sees restarted n4", m.name()).isEqualTo(MemberState.ALIVE);
    }
  }

  @Test
  void forceLeaveRemovesADeadNodeForGood() {
    TestNetwork net = new TestNetwork(9, 1);
    List<Membership> nodes = cluster(net, 5, LAN);
    net.runFor(5_000);
    Membership victim = nodes.get(3);
    long oldInc = victim.localMember().incarnation();
    net.crash(victim);
    net.runFor(60_000);
    Membership operator = nodes.get(0);
    assertThat(operator.forceLeave(net.now, "n1", net.outbox(operator))).as("alive node").isFalse();
    assertThat(operator.forceLeave(net.now, "n3", net.outbox(operator))).isTrue();
    assertThat(operator.member("n3")).isNull();
    net.runFor(5_000);
    for (Membership m : net.live()) {
      if (m != operator) {
        assertThat(net.stateOf(m, "n3")).isEqualTo(MemberState.LEFT);
      }
    }
    MembershipMessagesTestAccess.deliverAlive(net, operator, victim, oldInc);
    assertThat(operator.member("n3")).isNull();
  }

  @Test
  void metadataUpdateSpreadsToEveryone() {
    TestNetwork net = new TestNetwork(10, 1);
    List<Membership> nodes = cluster(net, 6, LAN);
    net.runFor(5_000);
    Membership n2 = nodes.get(2);
    n2.updateMetadata(net.now, "zone=b".getBytes(), net.outbox(n2));
    net.runFor(3_000);
    for (Membership m : nodes) {
      assertThat(new String(m.member("n2").metadata())).isEqualTo("zone=b");
      if (m != n2) {
        assertThat(net.count(m, MemberEvent.Type.UPDATED, "n2")).isEqualTo(1);
      }
    }
  }

  @Test
  void eachUpdateIsRetransmittedAtMostTheLimit() {
    TestNetwork net = new TestNetwork(11, 1);
    List<Membership> nodes = cluster(net, 10, LAN);
    net.runFor(10_000);
    Membership n2 = nodes.get(2);
    int limit = n2.retransmitLimit();
    assertThat(limit).isEqualTo(LAN.retransmitMult * 2); // ceil(log10(11)) = 2
    n2.updateMetadata(net.now, new byte[] {1}, net.outbox(n2));
    assertThat(n2.hasPendingBroadcast("n2")).isTrue();
    // Gossip rounds pack it into at most `limit` packets, then it is retired.
    net.runFor(limit * LAN.gossipInterval.toMillis() + 2_000);
    assertThat(n2.hasPendingBroadcast("n2")).isFalse();
  }

  @Test
  void selfIsNeverDeclaredDeadByStaleClaims() {
    TestNetwork net = new TestNetwork(12, 1);
    List<Membership> nodes = cluster(net, 3, LAN);
    net.runFor(3_000);
    Membership n1 = nodes.get(1);
    long inc = n1.localMember().incarnation();
    MembershipMessagesTestAccess.deliverDead(net, n1, "n1", inc, "n0");
    assertThat(n1.localMember().state()).isEqualTo(MemberState.ALIVE);
    assertThat(n1.localMember().incarnation()).isEqualTo(inc + 1);
  }

  @Test
  void duplicateNameFromAnotherAddressIsReported() {
    TestNetwork net = new TestNetwork(13, 1);
    List<Membership> nodes = cluster(net, 3, LAN);
    net.runFor(3_000);
    Membership impostor = net.add("n1", TestNetwork.endpoint(99), 1_000_000, LAN);
    net.join(impostor, nodes.get(0));
    net.runFor(3_000);
    assertThat(nodes.get(0).member("n1").endpoint()).isEqualTo(TestNetwork.endpoint(2));
    assertThat(nodes.stream().mapToLong(m -> m.stats().nameConflicts()).sum()
        + impostor.stats().nameConflicts()).isPositive();
    assertThat(net.events.values().stream().flatMap(List::stream)).anyMatch(e -> e instanceof NameConflict);
  }

  @Test
  void withoutLifeguardSuspicionTimeoutIsFixed() {
    MembershipConfig swim = LAN.toBuilder().lifeguard(false).build();
    TestNetwork net = new TestNetwork(14, 1);
    List<Membership> nodes = cluster(net, 6, swim);
    net.runFor(5_000);
    net.crash(nodes.get(5));
    net.runFor(60_000);
    Membership observer = nodes.get(0);
    assertThat(net.stateOf(observer, "n5")).isEqualTo(MemberState.DEAD);
    assertThat(observer.healthScore()).isZero();
    MemberEvent suspected = firstEvent(net, observer, MemberEvent.Type.SUSPECTED, "n5");
    MemberEvent dead = firstEvent(net, observer, MemberEvent.Type.DEAD, "n5");
    assertThat(dead.member().stateSinceMillis() - suspected.member().stateSinceMillis())
        .isLessThanOrEqualTo(swim.suspicionMinMillis(6) + 10);
  }

  @Test
  void probesOfASuspectCarryTheSuspicionFirst() throws Exception {
    TestNetwork net = new TestNetwork(15, 1);
    List<Membership> nodes = cluster(net, 4, LAN);
    net.runFor(5_000);
    Membership observer = nodes.get(0);
    Membership suspect = nodes.get(2);
    // Keep n2 from hearing anything, so it cannot refute before the observer probes it.
    net.drop = (from, to) -> to.equals(suspect.endpoint());
    MembershipMessagesTestAccess.deliverSuspect(net, observer, "n2", suspect.localMember().incarnation(), "n1");
    net.sniff = true;
    net.runFor(10_000);
    io.grapevine.wire.PacketReader reader = new io.grapevine.wire.PacketReader(TestNetwork.CLUSTER);
    boolean found = false;
    for (Object[] p : net.sniffed) {
      if (!p[0].equals(observer.endpoint()) || !p[1].equals(suspect.endpoint())) {
        continue;
      }
      reader.open(java.nio.ByteBuffer.wrap((byte[]) p[2]));
      reader.nextMessage();
      byte first = reader.type();
      if (reader.nextMessage() && reader.type() == io.grapevine.wire.MessageType.PING.code()) {
        assertThat(first).isEqualTo(io.grapevine.wire.MessageType.SUSPECT.code());
        found = true;
      }
    }
    assertThat(found).as("observer probed the suspect with the suspicion in front").isTrue();
  }

  @Test
  void tenPercentLossCausesNoFalseDeaths() {
    // Datagrams only: TCP (push-pull, fallback pings) retransmits what IP loses.
    for (long seed = 16; seed < 22; seed++) {
      TestNetwork net = new TestNetwork(seed, 1);
      java.util.SplittableRandom loss = new java.util.SplittableRandom(seed);
      List<Membership> nodes = cluster(net, 20, LAN);
      net.runFor(10_000);
      net.dropStreams = false;
      net.drop = (from, to) -> loss.nextInt(100) < 10;
      net.runFor(300_000);
      for (Membership m : nodes) {
        // A transient suspicion under loss is expected (and refuted); a death is not.
        assertThat(m.members()).as("seed %d, %s", seed, m.name()).noneMatch(x -> x.state().isGone());
        for (Membership other : nodes) {
          assertThat(net.count(m, MemberEvent.Type.DEAD, other.name())).as("seed %d", seed).isZero();
        }
      }
    }
  }

  @Test
  void hundredNodesConvergeAndSameSeedGivesSameRun() {
    long[] sent = new long[2];
    for (int run = 0; run < 2; run++) {
      TestNetwork net = new TestNetwork(17, 2);
      List<Membership> nodes = cluster(net, 100, LAN);
      net.runFor(20_000);
      for (Membership m : nodes) {
        assertThat(m.liveCount()).as("%s", m.name()).isEqualTo(100);
      }
      sent[run] = net.packetsSent;
    }
    assertThat(sent[0]).isEqualTo(sent[1]);
  }

  /**
   * A join storm: 250 nodes join through one seed at once, with gossip cut to one 512-byte packet
   * per round and push-pull pushed out to 50 minutes, so the news outruns piggybacking. A node
   * whose queue owes more than {@code backlogSyncAfter} of gossip syncs full state early; every
   * view completes sooner than with it off, and the doubling wait bounds the extra syncs.
   */
  @Test
  void backloggedGossipQueueTriggersAnEarlyFullSync() {
    MembershipConfig slowGossip = LAN.toBuilder().gossipNodes(1).udpPayloadBytes(512)
        .pushPullInterval(Duration.ofMinutes(10)).build();
    int n = 250;
    for (long seed = 1; seed <= 2; seed++) {
      TestNetwork on = new TestNetwork(seed, 2);
      List<Membership> withSync = cluster(on, n, slowGossip.toBuilder().backlogSyncAfter(Duration.ofSeconds(5)).build());
      TestNetwork off = new TestNetwork(seed, 2);
      List<Membership> without = cluster(off, n, slowGossip.toBuilder().backlogSyncAfter(Duration.ZERO).build());
      int fullWith = -1;
      int fullWithout = -1;
      for (int s = 1; s <= 40 && fullWithout < 0; s++) {
        on.runFor(1_000);
        off.runFor(1_000);
        if (fullWith < 0 && withSync.stream().allMatch(m -> m.liveCount() == n)) {
          fullWith = s;
        }
        if (without.stream().allMatch(m -> m.liveCount() == n)) {
          fullWithout = s;
        }
      }
      assertThat(fullWith).as("seed %d: full view with backlog syncs (s)", seed).isBetween(5, 12);
      assertThat(fullWithout < 0 || fullWithout > fullWith)
          .as("seed %d: without syncs the views complete later (%d s vs %d s)", seed, fullWithout, fullWith).isTrue();
      assertThat(without).allMatch(m -> m.stats().backlogSyncs() == 0);
      // Syncs at >= 5 s, then waits of >= 5, 10, 20 s (the sync after the backlog clears among them): at most 3 by 40 s.
      on.runUntil(40_000);
      assertThat(withSync).allMatch(m -> m.stats().backlogSyncs() >= 1 && m.stats().backlogSyncs() <= 3);
    }
  }
}
