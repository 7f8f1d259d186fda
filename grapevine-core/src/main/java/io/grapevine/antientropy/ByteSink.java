// SPDX-License-Identifier: Apache-2.0
package io.grapevine.antientropy;

import java.util.Arrays;

/** A growable big-endian byte buffer for encoding entries and whole messages. */
final class ByteSink {
  private byte[] buf;
  private int pos;

  ByteSink(int initialCapacity) {
    buf = new byte[Math.max(16, initialCapacity)];
  }

  ByteSink reset() {
    pos = 0;
    return this;
  }

  int size() {
    return pos;
  }

  private void ensure(int n) {
    if (pos + n > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(buf.length * 2, pos + n));
    }
  }

  ByteSink u8(int v) {
    ensure(1);
    buf[pos++] = (byte) v;
    return this;
  }

  ByteSink u16(int v) {
    ensure(2);
    buf[pos++] = (byte) (v >>> 8);
    buf[pos++] = (byte) v;
    return this;
  }

  ByteSink i32(int v) {
    ensure(4);
    for (int s = 24; s >= 0; s -= 8) {
      buf[pos++] = (byte) (v >>> s);
    }
    return this;
  }

  ByteSink i64(long v) {
    ensure(8);
    for (int s = 56; s >= 0; s -= 8) {
      buf[pos++] = (byte) (v >>> s);
    }
    return this;
  }

  ByteSink raw(byte[] b) {
    ensure(b.length);
    System.arraycopy(b, 0, buf, pos, b.length);
    pos += b.length;
    return this;
  }

  /** Two-byte length, then the bytes. */
  ByteSink bytes16(byte[] b) {
    if (b.length > 0xFFFF) {
      throw new IllegalArgumentException("field longer than 65535 bytes");
    }
    return u16(b.length).raw(b);
  }

  /** Overwrites two bytes at {@code at}. */
  void patchU16(int at, int v) {
    buf[at] = (byte) (v >>> 8);
    buf[at + 1] = (byte) v;
  }

  byte[] toArray() {
    return Arrays.copyOf(buf, pos);
  }
}
