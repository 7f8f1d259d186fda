// SPDX-License-Identifier: Apache-2.0
package io.grapevine.testkit;

import io.grapevine.node.Delivery;
import io.grapevine.node.Endpoint;
import java.nio.ByteBuffer;

/**
 * A packet on a {@link VirtualNetwork}, as its sender handed it over: what sniffers and delivery
 * listeners see. The bytes are the network's own copy; do not modify them.
 *
 * @param sentAtMillis the virtual time it was sent
 * @param from the sender's endpoint
 * @param to where it is addressed
 * @param bytes the whole packet (envelope included)
 * @param delivery datagram or stream
 */
public record Packet(long sentAtMillis, Endpoint from, Endpoint to, byte[] bytes, Delivery delivery) {

  /** A fresh buffer over the bytes (position 0, limit the length), e.g. for a {@code PacketReader}. */
  public ByteBuffer buffer() {
    return ByteBuffer.wrap(bytes);
  }

  /** Size in bytes. */
  public int size() {
    return bytes.length;
  }

  @Override
  public String toString() {
    return "Packet[" + delivery + " " + from + " -> " + to + ", " + bytes.length + " B, sent at " + sentAtMillis + "]";
  }
}
