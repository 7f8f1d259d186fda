// SPDX-License-Identifier: Apache-2.0
package io.grapevine.api;

import io.grapevine.node.ProtocolEvent;

/**
 * A user event delivered to this node, at most once.
 *
 * @param id origin, epoch and sequence number
 * @param lamport the origin's Lamport time when it published: orders events cluster-wide
 * @param topic the topic it was published on
 * @param coalesceKey non-null if only the newest event with this key (per topic) matters
 * @param payload the bytes (copy on read)
 * @param originMillis the origin's wall clock (milliseconds since the epoch) when it published, as
 *     its runtime read it; {@link #NO_ORIGIN_TIME} if the event carries none (published by a
 *     version that did not send it, or in the simulator, which has no wall clock). Only as accurate
 *     as the two nodes' clocks are synchronized.
 */
public record UserEvent(RumorId id, long lamport, String topic, String coalesceKey, byte[] payload,
    long originMillis) implements ProtocolEvent {
  /** {@link #originMillis()} of an event that carries no origin time. */
  public static final long NO_ORIGIN_TIME = -1;

  public UserEvent {
    payload = payload.clone();
    if (originMillis < 0) {
      originMillis = NO_ORIGIN_TIME;
    }
  }

  /** An event without an origin time. */
  public UserEvent(RumorId id, long lamport, String topic, String coalesceKey, byte[] payload) {
    this(id, lamport, topic, coalesceKey, payload, NO_ORIGIN_TIME);
  }

  @Override
  public byte[] payload() {
    return payload.clone();
  }

  /** Payload length without copying. */
  public int payloadLength() {
    return payload.length;
  }

  /** Whether the event carries the origin's publish time ({@link #originMillis()}). */
  public boolean hasOriginTime() {
    return originMillis != NO_ORIGIN_TIME;
  }
}
