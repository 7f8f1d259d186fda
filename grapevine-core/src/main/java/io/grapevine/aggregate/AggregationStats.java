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

  /** Exchanges completed (requests answered and replies applied). */
  public long exchanges() { return exchanges; }
  public long messagesSent() { return messagesSent; }
  public long bytesSent() { return bytesSent; }
  /** Epochs entered. */
  public long epochs() { return epochs; }
  /** Messages from an older epoch, answered with a notice. */
  public long staleEpoch() { return staleEpoch; }
  /** Exchanges refused because the neighbor table was full. */
  public long refused() { return refused; }
  /** Neighbors dropped because membership declared them gone. */
  public long neighborsLost() { return neighborsLost; }
}
