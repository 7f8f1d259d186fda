package io.grapevine.stack;

import io.grapevine.wire.DropReason;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Packet counters of one node's stack: what arrived, and what was dropped, by reason. Written by the
 * node's driver thread; other threads read a value at most slightly stale.
 */
public final class StackStats {
  private volatile long packetsIn;
  private volatile long bytesIn;
  /** Allocated at the first drop: most simulated nodes never drop anything. */
  private volatile AtomicLongArray dropped;

  /** Packets handed to the stack. */
  public long packetsIn() {
    return packetsIn;
  }

  /** Bytes of those packets. */
  public long bytesIn() {
    return bytesIn;
  }

  /** Packets dropped for {@code reason}. */
  public long dropped(DropReason reason) {
    AtomicLongArray d = dropped;
    return d == null ? 0 : d.get(reason.ordinal());
  }

  /** All drops, any reason. */
  public long droppedTotal() {
    AtomicLongArray d = dropped;
    long sum = 0;
    for (int i = 0; d != null && i < d.length(); i++) {
      sum += d.get(i);
    }
    return sum;
  }

  void received(int bytes) {
    packetsIn++;
    bytesIn += bytes;
  }

  void drop(DropReason reason) {
    AtomicLongArray d = dropped;
    if (d == null) {
      d = new AtomicLongArray(DropReason.values().length);
      dropped = d;
    }
    d.incrementAndGet(reason.ordinal());
  }
}
