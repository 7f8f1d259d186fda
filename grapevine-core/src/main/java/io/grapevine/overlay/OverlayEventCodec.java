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
 * u8 version (1) | u8 topic length | topic | u8 coalesce-key length (0: none) | key
 *   | u8 origin length | origin | i64 epoch | i64 seq | i64 lamport | payload (the rest)
 * </pre>
 */
final class OverlayEventCodec {
  static final int VERSION = 1;

  private OverlayEventCodec() {}

  /** Bytes the header takes for these strings. */
  static int headerBytes(byte[] topic, byte[] key, byte[] origin) {
    return 1 + 1 + topic.length + 1 + key.length + 1 + origin.length + 24;
  }

  static byte[] encode(RumorId id, long lamport, byte[] topic, byte[] key, byte[] origin, byte[] payload) {
    ByteBuffer b = ByteBuffer.allocate(headerBytes(topic, key, origin) + payload.length);
    b.put((byte) VERSION);
    b.put((byte) topic.length).put(topic);
    b.put((byte) key.length).put(key);
    b.put((byte) origin.length).put(origin);
    b.putLong(id.epoch()).putLong(id.seq()).putLong(lamport);
    b.put(payload);
    return b.array();
  }

  /** The event, or null if the bytes are not a well-formed event of this version. */
  static UserEvent decode(byte[] bytes) {
    try {
      ByteBuffer b = ByteBuffer.wrap(bytes);
      if (b.get() != VERSION) {
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
      byte[] payload = new byte[b.remaining()];
      b.get(payload);
      return new UserEvent(new RumorId(origin, epoch, seq), lamport, topic, key.isEmpty() ? null : key, payload);
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
