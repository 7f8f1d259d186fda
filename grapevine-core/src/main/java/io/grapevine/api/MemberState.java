// SPDX-License-Identifier: Apache-2.0
package io.grapevine.api;

import io.grapevine.membership.Suspicion;
/** What a node believes about a member. */
public enum MemberState {
  /** Answering probes, or not yet shown otherwise. */
  ALIVE,
  /** A probe failed; the member has until its suspicion timeout to refute. */
  SUSPECT,
  /** Suspicion expired without refutation: considered crashed. */
  DEAD,
  /** Left gracefully (announced its own departure) or was forced out by an operator. */
  LEFT;

  /** Dead or left: not probed, not counted among live members. */
  public boolean isGone() {
    return this == DEAD || this == LEFT;
  }

  /** The wire code of this state. */
  public int code() {
    return ordinal();
  }

  /** values() copies the array on every call; decoding asks once per member entry. */
  private static final MemberState[] BY_CODE = values();

  /** The state for a wire code, or null for an unknown code. */
  public static MemberState ofCode(int code) {
    return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
  }
}
