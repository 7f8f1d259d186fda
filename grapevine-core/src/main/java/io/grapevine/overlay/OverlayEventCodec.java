// SPDX-License-Identifier: Apache-2.0
package io.grapevine.overlay;

import io.grapevine.api.RumorId;
import io.grapevine.api.UserEvent;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * A user event as a Plumtree broadcast payload (the {@code hyparview-plumtree} event overlay):
 *
 * <pre>
 * u8 version (1 or 2) | u8 topic length | topic | u8 coalesce-key length (0: none) | key
 *   | u8 origin length | origin | i64 epoch | i64 seq | i64 lamport
 *   | [version 2: i64 origin time, epoch millis, at least 0] | payload (the rest)
 * </pre>
 *
 * <p>Version 2 is written when the event carries its origin's publish time, version 1 otherwise;
 * both are read. A node that reads only version 1 counts a version-2 event as malformed and does not
 * deliver it (Plumtree still relays the broadcast, so the nodes behind it get it).
 */
final class OverlayEventCodec {
  static final int VERSION = 1;
  static final int VERSION_TIMED = 2;

  private OverlayEventCodec() {}

  /** Bytes the header takes for these strings, with an origin time (version 2, the larger). */
  static int headerBytes(byte[] topic, byte[] key, byte[] origin) {
    return 1 + 1 + topic.length + 1 + key.length + 1 + origin.length + 32;
  }

  /** @param originMillis the origin's publish time, or {@link UserEvent#NO_ORIGIN_TIME} (version 1) */
  static byte[] encode(RumorId id, long lamport, long originMillis, byte[] topic, byte[] key, byte[] origin,
      byte[] payload) {
    boolean timed = originMillis >= 0;
    int header = headerBytes(topic, key, origin) - (timed ? 0 : 8);
    ByteBuffer b = ByteBuffer.allocate(header + payload.length);
    b.put((byte) (timed ? VERSION_TIMED : VERSION));
    b.put((byte) topic.length).put(topic);
    b.put((byte) key.length).put(key);
    b.put((byte) origin.length).put(origin);
    b.putLong(id.epoch()).putLong(id.seq()).putLong(lamport);
    if (timed) {
      b.putLong(originMillis);
    }
    b.put(payload);
    return b.array();
  }

  /** The event, or null if the bytes are not a well-formed event of this version. */
  static UserEvent decode(byte[] bytes) {
    try {
      ByteBuffer b = ByteBuffer.wrap(bytes);
      int version = b.get();
      if (version != VERSION && version != VERSION_TIMED) {
        return null;
      }
      String topic = string(b);
      String key = string(b);
      String origin = string(b);
      if (topic.isEmpty() || origin.isEmpty()) {
        return null;
      }
      long epoch = b.getLong();
      long seq = b.getLong();
      long lamport = b.getLong();
      long originMillis = UserEvent.NO_ORIGIN_TIME;
      if (version == VERSION_TIMED) {
        originMillis = b.getLong();
        if (originMillis < 0) {
          return null;
        }
      }
      byte[] payload = new byte[b.remaining()];
      b.get(payload);
      return new UserEvent(new RumorId(origin, epoch, seq), lamport, topic, key.isEmpty() ? null : key, payload,
          originMillis);
    } catch (BufferUnderflowException e) {
      return null;
    }
  }

  private static String string(ByteBuffer b) {
    int len = b.get() & 0xff;
    byte[] s = new byte[len];
    b.get(s);
    return new String(s, StandardCharsets.UTF_8);
  }
}
