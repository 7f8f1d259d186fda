package io.grapevine.aggregate;

/** Counters of one aggregation node; written by its driver thread. */
public final class AggregationStats {
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

  /** Exchanges completed (requests answered and replies applied). */
  public long exchanges() { return exchanges; }
  public long messagesSent() { return messagesSent; }
  public long bytesSent() { return bytesSent; }
  /** Epochs entered. */
  public long epochs() { return epochs; }
  /** Messages from an older epoch, answered with a notice. */
  public long staleEpoch() { return staleEpoch; }
  /**
   * Requests this node refused: FLOW, its neighbor table was full; PUSH_PULL, its own exchange was
   * in flight (exchanges stay atomic).
   */
  public long refused() { return refused; }
  /** This node's requests that the peer refused (busy or table full). */
  public long refusedByPeer() { return refusedByPeer; }
  /** Neighbors dropped because membership declared them gone. */
  public long neighborsLost() { return neighborsLost; }
  /** FLOW: neighbors dropped because nothing came from them for {@code neighborTimeout}. */
  public long neighborsTimedOut() { return neighborsTimedOut; }
  /**
   * Exchanges given up at the next round because no reply came (FLOW: to none of the attempts).
   */
  public long unanswered() { return unanswered; }
  /**
   * FLOW: epochs restarted here because a neighbor that held more than a quarter of the COUNT
   * indicator (the leader or one of its first partners, early in an epoch) went silent or died.
   */
  public long epochsRestarted() { return epochsRestarted; }
  /** FLOW: requests sent again because no reply had come within {@code retryAfter}. */
  public long retries() { return retries; }
  /**
   * FLOW: neighbors gone in mid-epoch whose flows this node folded into its own value: they stay
   * counted until the next epoch.
   */
  public long neighborsKept() { return neighborsKept; }
  /** FLOW: such neighbors that came back (they had been taken for gone by mistake). */
  public long neighborsReturned() { return neighborsReturned; }
  /** FLOW: estimate requests answered for nodes that started after the epoch's census. */
  public long reads() { return reads; }
  /** PUSH_PULL: replies that came for an exchange already given up, ignored. */
  public long lateReplies() { return lateReplies; }
}
