// SPDX-License-Identifier: Apache-2.0
package io.grapevine.stack;

/**
 * A protocol that rides on membership's failure-detector probes (memberlist's {@code PingDelegate}):
 * it attaches a small message to every ack this node sends, and hears the round-trip time of every
 * probe this node's membership sees answered directly. Network coordinates are built this way:
 * the prober learns the target's coordinate and the RTT from one and the same packet.
 *
 * <p>An attachment travels in the ack's datagram before the ack, so while the prober's stack applies
 * the packet the listener receives the attachment first (an ordinary message of its own type,
 * through {@link Protocol#onMessage}) and {@link #onProbeAcked} right after; {@link
 * Protocol#onPacketEnd} ends the packet.
 */
public interface ProbeListener {

  /**
   * An encoded message (type, length, body; see {@link io.grapevine.wire.MessageEncoder}) to attach
   * to each ack of a direct probe, or null for none. Called on every ack: keep it cheap (cache the
   * bytes).
   */
  byte[] ackAttachment();

  /**
   * A probe this node sent to member {@code name} was acknowledged directly (not through a relay)
   * after {@code rttMillis}.
   */
  void onProbeAcked(long nowMillis, String name, long rttMillis);
}
