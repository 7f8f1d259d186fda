// SPDX-License-Identifier: Apache-2.0
package io.grapevine.testkit;

import java.util.function.LongSupplier;

/**
 * A virtual millisecond clock that moves only when told to, for a test that steps a single protocol
 * or stack by hand ({@code stack.onTick(clock.now(), out)}). A {@link VirtualNetwork} keeps its own
 * time; use this where there is no network.
 *
 * <p>Time never goes backwards, as the sans-I/O contract promises its protocols.
 */
public final class FakeClock implements LongSupplier {
  private long now;

  /** A clock at 0. */
  public FakeClock() {
    this(0);
  }

  /** A clock at {@code startMillis}. */
  public FakeClock(long startMillis) {
    this.now = startMillis;
  }

  /** The current time, milliseconds. */
  public long now() {
    return now;
  }

  /** The current time (as a {@link LongSupplier}, for code that takes a clock). */
  @Override
  public long getAsLong() {
    return now;
  }

  /**
   * Moves the clock forward by {@code millis}.
   *
   * @return the new time
   * @throws IllegalArgumentException if {@code millis} is negative
   */
  public long advance(long millis) {
    if (millis < 0) {
      throw new IllegalArgumentException("time cannot go backwards: advance by " + millis + " ms");
    }
    now += millis;
    return now;
  }

  /**
   * Sets the clock to {@code millis}, which must not be in the past.
   *
   * @return the new time
   * @throws IllegalArgumentException if {@code millis} is before the current time
   */
  public long advanceTo(long millis) {
    if (millis < now) {
      throw new IllegalArgumentException("time cannot go backwards: from " + now + " to " + millis + " ms");
    }
    now = millis;
    return now;
  }

  @Override
  public String toString() {
    return "FakeClock[" + now + " ms]";
  }
}
