// SPDX-License-Identifier: Apache-2.0
package io.grapevine.membership;

import io.grapevine.api.MemberState;
/**
 * The SWIM ordering of membership claims, as one pure function.
 *
 * <p>A claim is a (state, incarnation) pair about one member. Only the member itself raises its
 * incarnation, so a higher incarnation is always newer news. At equal incarnation, worse news wins:
 * {@code LEFT > DEAD > SUSPECT > ALIVE}. Once a member is dead or left, only an {@code ALIVE} with a
 * higher incarnation (the member restarted or refuted) brings it back.
 */
public final class Precedence {
  private Precedence() {}

  /**
   * Whether a claim {@code (newState, newIncarnation)} replaces the current belief {@code
   * (oldState, oldIncarnation)}.
   */
  public static boolean overrides(
      MemberState newState, long newIncarnation, MemberState oldState, long oldIncarnation) {
    switch (newState) {
      case ALIVE:
        return newIncarnation > oldIncarnation;
      case SUSPECT:
        return oldState == MemberState.ALIVE
            ? newIncarnation >= oldIncarnation
            : oldState == MemberState.SUSPECT && newIncarnation > oldIncarnation;
      case DEAD:
        return (oldState == MemberState.ALIVE || oldState == MemberState.SUSPECT)
            ? newIncarnation >= oldIncarnation
            : newIncarnation > oldIncarnation;
      case LEFT:
        return oldState != MemberState.LEFT
            ? newIncarnation >= oldIncarnation
            : newIncarnation > oldIncarnation;
      default:
        throw new AssertionError(newState);
    }
  }
}
