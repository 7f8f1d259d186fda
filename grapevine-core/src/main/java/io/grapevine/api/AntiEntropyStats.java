// SPDX-License-Identifier: Apache-2.0
package io.grapevine.api;

/**
 * Counters of one node's replicated store.
 *
 * <p>An immutable snapshot, safe to keep and to read from any thread; the protocol takes a new one at
 * each {@code stats()} call.
 *
 * @param rumorsSent Rumor messages sent (pushed directly; piggybacked copies are counted by the host).
 * @param piggybacksDeclined Rumors not piggybacked: the host has no piggyback queue, or the piggyback rate was used up (they were pushed directly and left to anti-entropy).
 * @param rumorsReceived Rumor messages received.
 * @param keysRepairedByRumor Keys changed here by a rumor: the fast path.
 * @param keysRepairedByAntiEntropy Keys changed here by a reconciliation: what the fast path missed.
 * @param syncsStarted Reconciliations this node started.
 * @param syncsAlreadyEqual Reconciliation requests answered with nothing to do (trees equal at the first level).
 * @param syncPacketsSent Stream packets sent for reconciliation.
 * @param syncBytesSent Bytes of those packets.
 * @param syncMessagesReceived Reconciliation messages received.
 * @param entriesSent Entries shipped by reconciliation.
 * @param keysWanted Keys asked for from peers.
 * @param exchangesTruncated Exchanges cut at their byte budget; the rest follows in later exchanges.
 * @param unexpected Well-formed messages refused (a peer with another tree depth).
 * @param durabilitySyncs Syncs that made local writes durable, as the driver reported them ({@link io.grapevine.antientropy.AntiEntropy#onDurable}); 0 over a store that needs none.
 * @param durableWrites Local writes those syncs made durable; divided by {@link #durabilitySyncs()}, the mean group-commit size.
 * @param largestSyncGroup The most local writes one sync made durable: the largest group commit.
 */
public record AntiEntropyStats(
    long rumorsSent,
    long piggybacksDeclined,
    long rumorsReceived,
    long keysRepairedByRumor,
    long keysRepairedByAntiEntropy,
    long syncsStarted,
    long syncsAlreadyEqual,
    long syncPacketsSent,
    long syncBytesSent,
    long syncMessagesReceived,
    long entriesSent,
    long keysWanted,
    long exchangesTruncated,
    long unexpected,
    long durabilitySyncs,
    long durableWrites,
    long largestSyncGroup) {

  /** All zero: the counters of a node that has done nothing (for tests and fakes). */
  public static AntiEntropyStats empty() {
    return new AntiEntropyStats(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
  }
  @Override
  public String toString() {
    return "AntiEntropyStats[rumorRepairs=" + keysRepairedByRumor + " syncRepairs=" + keysRepairedByAntiEntropy
        + " syncs=" + syncsStarted + " equal=" + syncsAlreadyEqual + " syncBytes=" + syncBytesSent + " entries="
        + entriesSent
        + (durabilitySyncs == 0 ? "" : " durabilitySyncs=" + durabilitySyncs + " durableWrites=" + durableWrites)
        + "]";
  }
}
