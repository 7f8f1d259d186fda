// SPDX-License-Identifier: Apache-2.0
package io.grapevine.antientropy;

/**
 * A hybrid logical clock (Kulkarni et al. 2014) packed in one {@code long}: the high 48 bits are
 * physical milliseconds, the low 16 a logical counter. Timestamps a node issues strictly increase,
 * stay close to physical time, and exceed every timestamp the node has observed, so a write made
 * after seeing another write always orders after it even across skewed clocks.
 *
 * <p>Physical time is passed in (sans-I/O). A remote timestamp further ahead of local physical time
 * than {@code maxForwardSkewMillis} is not adopted, so one node with a clock far in the future
 * cannot drag every clock with it; its writes are still accepted and ordered by their timestamps.
 */
public final class Hlc {
  /** Bits of the logical counter. */
  public static final int LOGICAL_BITS = 16;

  private final long maxForwardSkewMillis;
  private long last;

  /** @param maxForwardSkewMillis how far ahead of local time a remote timestamp may pull this clock */
  public Hlc(long maxForwardSkewMillis) {
    if (maxForwardSkewMillis < 0) {
      throw new IllegalArgumentException("maxForwardSkewMillis must be >= 0, got " + maxForwardSkewMillis);
    }
    this.maxForwardSkewMillis = maxForwardSkewMillis;
  }

  /** A new timestamp, greater than any issued or observed before. */
  public long next(long physicalMillis) {
    last = Math.max(last + 1, physicalMillis << LOGICAL_BITS);
    return last;
  }

  /**
   * Observes a remote timestamp.
   *
   * @return false if it was too far ahead of local time to adopt
   */
  public boolean observe(long remote, long physicalMillis) {
    if (physicalOf(remote) > physicalMillis + maxForwardSkewMillis) {
      return false;
    }
    last = Math.max(last, remote);
    return true;
  }

  /** Moves the clock to at least {@code timestamp} without a skew check (restoring persisted state). */
  public void restore(long timestamp) {
    last = Math.max(last, timestamp);
  }

  /** The latest timestamp issued or observed. */
  public long last() {
    return last;
  }

  /** Physical milliseconds of a timestamp. */
  public static long physicalOf(long hlc) {
    return hlc >>> LOGICAL_BITS;
  }

  /** Logical counter of a timestamp. */
  public static int logicalOf(long hlc) {
    return (int) (hlc & ((1 << LOGICAL_BITS) - 1));
  }

  /** The smallest timestamp at a physical time. */
  public static long of(long physicalMillis, int logical) {
    return physicalMillis << LOGICAL_BITS | (logical & ((1 << LOGICAL_BITS) - 1));
  }
}
