// SPDX-License-Identifier: Apache-2.0
package io.grapevine.config;

import static io.grapevine.node.ConfigChecks.nonNegative;
import static io.grapevine.node.ConfigChecks.positive;
import static io.grapevine.node.ConfigChecks.range;

import io.grapevine.config.KnobDoc;
import io.grapevine.node.ConfigChecks;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Every knob of the membership protocol, immutable, with three profiles ({@link #lan()}, {@link
 * #wan()}, {@link #local()}). Defaults follow memberlist's, whose tuning has years of production
 * behind it; each field's Javadoc gives the reason and the formula it feeds. Build variants with
 * {@link #toBuilder()}; {@link Builder#build()} validates and names the bad knob.
 */
public final class MembershipConfig {

  /** How often a node probes one member. Detection time is a small multiple of it. */
  @KnobDoc(
      value = "one member is probed per interval; a failure is detected within a few intervals",
      valid = "positive")
  public final Duration probeInterval;
  /** How long to wait for a direct ack before asking others to probe indirectly. Above LAN RTT. */
  @KnobDoc(
      value = "wait for a direct ack before asking others to probe indirectly; above the round-trip time",
      valid = "positive, below probeInterval")
  public final Duration probeTimeout;
  /** k: members asked to probe indirectly when a direct probe fails; also Lifeguard's k. */
  @KnobDoc(
      value = "members asked to probe a silent member indirectly; also Lifeguard's expected confirmations (k)",
      unit = "members", valid = "0..16")
  public final int indirectChecks;
  /** Min suspicion timeout = suspicionMult * max(1, log10 N) * probeInterval. */
  @KnobDoc(
      value = "minimum suspicion timeout = suspicionMult × max(1, log10 N) × probeInterval",
      unit = "multiplier", valid = "1..100")
  public final int suspicionMult;
  /** Max suspicion timeout (with no confirmations) = suspicionMaxTimeoutMult * min timeout. */
  @KnobDoc(
      value = "maximum suspicion timeout (no confirmations) = this × the minimum",
      unit = "multiplier", valid = "1..100")
  public final int suspicionMaxTimeoutMult;
  /** Each membership update is retransmitted retransmitMult * ceil(log10(N + 1)) times. */
  @KnobDoc(
      value = "each membership update is sent retransmitMult × ceil(log10(N + 1)) times",
      unit = "multiplier", valid = "1..100")
  public final int retransmitMult;
  /** How often queued updates are gossiped to {@link #gossipNodes} random members. */
  @KnobDoc(value = "queued updates are pushed to gossipNodes random members this often", valid = "positive")
  public final Duration gossipInterval;
  /** Fanout of each gossip round. */
  @KnobDoc(value = "fanout of each gossip round", unit = "members", valid = "1..64")
  public final int gossipNodes;
  /** Dead members still receive gossip this long, so a falsely declared node learns and refutes. */
  @KnobDoc(
      value = "dead members still get gossip this long, so a falsely accused node learns it and refutes",
      valid = "0 or positive")
  public final Duration gossipToTheDeadTime;
  /**
   * Full-state exchange over TCP with one random member; repairs whatever gossip missed. Scaled by
   * ceil(log2 N - 5) + 1 above 32 members so cluster-wide load stays flat.
   */
  @KnobDoc(
      value = "full-state TCP sync with one random member, repairing whatever gossip missed; × (ceil(log2 N − 5) + 1) above 32 members; each period jittered ±25% so that nodes started together do not sync in one burst",
      valid = "positive")
  public final Duration pushPullInterval;
  /**
   * A node whose gossip queue holds more than this much gossip time (a join storm: more news than
   * piggybacking can carry) also syncs full state with a random member, at most once per this
   * period, the wait doubling while the backlog lasts (up to the push-pull interval), and once more
   * when it clears. A full state merged from any push-pull (its own or a peer's) within the wait
   * counts as that sync. Zero: off.
   */
  @KnobDoc(
      value = "a node whose gossip queue owes more than this much gossip time (a join storm) also syncs full state with a random member, the wait doubling while the backlog lasts; 0 = off",
      valid = "0 or positive")
  public final Duration backlogSyncAfter;
  /**
   * Digest sync: this often a node sends a summary of its member table (a sum per bucket of
   * members, about 2 bytes per member, at most 8 KiB) to one random member, which answers only
   * if they differ, with the members of the differing buckets, and gets the sender's in return. It
   * repairs what gossip missed (a rumor dropped from full queues in a join storm, a lost datagram)
   * within seconds, at a cost that scales with the difference, not with N as a full push-pull does.
   * A node whose table differs in more buckets than one exchange carries syncs again a probe
   * interval later. Jittered ±25%. Zero: off.
   */
  @KnobDoc(
      value = "a node sends a digest of its member table (a sum per bucket of about 4 members) to a random member this often, and a probe interval later while its table differs more than one exchange carries; only differing buckets' members are exchanged, so what gossip missed is repaired in seconds at a cost set by the difference, not by N; jittered ±25%; 0 = off",
      valid = "0 or positive")
  public final Duration digestSyncInterval;
  /**
   * Most member entries one side sends in one digest sync; the differing buckets beyond it (taken
   * from a random one onwards) wait for the next sync. Bounds a sync's cost while views still differ
   * widely (a join storm), when a full push-pull is what repairs.
   */
  @KnobDoc(
      value = "most member entries one side sends in a digest sync (the rest wait for the next), bounding its cost while views differ widely",
      unit = "members", valid = "1..65536")
  public final int digestSyncMaxEntries;
  /**
   * A member first learned from another node's table (a push-pull, a digest sync) is re-announced
   * by gossip only while this node's gossip queue holds fewer updates than this. In a small cluster
   * that spreads a join at once; in a join storm of thousands, re-announcing every member a joiner
   * learns would queue news the cluster mostly has (10^8 updates at N = 10,000), and what some node
   * still lacks the digest syncs find. Members learned by gossip are always passed on.
   */
  @KnobDoc(
      value = "a member first learned from another node's table (push-pull, digest sync) is re-announced only while the gossip queue holds fewer updates than this: a small cluster spreads joins at once, a join storm of thousands does not queue news the cluster already has",
      unit = "updates", valid = "0..10000000")
  public final int reannounceQueueLimit;
  /** Lifeguard local-health multiplier cap: timeouts stretch up to this factor on a slow node. */
  @KnobDoc(
      value = "Lifeguard: a node in bad local health stretches its timeouts up to this factor",
      unit = "multiplier", valid = "1..100")
  public final int awarenessMaxMultiplier;
  /** Lifeguard on (dynamic suspicion, local health, nacks, buddy); off gives plain SWIM. */
  @KnobDoc("Lifeguard on; false is plain SWIM: fixed suspicion timeout, no local health, no nacks, no buddy")
  public final boolean lifeguard;
  /** Also ping over TCP when a UDP probe fails: tells UDP loss from a dead node. */
  @KnobDoc("a failed UDP probe is retried over TCP, telling UDP loss from a dead node")
  public final boolean tcpFallbackPing;
  /** Largest datagram payload, bytes. 1400 fits an Ethernet MTU with IP/UDP headers. */
  @KnobDoc(
      value = "largest datagram payload; 1400 fits an Ethernet MTU with IP and UDP headers",
      unit = "bytes", valid = "512..65000")
  public final int udpPayloadBytes;
  /**
   * Largest stream (TCP) frame, bytes: the one frame-size limit. The socket transport refuses a
   * frame announcing more (and closes the connection), the stack drops a larger stream packet, and
   * a push-pull is truncated to fit it.
   */
  @KnobDoc(
      value = "largest TCP frame, in and out: the transport closes a connection announcing more; bounds push-pull and large payloads",
      unit = "bytes", valid = "65536..1073741824")
  public final int streamMessageMaxBytes;
  /**
   * Most member entries accepted from one push-pull; a larger one is dropped whole and counted
   * ({@code push_pull_too_many_members}). Senders stop at it too, so equal configs never trip it.
   */
  @KnobDoc(
      value = "most member entries accepted from one push-pull (a larger one is dropped and counted); senders truncate to it",
      unit = "members", valid = "1..10000000")
  public final int pushPullMaxMembers;
  /**
   * Most bytes of state (member entries and other protocols' states, as framed on the wire)
   * accepted from one push-pull; a larger one is dropped whole and counted ({@code
   * push_pull_too_large}). Senders stop at it too. The smaller of it and {@link
   * #streamMessageMaxBytes} applies.
   */
  @KnobDoc(
      value = "most bytes of state accepted from one push-pull (a larger one is dropped and counted); senders truncate to it",
      unit = "bytes", valid = "1024..1073741824")
  public final int pushPullMaxBytes;
  /**
   * Deflate level (1..9) of the push-pulls this node sends to peers that said they read deflated
   * ones, or that other members vouched for until they speak for themselves; 0 sends none and does
   * not ask for them (deflated ones are read at any setting). A peer that never says so, such as one
   * of an earlier version, is sent plain push-pulls. The default is 1, not zlib's 6: on member lists
   * it takes a third of the CPU or less (1.0 against 3.4 ms for a 10,000-member state) for 1% more
   * bytes at N = 50, and a simulated join of 3,000 nodes ran a quarter faster (docs/benchmarks.md).
   */
  @KnobDoc(
      value = "deflate level of push-pulls sent to peers that read them (they say so in their own, or others vouch for them); 0: plain only. Default 1: on member lists about the bytes of 6 for a third of the CPU or less. Deflated ones are read at any level",
      unit = "level", valid = "0..9")
  public final int pushPullDeflateLevel;
  /**
   * A push-pull sent within this long of the last one this node encoded sends that encoding (and its
   * deflated form) again instead of encoding the whole member list anew, so a seed answering a join
   * storm of thousands encodes and deflates its state a few times a second, not once per joiner. The
   * state sent is at most this old: what changed meanwhile comes by gossip, as it would have had the
   * exchange been that much slower. Zero: every push-pull is encoded afresh.
   */
  @KnobDoc(
      value = "a push-pull sent within this long of the last one resends its encoding instead of encoding the member list again (a seed in a join storm encodes a few times a second, not once per joiner); the state sent is at most this old; 0 = off",
      valid = "0..pushPullInterval")
  public final Duration pushPullReuse;
  /**
   * Concurrent inbound TCP connections the socket transport holds; more are closed at accept and
   * counted ({@code concurrent_limit}). Push-pulls are short: a node rarely holds more than a few.
   */
  @KnobDoc(
      value = "concurrent inbound TCP connections; more are closed at accept and counted (push-pulls are short: a node rarely holds more than a few)",
      unit = "connections", valid = "1..65536")
  public final int maxInboundConnections;
  /**
   * New inbound TCP connections accepted from one source address per second (a token bucket of
   * this size refilled at this rate); more are closed at accept and counted ({@code rate_limit}).
   * Nodes of one host share an address, so the default leaves room for a join storm of a hundred
   * local nodes. Zero: no rate limit.
   */
  @KnobDoc(
      value = "new inbound TCP connections accepted per source address per second (burst the same); more are closed and counted; 0 = off",
      unit = "connections/s", valid = "0..1000000")
  public final int inboundConnectionsPerSecondPerSource;
  /**
   * Largest per-node metadata, bytes, sent and accepted: a member announcing more is dropped and
   * counted ({@code oversized}) before anything is allocated. Up to {@link #metadataInlineBytes} it
   * rides in alive messages; larger, it travels by TCP (push-pull, or a fetch when a member's
   * metadata changes). 65,535 is the most a member entry's two-byte length holds.
   */
  @KnobDoc(
      value = "largest per-node metadata, sent and accepted (more is dropped and counted); above metadataInlineBytes it travels by TCP, not in alive datagrams",
      unit = "bytes", valid = "0..65535")
  public final int metadataMaxBytes;
  /**
   * Metadata up to this size rides inline in every alive message (gossip datagrams); larger
   * metadata is named there by length and digest only, and a node that lacks it fetches it from the
   * member over TCP or gets it in the next push-pull. The smaller of it and {@code udpPayloadBytes
   * - 400} applies ({@link #inlineMetadataLimit()}), so an alive message always fits a datagram.
   */
  @KnobDoc(
      value = "metadata up to this size rides in alive datagrams; larger is announced by digest and fetched over TCP",
      unit = "bytes", valid = "0..1024 (the smaller of it and udpPayloadBytes − 400 applies)")
  public final int metadataInlineBytes;
  /**
   * Metadata fetches a node has in flight at once (at most one per member); a fetch it cannot start
   * is counted as deferred and retried when one finishes, or the next push-pull brings the data.
   */
  @KnobDoc(
      value = "metadata fetches in flight at once (one per member at most); more wait, counted as deferred",
      unit = "fetches", valid = "1..1024")
  public final int metadataFetchesInFlight;
  /** A metadata fetch unanswered this long is given up (counted) and its slot freed; it is tried again later. */
  @KnobDoc(
      value = "a metadata fetch unanswered this long is given up (counted) and retried later",
      valid = "positive")
  public final Duration metadataFetchTimeout;
  /** Dead and left members stay listed this long (visible to operators), then are reaped. */
  @KnobDoc(
      value = "dead and left members stay listed this long (for operators), then are reaped",
      valid = "0 or positive")
  public final Duration deadMemberRetention;
  /** A reaped member's last incarnation is remembered this long so stale gossip cannot revive it. */
  @KnobDoc(
      value = "a reaped member's incarnation is remembered this long so stale gossip cannot revive it",
      valid = "0 or positive")
  public final Duration tombstoneRetention;
  /** Cap on members tracked, against memory exhaustion by forged joins. */
  @KnobDoc(
      value = "cap on tracked members (and tombstones) against memory exhaustion by forged joins",
      unit = "members", valid = "2..10000000")
  public final int maxMembers;
  /** On leave, how long a node keeps gossiping its departure before it closes. */
  @KnobDoc(value = "a leaving node keeps gossiping its departure this long before it closes", valid = "0 or positive")
  public final Duration leavePropagateTime;
  /**
   * Cap on updates queued for gossip; when full, the most-retransmitted (then oldest) is dropped
   * and push-pull and digest syncs repair what it would have told. Bounds memory when a join storm
   * brings news of thousands of members at once. The default is several times what gossip retires within {@link
   * #backlogSyncAfter} at the lan rates (about 30 updates a second at N = 10,000): a longer queue
   * only holds news that a backlog sync delivers first.
   */
  @KnobDoc(
      value = "cap on updates queued for gossip (a join storm brings news of thousands of members at once); when full the most-retransmitted, then oldest, is dropped and syncs repair the rest; several times what gossip retires before a backlog sync",
      unit = "updates", valid = "16..10000000")
  public final int maxQueuedBroadcasts;

  /**
   * Verdicts on flaky members: a refuted suspect stays shown suspect until its flap penalty (one
   * per refuted suspicion, halving every this long) falls below one half, so a member that keeps
   * failing probes and refuting is suspect once, everywhere, instead of flapping. Zero: off, a
   * refutation shows the member alive at once (plain SWIM).
   */
  @KnobDoc(
      value = "a refuted suspect stays shown suspect until its flap penalty (one per refuted suspicion, halving every this long) is below 1/2: flaky members get one verdict instead of flapping; 0 = off",
      valid = "0 or positive")
  public final Duration flapHalfLife;
  /** Cap on the flap penalty: a held member shows alive again at most flapHalfLife × log2(2 × this) after its last refutation. */
  @KnobDoc(
      value = "cap on a member's flap penalty; it is shown alive again at most flapHalfLife × log2(2 × this) after its last refutation",
      unit = "refutations", valid = "1..64")
  public final int flapPenaltyMax;
  /**
   * A failed probe accuses only if at least one relay's nack came back (a second witness that this
   * node can hear; else its own receive path is as likely at fault), and accusations by members
   * this node holds suspect are ignored.
   */
  @KnobDoc("a failed probe accuses only if at least one relay's nack came back, and accusations by members this node holds suspect are ignored: a deaf node cannot get healthy members suspected")
  public final boolean accuseWhenHealthy;

  private MembershipConfig(Builder b) {
    this.flapHalfLife = b.flapHalfLife;
    this.flapPenaltyMax = b.flapPenaltyMax;
    this.accuseWhenHealthy = b.accuseWhenHealthy;
    this.probeInterval = b.probeInterval;
    this.probeTimeout = b.probeTimeout;
    this.indirectChecks = b.indirectChecks;
    this.suspicionMult = b.suspicionMult;
    this.suspicionMaxTimeoutMult = b.suspicionMaxTimeoutMult;
    this.retransmitMult = b.retransmitMult;
    this.gossipInterval = b.gossipInterval;
    this.gossipNodes = b.gossipNodes;
    this.gossipToTheDeadTime = b.gossipToTheDeadTime;
    this.pushPullInterval = b.pushPullInterval;
    this.backlogSyncAfter = b.backlogSyncAfter;
    this.digestSyncInterval = b.digestSyncInterval;
    this.digestSyncMaxEntries = b.digestSyncMaxEntries;
    this.reannounceQueueLimit = b.reannounceQueueLimit;
    this.awarenessMaxMultiplier = b.awarenessMaxMultiplier;
    this.lifeguard = b.lifeguard;
    this.tcpFallbackPing = b.tcpFallbackPing;
    this.udpPayloadBytes = b.udpPayloadBytes;
    this.streamMessageMaxBytes = b.streamMessageMaxBytes;
    this.pushPullMaxMembers = b.pushPullMaxMembers;
    this.pushPullMaxBytes = b.pushPullMaxBytes;
    this.pushPullDeflateLevel = b.pushPullDeflateLevel;
    this.pushPullReuse = b.pushPullReuse;
    this.maxInboundConnections = b.maxInboundConnections;
    this.inboundConnectionsPerSecondPerSource = b.inboundConnectionsPerSecondPerSource;
    this.metadataMaxBytes = b.metadataMaxBytes;
    this.metadataInlineBytes = b.metadataInlineBytes;
    this.metadataFetchesInFlight = b.metadataFetchesInFlight;
    this.metadataFetchTimeout = b.metadataFetchTimeout;
    this.deadMemberRetention = b.deadMemberRetention;
    this.tombstoneRetention = b.tombstoneRetention;
    this.maxMembers = b.maxMembers;
    this.leavePropagateTime = b.leavePropagateTime;
    this.maxQueuedBroadcasts = b.maxQueuedBroadcasts;
  }

  /** Local-area network: the default. */
  public static MembershipConfig lan() {
    return new Builder().build();
  }

  /** Wide-area: longer intervals and timeouts for higher, more variable latency. */
  public static MembershipConfig wan() {
    return new Builder()
        .probeInterval(Duration.ofSeconds(5))
        .probeTimeout(Duration.ofSeconds(3))
        .suspicionMult(6)
        .gossipInterval(Duration.ofMillis(500))
        .gossipNodes(4)
        .gossipToTheDeadTime(Duration.ofSeconds(60))
        .pushPullInterval(Duration.ofSeconds(60))
        .digestSyncInterval(Duration.ofSeconds(15))
        .build();
  }

  /** One host (loopback): short timeouts, lighter retransmission. */
  public static MembershipConfig local() {
    return new Builder()
        .probeTimeout(Duration.ofMillis(200))
        .indirectChecks(1)
        .suspicionMult(3)
        .retransmitMult(2)
        .gossipInterval(Duration.ofMillis(100))
        .gossipToTheDeadTime(Duration.ofSeconds(15))
        .pushPullInterval(Duration.ofSeconds(15))
        .build();
  }

  /** A profile by name: lan, wan or local. */
  public static MembershipConfig profile(String name) {
    switch (name.toLowerCase(java.util.Locale.ROOT)) {
      case "lan":
        return lan();
      case "wan":
        return wan();
      case "local":
        return local();
      default:
        throw new IllegalArgumentException("unknown profile '" + name + "' (expected lan, wan or local)");
    }
  }

  public Builder toBuilder() {
    return new Builder(this);
  }

  /** The largest metadata sent inline in alive messages: metadataInlineBytes, within a datagram's room. */
  public int inlineMetadataLimit() {
    return Math.max(0, Math.min(metadataInlineBytes, udpPayloadBytes - ALIVE_ROOM));
  }

  /** Retransmissions of each update: retransmitMult * ceil(log10(n + 1)). */
  public int retransmitLimit(int n) {
    return retransmitMult * (int) Math.ceil(Math.log10(n + 1.0));
  }

  /** Minimum suspicion timeout for a cluster of n: suspicionMult * max(1, log10 n) * probeInterval. */
  public long suspicionMinMillis(int n) {
    double scale = Math.max(1.0, Math.log10(Math.max(1.0, n)));
    return (long) (suspicionMult * scale * probeInterval.toMillis());
  }

  /** Maximum suspicion timeout for a cluster of n. */
  public long suspicionMaxMillis(int n) {
    return suspicionMaxTimeoutMult * suspicionMinMillis(n);
  }

  /** Push-pull interval for a cluster of n, scaled above 32 members. */
  public long pushPullIntervalMillis(int n) {
    long base = pushPullInterval.toMillis();
    if (n <= 32) {
      return base;
    }
    double mult = Math.ceil(Math.log(n) / Math.log(2) - 5) + 1;
    return (long) (base * mult);
  }

  /**
   * Bytes of a datagram an inline alive message needs besides its metadata: the longest name and
   * an IPv6 endpoint (about 300), the packet envelope with the longest cluster name, and a seal.
   */
  static final int ALIVE_ROOM = 400;

  /** Builder with LAN defaults. */
  public static final class Builder {
    private Duration probeInterval = Duration.ofSeconds(1);
    private Duration probeTimeout = Duration.ofMillis(500);
    private int indirectChecks = 3;
    private int suspicionMult = 4;
    private int suspicionMaxTimeoutMult = 6;
    private int retransmitMult = 4;
    private Duration gossipInterval = Duration.ofMillis(200);
    private int gossipNodes = 3;
    private Duration gossipToTheDeadTime = Duration.ofSeconds(30);
    private Duration pushPullInterval = Duration.ofSeconds(30);
    private Duration backlogSyncAfter = Duration.ofSeconds(20);
    private Duration digestSyncInterval = Duration.ofSeconds(5);
    private int digestSyncMaxEntries = 256;
    private int reannounceQueueLimit = 64;
    private int awarenessMaxMultiplier = 8;
    private boolean lifeguard = true;
    private boolean tcpFallbackPing = true;
    private int udpPayloadBytes = 1400;
    private int streamMessageMaxBytes = 16 * 1024 * 1024;
    private int pushPullMaxMembers = 65_536;
    private int pushPullMaxBytes = 8 * 1024 * 1024;
    private int pushPullDeflateLevel = 1;
    private Duration pushPullReuse = Duration.ofMillis(250);
    private int maxInboundConnections = 256;
    private int inboundConnectionsPerSecondPerSource = 256;
    private int metadataMaxBytes = 512;
    private int metadataInlineBytes = 512;
    private int metadataFetchesInFlight = 16;
    private Duration metadataFetchTimeout = Duration.ofSeconds(2);
    private Duration deadMemberRetention = Duration.ofMinutes(5);
    private Duration tombstoneRetention = Duration.ofMinutes(30);
    private int maxMembers = 100_000;
    private Duration leavePropagateTime = Duration.ofSeconds(1);
    private int maxQueuedBroadcasts = 4_096;
    private Duration flapHalfLife = Duration.ofSeconds(10);
    private int flapPenaltyMax = 4;
    private boolean accuseWhenHealthy = true;

    public Builder() {}

    private Builder(MembershipConfig c) {
      probeInterval = c.probeInterval;
      probeTimeout = c.probeTimeout;
      indirectChecks = c.indirectChecks;
      suspicionMult = c.suspicionMult;
      suspicionMaxTimeoutMult = c.suspicionMaxTimeoutMult;
      retransmitMult = c.retransmitMult;
      gossipInterval = c.gossipInterval;
      gossipNodes = c.gossipNodes;
      gossipToTheDeadTime = c.gossipToTheDeadTime;
      pushPullInterval = c.pushPullInterval;
      backlogSyncAfter = c.backlogSyncAfter;
      digestSyncInterval = c.digestSyncInterval;
      digestSyncMaxEntries = c.digestSyncMaxEntries;
      reannounceQueueLimit = c.reannounceQueueLimit;
      awarenessMaxMultiplier = c.awarenessMaxMultiplier;
      lifeguard = c.lifeguard;
      tcpFallbackPing = c.tcpFallbackPing;
      udpPayloadBytes = c.udpPayloadBytes;
      streamMessageMaxBytes = c.streamMessageMaxBytes;
      pushPullMaxMembers = c.pushPullMaxMembers;
      pushPullMaxBytes = c.pushPullMaxBytes;
      pushPullDeflateLevel = c.pushPullDeflateLevel;
      pushPullReuse = c.pushPullReuse;
      maxInboundConnections = c.maxInboundConnections;
      inboundConnectionsPerSecondPerSource = c.inboundConnectionsPerSecondPerSource;
      metadataMaxBytes = c.metadataMaxBytes;
      metadataInlineBytes = c.metadataInlineBytes;
      metadataFetchesInFlight = c.metadataFetchesInFlight;
      metadataFetchTimeout = c.metadataFetchTimeout;
      deadMemberRetention = c.deadMemberRetention;
      tombstoneRetention = c.tombstoneRetention;
      maxMembers = c.maxMembers;
      leavePropagateTime = c.leavePropagateTime;
      maxQueuedBroadcasts = c.maxQueuedBroadcasts;
      flapHalfLife = c.flapHalfLife;
      flapPenaltyMax = c.flapPenaltyMax;
      accuseWhenHealthy = c.accuseWhenHealthy;
    }

    public Builder probeInterval(Duration v) { probeInterval = v; return this; }
    public Builder probeTimeout(Duration v) { probeTimeout = v; return this; }
    public Builder indirectChecks(int v) { indirectChecks = v; return this; }
    public Builder suspicionMult(int v) { suspicionMult = v; return this; }
    public Builder suspicionMaxTimeoutMult(int v) { suspicionMaxTimeoutMult = v; return this; }
    public Builder retransmitMult(int v) { retransmitMult = v; return this; }
    public Builder gossipInterval(Duration v) { gossipInterval = v; return this; }
    public Builder gossipNodes(int v) { gossipNodes = v; return this; }
    public Builder gossipToTheDeadTime(Duration v) { gossipToTheDeadTime = v; return this; }
    public Builder pushPullInterval(Duration v) { pushPullInterval = v; return this; }
    public Builder backlogSyncAfter(Duration v) { backlogSyncAfter = v; return this; }
    public Builder digestSyncInterval(Duration v) { digestSyncInterval = v; return this; }
    public Builder digestSyncMaxEntries(int v) { digestSyncMaxEntries = v; return this; }
    public Builder reannounceQueueLimit(int v) { reannounceQueueLimit = v; return this; }
    public Builder awarenessMaxMultiplier(int v) { awarenessMaxMultiplier = v; return this; }
    public Builder lifeguard(boolean v) { lifeguard = v; return this; }
    public Builder tcpFallbackPing(boolean v) { tcpFallbackPing = v; return this; }
    public Builder udpPayloadBytes(int v) { udpPayloadBytes = v; return this; }
    public Builder streamMessageMaxBytes(int v) { streamMessageMaxBytes = v; return this; }
    public Builder pushPullMaxMembers(int v) { pushPullMaxMembers = v; return this; }
    public Builder pushPullMaxBytes(int v) { pushPullMaxBytes = v; return this; }
    public Builder pushPullDeflateLevel(int v) { pushPullDeflateLevel = v; return this; }
    public Builder pushPullReuse(Duration v) { pushPullReuse = v; return this; }
    public Builder maxInboundConnections(int v) { maxInboundConnections = v; return this; }
    public Builder inboundConnectionsPerSecondPerSource(int v) { inboundConnectionsPerSecondPerSource = v; return this; }
    public Builder metadataMaxBytes(int v) { metadataMaxBytes = v; return this; }
    public Builder metadataInlineBytes(int v) { metadataInlineBytes = v; return this; }
    public Builder metadataFetchesInFlight(int v) { metadataFetchesInFlight = v; return this; }
    public Builder metadataFetchTimeout(Duration v) { metadataFetchTimeout = v; return this; }
    public Builder deadMemberRetention(Duration v) { deadMemberRetention = v; return this; }
    public Builder tombstoneRetention(Duration v) { tombstoneRetention = v; return this; }
    public Builder maxMembers(int v) { maxMembers = v; return this; }
    public Builder leavePropagateTime(Duration v) { leavePropagateTime = v; return this; }
    public Builder maxQueuedBroadcasts(int v) { maxQueuedBroadcasts = v; return this; }
    public Builder flapHalfLife(Duration v) { flapHalfLife = v; return this; }
    public Builder flapPenaltyMax(int v) { flapPenaltyMax = v; return this; }
    public Builder accuseWhenHealthy(boolean v) { accuseWhenHealthy = v; return this; }

    /**
     * Validates and builds.
     *
     * @throws IllegalArgumentException naming every bad knob, one per line-clause
     */
    public MembershipConfig build() {
      List<String> errors = new ArrayList<>();
      positive(errors, "probeInterval", probeInterval);
      positive(errors, "probeTimeout", probeTimeout);
      if (probeInterval != null && probeTimeout != null && probeTimeout.compareTo(probeInterval) >= 0) {
        errors.add("probeTimeout (" + probeTimeout.toMillis() + "ms) must be shorter than probeInterval ("
            + probeInterval.toMillis() + "ms)");
      }
      range(errors, "indirectChecks", indirectChecks, 0, 16);
      range(errors, "suspicionMult", suspicionMult, 1, 100);
      range(errors, "suspicionMaxTimeoutMult", suspicionMaxTimeoutMult, 1, 100);
      range(errors, "retransmitMult", retransmitMult, 1, 100);
      positive(errors, "gossipInterval", gossipInterval);
      range(errors, "gossipNodes", gossipNodes, 1, 64);
      nonNegative(errors, "gossipToTheDeadTime", gossipToTheDeadTime);
      positive(errors, "pushPullInterval", pushPullInterval);
      nonNegative(errors, "backlogSyncAfter", backlogSyncAfter);
      nonNegative(errors, "digestSyncInterval", digestSyncInterval);
      range(errors, "digestSyncMaxEntries", digestSyncMaxEntries, 1, 65_536);
      range(errors, "reannounceQueueLimit", reannounceQueueLimit, 0, 10_000_000);
      range(errors, "awarenessMaxMultiplier", awarenessMaxMultiplier, 1, 100);
      range(errors, "udpPayloadBytes", udpPayloadBytes, 512, 65_000);
      range(errors, "streamMessageMaxBytes", streamMessageMaxBytes, 65_536, 1 << 30);
      range(errors, "pushPullMaxMembers", pushPullMaxMembers, 1, 10_000_000);
      range(errors, "pushPullMaxBytes", pushPullMaxBytes, 1024, 1 << 30);
      range(errors, "pushPullDeflateLevel", pushPullDeflateLevel, 0, 9);
      nonNegative(errors, "pushPullReuse", pushPullReuse);
      if (pushPullReuse != null && pushPullInterval != null && pushPullReuse.compareTo(pushPullInterval) > 0) {
        errors.add("pushPullReuse (" + pushPullReuse.toMillis() + "ms) must not exceed pushPullInterval ("
            + pushPullInterval.toMillis() + "ms)");
      }
      range(errors, "maxInboundConnections", maxInboundConnections, 1, 65_536);
      range(errors, "inboundConnectionsPerSecondPerSource", inboundConnectionsPerSecondPerSource, 0, 1_000_000);
      range(errors, "metadataMaxBytes", metadataMaxBytes, 0, 65_535);
      range(errors, "metadataInlineBytes", metadataInlineBytes, 0, 1024);
      range(errors, "metadataFetchesInFlight", metadataFetchesInFlight, 1, 1024);
      positive(errors, "metadataFetchTimeout", metadataFetchTimeout);
      nonNegative(errors, "deadMemberRetention", deadMemberRetention);
      nonNegative(errors, "tombstoneRetention", tombstoneRetention);
      range(errors, "maxMembers", maxMembers, 2, 10_000_000);
      nonNegative(errors, "leavePropagateTime", leavePropagateTime);
      range(errors, "maxQueuedBroadcasts", maxQueuedBroadcasts, 16, 10_000_000);
      nonNegative(errors, "flapHalfLife", flapHalfLife);
      range(errors, "flapPenaltyMax", flapPenaltyMax, 1, 64);
      if (!errors.isEmpty()) {
        throw ConfigChecks.invalid("membership", errors);
      }
      return new MembershipConfig(this);
    }



  }
}
