// SPDX-License-Identifier: Apache-2.0
package io.grapevine.node;

import java.nio.ByteBuffer;

/**
 * Where a protocol node puts its outputs. Drivers implement it: the socket runtime sends for real,
 * the simulator schedules delivery over its modelled network, tests collect.
 *
 * <p>Implementations must consume or copy {@code packet} before returning: the node reuses the
 * buffer.
 */
public interface Outbox {
  /** Sends {@code packet} (position to limit) to {@code to}. */
  void send(Endpoint to, ByteBuffer packet, Delivery delivery);

  /** Reports an event to the application. Called on the driver's thread; must not block. */
  void emit(ProtocolEvent event);
}
