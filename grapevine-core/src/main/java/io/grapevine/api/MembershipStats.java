// SPDX-License-Identifier: Apache-2.0
package io.grapevine.api;

import io.grapevine.wire.DropReason;

/**
 * The counters of one membership node at one moment: an immutable snapshot, safe to keep and to
 * read from any thread. {@link io.grapevine.membership.Membership#stats()} takes a new one each call.
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
  private final long pushPullsReused;
  private final long digestSyncs;
  private final long digestSyncRepairs;
  private final long nameConflicts;
  private final long[] dropped = new long[REASONS.length];

  /**
   * A snapshot of the given values; the membership protocol takes one from its live counters.
   *
   * @param droppedByReason packets dropped, indexed by {@link DropReason#ordinal()}; copied
   */
  public MembershipStats(
      long packetsIn,
      long bytesIn,
      long packetsOut,
      long bytesOut,
      long probes,
      long probeFailures,
      long indirectProbes,
      long tcpFallbackPings,
      long nacksReceived,
      long suspicionsRaised,
      long suspicionsRefuted,
      long selfRefutations,
      long deathsDeclared,
      long pushPulls,
      long backlogSyncs,
      long digestSyncs,
      long digestSyncRepairs,
      long pushPullsReused,
      long nameConflicts,
      long[] droppedByReason) {
    this.packetsIn = packetsIn;
    this.bytesIn = bytesIn;
    this.packetsOut = packetsOut;
    this.bytesOut = bytesOut;
    this.probes = probes;
    this.probeFailures = probeFailures;
    this.indirectProbes = indirectProbes;
    this.tcpFallbackPings = tcpFallbackPings;
    this.nacksReceived = nacksReceived;
    this.suspicionsRaised = suspicionsRaised;
    this.suspicionsRefuted = suspicionsRefuted;
    this.selfRefutations = selfRefutations;
    this.deathsDeclared = deathsDeclared;
    this.pushPulls = pushPulls;
    this.backlogSyncs = backlogSyncs;
    this.pushPullsReused = pushPullsReused;
    this.digestSyncs = digestSyncs;
    this.digestSyncRepairs = digestSyncRepairs;
    this.nameConflicts = nameConflicts;
    System.arraycopy(droppedByReason, 0, dropped, 0, Math.min(droppedByReason.length, dropped.length));
  }

  /** All zero: the counters of a node that has done nothing (for tests and fakes). */
  public static MembershipStats empty() {
    return new MembershipStats(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, new long[0]);
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

  /** Digests of its member table this node sent (see {@code MembershipConfig.digestSyncInterval}). */
  public long digestSyncs() {
    return digestSyncs;
  }

  /**
   * Digests this node received that differed from its own table, so that it sent the members of the
   * differing buckets (and got the sender's in return); the rest found the two tables equal.
   */
  public long digestSyncRepairs() {
    return digestSyncRepairs;
  }

  /**
   * Push-pulls this node sent with an encoding of its state made for an earlier one, within {@code
   * pushPullReuse} (counted in {@link #pushPulls()} too).
   */
  public long pushPullsReused() {
    return pushPullsReused;
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
