// SPDX-License-Identifier: Apache-2.0
package io.grapevine.aggregate;

/**
 * The live counters of one node's aggregate protocol, written by its driver thread alone; readers get
 * an immutable {@link io.grapevine.api.AggregationStats} from {@link #snapshot()}.
 */
final class AggregationCounters {
  volatile long exchanges;
  volatile long messagesSent;
  volatile long bytesSent;
  volatile long epochs;
  volatile long staleEpoch;
  volatile long refused;
  volatile long neighborsLost;
  volatile long neighborsTimedOut;
  volatile long refusedByPeer;
  volatile long unanswered;
  volatile long lateReplies;
  volatile long epochsRestarted;
  volatile long retries;
  volatile long neighborsKept;
  volatile long neighborsReturned;
  volatile long reads;

  io.grapevine.api.AggregationStats snapshot() {
    return new io.grapevine.api.AggregationStats(
        exchanges,
        messagesSent,
        bytesSent,
        epochs,
        staleEpoch,
        refused,
        neighborsLost,
        neighborsTimedOut,
        refusedByPeer,
        unanswered,
        lateReplies,
        epochsRestarted,
        retries,
        neighborsKept,
        neighborsReturned,
        reads);
  }
}
