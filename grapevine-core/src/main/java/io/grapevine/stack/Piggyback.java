// SPDX-License-Identifier: Apache-2.0
package io.grapevine.stack;

/**
 * Room on a protocol's periodic datagrams for other protocols' small messages: membership carries
 * them on its probes and gossip, retransmitted like a membership update. A protocol of the stack
 * that implements this serves {@link ProtocolContext#piggyback} for all the others.
 */
public interface Piggyback {
  /**
   * Queues an encoded message (type, length, body) to ride on outgoing datagrams; a newer message
   * under the same key replaces the older.
   *
   * @return false when this carrier cannot take it (the caller then sends on its own)
   */
  boolean piggyback(String key, byte[] encodedMessage);
}
