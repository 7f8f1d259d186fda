// SPDX-License-Identifier: Apache-2.0
package io.grapevine.api;

/**
 * Counters of one {@link io.grapevine.overlay.Plumtree} node.
 *
 * <p>An immutable snapshot, safe to keep and to read from any thread; the protocol takes a new one at
 * each {@code stats()} call.
 *
 * @param gossipSent Payload messages sent: the m of RMR = m / (n - 1) - 1.
 * @param ihaveSent IHAVE announcements sent (lazy links).
 * @param graftSent GRAFTs sent: a missing message asked for, its link made eager.
 * @param graftsAnswered GRAFTs answered with the payload.
 * @param pruneSent PRUNEs sent: a redundant eager link made lazy.
 * @param delivered Messages delivered here, each once.
 * @param duplicates Payload copies received for messages already delivered.
 * @param optimizations Tree optimisations: an eager link swapped for a lazy one that announced in fewer hops.
 * @param historyAnnouncements Periodic IHAVEs of recent message ids (history, the anti-entropy behind the tree).
 */
public record PlumtreeStats(
    long gossipSent,
    long ihaveSent,
    long graftSent,
    long graftsAnswered,
    long pruneSent,
    long delivered,
    long duplicates,
    long optimizations,
    long historyAnnouncements) {

  /** All zero: the counters of a node that has done nothing (for tests and fakes). */
  public static PlumtreeStats empty() {
    return new PlumtreeStats(0, 0, 0, 0, 0, 0, 0, 0, 0);
  }
}
