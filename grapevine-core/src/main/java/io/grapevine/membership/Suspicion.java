// SPDX-License-Identifier: Apache-2.0
package io.grapevine.membership;

/**
 * Lifeguard's dynamic suspicion timeout for one suspected member.
 *
 * <p>A suspicion starts with the longest timeout, {@code max}. Each independent confirmation (a
 * different member also suspects) shrinks it on a log scale toward {@code min}, reached at {@code
 * k} confirmations. Fewer confirmations than expected usually means our own view is the odd one
 * out, so waiting longer avoids a false accusation; many confirmations mean the member really is
 * unreachable and we can declare it quickly.
 */
public final class Suspicion {
  private final long startMillis;
  private final long minMillis;
  private final long maxMillis;
  private final int expectedConfirmations;
  private final String[] confirmers;
  private int confirmations;
  private long deadlineMillis;

  /**
   * @param startMillis when the suspicion began
   * @param expectedConfirmations k: confirmations that bring the timeout down to min (0 = fixed min)
   * @param firstAccuser who raised it; does not count as a confirmation
   */
  public Suspicion(long startMillis, long minMillis, long maxMillis, int expectedConfirmations, String firstAccuser) {
    this.startMillis = startMillis;
    this.minMillis = minMillis;
    this.maxMillis = expectedConfirmations < 1 ? minMillis : maxMillis;
    this.expectedConfirmations = Math.max(0, expectedConfirmations);
    this.confirmers = new String[this.expectedConfirmations + 1];
    this.confirmers[0] = firstAccuser;
    this.deadlineMillis = startMillis + timeoutMillis(0, this.expectedConfirmations, minMillis, this.maxMillis);
  }

  /**
   * The Lifeguard timeout after {@code n} of {@code k} confirmations: {@code max - (max - min) *
   * log(n + 1) / log(k + 1)}, never below {@code min}.
   */
  public static long timeoutMillis(int n, int k, long minMillis, long maxMillis) {
    if (k < 1) {
      return minMillis;
    }
    double fraction = Math.log(n + 1.0) / Math.log(k + 1.0);
    long raw = (long) Math.floor(maxMillis - fraction * (maxMillis - minMillis));
    return Math.max(minMillis, raw);
  }

  /**
   * Records a confirmation from {@code accuser}.
   *
   * @return true if it was new and independent (the caller re-gossips the suspicion then)
   */
  public boolean confirm(String accuser) {
    if (confirmations >= expectedConfirmations) {
      return false;
    }
    for (int i = 0; i <= confirmations; i++) {
      if (accuser.equals(confirmers[i])) {
        return false;
      }
    }
    confirmations++;
    confirmers[confirmations] = accuser;
    deadlineMillis = startMillis + timeoutMillis(confirmations, expectedConfirmations, minMillis, maxMillis);
    return true;
  }

  /** k: the confirmations that bring the timeout down to its minimum. */
  public int expectedConfirmations() {
    return expectedConfirmations;
  }

  /** Who raised the suspicion (the first accuser this node heard of). */
  public String firstAccuser() {
    return confirmers[0];
  }

  public int confirmations() {
    return confirmations;
  }

  public long startMillis() {
    return startMillis;
  }

  /** When the member is declared dead unless it refutes first. */
  public long deadlineMillis() {
    return deadlineMillis;
  }
}
