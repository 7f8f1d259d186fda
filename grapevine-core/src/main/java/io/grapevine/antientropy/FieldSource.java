// SPDX-License-Identifier: Apache-2.0
package io.grapevine.antientropy;

import io.grapevine.wire.DropReason;
import io.grapevine.wire.MalformedPacketException;
import io.grapevine.wire.PacketReader;
import io.grapevine.wire.StrictUtf8;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;

/**
 * Bounds-checked reads of big-endian fields, from a packet or from a stored record. Every failure is
 * a {@link MalformedPacketException}, never a runtime exception.
 */
abstract class FieldSource {
  abstract int u8() throws MalformedPacketException;

  abstract int u16() throws MalformedPacketException;

  abstract int i32() throws MalformedPacketException;

  abstract long i64() throws MalformedPacketException;

  abstract byte[] bytes16(int maxLength) throws MalformedPacketException;

  abstract int remaining();

  /** A UTF-8 string of {@code min..max} bytes, two-byte length prefix. */
  String string16(int min, int max, String what) throws MalformedPacketException {
    byte[] b = bytes16(max);
    if (b.length < min) {
      throw new MalformedPacketException(DropReason.BAD_FIELD, what + " shorter than " + min + " bytes");
    }
    try {
      return StrictUtf8.decode(b, 0, b.length);
    } catch (CharacterCodingException e) {
      throw new MalformedPacketException(DropReason.BAD_FIELD, what + " is not valid UTF-8");
    }
  }

  static FieldSource of(PacketReader r) {
    return new FieldSource() {
      @Override
      int u8() throws MalformedPacketException {
        return r.getByte();
      }

      @Override
      int u16() throws MalformedPacketException {
        return r.getShort();
      }

      @Override
      int i32() throws MalformedPacketException {
        return r.getInt();
      }

      @Override
      long i64() throws MalformedPacketException {
        return r.getLong();
      }

      @Override
      byte[] bytes16(int maxLength) throws MalformedPacketException {
        return r.getBytes16(maxLength);
      }

      @Override
      int remaining() {
        return r.remaining();
      }
    };
  }

  static FieldSource of(byte[] bytes) {
    ByteBuffer b = ByteBuffer.wrap(bytes);
    return new FieldSource() {
      private void need(int n) throws MalformedPacketException {
        if (b.remaining() < n) {
          throw new MalformedPacketException(DropReason.TRUNCATED, "field past end of record");
        }
      }

      @Override
      int u8() throws MalformedPacketException {
        need(1);
        return b.get() & 0xff;
      }

      @Override
      int u16() throws MalformedPacketException {
        need(2);
        return b.getShort() & 0xffff;
      }

      @Override
      int i32() throws MalformedPacketException {
        need(4);
        return b.getInt();
      }

      @Override
      long i64() throws MalformedPacketException {
        need(8);
        return b.getLong();
      }

      @Override
      byte[] bytes16(int maxLength) throws MalformedPacketException {
        int len = u16();
        if (len > maxLength) {
          throw new MalformedPacketException(DropReason.OVERSIZED, "field of " + len + " bytes");
        }
        need(len);
        byte[] out = new byte[len];
        b.get(out);
        return out;
      }

      @Override
      int remaining() {
        return b.remaining();
      }
    };
  }
}
