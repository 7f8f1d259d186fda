// SPDX-License-Identifier: Apache-2.0
package io.grapevine.membership;

/**
 * Hears the timings the failure detector measures, as it measures them: for latency histograms kept
 * outside the sans-I/O core (a runtime's metrics). Called on the thread that steps the protocol,
 * with differences of the driver's clock (milliseconds); an implementation must be quick, must not
 * block and must not call back into the protocol. Nothing is buffered: a runtime that sets no
 * observer pays one call to {@link #NONE} per observation.
 */
public interface MembershipObserver {
  /** Observes nothing. */
  MembershipObserver NONE = new MembershipObserver() {};

  /**
   * A probe this node sent was acknowledged directly (not through a relay) after {@code rttMillis}:
   * the failure detector's view of the round trip, at the driver clock's resolution.
   */
  default void probeAcked(long rttMillis) {}

  /**
   * A suspicion this node held of another member ended in a verdict {@code suspectedMillis} after
   * this node began to suspect it: {@code dead} when it was declared dead (by this node's timer or
   * by another member's verdict arriving), otherwise refuted (the member proved itself alive). A
   * suspect that leaves, is forgotten, or whose suspicion this node withdraws reaches no verdict and
   * is not observed.
   */
  default void suspicionResolved(long suspectedMillis, boolean dead) {}
}
