// SPDX-License-Identifier: Apache-2.0
package io.grapevine.api;

/**
 * Counters of one aggregation node.
 *
 * <p>An immutable snapshot, safe to keep and to read from any thread; the protocol takes a new one at
 * each {@code stats()} call.
 *
 * @param exchanges Exchanges completed (requests answered and replies applied).
 * @param messagesSent Packets sent by this protocol.
 * @param bytesSent Bytes of those packets.
 * @param epochs Epochs entered.
 * @param staleEpoch Messages from an older epoch, answered with a notice.
 * @param refused Requests this node refused: FLOW, its neighbor table was full; PUSH_PULL, its own exchange was in flight (exchanges stay atomic).
 * @param neighborsLost Neighbors dropped because membership declared them gone.
 * @param neighborsTimedOut FLOW: neighbors dropped because nothing came from them for {@code neighborTimeout}.
 * @param refusedByPeer This node's requests that the peer refused (busy or table full).
 * @param unanswered Exchanges given up at the next round because no reply came (FLOW: to none of the attempts).
 * @param lateReplies PUSH_PULL: replies that came for an exchange already given up, ignored.
 * @param epochsRestarted FLOW: epochs restarted here because a neighbor that held more than a quarter of the COUNT indicator (the leader or one of its first partners, early in an epoch) went silent or died.
 * @param retries FLOW: requests sent again because no reply had come within {@code retryAfter}.
 * @param neighborsKept FLOW: neighbors gone in mid-epoch whose flows this node folded into its own value: they stay counted until the next epoch.
 * @param neighborsReturned FLOW: such neighbors that came back (they had been taken for gone by mistake).
 * @param reads FLOW: estimate requests answered for nodes that started after the epoch's census.
 */
public record AggregationStats(
    long exchanges,
    long messagesSent,
    long bytesSent,
    long epochs,
    long staleEpoch,
    long refused,
    long neighborsLost,
    long neighborsTimedOut,
    long refusedByPeer,
    long unanswered,
    long lateReplies,
    long epochsRestarted,
    long retries,
    long neighborsKept,
    long neighborsReturned,
    long reads) {

  /** All zero: the counters of a node that has done nothing (for tests and fakes). */
  public static AggregationStats empty() {
    return new AggregationStats(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
  }
}
