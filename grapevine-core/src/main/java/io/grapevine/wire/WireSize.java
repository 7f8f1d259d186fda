// SPDX-License-Identifier: Apache-2.0
package io.grapevine.wire;

import io.grapevine.node.Endpoint;
import java.util.function.Consumer;

/**
 * Counts the bytes a message body would take on the wire, without writing it: the same field
 * encodings as {@link PacketWriter}, so a sender and a receiver measure a message alike (push-pull
 * caps rely on that).
 */
public final class WireSize implements FieldWriter {
  private long bytes;

  private WireSize() {}

  /**
   * The framed size of one message: type and length header, the extended length when the body needs
   * it, and the body {@code body} writes.
   */
  public static long message(Consumer<FieldWriter> body) {
    WireSize w = new WireSize();
    body.accept(w);
    long n = w.bytes;
    return WireFormat.MESSAGE_HEADER_LENGTH + (n > WireFormat.MAX_SHORT_MESSAGE_LENGTH ? 4 : 0) + n;
  }

  @Override
  public FieldWriter putByte(int v) {
    bytes += 1;
    return this;
  }

  @Override
  public FieldWriter putShort(int v) {
    bytes += 2;
    return this;
  }

  @Override
  public FieldWriter putInt(int v) {
    bytes += 4;
    return this;
  }

  @Override
  public FieldWriter putLong(long v) {
    bytes += 8;
    return this;
  }

  @Override
  public FieldWriter putString8(String s) {
    bytes += 1 + utf8Length(s);
    return this;
  }

  /** UTF-8 length without encoding (called per member entry of every push-pull, both ways). */
  public static int utf8Length(String s) {
    int n = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        n += 1;
      } else if (c < 0x800) {
        n += 2;
      } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        n += 4;
        i++;
      } else {
        // A lone surrogate encodes as '?' (one byte), as String.getBytes does.
        n += Character.isSurrogate(c) ? 1 : 3;
      }
    }
    return n;
  }

  @Override
  public FieldWriter putBytes16(byte[] b) {
    bytes += 2 + b.length;
    return this;
  }

  @Override
  public FieldWriter putBytes32(byte[] b) {
    bytes += 4 + b.length;
    return this;
  }

  @Override
  public FieldWriter putEndpoint(Endpoint e) {
    bytes += 1 + e.addressLength() + 2;
    return this;
  }
}
