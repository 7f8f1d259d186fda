// SPDX-License-Identifier: Apache-2.0
package io.grapevine.node;

/** How a driver must carry an outbound packet. */
public enum Delivery {
  /** One unreliable datagram (UDP), at most the configured payload budget. */
  DATAGRAM,
  /**
   * One reliable, framed message on a stream (TCP): used for push-pull state exchange, fallback
   * probes and payloads too large for a datagram. Replies travel as separate stream messages.
   */
  STREAM
}
