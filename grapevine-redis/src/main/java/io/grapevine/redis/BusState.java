// SPDX-License-Identifier: Apache-2.0
package io.grapevine.redis;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * The cluster configuration as one node sees it, and the rules that change it: slot ownership by
 * config epoch, epoch collisions, replica ranking, elections and votes. A plain state machine: the
 * driver feeds it the peers' claims (from Grapevine membership), the time and vote messages, and
 * carries out the {@link Action}s it returns; it has no threads, sockets or clock of its own, so the
 * rules are unit-tested step by step.
 *
 * <p>Not thread-safe: the driver serializes calls.
 */
public final class BusState {

  /** Timing of failure handling, in milliseconds. */
  public record Timing(long nodeTimeoutMillis, long failoverDelayMillis, long failoverJitterMillis,
      long rankDelayMillis) {
    /** Redis's delays: 500 ms + random 0..500 ms + rank x 1000 ms. */
    public static Timing redis(long nodeTimeoutMillis) {
      return new Timing(nodeTimeoutMillis, 500, 500, 1000);
    }

    /** Redis's delays multiplied by {@code factor} (for example 0.2 on loopback). */
    public Timing scaled(double factor) {
      return new Timing(nodeTimeoutMillis, Math.round(failoverDelayMillis * factor),
          Math.round(failoverJitterMillis * factor), Math.round(rankDelayMillis * factor));
    }
  }

  /**
   * Another node as membership shows it.
   *
   * @param claim what it last published
   * @param host the host of its Grapevine endpoint (its RESP server listens there too)
   * @param busPort its Grapevine port
   * @param failed true once membership has declared it dead or left
   */
  public record Peer(NodeClaim claim, String host, int busPort, boolean failed) {}

  /** What the driver must do. */
  public sealed interface Action {}

  /**
   * Ask every primary for its vote.
   *
   * @param candidateId this replica
   * @param failedPrimaryId the primary it replaces
   * @param epoch the election's epoch (the candidate's new current epoch)
   * @param manual true for CLUSTER FAILOVER (voters accept a live primary)
   */
  public record RequestVotes(String candidateId, String failedPrimaryId, long epoch, boolean manual)
      implements Action {}

  /**
   * Tell the candidate it has this node's vote.
   *
   * @param voterId this primary
   * @param candidateId the replica voted for
   * @param epoch the election's epoch
   */
  public record GrantVote(String voterId, String candidateId, long epoch) implements Action {}

  /**
   * This node's claim changed (role, epochs, slots): publish it.
   *
   * @param claim the new claim
   */
  public record PublishClaim(NodeClaim claim) implements Action {}

  private final Timing timing;
  private final Random random;
  private NodeClaim self;
  private long currentEpoch;
  private Map<String, Peer> peers = Map.of();
  // owner of every slot, computed once per change of the claims (CLUSTER NODES, polled often, and
  // every election step read it): null when a claim that bears on ownership changed
  private String[] owners;
  private Map<String, BitSet> ownedByOwner;
  // what membership last showed, before pushed claims were laid over it
  private Map<String, Peer> gossiped = Map.of();
  // claims their owners sent directly (newer by config epoch than membership's), by id; each is
  // dropped once membership shows that config epoch or a newer one, or loses the node
  private final Map<String, NodeClaim> pushed = new HashMap<>();

  // voter side
  private long lastVoteEpoch;
  private final Map<String, Long> votedFor = new HashMap<>(); // failed primary -> time of vote
  private String lastVoteCandidate;

  // candidate side
  private static final long NONE = Long.MIN_VALUE;
  private long authTime = NONE;
  private boolean requested;
  private long electionEpoch;
  private int electionRank;
  private final Set<String> votes = new HashSet<>();
  private long manualUntil = NONE;
  private String lastMessage = "";

  /**
   * @param self this node's claim at start
   * @param timing node timeout and failover delays
   * @param random seeded for deterministic tests
   */
  public BusState(NodeClaim self, Timing timing, Random random) {
    this.self = self;
    this.timing = timing;
    this.random = random;
    this.currentEpoch = Math.max(self.currentEpoch(), self.configEpoch());
  }

  /** This node's claim as it stands. */
  public NodeClaim self() {
    return self;
  }

  /** The highest epoch this node knows. */
  public long currentEpoch() {
    return currentEpoch;
  }

  /** The other nodes, by id. */
  public Map<String, Peer> peers() {
    return peers;
  }

  /** The last thing the failover logic decided, for INFO and logs. */
  public String lastMessage() {
    return lastMessage;
  }

  /** Replaces the view of the other nodes (claims not parsed and this node's own id left out). */
  public void updatePeers(Map<String, Peer> newPeers) {
    Map<String, Peer> m = new HashMap<>(newPeers);
    m.remove(self.id());
    gossiped = Map.copyOf(m);
    pushed.entrySet().removeIf(e -> {
      Peer g = gossiped.get(e.getKey());
      return g == null || g.claim().configEpoch() >= e.getValue().configEpoch();
    });
    for (Map.Entry<String, NodeClaim> e : pushed.entrySet()) {
      Peer g = gossiped.get(e.getKey());
      m.put(e.getKey(), new Peer(e.getValue(), g.host(), g.busPort(), g.failed()));
    }
    if (!sameOwnership(peers, m)) {
      owners = null;
    }
    peers = m;
    for (Peer p : m.values()) {
      currentEpoch = Math.max(currentEpoch, Math.max(p.claim().currentEpoch(), p.claim().configEpoch()));
    }
  }

  /**
   * A node sent its claim directly (after an election it won, or another change of its config
   * epoch), so this node need not wait for gossip. Membership stays the source of truth: the claim
   * is taken only from a node membership knows, with the RESP port membership shows, and only if
   * its config epoch is newer than the one this node holds for it; it is laid over membership's
   * claim until membership shows that config epoch (or a newer one) or loses the node.
   *
   * @return true if it changed this node's view (the driver then ticks, to follow slot moves)
   */
  public boolean onClaimPushed(NodeClaim claim) {
    if (claim.id().equals(self.id())) {
      return false;
    }
    Peer g = gossiped.get(claim.id());
    Peer now = peers.get(claim.id());
    if (g == null || now == null || g.claim().respPort() != claim.respPort()
        || claim.configEpoch() <= now.claim().configEpoch()) {
      return false;
    }
    pushed.put(claim.id(), claim);
    Map<String, Peer> m = new HashMap<>(peers);
    m.put(claim.id(), new Peer(claim, g.host(), g.busPort(), g.failed()));
    peers = m;
    owners = null;
    currentEpoch = Math.max(currentEpoch, Math.max(claim.currentEpoch(), claim.configEpoch()));
    return true;
  }

  /**
   * Whether a claim another node pushed can change what this node does: it takes slots this node
   * (a primary) serves, or concerns this replica's primary (it is that primary, takes its slots, or
   * that primary has failed: the replica may have to follow a new one). Every other node only
   * shows the claim, which it does at once; its next periodic tick does the rest.
   */
  public boolean touches(NodeClaim pushed) {
    if (self.primary()) {
      return self.slots().intersects(pushed.slots());
    }
    String mine = self.primaryId();
    if (mine == null || mine.equals(pushed.id())) {
      return true;
    }
    Peer p = peers.get(mine);
    return p == null || p.failed() || p.claim().slots().intersects(pushed.slots());
  }

  /** Ids of the nodes whose pushed claim is laid over membership's (for INFO and tests). */
  public Set<String> pushedClaims() {
    return Set.copyOf(pushed.keySet());
  }

  /**
   * When the driver should tick next for this node's election to start on time: the moment its
   * delay ends, or {@link Long#MAX_VALUE} when none is pending.
   */
  public long nextWakeup() {
    return !self.primary() && authTime != NONE && !requested ? authTime : Long.MAX_VALUE;
  }

  /** Records this node's replication offset (published with the next claim change). */
  public void setOffset(long offset) {
    self = self.with(self.primary(), self.primaryId(), self.configEpoch(), currentEpoch, offset,
        self.slots());
  }

  /**
   * The id of the node that owns {@code slot}: of every claim, this node's included, the one with
   * the highest config epoch (ties: the larger id); null if nobody claims it.
   */
  public String ownerOf(int slot) {
    return owners()[slot];
  }

  private static boolean sameOwnership(Map<String, Peer> a, Map<String, Peer> b) {
    if (a.size() != b.size()) {
      return false;
    }
    for (Map.Entry<String, Peer> e : b.entrySet()) {
      Peer old = a.get(e.getKey());
      if (old == null || !old.claim().sameOwnership(e.getValue().claim())) {
        return false;
      }
    }
    return true;
  }

  // every primary's claimed slots visited once: O(slots claimed), not O(slots x nodes)
  private String[] owners() {
    if (owners == null) {
      NodeClaim[] best = new NodeClaim[KeySlot.SLOTS];
      List<NodeClaim> claims = new ArrayList<>();
      if (self.primary()) {
        claims.add(self);
      }
      for (Peer p : peers.values()) {
        if (p.claim().primary()) {
          claims.add(p.claim());
        }
      }
      for (NodeClaim c : claims) {
        BitSet bits = c.slots();
        for (int s = bits.nextSetBit(0); s >= 0; s = bits.nextSetBit(s + 1)) {
          if (beats(c, best[s])) {
            best[s] = c;
          }
        }
      }
      String[] o = new String[KeySlot.SLOTS];
      Map<String, BitSet> byOwner = new java.util.LinkedHashMap<>();
      for (int s = 0; s < KeySlot.SLOTS; s++) {
        if (best[s] != null) {
          o[s] = best[s].id();
          byOwner.computeIfAbsent(o[s], k -> new BitSet(KeySlot.SLOTS)).set(s);
        }
      }
      owners = o;
      ownedByOwner = byOwner;
    }
    return owners;
  }

  /**
   * The slots each node owns, by node id (nodes owning none left out); computed with the owners,
   * so CLUSTER NODES and CLUSTER INFO cost the number of nodes, not the number of slots.
   */
  public Map<String, BitSet> ownedSlotsByOwner() {
    owners();
    Map<String, BitSet> copy = new java.util.LinkedHashMap<>();
    ownedByOwner.forEach((id, bits) -> copy.put(id, (BitSet) bits.clone()));
    return copy;
  }

  private static boolean beats(NodeClaim c, NodeClaim best) {
    return best == null || c.configEpoch() > best.configEpoch()
        || (c.configEpoch() == best.configEpoch() && c.id().compareTo(best.id()) > 0);
  }

  /** The claim of node {@code id} (this node's too), or null. */
  public NodeClaim claimOf(String id) {
    if (id.equals(self.id())) {
      return self;
    }
    Peer p = peers.get(id);
    return p == null ? null : p.claim();
  }

  /** Owner of every slot at once (index: slot; null: unassigned). */
  public String[] slotOwners() {
    return owners().clone();
  }

  /** Adds slots to this primary's claim; returns the first slot another node owns, or -1. */
  public int addSlots(BitSet slots, List<Action> out) {
    if (!self.primary()) {
      throw new IllegalStateException("a replica cannot own slots");
    }
    for (int s = slots.nextSetBit(0); s >= 0; s = slots.nextSetBit(s + 1)) {
      String owner = ownerOf(s);
      if (owner != null) {
        return s;
      }
    }
    BitSet mine = self.slots();
    mine.or(slots);
    publish(self.with(true, null, self.configEpoch(), currentEpoch, self.replOffset(), mine), out);
    return -1;
  }

  /**
   * Claims {@code slot} whoever owns it, with a new config epoch (CLUSTER SETSLOT NODE on the
   * importing node): Redis's bump without consensus, so this claim beats the old owner's.
   */
  public void takeSlot(int slot, List<Action> out) {
    if (!self.primary()) {
      throw new IllegalStateException("a replica cannot own slots");
    }
    BitSet mine = self.slots();
    mine.set(slot);
    currentEpoch++;
    publish(self.with(true, null, currentEpoch, currentEpoch, self.replOffset(), mine), out);
  }

  /** Removes slots from this node's claim; returns the first slot it did not claim, or -1. */
  public int delSlots(BitSet slots, List<Action> out) {
    BitSet mine = self.slots();
    for (int s = slots.nextSetBit(0); s >= 0; s = slots.nextSetBit(s + 1)) {
      if (!mine.get(s)) {
        return s;
      }
    }
    mine.andNot(slots);
    publish(self.with(self.primary(), self.primaryId(), self.configEpoch(), currentEpoch,
        self.replOffset(), mine), out);
    return -1;
  }

  /**
   * Makes this node a replica of {@code primaryId} (CLUSTER REPLICATE).
   *
   * @throws IllegalArgumentException with a Redis-style message when it may not
   */
  public void replicate(String primaryId, List<Action> out) {
    NodeClaim p = claimOf(primaryId);
    if (p == null) {
      throw new IllegalArgumentException("ERR Unknown node " + primaryId);
    }
    if (primaryId.equals(self.id())) {
      throw new IllegalArgumentException("ERR Can't replicate myself");
    }
    if (!p.primary()) {
      throw new IllegalArgumentException("ERR I can only replicate a master, not a replica.");
    }
    if (self.primary() && self.slotCount() > 0) {
      throw new IllegalArgumentException(
          "ERR To set a master the node must be empty and without assigned slots.");
    }
    publish(self.with(false, primaryId, self.configEpoch(), currentEpoch, self.replOffset(),
        new BitSet()), out);
  }

  /** Sets this node's config epoch (CLUSTER SET-CONFIG-EPOCH); only from 0, as Redis. */
  public void setConfigEpoch(long epoch, List<Action> out) {
    if (self.configEpoch() != 0) {
      throw new IllegalArgumentException("ERR The user can assign a config epoch only when the "
          + "node does not know any other node.");
    }
    if (epoch < 0) {
      throw new IllegalArgumentException("ERR Invalid config epoch specified: " + epoch);
    }
    currentEpoch = Math.max(currentEpoch, epoch);
    publish(self.with(self.primary(), self.primaryId(), epoch, currentEpoch, self.replOffset(),
        self.slots()), out);
  }

  /**
   * Starts a manual failover (CLUSTER FAILOVER) on this replica: the driver calls it once the
   * replica has every write its primary accepted before pausing. The election runs at once and
   * voters accept it while the primary is alive.
   */
  public void startManualFailover(long now, long timeoutMillis) {
    if (self.primary()) {
      throw new IllegalStateException("not a replica");
    }
    manualUntil = now + timeoutMillis;
    authTime = now;
    requested = false;
    votes.clear();
    electionRank = 0;
  }

  /**
   * CLUSTER FAILOVER TAKEOVER: this replica takes its primary's slots with a new epoch of its own,
   * without votes (as Redis, for when no majority of primaries can be reached).
   */
  public void takeover(List<Action> out) {
    if (self.primary()) {
      throw new IllegalStateException("not a replica");
    }
    NodeClaim p = claimOf(self.primaryId());
    if (p == null) {
      throw new IllegalStateException("unknown primary");
    }
    currentEpoch++;
    lastMessage = "took over the slots of " + p.id() + " in epoch " + currentEpoch;
    BitSet taken = ownedSlots(p);
    resetElection();
    publish(self.with(true, null, currentEpoch, currentEpoch, self.replOffset(), taken), out);
  }

  /** Whether a manual failover is running. */
  public boolean manualFailoverRunning(long now) {
    return manualUntil != NONE && now <= manualUntil;
  }

  /** Advances time: epoch rules, following slot moves, and this replica's election. */
  public List<Action> tick(long now) {
    List<Action> out = new ArrayList<>();
    followSlotMoves(out);
    resolveEpochCollision(out);
    runElection(now, out);
    if (self.currentEpoch() != currentEpoch) {
      publish(self.with(self.primary(), self.primaryId(), self.configEpoch(), currentEpoch,
          self.replOffset(), self.slots()), out);
    }
    return out;
  }

  // Redis's clusterUpdateSlotsConfigWith: a claim with a higher epoch takes our slots; a primary
  // left with none becomes a replica of the node that took them, and a replica follows its
  // primary's slots to their new owner.
  private void followSlotMoves(List<Action> out) {
    if (self.primary()) {
      BitSet mine = self.slots();
      owners();
      // every tick: compare the sets once (every slot it claims still its own) before the slot walk
      if (mine.equals(ownedByOwner.get(self.id())) || mine.isEmpty()) {
        return;
      }
      String taker = null;
      boolean lost = false;
      for (int s = mine.nextSetBit(0); s >= 0; s = mine.nextSetBit(s + 1)) {
        String owner = ownerOf(s);
        if (owner != null && !owner.equals(self.id())) {
          mine.clear(s);
          taker = owner;
          lost = true;
        }
      }
      if (lost) {
        boolean demote = mine.isEmpty();
        lastMessage = demote ? "lost every slot to " + taker + ": now its replica"
            : "lost slots to " + taker;
        publish(demote
            ? self.with(false, taker, self.configEpoch(), currentEpoch, self.replOffset(), mine)
            : self.with(true, null, self.configEpoch(), currentEpoch, self.replOffset(), mine), out);
      }
      return;
    }
    NodeClaim p = claimOf(self.primaryId());
    if (p == null) {
      return;
    }
    String next = null;
    if (!p.primary() && p.primaryId() != null && !p.primaryId().equals(self.id())) {
      next = p.primaryId();
    } else if (p.primary()) {
      BitSet theirs = p.slots();
      owners();
      if (theirs.equals(ownedByOwner.get(p.id()))) {
        return; // its primary still owns every slot it claims
      }
      for (int s = theirs.nextSetBit(0); s >= 0; s = theirs.nextSetBit(s + 1)) {
        String owner = ownerOf(s);
        if (owner != null && !owner.equals(p.id())) {
          next = owner;
          break;
        }
      }
    }
    if (next != null && !next.equals(self.id())) {
      lastMessage = "primary " + p.id() + " replaced by " + next + ": replicating it";
      resetElection();
      publish(self.with(false, next, self.configEpoch(), currentEpoch, self.replOffset(),
          new BitSet()), out);
    }
  }

  // Redis's clusterHandleConfigEpochCollision: two primaries with one config epoch; the one with
  // the smaller id moves to a new epoch, so the pair always ends with distinct epochs.
  private void resolveEpochCollision(List<Action> out) {
    if (!self.primary()) {
      return;
    }
    for (Peer p : peers.values()) {
      NodeClaim c = p.claim();
      if (c.primary() && c.configEpoch() == self.configEpoch()
          && self.id().compareTo(c.id()) < 0) {
        currentEpoch++;
        lastMessage = "config epoch collision with " + c.id() + ": moved to " + currentEpoch;
        publish(self.with(true, null, currentEpoch, currentEpoch, self.replOffset(), self.slots()),
            out);
        return;
      }
    }
  }

  private void runElection(long now, List<Action> out) {
    if (self.primary()) {
      resetElection();
      return;
    }
    Peer primary = peers.get(self.primaryId());
    boolean manual = manualFailoverRunning(now);
    if (!manual && manualUntil != NONE) {
      manualUntil = NONE;
      resetElection();
    }
    boolean failed = primary != null && primary.failed() && ownedSlots(primary.claim()).cardinality() > 0;
    if (!manual && !failed) {
      resetElection();
      return;
    }
    if (primary == null) {
      return;
    }
    long authTimeout = Math.max(2 * timing.nodeTimeoutMillis(), 2000);
    long retryTimeout = 2 * authTimeout;
    if (authTime == NONE || (!manual && now > authTime + retryTimeout)) {
      electionRank = rank(self, replicasOf(self.primaryId()));
      long delay = timing.failoverDelayMillis()
          + (timing.failoverJitterMillis() > 0 ? (long) (random.nextDouble() * timing.failoverJitterMillis()) : 0)
          + electionRank * timing.rankDelayMillis();
      authTime = now + delay;
      requested = false;
      votes.clear();
      lastMessage = "primary " + self.primaryId() + " failed: election in " + delay + " ms (rank "
          + electionRank + ")";
      return;
    }
    if (!requested) {
      if (now < authTime) {
        return;
      }
      currentEpoch++;
      electionEpoch = currentEpoch;
      requested = true;
      votes.clear();
      lastMessage = "asking for votes in epoch " + electionEpoch;
      publish(self.with(false, self.primaryId(), self.configEpoch(), currentEpoch,
          self.replOffset(), self.slots()), out);
      out.add(new RequestVotes(self.id(), self.primaryId(), electionEpoch, manual));
      return;
    }
    if (now > authTime + authTimeout) {
      return; // lost or stalled; a new election after the retry timeout
    }
    int needed = primariesWithSlots() / 2 + 1;
    if (votes.size() >= needed) {
      BitSet taken = ownedSlots(primary.claim());
      lastMessage = "won the election of epoch " + electionEpoch + " with " + votes.size()
          + " votes: primary of " + taken.cardinality() + " slots";
      manualUntil = NONE;
      resetElection();
      publish(self.with(true, null, electionEpoch, currentEpoch, self.replOffset(), taken), out);
    }
  }

  /** The slots {@code c} claims that it still owns in this node's view. */
  private BitSet ownedSlots(NodeClaim c) {
    BitSet s = c.slots();
    for (int i = s.nextSetBit(0); i >= 0; i = s.nextSetBit(i + 1)) {
      if (!c.id().equals(ownerOf(i))) {
        s.clear(i);
      }
    }
    return s;
  }

  private void resetElection() {
    authTime = NONE;
    requested = false;
    votes.clear();
  }

  /** Number of primaries that own at least one slot, failed ones included (Redis's cluster size). */
  public int primariesWithSlots() {
    owners();
    return ownedByOwner.size();
  }

  private List<NodeClaim> replicasOf(String primaryId) {
    List<NodeClaim> r = new ArrayList<>();
    for (Peer p : peers.values()) {
      if (!p.failed() && !p.claim().primary() && primaryId.equals(p.claim().primaryId())) {
        r.add(p.claim());
      }
    }
    return r;
  }

  /**
   * A replica's rank among its primary's other replicas, as Redis's clusterGetReplicaRank: the
   * number that have a larger replication offset (here ties go to the smaller id, so two replicas
   * never share a rank).
   */
  public static int rank(NodeClaim me, Collection<NodeClaim> others) {
    int rank = 0;
    for (NodeClaim o : others) {
      if (o.id().equals(me.id())) {
        continue;
      }
      if (o.replOffset() > me.replOffset()
          || (o.replOffset() == me.replOffset() && o.id().compareTo(me.id()) < 0)) {
        rank++;
      }
    }
    return rank;
  }

  /**
   * A vote request arrived (this node a primary with slots decides; others ignore it). Rules as
   * Redis's clusterSendFailoverAuthIfNeeded: the request's epoch not behind ours, one vote per
   * epoch, the candidate a replica of the failed primary, that primary failed (or a manual
   * failover), no vote for a replica of that primary within twice the node timeout, and nobody
   * already holding its slots with a newer epoch.
   */
  public List<Action> onVoteRequest(long now, RequestVotes req) {
    List<Action> out = new ArrayList<>();
    String why = voteRefusal(now, req);
    if (why != null) {
      if (self.primary() && self.slotCount() > 0) {
        lastMessage = "refused vote to " + req.candidateId() + " in epoch " + req.epoch() + ": " + why;
      }
      return out;
    }
    if (lastVoteEpoch == currentEpoch && req.candidateId().equals(lastVoteCandidate)) {
      out.add(new GrantVote(self.id(), req.candidateId(), req.epoch())); // a retry: same answer
      return out;
    }
    lastVoteEpoch = currentEpoch;
    lastVoteCandidate = req.candidateId();
    votedFor.put(req.failedPrimaryId(), now);
    lastMessage = "voted for " + req.candidateId() + " in epoch " + req.epoch();
    out.add(new GrantVote(self.id(), req.candidateId(), req.epoch()));
    return out;
  }

  private static final String NOT_FAILED = "the primary is not failed here";

  /** The auth timeout: how long an election collects votes (twice the node timeout, at least 2 s). */
  public long authTimeoutMillis() {
    return Math.max(2 * timing.nodeTimeoutMillis(), 2000);
  }

  /** Why this node would refuse {@code req} now, or null if it grants it (no state changes). */
  String voteRefusal(long now, RequestVotes req) {
    if (!self.primary() || self.slotCount() == 0) {
      return "not a primary with slots";
    }
    currentEpoch = Math.max(currentEpoch, req.epoch());
    if (req.epoch() < currentEpoch) {
      return "epoch " + req.epoch() + " behind " + currentEpoch;
    }
    if (lastVoteEpoch == currentEpoch) {
      return req.candidateId().equals(lastVoteCandidate) ? null
          : "already voted in epoch " + currentEpoch;
    }
    NodeClaim cand = claimOf(req.candidateId());
    if (cand == null || cand.primary() || !req.failedPrimaryId().equals(cand.primaryId())) {
      return "candidate is not a known replica of " + req.failedPrimaryId();
    }
    Peer failed = peers.get(req.failedPrimaryId());
    if (failed == null) {
      return "unknown primary";
    }
    if (!req.manual() && !failed.failed()) {
      return NOT_FAILED;
    }
    Long last = votedFor.get(req.failedPrimaryId());
    if (last != null && now - last < 2 * timing.nodeTimeoutMillis()) {
      return "voted for a replica of " + req.failedPrimaryId() + " " + (now - last) + " ms ago";
    }
    BitSet slots = failed.claim().slots();
    for (int s = slots.nextSetBit(0); s >= 0; s = slots.nextSetBit(s + 1)) {
      String ownerId = ownerOf(s);
      NodeClaim owner = ownerId == null ? null : claimOf(ownerId);
      if (owner != null && owner.configEpoch() > failed.claim().configEpoch()) {
        return "slot " + s + " already has a newer owner";
      }
    }
    return null;
  }

  /** A vote arrived; counted if it is for this node's current election. */
  public void onVoteGranted(GrantVote vote) {
    if (vote.candidateId().equals(self.id()) && requested && vote.epoch() == electionEpoch) {
      NodeClaim voter = claimOf(vote.voterId());
      if (voter != null && voter.primary()) {
        votes.add(vote.voterId());
      }
    }
  }

  /** Whether this replica's election of {@code epoch} is still collecting votes. */
  public boolean electionRunning(long epoch) {
    return !self.primary() && requested && electionEpoch == epoch;
  }

  /** The primaries whose votes count: every node owning a slot, this one excluded. */
  public List<Peer> voters() {
    owners();
    Set<String> owning = ownedByOwner.keySet();
    List<Peer> out = new ArrayList<>();
    for (Peer p : peers.values()) {
      if (owning.contains(p.claim().id()) && !p.failed()) {
        out.add(p);
      }
    }
    return out;
  }

  /** Votes collected in the current election. */
  public int votes() {
    return votes.size();
  }

  private void publish(NodeClaim next, List<Action> out) {
    if (next.currentEpoch() != currentEpoch) {
      next = next.with(next.primary(), next.primaryId(), next.configEpoch(), currentEpoch,
          next.replOffset(), next.slots());
    }
    if (!next.sameOwnership(self)) {
      owners = null;
    }
    self = next;
    out.removeIf(a -> a instanceof PublishClaim);
    out.add(new PublishClaim(next));
  }
}
