// SPDX-License-Identifier: Apache-2.0
package io.grapevine.stack;

import io.grapevine.node.Outbox;

/**
 * A protocol's share of membership's periodic full-state exchange (push-pull): a protocol of the
 * stack that implements this sends its state along with the member list, and merges the state the
 * peer sent. The place for application state that must converge (memberlist's {@code LocalState} and
 * {@code MergeRemoteState}); rumors and piggybacked messages are best effort, push-pull repairs.
 *
 * <p>The state travels in the push-pull stream frame, so its size counts against the stream limit;
 * keep it small (it goes to one peer every push-pull interval).
 */
public interface PushPullState {
  /**
   * This node's state for one exchange, or null to send none.
   *
   * @param join true when the exchange is a join (the peer is new to the cluster)
   */
  byte[] localState(boolean join);

  /**
   * The state a peer sent in a full-state exchange, after membership merged its member list.
   *
   * @param join true when the exchange is a join
   */
  void mergeRemoteState(long nowMillis, byte[] state, boolean join, Outbox out);
}
