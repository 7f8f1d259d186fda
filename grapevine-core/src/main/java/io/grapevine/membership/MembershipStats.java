package io.grapevine.membership;

import io.grapevine.stack.StackStats;
import io.grapevine.wire.DropReason;

/**
 * The counters of one membership node at one moment: an immutable snapshot, safe to keep and to
 * read from any thread. {@link Membership#stats()} takes a new one each call.
 */
public final class MembershipStats {
  private static final DropReason[] REASONS = DropReason.values();

  private final long packetsIn;
  private final long bytesIn;
  private final long packetsOut;
  private final long bytesOut;
  private final long probes;
  private final long probeFailures;
  private final long indirectProbes;
  private final long tcpFallbackPings;
  private final long nacksReceived;
  private final long suspicionsRaised;
  private final long suspicionsRefuted;
  private final long selfRefutations;
  private final long deathsDeclared;
  private final long pushPulls;
  private final long backlogSyncs;
  private final long nameConflicts;
  private final long[] dropped = new long[REASONS.length];

  MembershipStats(MembershipCounters c) {
    StackStats st = c.stack;
    this.packetsIn = st == null ? 0 : st.packetsIn();
    this.bytesIn = st == null ? 0 : st.bytesIn();
    this.packetsOut = c.packetsOut;
    this.bytesOut = c.bytesOut;
    this.probes = c.probes;
    this.probeFailures = c.probeFailures;
    this.indirectProbes = c.indirectProbes;
    this.tcpFallbackPings = c.tcpFallbackPings;
    this.nacksReceived = c.nacksReceived;
    this.suspicionsRaised = c.suspicionsRaised;
    this.suspicionsRefuted = c.suspicionsRefuted;
    this.selfRefutations = c.selfRefutations;
    this.deathsDeclared = c.deathsDeclared;
    this.pushPulls = c.pushPulls;
    this.backlogSyncs = c.backlogSyncs;
    this.nameConflicts = c.nameConflicts;
    for (int i = 0; st != null && i < REASONS.length; i++) {
      dropped[i] = st.dropped(REASONS[i]);
    }
  }

  /** All zero: the counters of a node that has done nothing (for tests and fakes). */
  public static MembershipStats empty() {
    return new MembershipStats(new MembershipCounters());
  }

  /** Packets the node received, for any of its protocols (counted by its stack). */
  public long packetsIn() {
    return packetsIn;
  }

  /** Bytes the node received, for any of its protocols (counted by its stack). */
  public long bytesIn() {
    return bytesIn;
  }

  /** Packets membership sent. */
  public long packetsOut() {
    return packetsOut;
  }

  /** Bytes membership sent. */
  public long bytesOut() {
    return bytesOut;
  }

  /** Probes started by this node. */
  public long probes() {
    return probes;
  }

  /** Probes that got no ack, direct or indirect. */
  public long probeFailures() {
    return probeFailures;
  }

  /** Indirect ping-requests this node sent. */
  public long indirectProbes() {
    return indirectProbes;
  }

  /** TCP pings sent after a failed UDP probe. */
  public long tcpFallbackPings() {
    return tcpFallbackPings;
  }

  /** Nacks from indirect probe relays. */
  public long nacksReceived() {
    return nacksReceived;
  }

  /** Members this node moved from alive to suspect (its own or learned suspicions). */
  public long suspicionsRaised() {
    return suspicionsRaised;
  }

  /** Suspected members seen to refute (come back alive). */
  public long suspicionsRefuted() {
    return suspicionsRefuted;
  }

  /** Times this node refuted a suspicion or death claim about itself. */
  public long selfRefutations() {
    return selfRefutations;
  }

  /** Members this node marked dead (its own timeouts or learned). */
  public long deathsDeclared() {
    return deathsDeclared;
  }

  /** Push-pull exchanges handled (sent or answered). */
  public long pushPulls() {
    return pushPulls;
  }

  /** Push-pulls this node started because its gossip queue was backlogged. */
  public long backlogSyncs() {
    return backlogSyncs;
  }

  /** Two nodes seen claiming one name. */
  public long nameConflicts() {
    return nameConflicts;
  }

  /** Packets the node dropped for {@code reason}, whichever protocol they were for. */
  public long dropped(DropReason reason) {
    return dropped[reason.ordinal()];
  }

  /** All drops, any reason. */
  public long droppedTotal() {
    long sum = 0;
    for (long d : dropped) {
      sum += d;
    }
    return sum;
  }
}
