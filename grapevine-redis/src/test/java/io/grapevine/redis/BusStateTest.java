// SPDX-License-Identifier: Apache-2.0
package io.grapevine.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.grapevine.redis.BusState.Action;
import io.grapevine.redis.BusState.GrantVote;
import io.grapevine.redis.BusState.Peer;
import io.grapevine.redis.BusState.PublishClaim;
import io.grapevine.redis.BusState.RequestVotes;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The configuration rules, stepped with explicit time: no threads, sockets or clocks. */
class BusStateTest {
  static final String P = id('1');
  static final String Q1 = id('2');
  static final String Q2 = id('3');
  static final String R = id('4');
  static final String R2 = id('5');
  static final BusState.Timing TIMING = new BusState.Timing(2000, 500, 500, 1000);

  static String id(char c) {
    return String.valueOf(c).repeat(40);
  }

  static BitSet range(int a, int b) {
    BitSet s = new BitSet();
    s.set(a, b + 1);
    return s;
  }

  static NodeClaim primary(String id, long epoch, BitSet slots) {
    return new NodeClaim(id, 7000, true, null, epoch, epoch, 0, slots);
  }

  static NodeClaim replica(String id, String of, long offset) {
    return new NodeClaim(id, 7000, false, of, 0, 0, offset, new BitSet());
  }

  static Peer peer(NodeClaim c, boolean failed) {
    return new Peer(c, "127.0.0.1", 17000, failed);
  }

  static Map<String, Peer> peers(Peer... ps) {
    Map<String, Peer> m = new HashMap<>();
    for (Peer p : ps) {
      m.put(p.claim().id(), p);
    }
    return m;
  }

  /** Three shards: P (0-5460, epoch 1), Q1 (5461-10921, epoch 2), Q2 (the rest, epoch 3). */
  static Peer[] shards(boolean pFailed) {
    return new Peer[] {
        peer(primary(P, 1, range(0, 5460)), pFailed),
        peer(primary(Q1, 2, range(5461, 10921)), false),
        peer(primary(Q2, 3, range(10922, 16383)), false)};
  }

  static NodeClaim published(List<Action> actions) {
    return actions.stream().filter(a -> a instanceof PublishClaim).map(a -> ((PublishClaim) a).claim())
        .findFirst().orElse(null);
  }

  @Test
  void theHighestConfigEpochOwnsASlot() {
    BusState s = new BusState(replica(R, P, 0), TIMING, new Random(1));
    s.updatePeers(peers(peer(primary(P, 1, range(0, 100)), false),
        peer(primary(Q1, 5, range(50, 60)), false)));
    assertThat(s.ownerOf(0)).isEqualTo(P);
    assertThat(s.ownerOf(55)).isEqualTo(Q1);
    assertThat(s.ownerOf(101)).isNull();
    assertThat(s.currentEpoch()).isEqualTo(5);
  }

  @Test
  void slotOwnersFollowEveryChangeOfTheClaims() {
    BusState s = new BusState(primary(P, 1, range(0, 100)), TIMING, new Random(1));
    s.updatePeers(peers(peer(primary(Q1, 5, range(50, 60)), false)));
    assertThat(s.ownerOf(55)).isEqualTo(Q1);
    assertThat(s.primariesWithSlots()).isEqualTo(2);
    assertThat(s.ownedSlotsByOwner()).containsOnlyKeys(P, Q1);
    assertThat(s.ownedSlotsByOwner().get(Q1)).isEqualTo(range(50, 60));
    assertThat(s.ownedSlotsByOwner().get(P).cardinality()).isEqualTo(90);
    s.ownedSlotsByOwner().get(Q1).clear(); // a copy: the view is not changed through it
    assertThat(s.ownerOf(55)).isEqualTo(Q1);
    assertThat(s.ownedSlotsByOwner().get(Q1)).isEqualTo(range(50, 60));
    // the same peer map again, then Q1's claim with a lower epoch: the owner changes back to P
    s.updatePeers(peers(peer(primary(Q1, 5, range(50, 60)), false)));
    assertThat(s.ownerOf(55)).isEqualTo(Q1);
    s.updatePeers(peers(peer(primary(Q1, 0, range(50, 60)), false)));
    assertThat(s.ownerOf(55)).isEqualTo(P);
    assertThat(s.slotOwners()[55]).isEqualTo(P);
    // Q1 now a replica: it owns nothing, and only P counts
    s.updatePeers(peers(peer(replica(Q1, P, 0), false)));
    assertThat(s.primariesWithSlots()).isEqualTo(1);
    assertThat(s.ownedSlotsByOwner().get(P)).isEqualTo(range(0, 100));
    // this node gives slots away
    s.delSlots(range(0, 10), new ArrayList<>());
    assertThat(s.ownerOf(5)).isNull();
    assertThat(s.slotOwners()[5]).isNull();
  }

  @Test
  void onAnEpochCollisionTheSmallerIdMovesToANewEpoch() {
    BusState small = new BusState(primary(P, 0, range(0, 10)), TIMING, new Random(1));
    small.updatePeers(peers(peer(primary(Q1, 0, range(11, 20)), false)));
    NodeClaim c = published(small.tick(0));
    assertThat(c.configEpoch()).isEqualTo(1);
    assertThat(small.currentEpoch()).isEqualTo(1);

    BusState large = new BusState(primary(Q1, 0, range(11, 20)), TIMING, new Random(1));
    large.updatePeers(peers(peer(primary(P, 0, range(0, 10)), false)));
    assertThat(published(large.tick(0))).isNull();
    assertThat(large.self().configEpoch()).isZero();
  }

  @Test
  void replicasRankByReplicationOffset() {
    NodeClaim me = replica(R, P, 100);
    assertThat(BusState.rank(me, List.of(replica(R2, P, 50)))).isZero();
    assertThat(BusState.rank(me, List.of(replica(R2, P, 150)))).isEqualTo(1);
    // equal offsets: the smaller id goes first
    assertThat(BusState.rank(replica(R2, P, 100), List.of(replica(R, P, 100)))).isEqualTo(1);
    assertThat(BusState.rank(me, List.of(replica(R2, P, 100)))).isZero();
  }

  @Test
  void aReplicaOfAFailedPrimaryWinsWithAMajorityOfPrimaries() {
    BusState s = new BusState(replica(R, P, 10), TIMING, new Random(7));
    s.updatePeers(peers(shards(true)));
    assertThat(s.tick(0)).noneMatch(x -> x instanceof RequestVotes); // 500 ms + up to 500 ms
    assertThat(s.tick(499)).isEmpty();
    List<Action> a = s.tick(1000);
    RequestVotes req = (RequestVotes) a.stream().filter(x -> x instanceof RequestVotes).findFirst().orElseThrow();
    assertThat(req.epoch()).isEqualTo(4);
    assertThat(req.failedPrimaryId()).isEqualTo(P);
    assertThat(req.manual()).isFalse();
    s.onVoteGranted(new GrantVote(Q1, R, 4));
    s.onVoteGranted(new GrantVote(Q1, R, 4)); // one voter counts once
    s.onVoteGranted(new GrantVote(Q2, R, 3)); // a vote of another election does not count
    assertThat(s.tick(1050)).isEmpty();
    s.onVoteGranted(new GrantVote(Q2, R, 4));
    NodeClaim won = published(s.tick(1100));
    assertThat(won.primary()).isTrue();
    assertThat(won.configEpoch()).isEqualTo(4);
    assertThat(won.slots()).isEqualTo(range(0, 5460));
    assertThat(s.ownerOf(0)).isEqualTo(R);
  }

  @Test
  void aLowerRankedReplicaWaitsASecondMorePerRank() {
    BusState s = new BusState(replica(R2, P, 10), TIMING, new Random(7));
    Map<String, Peer> m = peers(shards(true));
    m.put(R, peer(replica(R, P, 20), false));
    s.updatePeers(m);
    s.tick(0);
    assertThat(s.tick(1499)).noneMatch(x -> x instanceof RequestVotes);
    assertThat(s.tick(2000)).anyMatch(x -> x instanceof RequestVotes);
  }

  @Test
  void noElectionWhileThePrimaryIsAlive() {
    BusState s = new BusState(replica(R, P, 10), TIMING, new Random(7));
    s.updatePeers(peers(shards(false)));
    s.tick(0); // publishes the current epoch it learned
    for (long t = 100; t < 10_000; t += 100) {
      assertThat(s.tick(t)).isEmpty();
    }
  }

  @Test
  void anElectionWithoutAMajorityIsRetriedWithANewEpoch() {
    BusState s = new BusState(replica(R, P, 10), TIMING, new Random(7));
    s.updatePeers(peers(shards(true)));
    s.tick(0);
    assertThat(s.tick(1000)).anyMatch(x -> x instanceof RequestVotes r && r.epoch() == 4);
    s.onVoteGranted(new GrantVote(Q1, R, 4));
    List<Action> all = new ArrayList<>();
    for (long t = 1000; t <= 12_000; t += 50) {
      all.addAll(s.tick(t));
    }
    assertThat(s.self().primary()).isFalse();
    assertThat(all).anyMatch(x -> x instanceof RequestVotes r && r.epoch() == 5);
  }

  BusState voter() {
    BusState v = new BusState(primary(Q1, 2, range(5461, 10921)), TIMING, new Random(1));
    Map<String, Peer> m = peers(shards(true));
    m.remove(Q1);
    m.put(R, peer(replica(R, P, 10), false));
    m.put(R2, peer(replica(R2, P, 5), false));
    v.updatePeers(m);
    return v;
  }

  @Test
  void aPrimaryVotesOncePerEpochAndOncePerFailedPrimaryWithinTwiceTheNodeTimeout() {
    BusState v = voter();
    assertThat(v.onVoteRequest(0, new RequestVotes(R, P, 4, false)))
        .containsExactly(new GrantVote(Q1, R, 4));
    // the same epoch again, from the other replica
    assertThat(v.onVoteRequest(10, new RequestVotes(R2, P, 4, false))).isEmpty();
    // a newer epoch, the same failed primary, within 2 x node timeout
    assertThat(v.onVoteRequest(3999, new RequestVotes(R2, P, 5, false))).isEmpty();
    // after 2 x node timeout
    assertThat(v.onVoteRequest(4000, new RequestVotes(R2, P, 6, false)))
        .containsExactly(new GrantVote(Q1, R2, 6));
  }

  @Test
  void aPrimaryRefusesStaleOrUnfoundedRequests() {
    BusState v = voter();
    v.onVoteRequest(0, new RequestVotes(R, P, 9, false));
    assertThat(voter().onVoteRequest(0, new RequestVotes(Q2, P, 4, false))).isEmpty(); // not a replica of P
    BusState w = voter();
    assertThat(w.onVoteRequest(0, new RequestVotes(R, P, 2, false))).isEmpty(); // epoch behind (3)
    BusState alive = new BusState(primary(Q1, 2, range(5461, 10921)), TIMING, new Random(1));
    Map<String, Peer> m = peers(shards(false));
    m.remove(Q1);
    m.put(R, peer(replica(R, P, 10), false));
    alive.updatePeers(m);
    assertThat(alive.onVoteRequest(0, new RequestVotes(R, P, 4, false))).isEmpty(); // P is alive
    assertThat(alive.onVoteRequest(1, new RequestVotes(R, P, 5, true))).hasSize(1); // manual failover
    BusState replicaVoter = new BusState(replica(R2, P, 0), TIMING, new Random(1));
    replicaVoter.updatePeers(peers(shards(true)));
    assertThat(replicaVoter.onVoteRequest(0, new RequestVotes(R, P, 4, false))).isEmpty();
  }

  @Test
  void aRetriedRequestGetsTheSameAnswer() {
    BusState v = voter();
    assertThat(v.onVoteRequest(0, new RequestVotes(R, P, 4, false))).containsExactly(new GrantVote(Q1, R, 4));
    assertThat(v.onVoteRequest(100, new RequestVotes(R, P, 4, false))).containsExactly(new GrantVote(Q1, R, 4));
    assertThat(v.onVoteRequest(200, new RequestVotes(R2, P, 4, false))).isEmpty();
  }

  @Test
  void aReturningPrimaryFindsItsSlotsTakenAndBecomesAReplica() {
    BusState old = new BusState(primary(P, 1, range(0, 5460)), TIMING, new Random(1));
    Map<String, Peer> m = peers(shards(false));
    m.remove(P);
    m.put(R, peer(primary(R, 4, range(0, 5460)), false));
    old.updatePeers(m);
    NodeClaim c = published(old.tick(0));
    assertThat(c.primary()).isFalse();
    assertThat(c.primaryId()).isEqualTo(R);
    assertThat(c.slotCount()).isZero();
  }

  @Test
  void anotherReplicaFollowsItsPrimarysSlotsToTheWinner() {
    BusState s = new BusState(replica(R2, P, 0), TIMING, new Random(1));
    Map<String, Peer> m = peers(shards(true));
    m.put(R, peer(primary(R, 4, range(0, 5460)), false));
    s.updatePeers(m);
    NodeClaim c = published(s.tick(0));
    assertThat(c.primaryId()).isEqualTo(R);
  }

  @Test
  void addSlotsRefusesBusySlots() {
    BusState s = new BusState(primary(P, 1, new BitSet()), TIMING, new Random(1));
    s.updatePeers(peers(peer(primary(Q1, 2, range(10, 20)), false)));
    List<Action> out = new ArrayList<>();
    assertThat(s.addSlots(range(5, 15), out)).isEqualTo(10);
    assertThat(s.addSlots(range(0, 9), out)).isEqualTo(-1);
    assertThat(s.ownerOf(9)).isEqualTo(P);
    assertThat(s.delSlots(range(9, 10), out)).isEqualTo(10);
  }

  /** An observer (Q2) of three shards where P failed and R, P's replica, is known. */
  BusState observer() {
    BusState o = new BusState(primary(Q2, 3, range(10922, 16383)), TIMING, new Random(1));
    o.updatePeers(gossip(replica(R, P, 10)));
    return o;
  }

  static Map<String, Peer> gossip(NodeClaim r) {
    Map<String, Peer> m = peers(shards(true));
    m.remove(Q2);
    m.put(R, peer(r, false));
    return m;
  }

  static final NodeClaim R_WON = new NodeClaim(R, 7000, true, null, 4, 4, 10, range(0, 5460));

  @Test
  void aPushedClaimWithANewerConfigEpochIsAppliedAtOnce() {
    BusState o = observer();
    assertThat(o.ownerOf(0)).isEqualTo(P);
    assertThat(o.onClaimPushed(R_WON)).isTrue();
    assertThat(o.ownerOf(0)).isEqualTo(R);
    assertThat(o.claimOf(R).primary()).isTrue();
    assertThat(o.currentEpoch()).isEqualTo(4);
    assertThat(o.pushedClaims()).containsExactly(R);
    // the same claim again, or an older one, changes nothing
    assertThat(o.onClaimPushed(R_WON)).isFalse();
    assertThat(o.onClaimPushed(new NodeClaim(R, 7000, true, null, 3, 4, 10, range(0, 100)))).isFalse();
  }

  @Test
  void aPushedClaimTouchesOnlyTheNodesWhoseSlotsOrPrimaryItConcerns() {
    // Q2, a primary of other slots: shows the claim, nothing to do
    assertThat(observer().touches(R_WON)).isFalse();
    // P's slots: a primary serving them must act
    BusState p = new BusState(primary(P, 1, range(0, 5460)), TIMING, new Random(1));
    p.updatePeers(gossip(replica(R, P, 10)));
    assertThat(p.touches(R_WON)).isTrue();
    // a replica of the failed P (whose slots R took) must follow the new primary
    String other = id('6');
    BusState r2 = new BusState(replica(other, P, 10), TIMING, new Random(1));
    r2.updatePeers(gossip(replica(R, P, 10)));
    assertThat(r2.touches(R_WON)).isTrue();
    // a replica of Q1 (alive, other slots): nothing to do
    BusState q1r = new BusState(replica(other, Q1, 10), TIMING, new Random(1));
    q1r.updatePeers(gossip(replica(R, P, 10)));
    assertThat(q1r.touches(R_WON)).isFalse();
  }

  @Test
  void aPushedClaimHoldsUntilMembershipShowsItsEpochThenMembershipRulesAgain() {
    BusState o = observer();
    o.onClaimPushed(R_WON);
    // gossip has not caught up: membership still shows R as a replica; the pushed claim holds
    o.updatePeers(gossip(replica(R, P, 12)));
    assertThat(o.ownerOf(0)).isEqualTo(R);
    assertThat(o.pushedClaims()).containsExactly(R);
    // membership shows the epoch: its claim is the one used from now on (offset 20 shows it)
    o.updatePeers(gossip(new NodeClaim(R, 7000, true, null, 4, 4, 20, range(0, 5460))));
    assertThat(o.pushedClaims()).isEmpty();
    assertThat(o.claimOf(R).replOffset()).isEqualTo(20);
    assertThat(o.ownerOf(0)).isEqualTo(R);
    // membership's newer change (slots given away) is not hidden by the old pushed claim
    o.updatePeers(gossip(new NodeClaim(R, 7000, true, null, 4, 4, 20, range(0, 99))));
    assertThat(o.ownerOf(100)).isEqualTo(P);
  }

  @Test
  void aPushedClaimIsDroppedWhenMembershipLosesItsNode() {
    BusState o = observer();
    o.onClaimPushed(R_WON);
    Map<String, Peer> m = gossip(replica(R, P, 10));
    m.remove(R);
    o.updatePeers(m);
    assertThat(o.pushedClaims()).isEmpty();
    assertThat(o.claimOf(R)).isNull();
    assertThat(o.ownerOf(0)).isEqualTo(P);
  }

  @Test
  void pushedClaimsOfUnknownNodesOtherPortsOrThisNodeAreRefused() {
    BusState o = observer();
    String stranger = id('9');
    assertThat(o.onClaimPushed(new NodeClaim(stranger, 7000, true, null, 9, 9, 0, range(0, 5460)))).isFalse();
    assertThat(o.onClaimPushed(new NodeClaim(R, 7001, true, null, 4, 4, 10, range(0, 5460)))).isFalse();
    assertThat(o.onClaimPushed(new NodeClaim(Q2, 7000, true, null, 9, 9, 0, range(0, 16383)))).isFalse();
    assertThat(o.ownerOf(0)).isEqualTo(P);
    assertThat(o.pushedClaims()).isEmpty();
    assertThat(o.self().configEpoch()).isEqualTo(3);
  }

  @Test
  void anotherReplicaFollowsAPushedWinnerAtItsNextTick() {
    BusState s = new BusState(replica(R2, P, 0), TIMING, new Random(1));
    Map<String, Peer> m = peers(shards(true));
    m.put(R, peer(replica(R, P, 10), false));
    s.updatePeers(m);
    s.tick(0);
    assertThat(s.onClaimPushed(R_WON)).isTrue();
    NodeClaim c = published(s.tick(10));
    assertThat(c.primaryId()).isEqualTo(R);
  }

  @Test
  void theDriverIsToldWhenTheElectionDelayEnds() {
    BusState s = new BusState(replica(R, P, 10), TIMING, new Random(7));
    s.updatePeers(peers(shards(false)));
    s.tick(0);
    assertThat(s.nextWakeup()).isEqualTo(Long.MAX_VALUE);
    s.updatePeers(peers(shards(true)));
    s.tick(100);
    long at = s.nextWakeup();
    assertThat(at).isBetween(600L, 1100L);
    assertThat(s.tick(at - 1)).noneMatch(x -> x instanceof RequestVotes);
    assertThat(s.tick(at)).anyMatch(x -> x instanceof RequestVotes);
    assertThat(s.nextWakeup()).isEqualTo(Long.MAX_VALUE);
  }
}
