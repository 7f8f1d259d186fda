package io.grapevine.membership;

import io.grapevine.stack.StackStats;
import io.grapevine.wire.DropReason;

/**
 * Counters of one membership node. Written by the node's driver thread; other threads may read a
 * slightly stale value.
 */
public final class MembershipStats {
  /** The node's stack counts what arrives and what is dropped; null until membership is on one. */
  volatile StackStats stack;
  volatile long packetsOut;
  volatile long bytesOut;
  volatile long probes;
  volatile long probeFailures;
  volatile long indirectProbes;
  volatile long tcpFallbackPings;
  volatile long nacksReceived;
  volatile long suspicionsRaised;
  volatile long suspicionsRefuted;
  volatile long selfRefutations;
  volatile long deathsDeclared;
  volatile long pushPulls;
  volatile long backlogSyncs;
  volatile long nameConflicts;
  private final long[] dropped = new long[DropReason.values().length];

  /** Packets the node received, for any of its protocols (counted by its stack). */
  public long packetsIn() { StackStats s = stack; return s == null ? 0 : s.packetsIn(); }
  /** Packets membership sent. */
  public long packetsOut() { return packetsOut; }
  /** Bytes the node received, for any of its protocols (counted by its stack). */
  public long bytesIn() { StackStats s = stack; return s == null ? 0 : s.bytesIn(); }
  public long bytesOut() { return bytesOut; }
  /** Probes started by this node. */
  public long probes() { return probes; }
  /** Probes that got no ack, direct or indirect. */
  public long probeFailures() { return probeFailures; }
  /** Indirect ping-requests this node sent. */
  public long indirectProbes() { return indirectProbes; }
  public long tcpFallbackPings() { return tcpFallbackPings; }
  public long nacksReceived() { return nacksReceived; }
  /** Members this node moved from alive to suspect (its own or learned suspicions). */
  public long suspicionsRaised() { return suspicionsRaised; }
  /** Suspected members seen to refute (come back alive). */
  public long suspicionsRefuted() { return suspicionsRefuted; }
  /** Times this node refuted a suspicion or death claim about itself. */
  public long selfRefutations() { return selfRefutations; }
  /** Members this node marked dead (its own timeouts or learned). */
  public long deathsDeclared() { return deathsDeclared; }
  /** Push-pull exchanges handled (sent or answered). */
  public long pushPulls() { return pushPulls; }
  /** Push-pulls this node started because its gossip queue was backlogged. */
  public long backlogSyncs() { return backlogSyncs; }
  public long nameConflicts() { return nameConflicts; }

  /** Packets the node dropped for {@code reason}, whichever protocol they were for. */
  public long dropped(DropReason reason) {
    StackStats s = stack;
    return s == null ? 0 : s.dropped(reason);
  }

  /** All drops, any reason. */
  public long droppedTotal() {
    StackStats s = stack;
    return s == null ? 0 : s.droppedTotal();
  }
}
