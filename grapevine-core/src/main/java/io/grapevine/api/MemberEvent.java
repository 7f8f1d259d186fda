// SPDX-License-Identifier: Apache-2.0
package io.grapevine.api;

import io.grapevine.node.ProtocolEvent;

/**
 * A change in what this node knows about a member.
 *
 * @param type what happened
 * @param member the member as it is now
 */
public record MemberEvent(Type type, Member member) implements ProtocolEvent {

  /** Kinds of membership change. */
  public enum Type {
    /** A member was seen for the first time, or came back after being dead or left. */
    JOINED,
    /** A live member changed its metadata or address. */
    UPDATED,
    /** A member is suspected of having failed. */
    SUSPECTED,
    /** A suspected member refuted the suspicion. */
    ALIVE,
    /** A member was declared dead. */
    DEAD,
    /** A member left gracefully, or an operator forced it out. */
    LEFT,
    /** A dead or left member was removed from the list after its retention time. */
    REAPED
  }
}
