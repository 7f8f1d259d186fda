// SPDX-License-Identifier: Apache-2.0
package io.grapevine.node;

import java.nio.ByteBuffer;

/**
 * The sans-I/O contract every Grapevine protocol implements: a state machine stepped by its driver.
 *
 * <p>Inputs are the current time, inbound packets and timer expiries; outputs go to an {@link
 * Outbox}. A node never reads a clock, sleeps, starts a thread or touches a socket, so the same
 * class runs over real sockets and inside the deterministic simulator. Calls must not overlap: a
 * driver steps one node from one thread at a time.
 *
 * <p>Time is a monotonic count of milliseconds chosen by the driver (its origin is arbitrary).
 */
public interface ProtocolNode {

  /**
   * Handles one inbound packet. Malformed or foreign packets are dropped and counted; this method
   * never throws because of packet content.
   *
   * @param nowMillis the driver's current time
   * @param from the remote endpoint the packet came from (for datagrams, the source address)
   * @param packet the packet bytes, position to limit; the node must not keep a reference
   * @param delivery how it arrived
   */
  void onPacket(long nowMillis, Endpoint from, ByteBuffer packet, Delivery delivery, Outbox out);

  /** Fires every timer due at or before {@code nowMillis}. */
  void onTick(long nowMillis, Outbox out);

  /**
   * The time at which {@link #onTick} must next be called, or {@link Long#MAX_VALUE} if none. Drivers
   * ask after every call into the node, since any input may move it.
   */
  long nextDeadlineMillis();

  /**
   * Offers shared endpoint instances to this node's packet decoding (see {@link
   * io.grapevine.wire.EndpointResolver}); a driver hosting very many nodes calls it once after
   * creating the node. The default ignores it.
   */
  default void endpointResolver(io.grapevine.wire.EndpointResolver resolver) {}

  /**
   * Offers shared string instances (member names) to this node's packet decoding (see {@link
   * io.grapevine.wire.StringResolver}); like {@link #endpointResolver}, for a driver hosting very
   * many nodes. The default ignores it.
   */
  default void stringResolver(io.grapevine.wire.StringResolver strings) {}
}
