// SPDX-License-Identifier: Apache-2.0
package io.grapevine.api;

/**
 * Counters of one dissemination node.
 *
 * <p>An immutable snapshot, safe to keep and to read from any thread; the protocol takes a new one at
 * each {@code stats()} call.
 *
 * @param published Events published here.
 * @param delivered Events delivered here (published ones included), each at most once.
 * @param duplicates Rumors received again after delivery (the cost of redundancy).
 * @param coalesced Events not delivered because a newer one with the same coalesce key was.
 * @param repaired Events first received through anti-entropy: what rumor mongering missed.
 * @param rumorsSent Rumor copies sent (payload transmissions), not counting piggybacked ones.
 * @param messagesSent Packets sent by this protocol itself.
 * @param bytesSent Bytes of those packets.
 * @param feedbackSent Feedback messages sent (a rumor already known: tells the sender to slow down).
 * @param digestsSent Anti-entropy digests sent.
 * @param windowSlides Times the dedupe window slid past undelivered gaps (a burst larger than the window).
 */
public record DisseminationStats(
    long published,
    long delivered,
    long duplicates,
    long coalesced,
    long repaired,
    long rumorsSent,
    long messagesSent,
    long bytesSent,
    long feedbackSent,
    long digestsSent,
    long windowSlides) {

  /** All zero: the counters of a node that has done nothing (for tests and fakes). */
  public static DisseminationStats empty() {
    return new DisseminationStats(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
  }
}
