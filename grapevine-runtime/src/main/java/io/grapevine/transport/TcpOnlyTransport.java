// SPDX-License-Identifier: Apache-2.0
package io.grapevine.transport;

import io.grapevine.node.Delivery;
import io.grapevine.node.Endpoint;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * Sends every datagram as a stream message instead, for networks that drop UDP ({@code
 * transport.mode: tcp-only}). The protocols are unchanged: a probe still fits a datagram, it just
 * travels in a TCP frame, and the receiver answers a probe that came over TCP over TCP. Inbound
 * datagrams are still accepted, so a node in this mode understands peers that are not.
 */
public final class TcpOnlyTransport implements Transport {
  private final Transport inner;

  /** Wraps {@code inner}, whose {@link TransportStats} then count no datagram sent. */
  public TcpOnlyTransport(Transport inner) {
    this.inner = Objects.requireNonNull(inner, "inner");
  }

  @Override
  public void start(Receiver receiver) throws IOException {
    inner.start(receiver);
  }

  @Override
  public Endpoint localEndpoint() {
    return inner.localEndpoint();
  }

  @Override
  public void send(Endpoint to, ByteBuffer packet, Delivery delivery) {
    inner.send(to, packet, Delivery.STREAM);
  }

  @Override
  public TransportStats stats() {
    return inner.stats();
  }

  @Override
  public void close() {
    inner.close();
  }

  @Override
  public String toString() {
    return "tcp-only(" + inner + ")";
  }
}
