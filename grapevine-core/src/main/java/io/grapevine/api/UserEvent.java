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
 */
public record UserEvent(RumorId id, long lamport, String topic, String coalesceKey, byte[] payload)
    implements ProtocolEvent {
  public UserEvent {
    payload = payload.clone();
  }

  @Override
  public byte[] payload() {
    return payload.clone();
  }

  /** Payload length without copying. */
  public int payloadLength() {
    return payload.length;
  }
}
