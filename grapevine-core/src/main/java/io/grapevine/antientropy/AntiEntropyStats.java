package io.grapevine.antientropy;

/**
 * Counters of one node's replicated store. Written by the driver thread only; readable from any
 * thread (each value is volatile, possibly a moment old).
 */
public final class AntiEntropyStats {
  volatile long rumorsSent;
  volatile long piggybacksDeclined;
  volatile long rumorsReceived;
  volatile long keysRepairedByRumor;
  volatile long keysRepairedByAntiEntropy;
  volatile long syncsStarted;
  volatile long syncsAlreadyEqual;
  volatile long syncPacketsSent;
  volatile long syncBytesSent;
  volatile long syncMessagesReceived;
  volatile long entriesSent;
  volatile long keysWanted;
  volatile long exchangesTruncated;
  volatile long unexpected;
  volatile long durabilitySyncs;
  volatile long durableWrites;
  volatile long largestSyncGroup;

  /** Rumor messages sent (pushed directly; piggybacked copies are counted by the host). */
  public long rumorsSent() { return rumorsSent; }
  /**
   * Rumors not piggybacked: the host has no piggyback queue, or the piggyback rate was used up
   * (they were pushed directly and left to anti-entropy).
   */
  public long piggybacksDeclined() { return piggybacksDeclined; }
  /** Rumor messages received. */
  public long rumorsReceived() { return rumorsReceived; }
  /** Keys changed here by a rumor: the fast path. */
  public long keysRepairedByRumor() { return keysRepairedByRumor; }
  /** Keys changed here by a reconciliation: what the fast path missed. */
  public long keysRepairedByAntiEntropy() { return keysRepairedByAntiEntropy; }
  /** Reconciliations this node started. */
  public long syncsStarted() { return syncsStarted; }
  /** Reconciliation requests answered with nothing to do (trees equal at the first level). */
  public long syncsAlreadyEqual() { return syncsAlreadyEqual; }
  /** Stream packets sent for reconciliation. */
  public long syncPacketsSent() { return syncPacketsSent; }
  /** Bytes of those packets. */
  public long syncBytesSent() { return syncBytesSent; }
  /** Reconciliation messages received. */
  public long syncMessagesReceived() { return syncMessagesReceived; }
  /** Entries shipped by reconciliation. */
  public long entriesSent() { return entriesSent; }
  /** Keys asked for from peers. */
  public long keysWanted() { return keysWanted; }
  /** Exchanges cut at their byte budget; the rest follows in later exchanges. */
  public long exchangesTruncated() { return exchangesTruncated; }
  /** Well-formed messages refused (a peer with another tree depth). */
  public long unexpected() { return unexpected; }
  /**
   * Syncs that made local writes durable, as the driver reported them ({@link AntiEntropy#onDurable});
   * 0 over a store that needs none.
   */
  public long durabilitySyncs() { return durabilitySyncs; }
  /** Local writes those syncs made durable; divided by {@link #durabilitySyncs()}, the mean group-commit size. */
  public long durableWrites() { return durableWrites; }
  /** The most local writes one sync made durable: the largest group commit. */
  public long largestSyncGroup() { return largestSyncGroup; }

  @Override
  public String toString() {
    return "AntiEntropyStats[rumorRepairs=" + keysRepairedByRumor + " syncRepairs=" + keysRepairedByAntiEntropy
        + " syncs=" + syncsStarted + " equal=" + syncsAlreadyEqual + " syncBytes=" + syncBytesSent + " entries="
        + entriesSent
        + (durabilitySyncs == 0 ? "" : " durabilitySyncs=" + durabilitySyncs + " durableWrites=" + durableWrites)
        + "]";
  }
}
