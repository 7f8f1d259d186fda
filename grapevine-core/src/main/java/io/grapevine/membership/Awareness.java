// SPDX-License-Identifier: Apache-2.0
package io.grapevine.membership;

/**
 * Lifeguard's local health: a score from 0 (healthy) to {@code max - 1}. Missed nacks, failed probes
 * and having to refute a suspicion raise it; successful probes lower it. Timeouts are multiplied by
 * {@code score + 1}, so a node that is itself slow (overloaded, paused) gives others more time
 * instead of accusing them.
 */
public final class Awareness {
  private final int max;
  private int score;

  /** @param max the largest multiplier; the score ranges over 0..max-1 */
  public Awareness(int max) {
    if (max < 1) {
      throw new IllegalArgumentException("awareness max must be >= 1");
    }
    this.max = max;
  }

  /** Adds {@code delta} (may be negative), clamped to 0..max-1. */
  public void apply(int delta) {
    score = Math.max(0, Math.min(max - 1, score + delta));
  }

  public int score() {
    return score;
  }

  /** {@code millis * (score + 1)}. */
  public long scale(long millis) {
    return millis * (score + 1);
  }
}
