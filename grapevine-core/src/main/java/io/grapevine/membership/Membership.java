// SPDX-License-Identifier: Apache-2.0
package io.grapevine.membership;

import io.grapevine.api.MembershipStats;
import io.grapevine.config.MembershipConfig;
import io.grapevine.api.JoinResult;
import io.grapevine.api.FailureDetectorTrace;
import io.grapevine.api.NameConflict;
import io.grapevine.api.MemberEvent;
import io.grapevine.api.MemberState;
import io.grapevine.api.Member;
import io.grapevine.internal.broadcast.BroadcastQueue;
import io.grapevine.internal.collect.KeyedTable;
import io.grapevine.antientropy.Hash64;
import io.grapevine.api.MetadataStats;
import io.grapevine.membership.MembershipMessages.Ack;
import io.grapevine.membership.MembershipMessages.Alive;
import io.grapevine.membership.MembershipMessages.AliveRef;
import io.grapevine.membership.MembershipMessages.Metadata;
import io.grapevine.membership.MembershipMessages.MetadataRequest;
import io.grapevine.membership.MembershipMessages.Dead;
import io.grapevine.membership.MembershipMessages.Deflated;
import io.grapevine.membership.MembershipMessages.IndirectPing;
import io.grapevine.membership.MembershipMessages.MemberStateEntry;
import io.grapevine.membership.MembershipMessages.Message;
import io.grapevine.membership.MembershipMessages.Nack;
import io.grapevine.membership.MembershipMessages.Ping;
import io.grapevine.membership.MembershipMessages.ProtocolState;
import io.grapevine.membership.MembershipMessages.PushPull;
import io.grapevine.membership.MembershipMessages.Suspect;
import io.grapevine.membership.MembershipMessages.SyncDigest;
import io.grapevine.node.Delivery;
import io.grapevine.node.Endpoint;
import io.grapevine.node.Outbox;
import io.grapevine.node.PeerSampler;
import io.grapevine.node.ProtocolEvent;
import io.grapevine.stack.Piggyback;
import io.grapevine.stack.ProbeListener;
import io.grapevine.stack.PushPullState;
import io.grapevine.stack.Protocol;
import io.grapevine.stack.ProtocolContext;
import io.grapevine.wire.DropReason;
import io.grapevine.wire.WireSize;
import io.grapevine.wire.MalformedPacketException;
import io.grapevine.wire.MessageEncoder;
import io.grapevine.wire.MessageRange;
import io.grapevine.wire.MessageType;
import io.grapevine.wire.PacketReader;
import io.grapevine.wire.PacketWriter;
import io.grapevine.wire.WireFormat;
import java.nio.BufferOverflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.random.RandomGenerator;

/**
 * SWIM membership with Lifeguard, as a sans-I/O state machine: the single owner of one node's member
 * list.
 *
 * <p><b>Probing.</b> Every probe interval (stretched by local health) the node pings the next member
 * of a shuffled round-robin order. No ack within the probe timeout: {@code k} other members are asked
 * to ping it indirectly (and nack if they cannot reach it), and it is also pinged over TCP. No ack by
 * the end of the interval: the member becomes suspect.
 *
 * <p><b>Suspicion.</b> A suspect has until a {@link Suspicion} deadline to refute by raising its
 * incarnation; independent confirmations from other members shorten the deadline. The suspect hears
 * of it at once because pings to suspects carry the suspicion (Lifeguard's buddy system).
 *
 * <p><b>Dissemination.</b> Every change is queued in a {@link BroadcastQueue}, piggybacked on pings
 * and acks and gossiped to a few random members every gossip interval, each update at most {@code
 * retransmitMult * ceil(log10(N+1))} times. A periodic TCP push-pull of the full state repairs what
 * gossip missed, and is how a node joins. When the queue holds more news than gossip can carry soon
 * (a join storm of thousands), the node also pushes-pulls early ({@code backlogSyncAfter}). Every
 * few seconds a digest sync compares the tables of two members by a {@link MemberDigest} and
 * exchanges only the members of the buckets that differ: what gossip missed, at the cost of the
 * difference.
 *
 * <p><b>On the stack.</b> Membership is one {@link Protocol} of a node's {@link
 * io.grapevine.stack.ProtocolStack} and serves the others: it is their {@link PeerSampler} (live
 * members as gossip partners), it carries their small messages on its datagrams ({@link
 * Piggyback}), and its member changes reach them as peer events.
 *
 * <p><b>Precedence.</b> All claims are ordered by {@link Precedence}. Reaped and force-removed
 * members leave a tombstone with their last incarnation so stale gossip cannot bring them back; a
 * restarted member announces a higher incarnation and is accepted.
 */
public final class Membership implements Protocol<Message>, PeerSampler, Piggyback {
  /** The protocol's name on a stack. */
  public static final String PROTOCOL_NAME = "membership";

  private static final int RELAY_CAPACITY = 1024;
  private static final long REAP_CHECK_MILLIS = 1000;
  /**
   * Silent probes in a row that put a node in trouble. Several, because a probe across a partition
   * whose relays all happen to be on the far side is silent too; a node that cannot send or cannot
   * receive gets nothing back from any probe.
   */
  private static final int SILENT_PROBES_IN_TROUBLE = 3;

  /**
   * What this node knows of a member that other nodes may know identically: its address, state,
   * incarnation and metadata. Immutable, compared by content, and replaced whole on change, so that
   * the nodes of a simulation share one instance per member state through the {@link Interner}
   * instead of N copies of it (full view is N² records).
   */
  private static final class View {
    final String name;
    final Endpoint endpoint;
    final MemberState state;
    final long incarnation;
    final byte[] metadata;
    /** {@link #digest} of {@link #metadata}. */
    final long metaDigest;
    /**
     * The incarnation at which {@link #metadata} is known to be the member's: what a push-pull may
     * claim for it. Long.MIN_VALUE: none (learned by reference, never fetched).
     */
    final long metaIncarnation;
    final int protocolMin;
    final int protocolMax;
    private final int hash;
    /** This view as an encoded {@link Alive}, once queued; derived, not part of equality. */
    byte[] alive;
    /** The UTF-8 length of {@link #name}, once asked; derived. */
    private int nameBytes;
    /** This view's {@link MemberDigest#value}, once asked; derived. */
    private long digestValue;
    private boolean digested;

    long digestValue() {
      if (!digested) {
        digestValue = MemberDigest.value(MemberDigest.nameHash(name), incarnation, state);
        digested = true;
      }
      return digestValue;
    }

    int nameUtf8Bytes() {
      if (nameBytes == 0) {
        nameBytes = name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
      }
      return nameBytes;
    }

    View(String name, Endpoint endpoint, MemberState state, long incarnation, byte[] metadata, long metaDigest,
        long metaIncarnation, int protocolMin, int protocolMax) {
      this.name = name;
      this.endpoint = endpoint;
      this.state = state;
      this.incarnation = incarnation;
      this.metadata = metadata;
      this.metaDigest = metaDigest;
      this.metaIncarnation = metaIncarnation;
      this.protocolMin = protocolMin;
      this.protocolMax = protocolMax;
      int h = name.hashCode();
      h = h * 31 + endpoint.hashCode();
      h = h * 31 + state.ordinal();
      h = h * 31 + Long.hashCode(incarnation);
      h = h * 31 + Long.hashCode(metaDigest);
      h = h * 31 + Long.hashCode(metaIncarnation);
      h = h * 31 + protocolMin * 17 + protocolMax;
      // Mixed: consecutive names and addresses (n1, n2, ...) otherwise differ only in high bits.
      h *= 0x9E3779B9;
      this.hash = h ^ (h >>> 16);
    }

    View withState(MemberState s) {
      return new View(name, endpoint, s, incarnation, metadata, metaDigest, metaIncarnation, protocolMin, protocolMax);
    }

    View withIncarnation(long inc) {
      return new View(name, endpoint, state, inc, metadata, metaDigest, metaIncarnation, protocolMin, protocolMax);
    }

    View withAddress(long inc, Endpoint ep, int pmin, int pmax) {
      return new View(name, ep, state, inc, metadata, metaDigest, metaIncarnation, pmin, pmax);
    }

    View withMetadata(byte[] meta, long digest, long metaInc) {
      return new View(name, endpoint, state, incarnation, meta, digest, metaInc, protocolMin, protocolMax);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof View w && w.hash == hash && w.name.equals(name)
          && (w.endpoint == endpoint || w.endpoint.equals(endpoint))
          && w.state == state && w.incarnation == incarnation && w.metaDigest == metaDigest
          && w.metaIncarnation == metaIncarnation && w.protocolMin == protocolMin
          && w.protocolMax == protocolMax && java.util.Arrays.equals(w.metadata, metadata);
    }

    @Override
    public int hashCode() {
      return hash;
    }
  }

  /**
   * The rarely used part of a record: flap penalty, hold and metadata fetch. Allocated on first
   * write; most members never need one.
   */
  private static final class Cold {
    static final Cold NONE = new Cold();
    /** Flap penalty: one per refuted suspicion, halving every flapHalfLife (as of flapAtMillis). */
    double flapPenalty;
    long flapAtMillis;
    long releaseAtMillis;
    long wantDigest;
    int wantLength;
    /** When the metadata fetch in flight is given up; 0: none in flight (one per member at most). */
    long fetchDeadlineMillis;
  }

  /**
   * One member as this node tracks it. Mutable; owned by this class alone. Small on purpose (one per
   * member per node, 10^8 of them in a simulation of 10,000 nodes): 24 bytes, the shareable part a
   * {@link View}, the time of the last state change and four flags packed in one long, and the rare
   * part a {@link Cold} kept beside the table ({@link #peek}, {@link #cold}).
   */
  private static final class Record {
    /** Refuted but still shown suspect, until the penalty decays (see docs/flaky-members.md). */
    static final long HELD = 1L << 60;
    /**
     * It reads deflated push-pulls: it said so in its last push-pull to this node, or, until it has
     * sent one, another member vouched for it (see {@link #INFLATES}).
     */
    static final long INFLATES_BIT = 1L << 61;
    /** {@link #INFLATES_BIT} comes from the member's own push-pull: what others vouch no longer counts. */
    static final long INFLATES_HEARD = 1L << 62;
    /** The current incarnation's metadata, announced by reference, is not held yet (see {@link Cold}). */
    static final long META_STALE = 1L << 63;
    private static final long FLAGS = HELD | INFLATES_BIT | INFLATES_HEARD | META_STALE;

    View v;
    /** The flags above, and in the low 60 bits (signed) when this node last saw the state change. */
    private long packed;

    Record(View v, long now) {
      this.v = v;
      stateSince(now);
    }

    boolean is(long flag) {
      return (packed & flag) != 0;
    }

    void set(long flag, boolean on) {
      packed = on ? packed | flag : packed & ~flag;
    }

    long stateSince() {
      return (packed << 4) >> 4;
    }

    void stateSince(long millis) {
      packed = (packed & FLAGS) | (millis & ~FLAGS);
    }

    /** What applications see: a held member shows as suspect although its refutation was accepted. */
    MemberState shownState() {
      return is(HELD) && v.state == MemberState.ALIVE ? MemberState.SUSPECT : v.state;
    }

    Member snapshot() {
      return new Member(v.name, v.endpoint, shownState(), v.incarnation, v.metadata, v.protocolMin, v.protocolMax,
          stateSince());
    }
  }

  /** The cold parts of the records that have one; most never need one. */
  private final java.util.IdentityHashMap<Record, Cold> colds = new java.util.IdentityHashMap<>();

  /** The cold part of {@code r} for reading: all zero if never written. */
  private Cold peek(Record r) {
    Cold c = colds.isEmpty() ? null : colds.get(r);
    return c == null ? Cold.NONE : c;
  }

  /** The cold part of {@code r} for writing. */
  private Cold cold(Record r) {
    return colds.computeIfAbsent(r, k -> new Cold());
  }

  /** A new record, its view shared through the interner. */
  private Record newRecord(String name, Endpoint endpoint, long incarnation, byte[] metadata, int pmin, int pmax,
      long now) {
    return new Record(interner.value(new View(name, endpoint, MemberState.ALIVE, incarnation, metadata,
        digest(metadata), incarnation, pmin, pmax)), now);
  }

  /** Replaces a record's view (views are shared: never changed in place). */
  private void setView(Record r, View v) {
    View old = r.v;
    r.v = interner.value(v);
    if (old.incarnation != r.v.incarnation || old.state.isGone() != r.v.state.isGone()) {
      tableDigest.remove(old.name, old.digestValue());
      tableDigest.add(r.v.name, r.v.digestValue());
    }
  }

  /** Adds {@code r} to the member table (and its digest). */
  private void put(Record r) {
    members.put(r);
    tableDigest.add(r.v.name, r.v.digestValue());
  }

  /** Broadcast-queue key of another protocol's piggybacked message, never equal to a member name. */
  private record ExtensionKey(String key) {}

  /**
   * An indirect probe this node relays. The nack goes out at {@code nackAtMillis}, early enough to
   * reach the requester before its probe closes; a late ack is still forwarded until {@code
   * deadlineMillis}.
   */
  private record Relay(Endpoint requester, int requesterSeq, long nackAtMillis, long deadlineMillis,
      boolean wantNack) {}

  private record Tombstone(long incarnation, long sinceMillis) {}

  private final String clusterName;
  private final int clusterNameBytes;
  /** The last push-pull encoding, for {@link MembershipConfig#pushPullReuse}; null when off. */
  private PushPullEncoding lastEncoding;
  private final MembershipConfig config;
  private final RandomGenerator random;
  private final Record self;
  private final KeyedTable<Record> members = new KeyedTable<>(r -> r.v.name);
  /** A summary of {@link #members} for digest syncs; kept in step by {@link #put}, {@link #setView} and {@link #remove}. */
  private final MemberDigest tableDigest = new MemberDigest();
  /** Every member but self, shuffled; probe order and the pool for random picks. */
  private final ArrayList<Record> others = new ArrayList<>();
  /** The members of {@link #others} that are dead or left, for reaping; small in a healthy cluster. */
  private final ArrayList<Record> goneMembers = new ArrayList<>();
  private final Map<String, Suspicion> suspicions = new HashMap<>();
  private final LinkedHashMap<String, Tombstone> tombstones = new LinkedHashMap<>();
  private final LinkedHashMap<Integer, Relay> relays = new LinkedHashMap<>();
  /** Members refuted but still shown suspect (few: the flaky ones). */
  private final ArrayList<Record> heldMembers = new ArrayList<>();
  private final BroadcastQueue broadcasts;
  private final Awareness awareness;
  private PacketWriter datagram;
  private MessageEncoder encoder;
  private final MembershipCounters stats = new MembershipCounters();
  /** The push-pull header of the packet being applied, and the entries it announced so far. */
  private PushPull pendingPushPull;
  private final List<MemberStateEntry> pendingEntries = new ArrayList<>();
  /** Other protocols' states that came with it. */
  private final List<ProtocolState> pendingStates = new ArrayList<>();
  private ProtocolContext context;
  private final List<Record> picks = new ArrayList<>();
  /** Members whose current metadata is announced but not held (see {@link Record#metaStale}). */
  private final ArrayList<Record> staleMetadata = new ArrayList<>();
  /** Members whose metadata is being fetched; at most metadataFetchesInFlight. */
  private final ArrayList<Record> fetching = new ArrayList<>();

  private Interner interner = Interner.NONE;
  private int liveCount = 1;
  private int probeIndex;
  private int nextSeq = 1;
  private boolean started;
  private boolean leaving;
  /** True while a push-pull state is being merged: its updates are queued without evicting others. */
  private boolean merging;
  private long version;
  private long lastNow;
  /**
   * The last time this node was in trouble: {@link #SILENT_PROBES_IN_TROUBLE} probes in a row that
   * nobody answered (neither the target nor any relay, not even a nack), or itself declared dead by
   * others. A suspicion it raised before then is withdrawn at its deadline instead of becoming a
   * death (see {@link #expireSuspicions}).
   */
  private long troubledAtMillis = Long.MIN_VALUE;
  /** Consecutive probes that got no ack and no nack at all although relays were asked. */
  private int silentProbes;

  private long nextProbeMillis = Long.MAX_VALUE;
  /** A member to probe at the next round, out of turn, after a hint (see {@link #probeSoon}); or null. */
  private Record hinted;
  /** When the last probe out of turn started: at most one per probe interval. */
  private long lastHintedProbeMillis = Long.MIN_VALUE / 2;
  private long nextGossipMillis = Long.MAX_VALUE;
  private long nextPushPullMillis = Long.MAX_VALUE;
  /** Periodic push-pulls started, the round number of their jitter. */
  private long pushPullRounds;
  private long nextDigestSyncMillis = Long.MAX_VALUE;
  private long digestSyncRounds;
  private long nextReapMillis = Long.MAX_VALUE;
  /** Earliest time of the next backlog sync, and the wait after it (doubles while backlogged). */
  private long nextBacklogSyncMillis = Long.MAX_VALUE;
  private long backlogSyncWaitMillis;
  /** Backlogged at the last sync: one more sync is due once the backlog clears. */
  private boolean wasBacklogged;
  /** When this node last merged a full state (any push-pull, either side of it); a backlog sync waits from it. */
  private long lastStateMergedMillis = Long.MIN_VALUE / 2;
  /** Updates the last gossip round carried: the queue's drain rate. */
  private int lastGossipUpdates;
  /** An update was queued while gossip rounds were idle (skipped); the next tick finds their phase. */
  private boolean gossipResumed;

  // The probe in flight, if any.
  private Record probeTarget;
  /**
   * The target's incarnation when the probe began. A failed probe accuses that incarnation only: if
   * news of a newer one (a restart, a refutation) arrived meanwhile, the silence proves nothing
   * about it.
   */
  private long probeIncarnation;
  private int probeSeq;
  private boolean probeAcked;
  /** When the current probe's ping went out: its RTT, for {@link ProbeListener}s. */
  private long probeSentMillis;
  /** Protocols of the stack that ride on probes (network coordinates); found at start. */
  private ProbeListener[] probeListeners = new ProbeListener[0];
  private boolean probeAckedDirectly;
  private boolean indirectSent;
  private long probeTimeoutMillis = Long.MAX_VALUE;
  private int expectedNacks;
  private int nacks;
  /** Whether failure paths emit {@link FailureDetectorTrace}s; off unless a runtime asks. */
  private volatile boolean trace;
  /** Hears probe round trips and suspicion verdicts (a runtime's histograms); none by default. */
  private volatile MembershipObserver observer = MembershipObserver.NONE;
  /** The relays of the probe in flight, kept only while tracing. */
  private List<String> traceRelays = List.of();
  private MemberState probeState;
  private long probeTimeoutScaled;
  private boolean probeTcpFallback;

  /**
   * @param clusterName written into and required on every packet
   * @param name this node's unique name (1..255 UTF-8 bytes)
   * @param advertise the address other members use to reach this node
   * @param incarnation starting incarnation; use a value that grows across restarts (the runtime uses
   *     wall-clock milliseconds) so a restarted node outranks what others remember of it
   * @param metadata initial metadata
   * @param random the only source of randomness; seed it for reproducible runs
   */
  public Membership(
      String clusterName,
      String name,
      Endpoint advertise,
      long incarnation,
      byte[] metadata,
      MembershipConfig config,
      RandomGenerator random) {
    int nameBytes = name.getBytes(StandardCharsets.UTF_8).length;
    if (nameBytes == 0 || nameBytes > 255) {
      throw new IllegalArgumentException("node name must be 1..255 UTF-8 bytes, got " + nameBytes);
    }
    if (metadata.length > config.metadataMaxBytes) {
      throw new IllegalArgumentException(
          "metadata is " + metadata.length + " bytes, above metadataMaxBytes " + config.metadataMaxBytes);
    }
    this.clusterName = clusterName;
    this.clusterNameBytes = clusterName.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
    this.config = config;
    this.broadcasts = new BroadcastQueue(config.maxQueuedBroadcasts);
    this.random = random;
    this.awareness = new Awareness(config.awarenessMaxMultiplier);
    this.datagram = new PacketWriter(config.udpPayloadBytes, clusterName);
    this.encoder = new MessageEncoder(config.udpPayloadBytes);
    this.self = newRecord(name, advertise, incarnation, metadata.clone(), WireFormat.MIN_VERSION,
        WireFormat.MAX_VERSION, 0);
    put(self);
  }

  // ------------------------------------------------------------------ commands

  /** Starts the timers and announces this node. Call once, before anything else. */
  public void start(long nowMillis, Outbox out) {
    lastNow = nowMillis;
    if (started) {
      throw new IllegalStateException("already started");
    }
    started = true;
    java.util.List<ProbeListener> listeners = new java.util.ArrayList<>();
    for (Protocol<?> p : context.protocols()) {
      if (p instanceof ProbeListener l && p != this) {
        listeners.add(l);
      }
    }
    probeListeners = listeners.toArray(new ProbeListener[0]);
    self.stateSince(nowMillis);
    long probe = config.probeInterval.toMillis();
    // Random phase so nodes started together do not probe in lockstep.
    nextProbeMillis = nowMillis + random.nextLong(probe) + 1;
    nextGossipMillis = nowMillis + config.gossipInterval.toMillis();
    // Random phase too: nodes started together must not all sync state at the same moment.
    nextPushPullMillis = nowMillis + 1 + random.nextLong(config.pushPullIntervalMillis(liveCount));
    nextDigestSyncMillis = nextDigestSync(nowMillis);
    nextReapMillis = nowMillis + REAP_CHECK_MILLIS;
    backlogSyncWaitMillis = config.backlogSyncAfter.toMillis();
    // Not before one period has passed: joining already syncs twice.
    nextBacklogSyncMillis = backlogSyncWaitMillis == 0 ? Long.MAX_VALUE : nowMillis + backlogSyncWaitMillis;
    queueAlive(self);
    emit(out, new MemberEvent(MemberEvent.Type.JOINED, self.snapshot()));
  }

  /** Sends a join request (a push-pull with the join flag) to each seed; answers arrive as {@link JoinResult}. */
  public void join(long nowMillis, Collection<Endpoint> seeds, Outbox out) {
    lastNow = nowMillis;
    for (Endpoint seed : seeds) {
      if (!seed.equals(self.v.endpoint)) {
        sendPushPull(seed, true, false, false, out);
      }
    }
  }

  /**
   * Announces a graceful departure: this node marks itself left, stops probing and sends the news
   * directly to a few members as well as through gossip. The driver keeps stepping the node for
   * {@link MembershipConfig#leavePropagateTime} and then closes it.
   */
  public void leave(long nowMillis, Outbox out) {
    lastNow = nowMillis;
    if (leaving) {
      return;
    }
    leaving = true;
    Dead left = new Dead(self.v.incarnation, self.v.name, self.v.name);
    setState(self, MemberState.LEFT, nowMillis);
    queue(self.v.name, left);
    nextProbeMillis = Long.MAX_VALUE;
    nextPushPullMillis = Long.MAX_VALUE;
    nextBacklogSyncMillis = Long.MAX_VALUE;
    nextDigestSyncMillis = Long.MAX_VALUE;
    clearProbe();
    pickRandom(config.gossipNodes * 2, r -> !r.v.state.isGone());
    for (Record r : new ArrayList<>(picks)) {
      datagram.begin();
      write(datagram, left);
      send(r.v.endpoint, out);
    }
    emit(out, new MemberEvent(MemberEvent.Type.LEFT, self.snapshot()));
  }

  /**
   * Removes a failed member for good, as an operator decision, and tells the cluster. A member that
   * is in fact alive will hear of it and refute, so this cannot silence a live node.
   *
   * @return false if no such member is known, or it is this node, or it is alive
   */
  public boolean forceLeave(long nowMillis, String name, Outbox out) {
    lastNow = nowMillis;
    Record r = members.get(name);
    if (r == null || r == self || r.v.state == MemberState.ALIVE) {
      return false;
    }
    queue(r.v.name, new Dead(r.v.incarnation, r.v.name, r.v.name));
    if (r.v.state != MemberState.LEFT) {
      setState(r, MemberState.LEFT, nowMillis);
      emit(out, new MemberEvent(MemberEvent.Type.LEFT, r.snapshot()));
    }
    remove(r, nowMillis, out);
    return true;
  }

  /**
   * Probes a member out of its turn, because the driver holds a hint that it may have failed: a
   * connection to it was closed by its host, which a crashed process's kernel does at once, while
   * the probe schedule may reach it only a few intervals later. A hint is not evidence: the member is
   * suspected only if this probe fails as any other would. The probe starts now unless one is
   * waiting for its answer (the member is then the next round's target) or a probe out of turn
   * started less than a probe interval ago (then too: hints cannot raise the probe rate).
   *
   * @return false if the member is unknown, this node, already gone, or being probed
   */
  public boolean probeSoon(long nowMillis, String name, Outbox out) {
    lastNow = nowMillis;
    Record r = members.get(name);
    if (!started || leaving || r == null || r == self || r.v.state.isGone() || r == probeTarget) {
      return false;
    }
    boolean inFlight = probeTarget != null && !probeAcked;
    if (inFlight || nowMillis - lastHintedProbeMillis < config.probeInterval.toMillis()) {
      hinted = r;
      return true;
    }
    lastHintedProbeMillis = nowMillis;
    finishProbe(nowMillis, out);
    hinted = r;
    startProbe(nowMillis, out);
    nextProbeMillis = nowMillis + scaled(config.probeInterval.toMillis());
    return true;
  }

  /** Replaces this node's metadata; the update spreads with a new incarnation. */
  public void updateMetadata(long nowMillis, byte[] metadata, Outbox out) {
    lastNow = nowMillis;
    if (metadata.length > config.metadataMaxBytes) {
      throw new IllegalArgumentException(
          "metadata is " + metadata.length + " bytes, above metadataMaxBytes " + config.metadataMaxBytes);
    }
    byte[] copy = metadata.clone();
    long incarnation = self.v.incarnation + 1;
    setView(self, self.v.withIncarnation(incarnation).withMetadata(copy, digest(copy), incarnation));
    version++;
    queueAlive(self);
    emit(out, new MemberEvent(MemberEvent.Type.UPDATED, self.snapshot()));
  }

  @Override
  public String protocolName() {
    return PROTOCOL_NAME;
  }

  @Override
  public MessageRange messageTypes() {
    return MessageRange.MEMBERSHIP;
  }

  @Override
  public void attach(ProtocolContext context) {
    if (this.context != null) {
      throw new IllegalStateException("membership of " + self.v.name + " is already on a stack");
    }
    this.context = context;
    stats.stack = context.stats();
    if (context.datagramBytes() < config.udpPayloadBytes) {
      // The stack keeps room for something of its own (a seal): fill only what is left.
      datagram = new PacketWriter(context.datagramBytes(), clusterName);
      encoder = new MessageEncoder(context.datagramBytes());
    }
  }

  /** Live members as gossip partners: this protocol is its stack's {@link PeerSampler}. */
  public PeerSampler peers() {
    return this;
  }

  @Override
  public void sample(int k, List<Endpoint> out) {
    pickRandom(k, r -> !r.v.state.isGone());
    for (Record r : picks) {
      out.add(r.v.endpoint);
    }
  }

  @Override
  public int size() {
    return liveCount - 1;
  }

  @Override
  public boolean piggyback(String key, byte[] encodedMessage) {
    resumeGossip();
    broadcasts.add(new ExtensionKey(key), interner.message(encodedMessage));
    return true;
  }

  /**
   * Shares name strings and endpoints among nodes that run in one process (the simulator holds
   * millions of member records); the socket runtime has no need for it.
   */
  public void setInterner(Interner interner) {
    this.interner = interner;
  }

  // ------------------------------------------------------------------ queries

  /** Every member this node knows, itself included, as snapshots. */
  public List<Member> members() {
    List<Member> list = new ArrayList<>(members.size());
    for (Record r : members) {
      list.add(r.snapshot());
    }
    return list;
  }

  /**
   * The members this node holds dead (not those that left), as snapshots: a driver's reconnect
   * picks from them. Walks only the gone members, not the whole view.
   */
  public List<Member> deadMembers() {
    List<Member> list = new ArrayList<>();
    for (int i = 0; i < goneMembers.size(); i++) {
      Record r = goneMembers.get(i);
      if (r.v.state == MemberState.DEAD) {
        list.add(r.snapshot());
      }
    }
    return list;
  }

  /** One member, or null. */
  public Member member(String name) {
    Record r = members.get(name);
    return r == null ? null : r.snapshot();
  }

  public Member localMember() {
    return self.snapshot();
  }

  public String name() {
    return self.v.name;
  }

  public Endpoint endpoint() {
    return self.v.endpoint;
  }

  public String clusterName() {
    return clusterName;
  }

  public MembershipConfig config() {
    return config;
  }

  /** Members alive or suspect, this node included: the N of all formulas. */
  public int liveCount() {
    return liveCount;
  }

  /** Increases on every change visible in {@link #members()}; lets drivers skip needless snapshots. */
  public long version() {
    return version;
  }

  /** Lifeguard local-health score: 0 is healthy. */
  public int healthScore() {
    return awareness.score();
  }

  /** This node's counters now: an immutable snapshot. */
  public MembershipStats stats() {
    return stats.snapshot();
  }

  public boolean isLeaving() {
    return leaving;
  }

  /** Updates waiting for (re)transmission. */
  public int pendingBroadcasts() {
    return broadcasts.size();
  }

  /** Whether an update about {@code name} is still queued for gossip. */
  public boolean hasPendingBroadcast(String name) {
    return broadcasts.contains(name);
  }

  /** The current retransmit limit for each update. */
  public int retransmitLimit() {
    if (limitForLive != liveCount) {
      limitForLive = liveCount;
      limit = config.retransmitLimit(liveCount);
    }
    return limit;
  }

  /** {@link #retransmitLimit} and the live count it is for (asked per gossiped entry: not recomputed). */
  private int limit;
  private int limitForLive = -1;

  // ------------------------------------------------------------------ driver contract

  @Override
  public long nextDeadlineMillis() {
    // An idle gossip round does nothing, so it needs no wake-up (five a second at the LAN profile's
    // 200 ms): the rounds resume on their old phase when something is queued.
    long gossip = gossipIdle() ? Long.MAX_VALUE : nextGossipMillis;
    long next = Math.min(Math.min(nextProbeMillis, gossip), Math.min(nextPushPullMillis, nextReapMillis));
    next = Math.min(next, nextDigestSyncMillis);
    if (probeTarget != null && !indirectSent && !probeAcked) {
      next = Math.min(next, probeTimeoutMillis);
    }
    // Few relays are open at a time (one per indirect probe asked of this node in the last timeout).
    for (Relay r : relays.values()) {
      next = Math.min(next, r.wantNack ? r.nackAtMillis : r.deadlineMillis);
    }
    for (int i = 0; i < heldMembers.size(); i++) {
      Record r = heldMembers.get(i);
      if (r.v.state == MemberState.ALIVE) {
        next = Math.min(next, peek(r).releaseAtMillis);
      }
    }
    for (Suspicion s : suspicions.values()) {
      next = Math.min(next, s.deadlineMillis());
    }
    for (int i = 0; i < fetching.size(); i++) {
      next = Math.min(next, peek(fetching.get(i)).fetchDeadlineMillis);
    }
    return next;
  }

  @Override
  public void onTick(long nowMillis, Outbox out) {
    lastNow = nowMillis;
    if (lastEncoding != null && !reusable(lastEncoding)) {
      // Its state (the size of the member list) is not kept past its use.
      lastEncoding = null;
    }
    if (!started) {
      return;
    }
    if (probeTarget != null && !indirectSent && !probeAcked && nowMillis >= probeTimeoutMillis) {
      probeIndirectly(nowMillis, out);
    }
    if (nowMillis >= nextProbeMillis) {
      finishProbe(nowMillis, out);
      startProbe(nowMillis, out);
      nextProbeMillis = nowMillis + scaled(config.probeInterval.toMillis());
    }
    expireRelays(nowMillis, out);
    expireSuspicions(nowMillis, out);
    releaseHeld(nowMillis, out);
    if (gossipIdle()) {
      nextGossipMillis = gossipPhaseAtOrAfter(nowMillis + 1);
      gossipResumed = false;
    } else if (gossipResumed) {
      // The first tick since an update was queued in idle rounds: the next round is where the
      // skipped rounds would have put it.
      gossipResumed = false;
      nextGossipMillis = gossipPhaseAtOrAfter(nowMillis);
    }
    if (!gossipIdle() && nowMillis >= nextGossipMillis) {
      gossip(nowMillis, out);
      nextGossipMillis = nowMillis + config.gossipInterval.toMillis();
      if (nowMillis >= nextBacklogSyncMillis) {
        syncIfBacklogged(nowMillis, out);
      }
    }
    if (nowMillis >= nextPushPullMillis) {
      pushPullWithRandomMember(out);
      nextPushPullMillis = nextPeriodicPushPull(nowMillis);
    }
    if (nowMillis >= nextDigestSyncMillis) {
      digestSyncWithRandomMember(out);
      nextDigestSyncMillis = nextDigestSync(nowMillis);
    }
    if (nowMillis >= nextReapMillis) {
      reap(nowMillis, out);
      nextReapMillis = nowMillis + REAP_CHECK_MILLIS;
    }
    expireFetches(nowMillis);
    startFetches(nowMillis, out);
  }

  @Override
  public Message decode(PacketReader reader) throws MalformedPacketException {
    if ((reader.type() & 0xff) == MessageType.PUSH_PULL_DEFLATED.code()) {
      Deflated d = Deflated.read(reader, clusterName, Math.min(config.pushPullMaxBytes, config.streamMessageMaxBytes),
          config.metadataMaxBytes);
      if (reader.remaining() != 0) {
        throw new MalformedPacketException(DropReason.BAD_FIELD, "trailing bytes in " + MessageType.PUSH_PULL_DEFLATED);
      }
      return d;
    }
    Message m = MembershipMessages.read(reader, config.metadataMaxBytes);
    if (m == null) {
      throw new MalformedPacketException(DropReason.UNKNOWN_TYPE, "membership has no type " + (reader.type() & 0xff));
    }
    return m;
  }

  /** Push-pull comes alone on a stream, with exactly the member entries it announces. */
  @Override
  public void checkPacket(List<Message> mine, int messagesInPacket, Delivery delivery)
      throws MalformedPacketException {
    if (!started) {
      throw new MalformedPacketException(DropReason.UNEXPECTED, "membership not started");
    }
    if (mine.get(0) instanceof PushPull h && h.deflated()) {
      // Checked as the plain push-pull it stands for: the header, then the inflated messages.
      if (mine.size() != 2 || messagesInPacket != 2 || !(mine.get(1) instanceof Deflated d)) {
        throw new MalformedPacketException(DropReason.UNEXPECTED, "deflated push-pull without its one deflated body");
      }
      List<Message> plain = new ArrayList<>(1 + d.inner().size());
      plain.add(h);
      plain.addAll(d.inner());
      mine = plain;
      messagesInPacket = plain.size();
    } else {
      for (Message m : mine) {
        if (m instanceof Deflated) {
          throw new MalformedPacketException(DropReason.UNEXPECTED, "deflated body outside a deflated push-pull");
        }
      }
    }
    for (Message m : mine) {
      if (m instanceof Metadata && delivery != Delivery.STREAM) {
        throw new MalformedPacketException(DropReason.UNEXPECTED, "metadata in a datagram");
      }
    }
    boolean pushPull = mine.get(0) instanceof PushPull;
    if (pushPull && delivery != Delivery.STREAM) {
      throw new MalformedPacketException(DropReason.UNEXPECTED, "push-pull in a datagram");
    }
    if (pushPull && mine.size() != messagesInPacket) {
      throw new MalformedPacketException(DropReason.UNEXPECTED, "mixed push-pull");
    }
    int entries = 0;
    for (int i = 0; i < mine.size(); i++) {
      Message m = mine.get(i);
      if (m instanceof MemberStateEntry) {
        entries++;
        if (!pushPull) {
          throw new MalformedPacketException(DropReason.UNEXPECTED, "member entry outside push-pull");
        }
      } else if (m instanceof ProtocolState) {
        if (!pushPull) {
          throw new MalformedPacketException(DropReason.UNEXPECTED, "protocol state outside push-pull");
        }
      } else if (i > 0 && (pushPull || m instanceof PushPull)) {
        throw new MalformedPacketException(DropReason.UNEXPECTED, "mixed push-pull");
      }
    }
    if (pushPull && entries != ((PushPull) mine.get(0)).count()) {
      throw new MalformedPacketException(DropReason.BAD_FIELD, "push-pull count mismatch");
    }
    if (pushPull) {
      checkPushPullLimits(mine, entries);
    }
    if (pushPull && ((PushPull) mine.get(0)).partial()) {
      checkSyncBuckets(syncBuckets(mine));
    }
  }

  /** A partial push-pull names its buckets: a valid count and a bitmap of exactly that many bits. */
  private static void checkSyncBuckets(byte[] marker) throws MalformedPacketException {
    if (marker == null || marker.length < 4) {
      throw new MalformedPacketException(DropReason.BAD_FIELD, "partial push-pull without its buckets");
    }
    int buckets = ByteBuffer.wrap(marker).getInt();
    if (!MemberDigest.validBuckets(buckets) || marker.length != 4 + (buckets + 7) / 8) {
      throw new MalformedPacketException(DropReason.BAD_FIELD, "partial push-pull buckets " + buckets + " in "
          + marker.length + " bytes");
    }
  }

  /** A peer's full state is accepted only within this node's caps, so one exchange cannot flood it. */
  private void checkPushPullLimits(List<Message> mine, int entries) throws MalformedPacketException {
    if (entries > config.pushPullMaxMembers) {
      throw new MalformedPacketException(DropReason.PUSH_PULL_TOO_MANY_MEMBERS,
          "push-pull of " + entries + " members, above pushPullMaxMembers " + config.pushPullMaxMembers);
    }
    long bytes = 0;
    for (int i = 1; i < mine.size(); i++) {
      bytes += stateBytes(mine.get(i));
    }
    if (bytes > config.pushPullMaxBytes) {
      throw new MalformedPacketException(DropReason.PUSH_PULL_TOO_LARGE,
          "push-pull state of " + bytes + " bytes, above pushPullMaxBytes " + config.pushPullMaxBytes);
    }
  }

  /** What a push-pull's entry or protocol state counts against pushPullMaxBytes: its framed size. */
  static long stateBytes(Message m) {
    if (m instanceof MemberStateEntry e) {
      // Sized from its fields: a push-pull of thousands of entries is checked without a sizing
      // writer per entry.
      return MemberStateEntry.size(WireSize.utf8Length(e.name()), e.endpoint(), e.metadata().length);
    }
    return WireSize.message(m::writeBody);
  }

  @Override
  public void onMessage(long nowMillis, Endpoint from, Message message, Delivery delivery, Outbox out) {
    lastNow = nowMillis;
    if (message instanceof PushPull header) {
      // Applied whole at the end of the packet, with the entries that follow it.
      pendingPushPull = header;
      pendingEntries.clear();
      pendingStates.clear();
    } else if (message instanceof MemberStateEntry entry) {
      pendingEntries.add(entry);
    } else if (message instanceof ProtocolState state) {
      pendingStates.add(state);
    } else if (message instanceof Deflated d) {
      for (Message m : d.inner()) {
        if (m instanceof MemberStateEntry entry) {
          pendingEntries.add(entry);
        } else if (m instanceof ProtocolState state) {
          pendingStates.add(state);
        }
      }
    } else {
      handle(nowMillis, message, delivery, out);
      startFetches(nowMillis, out);
    }
  }

  @Override
  public void onPacketEnd(long nowMillis, Endpoint from, Delivery delivery, Outbox out) {
    lastNow = nowMillis;
    PushPull header = pendingPushPull;
    if (header == null) {
      return;
    }
    try {
      handlePushPull(nowMillis, header, out);
    } finally {
      pendingPushPull = null;
      pendingEntries.clear();
      pendingStates.clear();
    }
    startFetches(nowMillis, out);
  }

  private void handle(long now, Message m, Delivery delivery, Outbox out) {
    if (m instanceof Ping p) {
      handlePing(p, delivery, out);
    } else if (m instanceof IndirectPing ip) {
      handleIndirectPing(now, ip, out);
    } else if (m instanceof Ack a) {
      handleAck(now, a, out);
    } else if (m instanceof Nack n) {
      if (probeTarget != null && n.seq() == probeSeq) {
        nacks++;
        stats.nacksReceived++;
      }
    } else if (m instanceof Alive a) {
      applyAlive(now, a.name(), a.endpoint(), a.incarnation(), a.metadata(), a.protocolMin(), a.protocolMax(), out);
    } else if (m instanceof AliveRef a) {
      applyAlive(now, a.name(), a.endpoint(), a.incarnation(), null, a.metaDigest(), a.metaLength(),
          a.protocolMin(), a.protocolMax(), out);
    } else if (m instanceof MetadataRequest req) {
      serveMetadata(req, out);
    } else if (m instanceof Metadata md) {
      Record r = members.get(md.name());
      boolean asked = r != null && peek(r).fetchDeadlineMillis != 0;
      applyAlive(now, md.name(), md.endpoint(), md.incarnation(), md.metadata(), md.protocolMin(),
          md.protocolMax(), out);
      // Applying it ended the fetch if it was the metadata wanted; an answer that is not keeps the
      // slot until the timeout, so a member answering wrong is not asked again in a tight loop.
      if (asked && peek(r).fetchDeadlineMillis == 0) {
        stats.metadataFetched++;
      }
    } else if (m instanceof Suspect s) {
      applySuspect(now, s.name(), s.incarnation(), s.from(), out);
    } else if (m instanceof Dead d) {
      applyDead(now, d.name(), d.incarnation(), d.from(), out);
    } else if (m instanceof SyncDigest d) {
      handleSyncDigest(now, d, out);
    } else {
      context.dropped(DropReason.UNEXPECTED);
    }
  }

  // ------------------------------------------------------------------ probing

  private void handlePing(Ping p, Delivery delivery, Outbox out) {
    if (!p.targetName().equals(self.v.name)) {
      // Meant for a node that used to live at this address.
      context.dropped(DropReason.UNEXPECTED);
      return;
    }
    if (delivery == Delivery.STREAM) {
      PacketWriter w = new PacketWriter(256 + WireFormat.overhead(64), clusterName).begin();
      write(w, new Ack(p.seq()));
      ByteBuffer packet = w.finish();
      countOut(packet);
      out.send(p.source(), packet, Delivery.STREAM);
      return;
    }
    datagram.begin();
    // Attachments first: the prober's listeners receive them before the ack (ProbeListener).
    for (ProbeListener l : probeListeners) {
      byte[] attachment = l.ackAttachment();
      if (attachment != null && attachment.length < datagram.remaining() - 64) {
        datagram.putEncodedMessage(attachment);
      }
    }
    write(datagram, new Ack(p.seq()));
    send(p.source(), out);
  }

  private void handleIndirectPing(long now, IndirectPing ip, Outbox out) {
    int seq = nextSeq++;
    relays.put(seq, new Relay(ip.requester(), ip.seq(), now + nackDelayMillis(), now + config.probeTimeout.toMillis(),
        ip.wantNack()));
    if (relays.size() > RELAY_CAPACITY) {
      Iterator<Integer> it = relays.keySet().iterator();
      it.next();
      it.remove();
    }
    datagram.begin();
    write(datagram, new Ping(seq, ip.targetName(), self.v.name, self.v.endpoint));
    send(ip.target(), out);
  }

  private void handleAck(long now, Ack a, Outbox out) {
    if (probeTarget != null && a.seq() == probeSeq) {
      if (!probeAcked && !indirectSent) {
        probeAckedDirectly = true;
        observer.probeAcked(now - probeSentMillis);
        for (ProbeListener l : probeListeners) {
          l.onProbeAcked(now, probeTarget.v.name, now - probeSentMillis);
        }
      }
      probeAcked = true;
      return;
    }
    Relay relay = relays.remove(a.seq());
    if (relay != null) {
      datagram.begin();
      write(datagram, new Ack(relay.requesterSeq));
      send(relay.requester, out);
    }
  }

  /**
   * When a relay nacks: the requester sent the indirect ping a probe timeout into its probe and
   * closes the probe a probe interval after its start, so a nack sent a whole probe timeout later
   * (as before) arrived after the probe had closed and never counted. Four fifths of the time
   * left leaves room for the way back.
   */
  private long nackDelayMillis() {
    long timeout = config.probeTimeout.toMillis();
    long left = config.probeInterval.toMillis() - timeout;
    return Math.max(1, Math.min(timeout, left) * 4 / 5);
  }

  private void expireRelays(long now, Outbox out) {
    Iterator<Map.Entry<Integer, Relay>> it = relays.entrySet().iterator();
    List<Map.Entry<Integer, Relay>> nacked = null;
    while (it.hasNext()) {
      Map.Entry<Integer, Relay> e = it.next();
      Relay r = e.getValue();
      if (r.wantNack && r.nackAtMillis <= now) {
        datagram.begin();
        write(datagram, new Nack(r.requesterSeq));
        send(r.requester, out);
        if (nacked == null) {
          nacked = new ArrayList<>();
        }
        nacked.add(e);
      }
      if (r.deadlineMillis <= now) {
        it.remove();
      }
    }
    if (nacked != null) {
      for (Map.Entry<Integer, Relay> e : nacked) {
        Relay r = e.getValue();
        if (relays.containsKey(e.getKey())) {
          relays.put(e.getKey(), new Relay(r.requester, r.requesterSeq, r.nackAtMillis, r.deadlineMillis, false));
        }
      }
    }
  }

  private void startProbe(long now, Outbox out) {
    if (leaving) {
      return;
    }
    Record target = nextProbeTarget();
    if (target == null) {
      return;
    }
    probeTarget = target;
    probeIncarnation = target.v.incarnation;
    probeSeq = nextSeq++;
    probeAcked = false;
    probeAckedDirectly = false;
    indirectSent = false;
    nacks = 0;
    expectedNacks = 0;
    probeTimeoutMillis = now + scaled(config.probeTimeout.toMillis());
    probeSentMillis = now;
    if (trace) {
      probeState = target.v.state;
      probeTimeoutScaled = probeTimeoutMillis - now;
      traceRelays = List.of();
      probeTcpFallback = false;
    }
    stats.probes++;
    datagram.begin();
    if (config.lifeguard && target.v.state == MemberState.SUSPECT) {
      // Buddy system: the suspect learns of the suspicion from the probe itself.
      write(datagram, new Suspect(target.v.incarnation, target.v.name, self.v.name));
    }
    write(datagram, new Ping(probeSeq, target.v.name, self.v.name, self.v.endpoint));
    send(target.v.endpoint, out);
  }

  private Record nextProbeTarget() {
    Record h = hinted;
    if (h != null) {
      hinted = null;
      if (members.get(h.v.name) == h && !h.v.state.isGone()) {
        return h;
      }
    }
    for (int scanned = 0; scanned <= others.size(); scanned++) {
      if (probeIndex >= others.size()) {
        shuffle(others);
        probeIndex = 0;
        if (others.isEmpty()) {
          return null;
        }
      }
      Record r = others.get(probeIndex++);
      if (!r.v.state.isGone()) {
        return r;
      }
    }
    return null;
  }

  private void probeIndirectly(long now, Outbox out) {
    indirectSent = true;
    Record target = probeTarget;
    pickRandom(config.indirectChecks, r -> r != target && r.v.state == MemberState.ALIVE && !r.is(Record.HELD));
    for (Record relay : picks) {
      datagram.begin();
      write(datagram, new IndirectPing(probeSeq, target.v.name, target.v.endpoint, self.v.endpoint, config.lifeguard));
      send(relay.v.endpoint, out);
      stats.indirectProbes++;
    }
    expectedNacks = config.lifeguard ? picks.size() : 0;
    if (trace) {
      List<String> names = new ArrayList<>(picks.size());
      for (Record relay : picks) {
        names.add(relay.v.name);
      }
      traceRelays = names;
      probeTcpFallback = config.tcpFallbackPing;
    }
    if (config.tcpFallbackPing) {
      PacketWriter w = new PacketWriter(600 + WireFormat.overhead(64), clusterName).begin();
      write(w, new Ping(probeSeq, target.v.name, self.v.name, self.v.endpoint));
      ByteBuffer packet = w.finish();
      countOut(packet);
      out.send(target.v.endpoint, packet, Delivery.STREAM);
      stats.tcpFallbackPings++;
    }
  }

  /** Closes the probe in flight: success lowers the health score, failure raises suspicion. */
  private void finishProbe(long now, Outbox out) {
    Record target = probeTarget;
    if (target == null) {
      return;
    }
    if (probeAcked) {
      silentProbes = 0;
      if (probeAckedDirectly) {
        applyAwareness(-1);
      }
    } else {
      boolean relaysAsked = indirectSent && expectedNacks > 0;
      if (!indirectSent) {
        probeIndirectly(now, out);
      }
      // Nobody answered at all: this node's packets are not getting through, whoever is at fault.
      if (relaysAsked && nacks == 0) {
        if (++silentProbes >= SILENT_PROBES_IN_TROUBLE) {
          troubledAtMillis = now;
        }
      } else {
        silentProbes = 0;
      }
      stats.probeFailures++;
      if (expectedNacks > 0) {
        if (nacks < expectedNacks) {
          applyAwareness(expectedNacks - nacks);
        }
      } else {
        applyAwareness(1);
      }
      // A failed probe of a member already suspect is an independent confirmation (Lifeguard): it
      // shortens the suspicion timeout and is re-gossiped. Accusing only alive members would leave
      // almost every suspicion at its maximum timeout, since gossip outruns the other probers.
      // A relay's nack is a second witness: another member could not reach the target either, and
      // this node could hear it. Without one, the prober cannot tell the target's silence from its
      // own deafness (a host losing inbound packets loses the relays' forwarded acks too, and a
      // relay that reached the target sends no nack): it keeps the doubt to itself (Lifeguard's
      // local health already counted it). One nack, not all: in a partition the far side's relays
      // never answer, and requiring all of them would leave the partition undetected.
      boolean ownPathSure = !config.accuseWhenHealthy || expectedNacks == 0 || nacks > 0;
      boolean accuse = ownPathSure && members.get(target.v.name) == target
          && (target.v.state == MemberState.ALIVE || target.v.state == MemberState.SUSPECT);
      if (trace) {
        // Before the suspicion it may raise, so that a log reads cause, then effect.
        emit(out, new FailureDetectorTrace.ProbeFailed(target.v.name, target.v.endpoint,
            probeState == null ? target.v.state : probeState, probeTimeoutScaled, traceRelays, expectedNacks, nacks,
            probeTcpFallback, accuse));
      }
      if (accuse) {
        applySuspect(now, target.v.name, probeIncarnation, self.v.name, out);
      }
    }
    clearProbe();
  }

  /**
   * Turns {@link FailureDetectorTrace} events on or off: why a probe failed (relays asked, nacks back,
   * whether this node accused), and how each suspicion began, was confirmed and ran out. They are
   * emitted only on those failure paths, so a healthy node pays nothing; a simulation of thousands
   * of failing nodes that keeps every event may want them off (the default).
   */
  public void traceFailureDetector(boolean on) {
    trace = on;
  }

  /**
   * Sets what hears probe round trips and suspicion verdicts as they are measured ({@link
   * MembershipObserver}); null for none. May be called from any thread.
   */
  public void observer(MembershipObserver o) {
    observer = o == null ? MembershipObserver.NONE : o;
  }

  private void clearProbe() {
    probeTarget = null;
    probeTimeoutMillis = Long.MAX_VALUE;
  }

  private void applyAwareness(int delta) {
    if (config.lifeguard) {
      awareness.apply(delta);
    }
  }

  private long scaled(long millis) {
    return config.lifeguard ? awareness.scale(millis) : millis;
  }

  // ------------------------------------------------------------------ state changes

  private void applyAlive(long now, String name, Endpoint endpoint, long incarnation, byte[] metadata, int pmin,
      int pmax, Outbox out) {
    applyAlive(now, name, endpoint, incarnation, metadata, 0, 0, pmin, pmax, out);
  }

  /**
   * An alive claim, with its metadata ({@code metadata}) or, when that is null, naming it by
   * {@code refDigest} and {@code refLength} (an {@link AliveRef}): a member whose named metadata is
   * not held is marked stale, keeps its previous metadata until the new one is fetched or a
   * push-pull brings it, and is re-announced by reference meanwhile.
   */
  private void applyAlive(long now, String name, Endpoint endpoint, long incarnation, byte[] metadata,
      long refDigest, int refLength, int pmin, int pmax, Outbox out) {
    if (name.equals(self.v.name)) {
      if (!endpoint.equals(self.v.endpoint)) {
        stats.nameConflicts++;
        emit(out, new NameConflict(name, self.v.endpoint, endpoint));
        refute(incarnation);
      } else if (incarnation > self.v.incarnation) {
        refute(incarnation);
      }
      return;
    }
    // Mostly empty: skipping the lookup then saves a hash probe per gossiped entry.
    Tombstone tomb = tombstones.isEmpty() ? null : tombstones.get(name);
    if (tomb != null) {
      if (incarnation <= tomb.incarnation) {
        return;
      }
      tombstones.remove(name);
    }
    Record r = members.get(name);
    if (r == null) {
      if (members.size() >= config.maxMembers) {
        context.dropped(DropReason.OVERSIZED);
        return;
      }
      r = newRecord(interner.name(name), interner.endpoint(endpoint), incarnation,
          metadata == null ? NO_METADATA : metadata, pmin, pmax, now);
      put(r);
      if (metadata == null && !holds(r, refDigest, refLength)) {
        setView(r, r.v.withMetadata(r.v.metadata, r.v.metaDigest, Long.MIN_VALUE));
        markStale(r, refDigest, refLength);
      }
      // Append, then swap with a random slot: a random probe position in O(1).
      others.add(r);
      int slot = random.nextInt(others.size());
      others.set(others.size() - 1, others.get(slot));
      others.set(slot, r);
      liveCount++;
      version++;
      // Learned from another node's table (a push-pull, a digest sync): re-announced only while the
      // queue is short. Such tables are old news to most members; re-announcing every member a
      // joiner learns made each join of a storm queue thousands of updates the cluster already had,
      // and what some node still lacks the digest syncs find. In a small cluster the few re-announced
      // spread a join at once. A member learned by gossip is always passed on (rumor mongering).
      if (!merging || broadcasts.size() < config.reannounceQueueLimit) {
        queueAlive(r);
      }
      emit(out, new MemberEvent(MemberEvent.Type.JOINED, r.snapshot()));
      return;
    }
    if (!r.v.endpoint.equals(endpoint) && !r.v.state.isGone()) {
      if (incarnation > r.v.incarnation) {
        stats.nameConflicts++;
        emit(out, new NameConflict(name, r.v.endpoint, endpoint));
      }
      return;
    }
    Cold want = r.is(Record.META_STALE) ? peek(r) : null;
    if (metadata != null && want != null && incarnation == r.v.incarnation && metadata.length == want.wantLength
        && digest(metadata) == want.wantDigest) {
      // The metadata this incarnation announced by reference: fetched, or brought by a push-pull.
      setMetadata(r, metadata, want.wantDigest, incarnation);
      version++;
      emit(out, new MemberEvent(MemberEvent.Type.UPDATED, r.snapshot()));
      return;
    }
    if (incarnation == r.v.incarnation && r.v.metaIncarnation < incarnation && !r.is(Record.META_STALE)
        && r.v.endpoint.equals(endpoint)) {
      // A suspicion of this incarnation came before its alive (gossip reorders): the state stays,
      // but the metadata is this incarnation's, else it would be held at the old value until the
      // member's next incarnation.
      if (metadata != null) {
        boolean differs = !java.util.Arrays.equals(r.v.metadata, metadata);
        setMetadata(r, differs ? metadata : r.v.metadata, differs ? digest(metadata) : r.v.metaDigest, incarnation);
        if (differs) {
          version++;
          emit(out, new MemberEvent(MemberEvent.Type.UPDATED, r.snapshot()));
        }
      } else if (holds(r, refDigest, refLength)) {
        setMetadata(r, r.v.metadata, r.v.metaDigest, incarnation);
      } else {
        markStale(r, refDigest, refLength);
      }
      return;
    }
    if (!Precedence.overrides(MemberState.ALIVE, incarnation, r.v.state, r.v.incarnation)) {
      return;
    }
    MemberState before = r.v.state;
    boolean changed = !r.v.endpoint.equals(endpoint);
    if (metadata != null) {
      if (!java.util.Arrays.equals(r.v.metadata, metadata)) {
        changed = true;
        setMetadata(r, metadata, digest(metadata), incarnation);
      } else {
        setMetadata(r, r.v.metadata, r.v.metaDigest, incarnation);
      }
    } else if (holds(r, refDigest, refLength)) {
      setMetadata(r, r.v.metadata, r.v.metaDigest, incarnation);
    } else {
      // Shown with its previous metadata until the new one arrives (then an UPDATED event).
      markStale(r, refDigest, refLength);
    }
    setView(r, r.v.withAddress(incarnation, interner.endpoint(endpoint), pmin, pmax));
    version++;
    queueAlive(r);
    if (before != MemberState.ALIVE) {
      setState(r, MemberState.ALIVE, now);
      Suspicion refuted = suspicions.remove(name);
      if (before == MemberState.SUSPECT) {
        stats.suspicionsRefuted++;
        if (refuted != null) {
          observer.suspicionResolved(now - refuted.startMillis(), false);
        }
        if (flapHoldOn()) {
          // The refutation is accepted (the member is probed and trusted as alive again), but it
          // stays shown suspect until its flap penalty has decayed: one verdict, not a flap.
          addPenalty(r, now);
          hold(r, now);
          if (changed) {
            emit(out, new MemberEvent(MemberEvent.Type.UPDATED, r.snapshot()));
          }
        } else {
          emit(out, new MemberEvent(MemberEvent.Type.ALIVE, r.snapshot()));
        }
      } else {
        // Back from dead: a member that was flapping comes back held, one that crashed and
        // restarted (penalty decayed) comes back alive.
        if (flapHoldOn() && penaltyNow(r, now) >= RELEASE_PENALTY) {
          hold(r, now);
        }
        emit(out, new MemberEvent(MemberEvent.Type.JOINED, r.snapshot()));
      }
    } else if (changed) {
      emit(out, new MemberEvent(MemberEvent.Type.UPDATED, r.snapshot()));
    }
  }

  private void applySuspect(long now, String name, long incarnation, String from, Outbox out) {
    if (name.equals(self.v.name)) {
      if (incarnation >= self.v.incarnation && !leaving) {
        refute(incarnation);
      }
      return;
    }
    Record r = members.get(name);
    if (r == null || incarnation < r.v.incarnation || r.v.state.isGone()) {
      return;
    }
    if (doubtful(from)) {
      return;
    }
    Suspicion s = suspicions.get(name);
    if (r.v.state == MemberState.SUSPECT && s != null) {
      if (incarnation > r.v.incarnation) {
        setView(r, r.v.withIncarnation(incarnation));
        version++;
      }
      if (s.confirm(from)) {
        queue(name, new Suspect(incarnation, name, from));
        if (trace) {
          emit(out, new FailureDetectorTrace.SuspicionConfirmed(name, from, s.confirmations(),
              s.expectedConfirmations(), Math.max(0, s.deadlineMillis() - now)));
        }
      }
      return;
    }
    if (!Precedence.overrides(MemberState.SUSPECT, incarnation, r.v.state, r.v.incarnation)) {
      return;
    }
    setView(r, r.v.withIncarnation(incarnation));
    setState(r, MemberState.SUSPECT, now);
    int k = config.lifeguard && liveCount - 2 >= config.indirectChecks ? config.indirectChecks : 0;
    long min = config.suspicionMinMillis(liveCount);
    long max = config.lifeguard ? config.suspicionMaxMillis(liveCount) : min;
    Suspicion suspicion = new Suspicion(now, min, max, k, from);
    suspicions.put(name, suspicion);
    stats.suspicionsRaised++;
    if (trace) {
      emit(out, new FailureDetectorTrace.SuspicionRaised(name, from, incarnation, suspicion.deadlineMillis() - now,
          suspicion.expectedConfirmations()));
    }
    queue(name, new Suspect(incarnation, name, from));
    if (!r.is(Record.HELD)) {
      // A held member is already shown suspect: a new suspicion of it changes nothing visible.
      emit(out, new MemberEvent(MemberEvent.Type.SUSPECTED, r.snapshot()));
    }
  }

  private void applyDead(long now, String name, long incarnation, String from, Outbox out) {
    applyDead(now, name, incarnation, from, null, out);
  }

  /** @param expired the suspicion whose expiry brings this verdict (already removed), or null */
  private void applyDead(long now, String name, long incarnation, String from, Suspicion expired, Outbox out) {
    boolean left = name.equals(from);
    if (name.equals(self.v.name)) {
      if (!leaving && incarnation >= self.v.incarnation) {
        // Declared dead: the others could not hear this node, so what it concluded alone about
        // them meanwhile is no evidence either.
        troubledAtMillis = now;
        refute(incarnation);
      }
      return;
    }
    Record r = members.get(name);
    if (r == null) {
      return;
    }
    MemberState target = left ? MemberState.LEFT : MemberState.DEAD;
    if (!Precedence.overrides(target, incarnation, r.v.state, r.v.incarnation)) {
      return;
    }
    if (!left && doubtful(from)) {
      return;
    }
    setView(r, r.v.withIncarnation(incarnation));
    Suspicion ended = suspicions.remove(name);
    if (trace && !left && expired == null && !from.equals(self.v.name)) {
      emit(out, new FailureDetectorTrace.DeathReported(name, from, incarnation,
          ended == null ? -1 : now - ended.startMillis()));
    }
    if (ended == null) {
      ended = expired;
    }
    unhold(r);
    setState(r, target, now);
    if (!left) {
      stats.deathsDeclared++;
      if (ended != null) {
        observer.suspicionResolved(now - ended.startMillis(), true);
      }
    }
    queue(name, new Dead(incarnation, name, from));
    emit(out, new MemberEvent(left ? MemberEvent.Type.LEFT : MemberEvent.Type.DEAD, r.snapshot()));
    if (r == probeTarget) {
      clearProbe();
    }
  }

  /** Outranks a claim about this node by taking a higher incarnation and announcing it. */
  private void refute(long accusedIncarnation) {
    setView(self, self.v.withIncarnation(Math.max(self.v.incarnation, accusedIncarnation) + 1));
    stats.selfRefutations++;
    applyAwareness(1);
    version++;
    queueAlive(self);
  }

  private void expireSuspicions(long now, Outbox out) {
    if (suspicions.isEmpty()) {
      return;
    }
    List<String> expired = null;
    for (Map.Entry<String, Suspicion> e : suspicions.entrySet()) {
      if (e.getValue().deadlineMillis() <= now) {
        if (expired == null) {
          expired = new ArrayList<>();
        }
        expired.add(e.getKey());
      }
    }
    if (expired != null) {
      expired.sort(null);
      for (String name : expired) {
        Record r = members.get(name);
        Suspicion gone = suspicions.remove(name);
        if (r != null && r.v.state == MemberState.SUSPECT) {
          if (trace) {
            emit(out, new FailureDetectorTrace.SuspicionExpired(name, now - gone.startMillis(), gone.confirmations(),
                gone.expectedConfirmations()));
          }
          if (raisedInTrouble(gone)) {
            withdraw(r, now, out);
          } else {
            applyDead(now, name, r.v.incarnation, self.v.name, gone, out);
          }
        }
      }
    }
  }

  /**
   * Whether a suspicion is this node's own and this node has been in trouble since it raised it
   * (its probes unanswered by anyone, or declared dead itself). A node that could not reach anyone
   * suspects everyone; its verdicts would kill healthy members the moment its packets flow again
   * (docs/flaky-members.md, "Verdicts reached in trouble"). Confirmations do not clear such a
   * suspicion: a push-pull hands it to the receiver, who adopts it in its own name, so this node's
   * own doubt comes back looking like an independent one. If the member really failed, the members
   * that confirmed it run their own timers and their verdict reaches this node.
   */
  private boolean raisedInTrouble(Suspicion s) {
    return self.v.name.equals(s.firstAccuser()) && troubledAtMillis >= s.startMillis();
  }

  /**
   * Takes back a suspicion this node cannot stand behind: the member is shown as before (alive, or
   * still held), and the suspicion, if it is still queued, is not gossiped further. If the member
   * really failed, the others' own probes will say so, and their suspicions reach this node anew.
   */
  private void withdraw(Record r, long now, Outbox out) {
    broadcasts.remove(r.v.name);
    setState(r, MemberState.ALIVE, now);
    if (!r.is(Record.HELD)) {
      emit(out, new MemberEvent(MemberEvent.Type.ALIVE, r.snapshot()));
    }
  }

  private void setState(Record r, MemberState state, long now) {
    boolean wasLive = !r.v.state.isGone();
    boolean isLive = !state.isGone();
    if (wasLive != isLive) {
      liveCount += isLive ? 1 : -1;
      if (isLive) {
        goneMembers.remove(r);
      } else if (r != self) {
        goneMembers.add(r);
      }
    }
    setView(r, r.v.withState(state));
    r.stateSince(now);
    version++;
  }

  private void reap(long now, Outbox out) {
    long retention = config.deadMemberRetention.toMillis();
    List<Record> gone = null;
    // Only the dead and left are scanned: walking a full view of thousands every check cost more
    // than the rest of the protocol in a 10,000-node simulation.
    for (int i = 0; i < goneMembers.size(); i++) {
      Record r = goneMembers.get(i);
      if (now - r.stateSince() >= retention) {
        if (gone == null) {
          gone = new ArrayList<>();
        }
        gone.add(r);
      }
    }
    if (gone != null) {
      for (Record r : gone) {
        remove(r, now, out);
      }
    }
    long tombstoneRetention = config.tombstoneRetention.toMillis();
    Iterator<Tombstone> it = tombstones.values().iterator();
    while (it.hasNext() && now - it.next().sinceMillis >= tombstoneRetention) {
      it.remove();
    }
  }

  private void remove(Record r, long now, Outbox out) {
    members.remove(r.v.name);
    tableDigest.remove(r.v.name, r.v.digestValue());
    goneMembers.remove(r);
    int index = others.indexOf(r);
    others.remove(index);
    if (index < probeIndex) {
      probeIndex--;
    }
    suspicions.remove(r.v.name);
    unhold(r);
    if (r.is(Record.META_STALE)) {
      r.set(Record.META_STALE, false);
      staleMetadata.remove(r);
    }
    if (peek(r).fetchDeadlineMillis != 0) {
      endFetch(r);
    }
    if (!r.v.state.isGone()) {
      liveCount--;
    }
    tombstones.remove(r.v.name);
    tombstones.put(r.v.name, new Tombstone(r.v.incarnation, now));
    if (tombstones.size() > config.maxMembers) {
      Iterator<String> it = tombstones.keySet().iterator();
      it.next();
      it.remove();
    }
    version++;
    if (r == probeTarget) {
      clearProbe();
    }
    colds.remove(r);
    emit(out, new MemberEvent(MemberEvent.Type.REAPED, r.snapshot()));
  }

  // ------------------------------------------------------------------ verdicts on flaky members

  /** A held member is released (shown alive again) once its penalty decays below this. */
  private static final double RELEASE_PENALTY = 0.5;

  private boolean flapHoldOn() {
    return !config.flapHalfLife.isZero();
  }

  /** The flap penalty of {@code r} now, decayed with half-life flapHalfLife (StrictMath: same on every JVM). */
  private double penaltyNow(Record r, long now) {
    Cold c = peek(r);
    if (c.flapPenalty == 0) {
      return 0;
    }
    double halfLives = (now - c.flapAtMillis) / (double) config.flapHalfLife.toMillis();
    return c.flapPenalty * StrictMath.pow(0.5, halfLives);
  }

  private void addPenalty(Record r, long now) {
    double penalty = Math.min(config.flapPenaltyMax, penaltyNow(r, now) + 1);
    Cold c = cold(r);
    c.flapPenalty = penalty;
    c.flapAtMillis = now;
  }

  /** Shows {@code r} suspect until its penalty decays below {@link #RELEASE_PENALTY}. */
  private void hold(Record r, long now) {
    double p = penaltyNow(r, now);
    long wait = p <= RELEASE_PENALTY ? 0
        : (long) Math.ceil(config.flapHalfLife.toMillis() * (StrictMath.log(p / RELEASE_PENALTY) / StrictMath.log(2)));
    cold(r).releaseAtMillis = now + Math.max(1, wait);
    if (!r.is(Record.HELD)) {
      r.set(Record.HELD, true);
      heldMembers.add(r);
      version++;
    }
  }

  private void unhold(Record r) {
    if (r.is(Record.HELD)) {
      r.set(Record.HELD, false);
      heldMembers.remove(r);
      version++;
    }
  }

  /**
   * Whether an accusation by {@code accuser} is to be ignored: with accuseWhenHealthy, a member this
   * node itself holds suspect (or held) is likelier the broken one than the member it accuses.
   */
  private boolean doubtful(String accuser) {
    if (!config.accuseWhenHealthy || accuser.equals(self.v.name)) {
      return false;
    }
    Record a = members.get(accuser);
    return a != null && a != self && (a.v.state == MemberState.SUSPECT || a.is(Record.HELD));
  }

  /** Shows held members alive again once their penalty has decayed and no suspicion is pending. */
  private void releaseHeld(long now, Outbox out) {
    if (heldMembers.isEmpty()) {
      return;
    }
    List<Record> due = null;
    for (int i = 0; i < heldMembers.size(); i++) {
      Record r = heldMembers.get(i);
      if (r.v.state == MemberState.ALIVE && peek(r).releaseAtMillis <= now) {
        if (due == null) {
          due = new ArrayList<>();
        }
        due.add(r);
      }
    }
    if (due != null) {
      for (Record r : due) {
        unhold(r);
        r.stateSince(now);
        emit(out, new MemberEvent(MemberEvent.Type.ALIVE, r.snapshot()));
      }
    }
  }

  // ------------------------------------------------------------------ gossip and push-pull

  /**
   * True when a gossip round would do nothing at all: no update queued, the last round carried none,
   * and no backlog sync is owed or pending a reset (see {@link #syncIfBacklogged}). Such rounds are
   * skipped rather than run, with the same outcome.
   */
  private boolean gossipIdle() {
    return broadcasts.size() == 0 && lastGossipUpdates == 0 && !wasBacklogged
        && backlogSyncWaitMillis == config.backlogSyncAfter.toMillis();
  }

  /**
   * The first gossip round at or after {@code t} on the rounds' current phase: where the idle rounds
   * skipped since {@link #nextGossipMillis} would have put it.
   */
  private long gossipPhaseAtOrAfter(long t) {
    if (nextGossipMillis == Long.MAX_VALUE || t <= nextGossipMillis) {
      return nextGossipMillis;
    }
    long interval = config.gossipInterval.toMillis();
    return nextGossipMillis + (t - nextGossipMillis + interval - 1) / interval * interval;
  }

  /**
   * Before queueing an update: if the rounds were idle, the next tick (due at once, as the deadline
   * is the last skipped round's) moves them to their phase. Commands from other protocols carry no
   * time here, so the phase is found at that tick.
   */
  private void resumeGossip() {
    if (started && gossipIdle()) {
      gossipResumed = true;
    }
  }

  private void gossip(long now, Outbox out) {
    lastGossipUpdates = 0;
    if (broadcasts.size() == 0) {
      return;
    }
    long deadGossip = config.gossipToTheDeadTime.toMillis();
    pickRandom(config.gossipNodes,
        r -> !r.v.state.isGone() || (r.v.state == MemberState.DEAD && now - r.stateSince() < deadGossip));
    for (Record r : picks) {
      datagram.begin();
      int updates = broadcasts.fill(datagram, retransmitLimit());
      if (updates == 0) {
        return;
      }
      lastGossipUpdates += updates;
      ByteBuffer packet = datagram.finish();
      countOut(packet);
      out.send(r.v.endpoint, packet, Delivery.DATAGRAM);
    }
  }

  /**
   * When the queue owes more transmissions than gossip sends in {@code backlogSyncAfter} (after a
   * join storm gossip would need minutes), one full-state exchange with a random member delivers
   * the news at once. Each sync while the backlog lasts waits twice as long as the one before; one
   * more follows when the backlog has cleared, since what a backlogged node evicted or never got to
   * is still missing somewhere.
   */
  private void syncIfBacklogged(long now, Outbox out) {
    long threshold = config.backlogSyncAfter.toMillis();
    long owed = broadcasts.pendingTransmissions(retransmitLimit());
    // owed / (updates per round) rounds of gossipInterval each, compared without dividing.
    boolean backlogged = lastGossipUpdates > 0
        && owed * config.gossipInterval.toMillis() > threshold * lastGossipUpdates;
    if (!backlogged && !wasBacklogged) {
      backlogSyncWaitMillis = threshold;
      return;
    }
    if (now - lastStateMergedMillis < backlogSyncWaitMillis) {
      // A full state merged within the wait (the join's, a periodic push-pull's, one a peer sent) did
      // what this sync would: the wait runs from it instead. After a storm, when every node syncs,
      // many are reached by another's sync before their own is due.
      nextBacklogSyncMillis = lastStateMergedMillis + backlogSyncWaitMillis;
      return;
    }
    if (!pushPullWithRandomMember(out)) {
      return;
    }
    stats.backlogSyncs++;
    wasBacklogged = backlogged;
    // Jittered, so the nodes of one storm do not all sync again at the same moment.
    nextBacklogSyncMillis = now + backlogSyncWaitMillis + random.nextLong(backlogSyncWaitMillis / 2 + 1);
    backlogSyncWaitMillis = backlogged
        ? Math.min(2 * backlogSyncWaitMillis, Math.max(threshold, config.pushPullIntervalMillis(liveCount)))
        : threshold;
  }

  /** Starts a full-state exchange with one random live member; false if there is none. */
  private boolean pushPullWithRandomMember(Outbox out) {
    pickRandom(1, r -> !r.v.state.isGone());
    if (picks.isEmpty()) {
      return false;
    }
    sendPushPull(picks.get(0).v.endpoint, false, false, picks.get(0).is(Record.INFLATES_BIT), out);
    return true;
  }

  /**
   * Sends this node's state. Deflated when {@code deflate} (the peer said, or was vouched for, that
   * it reads deflated push-pulls) and it comes out smaller; when this node deflates, both forms carry
   * the {@link #INFLATES} state, so that the peer learns it may deflate in return and to whom else.
   * Within {@link MembershipConfig#pushPullReuse} of the last encoding (of the same kind, join or
   * not, and with this node's own entry unchanged) that encoding is sent again.
   */
  private void sendPushPull(Endpoint to, boolean join, boolean reply, boolean deflate, Outbox out) {
    stats.pushPulls++;
    PushPullEncoding e = lastEncoding;
    if (e == null || e.join != join || e.self != self.v || !reusable(e)) {
      e = encodePushPull(join);
      lastEncoding = config.pushPullReuse.isZero() ? null : e;
    } else {
      stats.pushPullsReused++;
    }
    PushPull header = new PushPull(join, reply, self.v.name, self.v.endpoint, e.count);
    ByteBuffer packet = null;
    if (deflate && config.pushPullDeflateLevel > 0) {
      packet = deflated(e, header);
    }
    if (packet == null) {
      PacketWriter w = new PacketWriter(WireFormat.overhead(64) + 400 + e.body.length, clusterName).begin();
      write(w, header);
      w.putEncodedMessages(e.body, e.messages);
      packet = w.finish();
    }
    countOut(packet);
    out.send(to, packet, Delivery.STREAM);
  }

  /** Whether {@code e} is still within {@link MembershipConfig#pushPullReuse} of its encoding. */
  private boolean reusable(PushPullEncoding e) {
    return lastNow - e.atMillis < config.pushPullReuse.toMillis();
  }

  /**
   * One encoding of this node's state for push-pull: everything after the header (member entries,
   * other protocols' states, the {@link #INFLATES} marker), and its deflated form once asked for.
   */
  private static final class PushPullEncoding {
    final long atMillis;
    final boolean join;
    /** This node's own entry when encoded: a refutation or new metadata is never sent stale. */
    final View self;
    final int count;
    final byte[] body;
    final int messages;
    /** Deflated {@link #body}; null until a deflated push-pull is sent, empty when not smaller. */
    byte[] deflated;

    PushPullEncoding(long atMillis, boolean join, View self, int count, byte[] body, int messages) {
      this.atMillis = atMillis;
      this.join = join;
      this.self = self;
      this.count = count;
      this.body = body;
      this.messages = messages;
    }
  }

  /** Encodes this node's state for a push-pull (see {@link PushPullEncoding}). */
  private PushPullEncoding encodePushPull(boolean join) {
    int size = WireFormat.overhead(64) + 400;
    for (Record r : members) {
      size += 40 + r.v.name.length() * 3 + r.v.metadata.length;
    }
    List<ProtocolState> states = localStates(join);
    for (ProtocolState st : states) {
      size += 16 + st.protocol().length() * 3 + st.state().length;
    }
    size = Math.min(size, config.streamMessageMaxBytes);
    PacketWriter w = new PacketWriter(size, clusterName).begin();
    List<Record> entries = new ArrayList<>(members.size());
    members.forEach(entries::add);
    // Self first so a truncated state still carries the sender.
    entries.remove(self);
    entries.add(0, self);
    int headerAt = w.position();
    write(w, new PushPull(join, false, self.v.name, self.v.endpoint, 0));
    int headerEnd = w.position();
    List<Record> written = new ArrayList<>(entries.size());
    // The receiver's caps (the same config) bound what is worth sending: stop at them.
    long stateBytes = 0;
    for (Record r : entries) {
      View v = r.v;
      long incarnation = entryIncarnation(r);
      if (incarnation == Long.MIN_VALUE) {
        continue;
      }
      long bytes = MemberStateEntry.size(v.nameUtf8Bytes(), v.endpoint, v.metadata.length);
      if (written.size() >= config.pushPullMaxMembers || stateBytes + bytes > config.pushPullMaxBytes) {
        break;
      }
      int before = w.position();
      try {
        writeEntry(w, v, incarnation);
      } catch (BufferOverflowException full) {
        w.rewind(before);
        break;
      }
      stateBytes += bytes;
      written.add(r);
    }
    int count = written.size();
    // The header is fixed-size: the final count is written over the first one, in place.
    w.overwrite(headerAt, headerEnd, x -> write(x, new PushPull(join, false, self.v.name, self.v.endpoint, count)));
    for (ProtocolState st : states) {
      long bytes = stateBytes(st);
      if (stateBytes + bytes > config.pushPullMaxBytes) {
        continue;
      }
      w.mark();
      try {
        write(w, st);
        stateBytes += bytes;
      } catch (BufferOverflowException full) {
        // Over the stream limit: the member list comes first; this state waits for a later exchange.
        w.reset();
      }
    }
    if (config.pushPullDeflateLevel > 0) {
      ProtocolState marker = new ProtocolState(INFLATES, inflatersBitmap(written));
      if (stateBytes + stateBytes(marker) <= config.pushPullMaxBytes) {
        w.mark();
        try {
          write(w, marker);
        } catch (BufferOverflowException full) {
          w.reset();
        }
      }
    }
    int messages = w.messageCount() - 1;
    ByteBuffer plain = w.finish();
    int end = plain.limit() - WireFormat.CRC_LENGTH;
    byte[] body = new byte[end - headerEnd];
    plain.get(headerEnd, body);
    return new PushPullEncoding(lastNow, join, self.v, count, body, messages);
  }

  /**
   * Name of the protocol state a node adds to its push-pulls to say it reads deflated ones, holding
   * {@link #inflatersBitmap the members it knows to read them}. Nodes that do not know it pass it
   * over, as any state of a protocol they do not run; an empty one speaks for the sender alone.
   */
  static final String INFLATES = "membership.inflates";

  /**
   * The {@link #INFLATES} state's bytes: bit {@code i} (byte {@code i / 8}, least significant bit
   * first) set when the {@code i}-th member entry of the push-pull reads deflated push-pulls as far
   * as this node knows. Entry 0 is the sender itself. One push-pull thus tells its receiver about
   * every member the sender knows of, for a bit per member: a fresh cluster deflates from its first
   * exchanges rather than only between pairs that have already exchanged.
   */
  private byte[] inflatersBitmap(List<Record> written) {
    byte[] bits = new byte[(written.size() + 7) / 8];
    for (int i = 0; i < written.size(); i++) {
      Record r = written.get(i);
      if (r == self || r.is(Record.INFLATES_BIT)) {
        bits[i >>> 3] |= (byte) (1 << (i & 7));
      }
    }
    return bits;
  }

  /**
   * The push-pull with everything after its header deflated into one {@link Deflated} message, or
   * null when that is not smaller than the plain one.
   */
  private ByteBuffer deflated(PushPullEncoding e, PushPull header) {
    byte[] raw = e.body;
    if (e.deflated == null) {
      e.deflated = deflate(raw);
    }
    if (e.deflated.length == 0) {
      return null;
    }
    PushPull flagged = new PushPull(header.join(), header.reply(), header.senderName(), header.sender(),
        header.count(), true, header.partial());
    Deflated body = new Deflated(raw.length, e.deflated, List.of());
    int size = WireFormat.overhead(64) + (int) WireSize.message(flagged::writeBody) + (int) WireSize.message(
        body::writeBody);
    int plainSize = WireFormat.overhead(clusterNameBytes) + (int) WireSize.message(header::writeBody) + raw.length;
    if (size >= plainSize) {
      return null;
    }
    PacketWriter w = new PacketWriter(size, clusterName).begin();
    write(w, flagged);
    write(w, body);
    return w.finish();
  }

  /** {@code raw} deflated at the configured level; empty when that is not smaller. */
  private byte[] deflate(byte[] raw) {
    java.util.zip.Deflater deflater = new java.util.zip.Deflater(config.pushPullDeflateLevel);
    try {
      deflater.setInput(raw);
      deflater.finish();
      java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream(raw.length / 3 + 64);
      byte[] chunk = new byte[8192];
      while (!deflater.finished()) {
        int n = deflater.deflate(chunk);
        bytes.write(chunk, 0, n);
        if (bytes.size() >= raw.length) {
          return new byte[0];
        }
      }
      return bytes.toByteArray();
    } finally {
      deflater.end();
    }
  }

  /** The states of the stack's other protocols that take part in push-pull. */
  private List<ProtocolState> localStates(boolean join) {
    if (context == null) {
      return List.of();
    }
    List<ProtocolState> out = new ArrayList<>();
    for (Protocol<?> p : context.protocols()) {
      if (p != this && p instanceof PushPullState s) {
        byte[] state = s.localState(join);
        if (state != null) {
          out.add(new ProtocolState(p.protocolName(), state));
        }
      }
    }
    return out;
  }

  private PushPullState participant(String protocolName) {
    if (context == null) {
      return null;
    }
    for (Protocol<?> p : context.protocols()) {
      if (p != this && p instanceof PushPullState s && p.protocolName().equals(protocolName)) {
        return s;
      }
    }
    return null;
  }

  private void handlePushPull(long now, PushPull header, Outbox out) {
    if (header.partial()) {
      handlePartialPushPull(now, header, out);
      return;
    }
    stats.pushPulls++;
    mergeState(now, header, out);
    lastStateMergedMillis = now;
    boolean inflates = header.deflated();
    for (int i = 0; i < pendingStates.size() && !inflates; i++) {
      inflates = pendingStates.get(i).protocol().equals(INFLATES);
    }
    Record sender = members.get(header.senderName());
    if (sender != null && sender != self) {
      sender.set(Record.INFLATES_BIT, inflates);
      sender.set(Record.INFLATES_HEARD, true);
    }
    if (inflates && config.pushPullDeflateLevel > 0) {
      learnInflaters();
    }
    // Then the other protocols' states, to those of this node's protocols that take part (a peer
    // may run protocols this node does not: their states are passed over).
    for (int i = 0; i < pendingStates.size(); i++) {
      ProtocolState st = pendingStates.get(i);
      PushPullState p = participant(st.protocol());
      if (p != null) {
        p.mergeRemoteState(now, st.state(), header.join(), out);
      }
    }
    if (!header.reply()) {
      sendPushPull(header.sender(), header.join(), true, inflates, out);
    } else if (header.join()) {
      // One more full sync soon after joining catches members that joined at the same time as we
      // did, whose announcements may have run out of retransmissions while the cluster looked small.
      long soon = now + config.probeInterval.toMillis() + random.nextLong(4 * config.probeInterval.toMillis());
      if (config.digestSyncInterval.isZero()) {
        nextPushPullMillis = Math.min(nextPushPullMillis, soon);
      } else {
        // A digest sync does it for a fraction of the cost: only the members that differ travel.
        // The join was a full sync, so the next full one is a whole period (for the size now
        // known) away, not within the first period the node drew while it knew only itself.
        nextDigestSyncMillis = Math.min(nextDigestSyncMillis, soon);
        nextPushPullMillis = nextPeriodicPushPull(now);
      }
      emit(out, new JoinResult(header.sender(), header.count()));
    }
  }

  /**
   * Takes the members the sender vouches for in its {@link #INFLATES} state as reading deflated
   * push-pulls, except those this node has heard from itself. A wrong vouch costs the vouched-for
   * member one push-pull it may not read (dropped there, counted); its own next push-pull to this
   * node settles it.
   */
  private void learnInflaters() {
    byte[] bits = null;
    for (int i = 0; i < pendingStates.size(); i++) {
      if (pendingStates.get(i).protocol().equals(INFLATES)) {
        bits = pendingStates.get(i).state();
        break;
      }
    }
    if (bits == null) {
      return;
    }
    int n = Math.min(pendingEntries.size(), bits.length * 8);
    for (int i = 1; i < n; i++) {
      if ((bits[i >>> 3] & (1 << (i & 7))) == 0) {
        continue;
      }
      Record r = members.get(pendingEntries.get(i).name());
      if (r != null && r != self && !r.is(Record.INFLATES_HEARD)) {
        r.set(Record.INFLATES_BIT, true);
      }
    }
  }

  private void mergeState(long now, PushPull header, Outbox out) {
    merging = true;
    try {
      mergeEntries(now, out);
    } finally {
      merging = false;
    }
  }

  private void mergeEntries(long now, Outbox out) {
    // A sender this node holds suspect may be the deaf one: its suspicions of others are not taken.
    boolean doubtfulSender = pendingPushPull != null && doubtful(pendingPushPull.senderName());
    // A digest sync repairs who is known and at which incarnation; verdicts travel by gossip and full
    // push-pulls. Taken from a partial every few seconds, each suspicion in a bucket that differs
    // for another reason would become this node's own: flaky members got declared dead.
    boolean partial = pendingPushPull != null && pendingPushPull.partial();
    for (int i = 0; i < pendingEntries.size(); i++) {
      MemberStateEntry e = pendingEntries.get(i);
      switch (e.state()) {
        case ALIVE -> applyAlive(now, e.name(), e.endpoint(), e.incarnation(), e.metadata(), e.protocolMin(),
            e.protocolMax(), out);
        // A remote node's verdict of death is not trusted blindly: suspect, and let the member refute.
        case SUSPECT, DEAD -> {
          if (partial) {
            if (e.state() == MemberState.SUSPECT && !members.containsKey(e.name())) {
              applyAlive(now, e.name(), e.endpoint(), e.incarnation(), e.metadata(), e.protocolMin(),
                  e.protocolMax(), out);
            }
            continue;
          }
          if (doubtfulSender && members.containsKey(e.name())) {
            continue;
          }
          if (!members.containsKey(e.name())) {
            applyAlive(now, e.name(), e.endpoint(), e.incarnation(), e.metadata(), e.protocolMin(),
                e.protocolMax(), out);
          }
          applySuspect(now, e.name(), e.incarnation(), self.v.name, out);
        }
        case LEFT -> {
          if (members.containsKey(e.name())) {
            applyDead(now, e.name(), e.incarnation(), e.name(), out);
          }
        }
        default -> throw new AssertionError(e.state());
      }
    }
  }

  // ------------------------------------------------------------------ digest sync

  /**
   * Name of the protocol state that a partial push-pull carries: buckets(4) and a bitmap of the
   * buckets (bit {@code b} of byte {@code b / 8}, least significant first) whose members it holds.
   */
  static final String SYNC_BUCKETS = "membership.sync";

  /**
   * The next periodic push-pull after {@code now}: jittered by up to a quarter either way (the mean
   * stays the interval), as nodes started together sync right after joining, and at a fixed period
   * they would keep exchanging in one burst. The jitter is a hash of the node's name and round, not a
   * draw from the protocol's random stream, so that adding it moved no other seeded decision.
   */
  private long nextPeriodicPushPull(long now) {
    return jittered(now, config.pushPullIntervalMillis(liveCount), 0x9E3779B97F4A7C15L, ++pushPullRounds);
  }

  /** {@code now} plus {@code interval} ±25%, by a hash of this node's name, a per-timer salt and the round. */
  private long jittered(long now, long interval, long salt, long round) {
    long h = io.grapevine.internal.hash.Hash64.mix(self.v.name.hashCode() * salt + round);
    return now + interval - interval / 4 + Math.floorMod(h, interval / 2 + 1);
  }

  /** This node's table digest, for tests of this package. */
  MemberDigest tableDigest() {
    return tableDigest;
  }

  /** The next digest sync after {@code now}: the interval, jittered ±25% by a hash of name and round. */
  private long nextDigestSync(long now) {
    long interval = config.digestSyncInterval.toMillis();
    return interval == 0 ? Long.MAX_VALUE : jittered(now, interval, 0xC2B2AE3D27D4EB4FL, ++digestSyncRounds);
  }

  /**
   * Sends this node's table digest to one random live member: a datagram when it fits (a small
   * cluster's digest is a few dozen bytes), else a stream.
   */
  private void digestSyncWithRandomMember(Outbox out) {
    pickRandom(1, r -> !r.v.state.isGone());
    if (picks.isEmpty()) {
      return;
    }
    int buckets = MemberDigest.bucketsFor(members.size());
    SyncDigest d = new SyncDigest(self.v.name, self.v.endpoint, tableDigest.sums(buckets));
    PacketWriter w = new PacketWriter(WireFormat.overhead(64) + 400 + 8 * buckets, clusterName).begin();
    write(w, d);
    ByteBuffer packet = w.finish();
    stats.digestSyncs++;
    countOut(packet);
    out.send(picks.get(0).v.endpoint, packet,
        packet.remaining() <= config.udpPayloadBytes ? Delivery.DATAGRAM : Delivery.STREAM);
  }

  /**
   * A peer's digest: nothing if the tables agree; else this node's members of the differing buckets
   * (from a random bucket onwards, up to {@link MembershipConfig#digestSyncMaxEntries}), naming the
   * buckets, so that the peer answers with its own members of them.
   */
  private void handleSyncDigest(long now, SyncDigest d, Outbox out) {
    int buckets = d.sums().length;
    long[] mine = tableDigest.sums(buckets);
    byte[] chosen = new byte[(buckets + 7) / 8];
    int budget = config.digestSyncMaxEntries;
    int start = random.nextInt(buckets);
    boolean any = false;
    boolean leftOut = false;
    for (int k = 0; k < buckets; k++) {
      int b = (start + k) & (buckets - 1);
      if (mine[b] == d.sums()[b]) {
        continue;
      }
      if (budget <= 0) {
        leftOut = true;
        break;
      }
      int n = tableDigest.count(b, buckets);
      if (any && n > budget) {
        leftOut = true;
        continue;
      }
      chosen[b >>> 3] |= (byte) (1 << (b & 7));
      budget -= Math.max(1, n);
      any = true;
    }
    if (!any) {
      return;
    }
    stats.digestSyncRepairs++;
    if (leftOut) {
      // More differs than one exchange carries (a join storm, a healed partition): this table is
      // far from its peers', so its next digest sync comes a probe interval from now, not a whole
      // interval. Repair then runs at the rate of the backlog, and falls back as tables converge.
      nextDigestSyncMillis = Math.min(nextDigestSyncMillis,
          jittered(now, config.probeInterval.toMillis(), 0x9E3779B97F4A7C15L, ++digestSyncRounds));
    }
    Record sender = members.get(d.senderName());
    sendPartial(d.sender(), false, buckets, chosen, sender != null && sender.is(Record.INFLATES_BIT), out);
  }

  /** A partial push-pull: merged; the first one is answered with this node's members of its buckets. */
  private void handlePartialPushPull(long now, PushPull header, Outbox out) {
    mergeState(now, header, out);
    if (header.reply()) {
      return;
    }
    byte[] marker = syncBuckets(pendingStates);
    int buckets = ByteBuffer.wrap(marker).getInt();
    byte[] chosen = java.util.Arrays.copyOfRange(marker, 4, marker.length);
    sendPartial(header.sender(), true, buckets, chosen, header.deflated(), out);
  }

  /** The {@link #SYNC_BUCKETS} state's bytes among {@code states}, or null. */
  private static byte[] syncBuckets(List<? extends Message> states) {
    for (Message m : states) {
      if (m instanceof ProtocolState st && st.protocol().equals(SYNC_BUCKETS)) {
        return st.state();
      }
    }
    return null;
  }

  /**
   * Sends this node's members of the {@code chosen} buckets (of {@code buckets}), up to {@link
   * MembershipConfig#digestSyncMaxEntries}, as a partial push-pull; deflated when the peer reads
   * that and it is worth it.
   */
  private void sendPartial(Endpoint to, boolean reply, int buckets, byte[] chosen, boolean deflate, Outbox out) {
    List<Record> entries = new ArrayList<>();
    int size = WireFormat.overhead(64) + 400 + 32 + chosen.length;
    long limit = Math.min(config.pushPullMaxBytes, config.streamMessageMaxBytes - size);
    long[] stateBytes = {0};
    int bits = MemberDigest.bits(buckets);
    for (int b = 0; b < buckets && entries.size() < config.digestSyncMaxEntries; b++) {
      if ((chosen[b >>> 3] & (1 << (b & 7))) == 0) {
        continue;
      }
      int bucket = b;
      // The table keeps a bucket's members in one run of slots: only those are visited.
      members.forEachNear(bucket, bits, r -> {
        if (entries.size() >= config.digestSyncMaxEntries || MemberDigest.bucket(r.v.name, buckets) != bucket
            || entryIncarnation(r) == Long.MIN_VALUE) {
          return;
        }
        long bytes = MemberStateEntry.size(r.v.nameUtf8Bytes(), r.v.endpoint, r.v.metadata.length);
        if (stateBytes[0] + bytes <= limit) {
          stateBytes[0] += bytes;
          entries.add(r);
        }
      });
    }
    if (reply && entries.isEmpty()) {
      return;
    }
    byte[] marker = new byte[4 + chosen.length];
    ByteBuffer.wrap(marker).putInt(buckets).put(chosen);
    PushPull header = new PushPull(false, reply, self.v.name, self.v.endpoint, entries.size(), false, true);
    PacketWriter w = new PacketWriter(size + (int) stateBytes[0], clusterName).begin();
    write(w, header);
    int headerEnd = w.position();
    for (Record r : entries) {
      writeEntry(w, r.v, entryIncarnation(r));
    }
    write(w, new ProtocolState(SYNC_BUCKETS, marker));
    int messages = w.messageCount() - 1;
    ByteBuffer packet = w.finish();
    if (deflate && config.pushPullDeflateLevel > 0 && packet.remaining() > 1024) {
      byte[] body = new byte[packet.limit() - WireFormat.CRC_LENGTH - headerEnd];
      packet.get(headerEnd, body);
      ByteBuffer deflated = deflated(new PushPullEncoding(lastNow, false, self.v, entries.size(), body, messages),
          header);
      if (deflated != null) {
        packet = deflated;
      }
    }
    countOut(packet);
    out.send(to, packet, Delivery.STREAM);
  }

  /** Writes {@code v} as a member entry of a state exchange, claimed at {@code incarnation}. */
  private static void writeEntry(PacketWriter w, View v, long incarnation) {
    w.beginMessage(MessageType.MEMBER_STATE);
    MemberStateEntry.writeBody(w, v.state, incarnation, v.name, v.endpoint, v.protocolMin, v.protocolMax, v.metadata);
    w.endMessage();
  }

  /**
   * The incarnation a state exchange claims for {@code r}: only what is known, the metadata held at
   * the incarnation it is known for; Long.MIN_VALUE when none is (learned by reference, never
   * fetched: not sent). A suspicion at a later incarnation travels by gossip.
   */
  private long entryIncarnation(Record r) {
    View v = r.v;
    if (r != self && (r.is(Record.META_STALE) || v.metaIncarnation < v.incarnation)) {
      return v.metaIncarnation;
    }
    return v.incarnation;
  }

  // ------------------------------------------------------------------ helpers

  /** Member changes reach the application and, through the stack, every other protocol. */
  private void emit(Outbox out, ProtocolEvent event) {
    if (context == null) {
      out.emit(event);
    } else {
      context.emit(lastNow, event, out);
    }
  }

  /**
   * Queues gossip of {@code r} alive: with its metadata when that fits {@link
   * MembershipConfig#inlineMetadataLimit()}, else by reference (length and digest), as also while
   * this node has not fetched it yet, so that gossip datagrams never carry large metadata.
   */
  private void queueAlive(Record r) {
    if (r.is(Record.META_STALE)) {
      Cold c = peek(r);
      queue(r.v.name, new AliveRef(r.v.incarnation, r.v.name, r.v.endpoint, r.v.protocolMin, r.v.protocolMax, c.wantLength,
          c.wantDigest));
    } else if (r.v.metadata.length > config.inlineMetadataLimit()) {
      queue(r.v.name, new AliveRef(r.v.incarnation, r.v.name, r.v.endpoint, r.v.protocolMin, r.v.protocolMax,
          r.v.metadata.length, r.v.metaDigest));
    } else {
      // The same view always encodes to the same alive: encoded once per view, not once per queueing
      // (every node that hears of a join queues it).
      byte[] message = r.v.alive;
      if (message == null) {
        message = encode(new Alive(r.v.incarnation, r.v.name, r.v.endpoint, r.v.protocolMin, r.v.protocolMax,
            r.v.metadata));
        r.v.alive = message;
      }
      queueEncoded(r.v.name, message);
    }
  }

  // ------------------------------------------------------------------ metadata by reference

  private static final byte[] NO_METADATA = new byte[0];
  private static final long DIGEST_SEED = 0x6d657461L;

  /** The 64-bit digest that names metadata in an {@link AliveRef}. */
  static long digest(byte[] metadata) {
    return Hash64.hash(metadata, 0, metadata.length, DIGEST_SEED);
  }

  private static boolean holds(Record r, long digest, int length) {
    return r.v.metadata.length == length && r.v.metaDigest == digest;
  }

  private void setMetadata(Record r, byte[] metadata, long digest, long incarnation) {
    setView(r, r.v.withMetadata(metadata, digest, incarnation));
    if (r.is(Record.META_STALE)) {
      r.set(Record.META_STALE, false);
      staleMetadata.remove(r);
      if (peek(r).fetchDeadlineMillis != 0) {
        endFetch(r);
      }
    }
  }

  private void markStale(Record r, long digest, int length) {
    if (!r.is(Record.META_STALE)) {
      r.set(Record.META_STALE, true);
      staleMetadata.add(r);
    }
    Cold c = cold(r);
    c.wantDigest = digest;
    c.wantLength = length;
    if (fetching.size() >= config.metadataFetchesInFlight) {
      stats.metadataFetchesDeferred++;
    }
  }

  private void endFetch(Record r) {
    if (peek(r) != Cold.NONE) {
      cold(r).fetchDeadlineMillis = 0;
    }
    fetching.remove(r);
  }

  /**
   * Starts fetches of stale metadata while slots are free: one per member, at most
   * metadataFetchesInFlight in all. The request is a datagram to the member itself, which answers
   * with its metadata over TCP.
   */
  private void startFetches(long now, Outbox out) {
    for (int i = 0; i < staleMetadata.size() && fetching.size() < config.metadataFetchesInFlight; ) {
      Record r = staleMetadata.get(i);
      i++;
      // A gone member is not asked (it stays stale until it comes back or is reaped).
      if (peek(r).fetchDeadlineMillis != 0 || r.v.state.isGone() || leaving) {
        continue;
      }
      cold(r).fetchDeadlineMillis = Math.max(1, now + config.metadataFetchTimeout.toMillis());
      fetching.add(r);
      stats.metadataFetches++;
      datagram.begin();
      write(datagram, new MetadataRequest(r.v.name, peek(r).wantDigest, self.v.name, self.v.endpoint));
      send(r.v.endpoint, out);
    }
  }

  /** Gives up fetches unanswered in time (a lost datagram, a slow member): tried again, last in line. */
  private void expireFetches(long now) {
    for (int i = 0; i < fetching.size(); ) {
      Record r = fetching.get(i);
      if (now >= peek(r).fetchDeadlineMillis) {
        endFetch(r);
        stats.metadataFetchTimeouts++;
        if (staleMetadata.remove(r)) {
          staleMetadata.add(r);
        }
      } else {
        i++;
      }
    }
  }

  /** Answers a fetch of this node's metadata with its alive state and whole metadata, over TCP. */
  private void serveMetadata(MetadataRequest req, Outbox out) {
    Record requester = members.get(req.requesterName());
    // Answered only to a member at its known address: a forged request cannot aim TCP traffic at
    // an address outside the cluster.
    if (!req.name().equals(self.v.name)) {
      // Meant for a node that used to live at this address.
      context.dropped(DropReason.UNEXPECTED);
      return;
    }
    if (requester == null || requester == self || !requester.v.endpoint.equals(req.requester())
        || requester.v.state.isGone()) {
      // Not yet known (a joiner's request): it asks again after metadataFetchTimeout.
      stats.metadataRequestsRefused++;
      return;
    }
    stats.metadataServed++;
    Metadata m = new Metadata(self.v.incarnation, self.v.name, self.v.endpoint, self.v.protocolMin, self.v.protocolMax,
        self.v.metadata);
    PacketWriter w = new PacketWriter(WireFormat.overhead(64) + (int) WireSize.message(m::writeBody), clusterName)
        .begin();
    write(w, m);
    ByteBuffer packet = w.finish();
    countOut(packet);
    out.send(req.requester(), packet, Delivery.STREAM);
  }

  /** Counters of metadata travelling by reference and fetch. */
  public MetadataStats metadataStats() {
    return new MetadataStats(stats.metadataFetches, stats.metadataFetched, stats.metadataFetchTimeouts,
        stats.metadataFetchesDeferred, stats.metadataServed, stats.metadataRequestsRefused, staleMetadata.size());
  }

  private void queue(String key, Message m) {
    queueEncoded(key, encode(m));
  }

  /** {@code m} encoded as a whole message, shared through the interner. */
  private byte[] encode(Message m) {
    encoder.begin(m.type());
    m.writeBody(encoder);
    return interner.message(encoder.end());
  }

  private void queueEncoded(String key, byte[] message) {
    // Member names key the queue directly (no per-update key string); other protocols' keys are wrapped
    // in ExtensionKey, so the two can never collide.
    resumeGossip();
    if (merging) {
      // State learned in bulk is mostly old news: it may fill a free slot but never evicts gossip.
      broadcasts.offer(key, message);
    } else {
      broadcasts.add(key, message);
    }
  }

  private static void write(PacketWriter w, Message m) {
    w.beginMessage(m.type());
    m.writeBody(w);
    w.endMessage();
  }

  /** Piggybacks queued updates on the packet in {@link #datagram} and sends it. */
  private void send(Endpoint to, Outbox out) {
    broadcasts.fill(datagram, retransmitLimit());
    ByteBuffer packet = datagram.finish();
    countOut(packet);
    out.send(to, packet, Delivery.DATAGRAM);
  }

  private void countOut(ByteBuffer packet) {
    stats.packetsOut++;
    stats.bytesOut += packet.remaining();
  }

  /** Fills {@link #picks} with up to {@code k} distinct random members (never self) matching {@code filter}. */
  private void pickRandom(int k, Predicate<Record> filter) {
    picks.clear();
    int n = others.size();
    if (n == 0 || k <= 0) {
      return;
    }
    if (n <= 4 * k + 8) {
      // Small pool: scan from a random start with a random stride coprime to n is overkill; a
      // partial shuffle of indices is exact and cheap.
      int[] idx = new int[n];
      for (int i = 0; i < n; i++) {
        idx[i] = i;
      }
      for (int i = 0; i < n && picks.size() < k; i++) {
        int j = i + random.nextInt(n - i);
        int t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
        Record r = others.get(idx[i]);
        if (filter.test(r)) {
          picks.add(r);
        }
      }
      return;
    }
    for (int attempt = 0; attempt < 8 * k && picks.size() < k; attempt++) {
      Record r = others.get(random.nextInt(n));
      if (filter.test(r) && !picks.contains(r)) {
        picks.add(r);
      }
    }
  }

  private void shuffle(List<Record> list) {
    for (int i = list.size() - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      Record t = list.get(i);
      list.set(i, list.get(j));
      list.set(j, t);
    }
  }
}
