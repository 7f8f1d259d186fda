// SPDX-License-Identifier: Apache-2.0
package io.grapevine.wire;

/**
 * A packet or message failed validation. Carries a short reason used as a counter label; no stack
 * trace is filled in, because malformed input is expected traffic, not a bug.
 */
public final class MalformedPacketException extends Exception {
  private static final long serialVersionUID = 1L;
  private final DropReason reason;

  public MalformedPacketException(DropReason reason, String detail) {
    super(reason.label() + ": " + detail, null, false, false);
    this.reason = reason;
  }

  public DropReason reason() {
    return reason;
  }

  /**
   * This failure counted under {@code limit} when it was an over-size field, else itself: a field
   * above a configured limit (an event payload, a stored value) gets the limit's own reason.
   */
  public MalformedPacketException oversizedAs(DropReason limit) {
    return reason == DropReason.OVERSIZED ? new MalformedPacketException(limit, getMessage()) : this;
  }
}
