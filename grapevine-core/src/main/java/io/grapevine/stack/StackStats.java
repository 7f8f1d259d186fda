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
  private final AtomicLongArray dropped = new AtomicLongArray(DropReason.values().length);

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
    return dropped.get(reason.ordinal());
  }

  /** All drops, any reason. */
  public long droppedTotal() {
    long sum = 0;
    for (int i = 0; i < dropped.length(); i++) {
      sum += dropped.get(i);
    }
    return sum;
  }

  void received(int bytes) {
    packetsIn++;
    bytesIn += bytes;
  }

  void drop(DropReason reason) {
    dropped.incrementAndGet(reason.ordinal());
  }
}
