// SPDX-License-Identifier: Apache-2.0
package io.grapevine.wire;

import io.grapevine.node.Endpoint;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * Writes one packet into a reusable buffer: header, then messages, then the CRC trailer.
 *
 * <p>Usage: {@code begin()}, then for each message {@code beginMessage(type)}, field puts, {@code
 * endMessage()}; finally {@code finish()} returns the packet ready to send. Not thread-safe; one
 * per node.
 */
public final class PacketWriter implements FieldWriter {
  private final ByteBuffer buffer;
  private final byte[] clusterName;
  private final CRC32C crc = new CRC32C();
  private int messageStart = -1;
  private int messageCount;
  private int mark = -1;

  /**
   * @param capacity the largest packet this writer produces (datagram budget or stream limit)
   * @param clusterName written into every packet's header
   */
  public PacketWriter(int capacity, String clusterName) {
    this.clusterName = clusterName.getBytes(StandardCharsets.UTF_8);
    if (this.clusterName.length > WireFormat.MAX_CLUSTER_NAME_BYTES) {
      throw new IllegalArgumentException(
          "cluster name is longer than " + WireFormat.MAX_CLUSTER_NAME_BYTES + " bytes");
    }
    if (capacity < WireFormat.overhead(this.clusterName.length) + 64) {
      throw new IllegalArgumentException("packet capacity " + capacity + " is too small");
    }
    this.buffer = ByteBuffer.allocate(capacity).order(ByteOrder.BIG_ENDIAN);
  }

  /** The largest packet this writer produces, in bytes. */
  public int capacity() {
    return buffer.capacity();
  }

  /** Starts a new packet, discarding anything written before. */
  public PacketWriter begin() {
    buffer.clear();
    buffer.limit(buffer.capacity() - WireFormat.CRC_LENGTH);
    buffer.put(WireFormat.MAGIC_0).put(WireFormat.MAGIC_1).put(WireFormat.VERSION).put((byte) 0);
    buffer.put((byte) clusterName.length).put(clusterName);
    messageCount = 0;
    messageStart = -1;
    return this;
  }

  /** Bytes still free for messages (header and body of each), trailer excluded. */
  public int remaining() {
    return buffer.remaining();
  }

  public int messageCount() {
    return messageCount;
  }

  /** Remembers the current position so a message that does not fit can be rolled back. */
  public void mark() {
    mark = buffer.position();
  }

  /** Rolls back to the last {@link #mark()}, forgetting a half-written message. */
  public void reset() {
    buffer.position(mark);
    messageStart = -1;
  }

  /** Where the next byte goes: for {@link #rewind} and {@link #overwrite}. */
  public int position() {
    return buffer.position();
  }

  /** Rolls back to {@code position} (from {@link #position()}), forgetting what was written after it. */
  public void rewind(int position) {
    buffer.position(position);
    messageStart = -1;
  }

  /**
   * Writes again over bytes already written, from {@code from} to {@code until} (positions), with
   * {@code message}, which must take exactly that room (a fixed-size header whose count is known only
   * at the end); what follows stays as it is.
   */
  public void overwrite(int from, int until, java.util.function.Consumer<PacketWriter> message) {
    int end = buffer.position();
    int count = messageCount;
    buffer.position(from);
    messageStart = -1;
    message.accept(this);
    if (buffer.position() != until) {
      throw new IllegalStateException("rewritten " + (buffer.position() - from) + " bytes over " + (until - from));
    }
    buffer.position(end);
    messageCount = count;
  }

  /** Starts a message of a built-in type. */
  public PacketWriter beginMessage(MessageType type) {
    return beginMessage(type.code() & 0xff);
  }

  /**
   * Starts a message of type {@code typeCode} (1..255): how a protocol outside the built-in ones
   * writes the codes of its {@link MessageRange}.
   */
  public PacketWriter beginMessage(int typeCode) {
    if (typeCode < 1 || typeCode > 0xFF) {
      throw new IllegalArgumentException("message type code must be 1..255, got " + typeCode);
    }
    if (messageStart >= 0) {
      throw new IllegalStateException("previous message not ended");
    }
    messageStart = buffer.position();
    buffer.put((byte) typeCode).putShort((short) 0);
    return this;
  }

  public PacketWriter endMessage() {
    int length = buffer.position() - messageStart - WireFormat.MESSAGE_HEADER_LENGTH;
    if (length > WireFormat.MAX_MESSAGE_LENGTH) {
      throw new IllegalStateException("message body " + length + " bytes exceeds " + WireFormat.MAX_MESSAGE_LENGTH);
    }
    if (length > WireFormat.MAX_SHORT_MESSAGE_LENGTH) {
      // Shift the body right by 4 bytes to make room for the extended length.
      int bodyStart = messageStart + WireFormat.MESSAGE_HEADER_LENGTH;
      if (buffer.remaining() < 4) {
        throw new java.nio.BufferOverflowException();
      }
      System.arraycopy(buffer.array(), bodyStart, buffer.array(), bodyStart + 4, length);
      buffer.putShort(messageStart + 1, (short) WireFormat.EXTENDED_LENGTH);
      buffer.putInt(bodyStart, length);
      buffer.position(bodyStart + 4 + length);
      messageStart = -1;
      messageCount++;
      return this;
    }
    buffer.putShort(messageStart + 1, (short) length);
    messageStart = -1;
    messageCount++;
    return this;
  }

  /**
   * Closes the packet and returns it (position 0, limit at end). Valid until the next {@code
   * begin()}.
   */
  public ByteBuffer finish() {
    if (messageStart >= 0) {
      throw new IllegalStateException("message not ended");
    }
    int end = buffer.position();
    crc.reset();
    crc.update(buffer.array(), 0, end);
    buffer.limit(buffer.capacity());
    buffer.putInt(end, (int) crc.getValue());
    buffer.position(0).limit(end + WireFormat.CRC_LENGTH);
    return buffer;
  }

  /**
   * Appends a message already encoded by {@link MessageEncoder} (type, length, body). The caller
   * checks {@link #remaining()} first.
   */
  public PacketWriter putEncodedMessage(byte[] encoded) {
    if (messageStart >= 0) {
      throw new IllegalStateException("previous message not ended");
    }
    buffer.put(encoded);
    messageCount++;
    return this;
  }

  /**
   * Appends {@code messages} messages already encoded back to back (as cut from another packet's
   * body). The caller checks {@link #remaining()} first.
   */
  public PacketWriter putEncodedMessages(byte[] encoded, int messages) {
    if (messageStart >= 0) {
      throw new IllegalStateException("previous message not ended");
    }
    buffer.put(encoded);
    messageCount += messages;
    return this;
  }

  // --- field writers: each throws BufferOverflowException when the packet is full ---

  @Override
  public PacketWriter putByte(int v) {
    buffer.put((byte) v);
    return this;
  }

  @Override
  public PacketWriter putShort(int v) {
    buffer.putShort((short) v);
    return this;
  }

  @Override
  public PacketWriter putInt(int v) {
    buffer.putInt(v);
    return this;
  }

  @Override
  public PacketWriter putLong(long v) {
    buffer.putLong(v);
    return this;
  }

  /** A string of at most 255 UTF-8 bytes, length-prefixed with one byte. */
  @Override
  public PacketWriter putString8(String s) {
    int n = s.length();
    if (n <= 255 && buffer.remaining() > n && buffer.hasArray() && ascii(s)) {
      // ASCII (member names, mostly) is its own UTF-8: written in place, without an encoded copy.
      byte[] array = buffer.array();
      int at = buffer.arrayOffset() + buffer.position();
      array[at] = (byte) n;
      for (int i = 0; i < n; i++) {
        array[at + 1 + i] = (byte) s.charAt(i);
      }
      buffer.position(buffer.position() + 1 + n);
      return this;
    }
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    if (bytes.length > 255) {
      throw new IllegalArgumentException("string longer than 255 bytes");
    }
    buffer.put((byte) bytes.length).put(bytes);
    return this;
  }

  private static boolean ascii(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) >= 0x80) {
        return false;
      }
    }
    return true;
  }

  /** Up to 65535 bytes, length-prefixed with two bytes. */
  @Override
  public PacketWriter putBytes16(byte[] bytes) {
    if (bytes.length > 0xFFFF) {
      throw new IllegalArgumentException("byte field longer than 65535");
    }
    buffer.putShort((short) bytes.length).put(bytes);
    return this;
  }

  /** An endpoint: family (4 or 6), address bytes, port (2). */
  @Override
  public PacketWriter putBytes32(byte[] bytes) {
    buffer.putInt(bytes.length).put(bytes);
    return this;
  }

  @Override
  public PacketWriter putEndpoint(Endpoint e) {
    int len = e.addressLength();
    buffer.put((byte) (len == 4 ? 4 : 6));
    int pos = buffer.position();
    if (buffer.remaining() < len + 2) {
      throw new java.nio.BufferOverflowException();
    }
    e.copyAddress(buffer.array(), pos);
    buffer.position(pos + len);
    buffer.putShort((short) e.port());
    return this;
  }
}
