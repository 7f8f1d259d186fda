// SPDX-License-Identifier: Apache-2.0
package io.grapevine.wire;

import io.grapevine.node.Endpoint;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Encodes one standalone message (type, length, body) into a byte array, for messages that are
 * queued and later packed into several packets (broadcasts). Reuses one scratch buffer.
 */
public final class MessageEncoder implements FieldWriter {
  private final ByteBuffer scratch;

  public MessageEncoder(int maxMessageBytes) {
    this.scratch = ByteBuffer.allocate(maxMessageBytes);
  }

  /** Starts a message of a built-in type. */
  public MessageEncoder begin(MessageType type) {
    return begin(type.code() & 0xff);
  }

  /** Starts a message of type {@code typeCode} (1..255), for protocols outside the built-in ones. */
  public MessageEncoder begin(int typeCode) {
    if (typeCode < 1 || typeCode > 0xFF) {
      throw new IllegalArgumentException("message type code must be 1..255, got " + typeCode);
    }
    scratch.clear();
    scratch.put((byte) typeCode).putShort((short) 0);
    return this;
  }

  @Override
  public MessageEncoder putByte(int v) {
    scratch.put((byte) v);
    return this;
  }

  @Override
  public MessageEncoder putShort(int v) {
    scratch.putShort((short) v);
    return this;
  }

  @Override
  public MessageEncoder putInt(int v) {
    scratch.putInt(v);
    return this;
  }

  @Override
  public MessageEncoder putLong(long v) {
    scratch.putLong(v);
    return this;
  }

  @Override
  public MessageEncoder putString8(String s) {
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    if (bytes.length > 255) {
      throw new IllegalArgumentException("string longer than 255 bytes");
    }
    scratch.put((byte) bytes.length).put(bytes);
    return this;
  }

  @Override
  public MessageEncoder putBytes16(byte[] bytes) {
    if (bytes.length > 0xFFFF) {
      throw new IllegalArgumentException("byte field longer than 65535");
    }
    scratch.putShort((short) bytes.length).put(bytes);
    return this;
  }

  @Override
  public MessageEncoder putBytes32(byte[] bytes) {
    scratch.putInt(bytes.length).put(bytes);
    return this;
  }

  @Override
  public MessageEncoder putEndpoint(Endpoint e) {
    scratch.put((byte) (e.isIpv6() ? 6 : 4));
    scratch.put(e.address());
    scratch.putShort((short) e.port());
    return this;
  }

  /** Finishes the message and returns its bytes (header included). */
  public byte[] end() {
    int length = scratch.position() - WireFormat.MESSAGE_HEADER_LENGTH;
    if (length > WireFormat.MAX_SHORT_MESSAGE_LENGTH) {
      throw new IllegalStateException("standalone messages are datagram-sized; got " + length + " bytes");
    }
    scratch.putShort(1, (short) length);
    return Arrays.copyOf(scratch.array(), scratch.position());
  }
}
