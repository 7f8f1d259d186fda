// SPDX-License-Identifier: Apache-2.0
package io.grapevine.transport;

import io.grapevine.node.Delivery;
import io.grapevine.node.Endpoint;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Carries packets for one node: datagrams (UDP) and framed stream messages (TCP), both on one port.
 * Decorators (fault injection, metering) wrap a transport and pass calls through.
 *
 * <p>All methods but {@link #stats()} and {@link #localEndpoint()} are called on the event-loop
 * thread that drives the node.
 */
public interface Transport extends AutoCloseable {

  /** Receives inbound packets; called on the event-loop thread. */
  @FunctionalInterface
  interface Receiver {
    void onPacket(Endpoint from, ByteBuffer packet, Delivery delivery);
  }

  /** Binds and starts delivering inbound packets to {@code receiver}. */
  void start(Receiver receiver) throws IOException;

  /** The bound address (with the real port when bound to port 0). */
  Endpoint localEndpoint();

  /** Sends {@code packet} (position to limit); copies it before returning. Never throws on I/O errors. */
  void send(Endpoint to, ByteBuffer packet, Delivery delivery);

  /** Counters of the socket transport underneath (decorators pass the inner one's through). */
  TransportStats stats();

  /** Closes sockets at once. Idempotent. */
  @Override
  void close();
}
