// SPDX-License-Identifier: Apache-2.0
package io.grapevine.api;

import io.grapevine.node.Endpoint;
import io.grapevine.node.ProtocolEvent;
import java.util.List;

/**
 * Why the failure detector suspected a member, or declared it dead: what a failed probe saw and how a
 * suspicion went. Emitted only while tracing is on ({@link
 * io.grapevine.membership.Membership#traceFailureDetector}), and only on the paths of a failure, so a
 * healthy cluster emits none. Meant for debug logs; the fields may grow.
 */
public sealed interface FailureDetectorTrace extends ProtocolEvent {

  /** The member the trace is about. */
  String member();

  /**
   * A probe of {@code member} got no ack, directly or through a relay, by the end of its interval.
   *
   * @param endpoint the address probed
   * @param state the member's state when the probe started (a failed probe of a suspect confirms it)
   * @param probeTimeoutMillis how long the direct ping had (scaled by local health)
   * @param relays the members asked to ping it indirectly (empty when none was alive to ask)
   * @param nacksExpected nacks the relays were asked for (Lifeguard); 0 when none were asked
   * @param nacksReceived nacks that came back: a relay that nacks could not reach the member either,
   *     and proves this node's own path works
   * @param tcpFallback whether a ping also went over TCP
   * @param accused whether this node raised (or confirmed) a suspicion: false when it missed nacks and
   *     so cannot tell the member's silence from its own deafness
   */
  record ProbeFailed(String member, Endpoint endpoint, MemberState state, long probeTimeoutMillis,
      List<String> relays, int nacksExpected, int nacksReceived, boolean tcpFallback, boolean accused)
      implements FailureDetectorTrace {
    public ProbeFailed {
      relays = List.copyOf(relays);
    }
  }

  /**
   * A suspicion of {@code member} began on this node.
   *
   * @param accuser who suspected it: this node after a failed probe, or the member whose gossip said so
   * @param incarnation the incarnation suspected
   * @param timeoutMillis time until it is declared dead with no confirmation
   * @param confirmationsWanted independent confirmations that bring the timeout down to its minimum
   */
  record SuspicionRaised(String member, String accuser, long incarnation, long timeoutMillis,
      int confirmationsWanted) implements FailureDetectorTrace {}

  /**
   * Another member independently confirmed the suspicion of {@code member}.
   *
   * @param accuser who confirmed it
   * @param confirmations independent confirmations so far
   * @param remainingMillis time left until it is declared dead, after this confirmation
   */
  record SuspicionConfirmed(String member, String accuser, int confirmations, int confirmationsWanted,
      long remainingMillis) implements FailureDetectorTrace {}

  /**
   * The suspicion of {@code member} ran out without a refutation: it is declared dead now.
   *
   * @param suspectedMillis how long it was suspect
   * @param confirmations independent confirmations that arrived
   */
  record SuspicionExpired(String member, long suspectedMillis, int confirmations, int confirmationsWanted)
      implements FailureDetectorTrace {}

  /**
   * Another member's verdict that {@code member} is dead arrived by gossip and was taken: this node
   * did not reach the verdict itself (its own suspicion, if any, had not run out yet).
   *
   * @param reporter the member that declared it dead
   * @param incarnation the incarnation declared dead
   * @param suspectedMillis how long this node had held it suspect, or -1 if it had not suspected it
   */
  record DeathReported(String member, String reporter, long incarnation, long suspectedMillis)
      implements FailureDetectorTrace {}
}
