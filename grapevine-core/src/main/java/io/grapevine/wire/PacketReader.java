// SPDX-License-Identifier: Apache-2.0
package io.grapevine.wire;

import io.grapevine.node.Endpoint;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * Validates a packet's envelope and walks its messages. Every read is bounds-checked against the
 * current message and throws {@link MalformedPacketException}, never a runtime exception, so a
 * hostile packet cannot escape the caller's drop-and-count path.
 *
 * <p>Usage: {@code open(packet)}, then {@code while (nextMessage()) { switch (type()) ... }}. The
 * reader does not copy the packet; it is valid until the caller's buffer changes.
 */
public final class PacketReader {
  private final byte[] clusterName;
  private final CRC32C crc = new CRC32C();
  private ByteBuffer buffer;
  private int messagesEnd;
  private int messageEnd;
  private byte type;
  private EndpointResolver resolver;
  private StringResolver strings;

  public PacketReader(String clusterName) {
    this.clusterName = clusterName.getBytes(StandardCharsets.UTF_8);
  }

  /** Lets go of the packet, so a reader kept between packets holds no buffer alive. */
  public void close() {
    buffer = null;
  }

  /** Checks magic, version, flags, cluster name and checksum; positions before the first message. */
  public void open(ByteBuffer packet) throws MalformedPacketException {
    open(packet, true, WireFormat.KNOWN_FLAGS);
  }

  /**
   * Like {@link #open(ByteBuffer)}, for the stack's own packets: {@code checksummed} false for a
   * packet whose integrity its seal already proved (it has no CRC trailer), and {@code allowedFlags}
   * the flag bits the caller handles itself.
   */
  public void open(ByteBuffer packet, boolean checksummed, int allowedFlags) throws MalformedPacketException {
    ByteBuffer b = packet.slice().order(ByteOrder.BIG_ENDIAN);
    int length = b.remaining();
    int trailer = checksummed ? WireFormat.CRC_LENGTH : 0;
    if (length < WireFormat.CLUSTER_OFFSET + trailer) {
      throw new MalformedPacketException(DropReason.TRUNCATED, "packet of " + length + " bytes");
    }
    if (b.get(0) != WireFormat.MAGIC_0 || b.get(1) != WireFormat.MAGIC_1) {
      throw new MalformedPacketException(DropReason.BAD_MAGIC, "not a Grapevine packet");
    }
    int version = b.get(WireFormat.VERSION_OFFSET);
    if (version < WireFormat.MIN_VERSION || version > WireFormat.MAX_VERSION) {
      throw new MalformedPacketException(DropReason.UNSUPPORTED_VERSION, "version " + version);
    }
    int end = length - trailer;
    if (checksummed) {
      crcUpdate(b, end);
      if ((int) crc.getValue() != b.getInt(end)) {
        throw new MalformedPacketException(DropReason.BAD_CHECKSUM, "crc mismatch");
      }
    }
    int flags = b.get(WireFormat.FLAGS_OFFSET) & 0xff;
    if ((flags & ~allowedFlags) != 0) {
      throw new MalformedPacketException(DropReason.BAD_FIELD, "unknown flags " + flags);
    }
    int clen = b.get(WireFormat.CLUSTER_LENGTH_OFFSET) & 0xff;
    if (WireFormat.CLUSTER_OFFSET + clen > end) {
      throw new MalformedPacketException(DropReason.TRUNCATED, "cluster name");
    }
    if (clen != clusterName.length) {
      throw new MalformedPacketException(DropReason.FOREIGN_CLUSTER, "other cluster");
    }
    for (int i = 0; i < clen; i++) {
      if (b.get(WireFormat.CLUSTER_OFFSET + i) != clusterName[i]) {
        throw new MalformedPacketException(DropReason.FOREIGN_CLUSTER, "other cluster");
      }
    }
    this.buffer = b;
    this.messagesEnd = end;
    this.messageEnd = WireFormat.CLUSTER_OFFSET + clen;
    b.position(messageEnd);
  }

  private void crcUpdate(ByteBuffer b, int end) {
    crc.reset();
    ByteBuffer view = b.duplicate();
    view.position(0).limit(end);
    crc.update(view);
  }

  /**
   * Advances to the next message, skipping whatever of the previous one was not read.
   *
   * @return false when there are no more messages
   */
  public boolean nextMessage() throws MalformedPacketException {
    buffer.limit(messagesEnd);
    buffer.position(messageEnd);
    if (messageEnd == messagesEnd) {
      return false;
    }
    if (messagesEnd - messageEnd < WireFormat.MESSAGE_HEADER_LENGTH) {
      throw new MalformedPacketException(DropReason.TRUNCATED, "message header");
    }
    type = buffer.get();
    int length = buffer.getShort() & 0xFFFF;
    if (length == WireFormat.EXTENDED_LENGTH) {
      if (messagesEnd - buffer.position() < 4) {
        throw new MalformedPacketException(DropReason.TRUNCATED, "extended length");
      }
      length = buffer.getInt();
      if (length <= WireFormat.MAX_SHORT_MESSAGE_LENGTH || length > WireFormat.MAX_MESSAGE_LENGTH) {
        throw new MalformedPacketException(DropReason.BAD_FIELD, "extended length " + length);
      }
    }
    int start = buffer.position();
    if (start + length > messagesEnd) {
      throw new MalformedPacketException(DropReason.TRUNCATED, "message body");
    }
    messageEnd = start + length;
    buffer.limit(messageEnd);
    return true;
  }

  /** The type code of the current message. */
  public byte type() {
    return type;
  }

  /** Bytes left unread in the current message. */
  public int remaining() {
    return buffer.remaining();
  }

  private void need(int n) throws MalformedPacketException {
    if (buffer.remaining() < n) {
      throw new MalformedPacketException(DropReason.TRUNCATED, "field past end of message");
    }
  }

  public int getByte() throws MalformedPacketException {
    need(1);
    return buffer.get() & 0xff;
  }

  public int getShort() throws MalformedPacketException {
    need(2);
    return buffer.getShort() & 0xFFFF;
  }

  public int getInt() throws MalformedPacketException {
    need(4);
    return buffer.getInt();
  }

  public long getLong() throws MalformedPacketException {
    need(8);
    return buffer.getLong();
  }

  /** A one-byte-length-prefixed UTF-8 string; rejects empty strings and invalid UTF-8. */
  public String getString8() throws MalformedPacketException {
    int len = getByte();
    need(len);
    if (len == 0) {
      throw new MalformedPacketException(DropReason.BAD_FIELD, "empty string");
    }
    byte[] array;
    int from;
    if (buffer.hasArray()) {
      array = buffer.array();
      from = buffer.arrayOffset() + buffer.position();
      buffer.position(buffer.position() + len);
    } else {
      array = new byte[len];
      from = 0;
      buffer.get(array);
    }
    if (strings != null) {
      String shared = strings.resolve(array, from, len);
      if (shared != null) {
        return shared;
      }
    }
    try {
      return StrictUtf8.decode(array, from, len);
    } catch (CharacterCodingException e) {
      throw new MalformedPacketException(DropReason.BAD_FIELD, "invalid UTF-8");
    }
  }

  /** A four-byte-length-prefixed byte field of at most {@code maxLength} bytes. */
  public byte[] getBytes32(int maxLength) throws MalformedPacketException {
    int len = getInt();
    if (len < 0 || len > maxLength) {
      throw new MalformedPacketException(DropReason.OVERSIZED, "field of " + len + " bytes");
    }
    need(len);
    byte[] out = new byte[len];
    buffer.get(out);
    return out;
  }

  /** A two-byte-length-prefixed byte field of at most {@code maxLength} bytes. */
  public byte[] getBytes16(int maxLength) throws MalformedPacketException {
    int len = getShort();
    if (len > maxLength) {
      throw new MalformedPacketException(DropReason.OVERSIZED, "field of " + len + " bytes");
    }
    if (len == 0) {
      return EMPTY; // shared: empty metadata is the common case, held once per member per node
    }
    need(len);
    byte[] out = new byte[len];
    buffer.get(out);
    return out;
  }

  private static final byte[] EMPTY = new byte[0];

  public Endpoint getEndpoint() throws MalformedPacketException {
    int family = getByte();
    int len;
    if (family == 4) {
      len = 4;
    } else if (family == 6) {
      len = 16;
    } else {
      throw new MalformedPacketException(DropReason.BAD_FIELD, "address family " + family);
    }
    need(len + 2);
    if (len == 4 && resolver != null) {
      int address = buffer.getInt(buffer.position());
      int port = buffer.getShort(buffer.position() + 4) & 0xFFFF;
      Endpoint shared = resolver.resolveIpv4(address, port);
      if (shared != null) {
        buffer.position(buffer.position() + 6);
        return shared;
      }
    }
    byte[] addr = new byte[len];
    buffer.get(addr);
    int port = buffer.getShort() & 0xFFFF;
    return Endpoint.of(addr, port);
  }

  /**
   * Lets {@link #getEndpoint} return shared instances for addresses {@code resolver} knows (see
   * {@link EndpointResolver}); null (the default) always builds a new endpoint.
   */
  public void endpointResolver(EndpointResolver resolver) {
    this.resolver = resolver;
  }

  /**
   * Lets {@link #getString8} return shared instances for strings {@code strings} knows (see {@link
   * StringResolver}); null (the default) always decodes.
   */
  public void stringResolver(StringResolver strings) {
    this.strings = strings;
  }

  /** Uses the same endpoint and string resolvers as {@code other} (for a reader of nested messages). */
  public void shareResolvers(PacketReader other) {
    this.resolver = other.resolver;
    this.strings = other.strings;
  }
}
