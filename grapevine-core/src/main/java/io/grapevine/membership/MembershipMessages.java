// SPDX-License-Identifier: Apache-2.0
package io.grapevine.membership;

import io.grapevine.api.MemberState;
import io.grapevine.node.Endpoint;
import io.grapevine.wire.DropReason;
import io.grapevine.wire.FieldWriter;
import io.grapevine.wire.MalformedPacketException;
import io.grapevine.wire.MessageType;
import io.grapevine.wire.PacketReader;
import io.grapevine.wire.WireFormat;

/**
 * The membership protocol's messages and their bodies on the wire (see docs/wire-format.md). Each
 * record knows its type, writes its body, and has a validating decoder. Decoders throw {@link
 * MalformedPacketException} for any field out of range.
 */
final class MembershipMessages {
  private MembershipMessages() {}

  /** Any membership message. */
  sealed interface Message permits Ping, IndirectPing, Ack, Nack, Alive, Suspect, Dead, PushPull, MemberStateEntry,
      ProtocolState, Deflated, AliveRef, MetadataRequest, Metadata, SyncDigest {
    MessageType type();

    void writeBody(FieldWriter w);
  }

  /** seq(4) targetName(str8) sourceName(str8) source(endpoint). */
  record Ping(int seq, String targetName, String sourceName, Endpoint source) implements Message {
    public MessageType type() {
      return MessageType.PING;
    }

    public void writeBody(FieldWriter w) {
      w.putInt(seq).putString8(targetName).putString8(sourceName).putEndpoint(source);
    }

    static Ping read(PacketReader r) throws MalformedPacketException {
      return new Ping(r.getInt(), r.getString8(), r.getString8(), r.getEndpoint());
    }
  }

  /** seq(4) targetName(str8) target(endpoint) requester(endpoint) wantNack(1). */
  record IndirectPing(int seq, String targetName, Endpoint target, Endpoint requester, boolean wantNack)
      implements Message {
    public MessageType type() {
      return MessageType.INDIRECT_PING;
    }

    public void writeBody(FieldWriter w) {
      w.putInt(seq).putString8(targetName).putEndpoint(target).putEndpoint(requester).putByte(wantNack ? 1 : 0);
    }

    static IndirectPing read(PacketReader r) throws MalformedPacketException {
      return new IndirectPing(r.getInt(), r.getString8(), r.getEndpoint(), r.getEndpoint(), bool(r.getByte()));
    }
  }

  /** seq(4). */
  record Ack(int seq) implements Message {
    public MessageType type() {
      return MessageType.ACK;
    }

    public void writeBody(FieldWriter w) {
      w.putInt(seq);
    }

    static Ack read(PacketReader r) throws MalformedPacketException {
      return new Ack(r.getInt());
    }
  }

  /** seq(4). */
  record Nack(int seq) implements Message {
    public MessageType type() {
      return MessageType.NACK;
    }

    public void writeBody(FieldWriter w) {
      w.putInt(seq);
    }

    static Nack read(PacketReader r) throws MalformedPacketException {
      return new Nack(r.getInt());
    }
  }

  /** incarnation(8) name(str8) endpoint protocolMin(1) protocolMax(1) metadata(bytes16). */
  record Alive(long incarnation, String name, Endpoint endpoint, int protocolMin, int protocolMax, byte[] metadata)
      implements Message {
    public MessageType type() {
      return MessageType.ALIVE;
    }

    public void writeBody(FieldWriter w) {
      w.putLong(incarnation).putString8(name).putEndpoint(endpoint).putByte(protocolMin).putByte(protocolMax)
          .putBytes16(metadata);
    }

    static Alive read(PacketReader r, int maxMeta) throws MalformedPacketException {
      Alive a = new Alive(r.getLong(), r.getString8(), r.getEndpoint(), r.getByte(), r.getByte(), r.getBytes16(maxMeta));
      checkVersions(a.protocolMin, a.protocolMax);
      return a;
    }
  }

  /**
   * incarnation(8) name(str8) endpoint protocolMin(1) protocolMax(1) metaLength(4) metaDigest(8): an
   * ALIVE whose metadata is too large for a datagram, named by its length and {@link
   * Membership#digest digest}; a receiver that does not hold it fetches it over TCP.
   */
  record AliveRef(long incarnation, String name, Endpoint endpoint, int protocolMin, int protocolMax, int metaLength,
      long metaDigest) implements Message {
    public MessageType type() {
      return MessageType.ALIVE_REF;
    }

    public void writeBody(FieldWriter w) {
      w.putLong(incarnation).putString8(name).putEndpoint(endpoint).putByte(protocolMin).putByte(protocolMax)
          .putInt(metaLength).putLong(metaDigest);
    }

    static AliveRef read(PacketReader r, int maxMeta) throws MalformedPacketException {
      AliveRef a = new AliveRef(r.getLong(), r.getString8(), r.getEndpoint(), r.getByte(), r.getByte(), r.getInt(),
          r.getLong());
      checkVersions(a.protocolMin, a.protocolMax);
      if (a.metaLength < 0 || a.metaLength > maxMeta) {
        // Refused before anything is fetched: metadata above this node's cap is never asked for.
        throw new MalformedPacketException(DropReason.OVERSIZED, "metadata of " + a.metaLength + " bytes");
      }
      return a;
    }
  }

  /**
   * name(str8) metaDigest(8) requesterName(str8) requester(endpoint): asks member {@code name} for its
   * metadata, to be sent over TCP to {@code requester}.
   */
  record MetadataRequest(String name, long metaDigest, String requesterName, Endpoint requester)
      implements Message {
    public MessageType type() {
      return MessageType.METADATA_REQUEST;
    }

    public void writeBody(FieldWriter w) {
      w.putString8(name).putLong(metaDigest).putString8(requesterName).putEndpoint(requester);
    }

    static MetadataRequest read(PacketReader r) throws MalformedPacketException {
      return new MetadataRequest(r.getString8(), r.getLong(), r.getString8(), r.getEndpoint());
    }
  }

  /**
   * incarnation(8) name(str8) endpoint protocolMin(1) protocolMax(1) metadata(bytes32): a member's
   * own alive state with its whole metadata, sent over TCP in answer to a {@link MetadataRequest}.
   * The length is checked against the receiver's cap before anything is allocated.
   */
  record Metadata(long incarnation, String name, Endpoint endpoint, int protocolMin, int protocolMax,
      byte[] metadata) implements Message {
    public MessageType type() {
      return MessageType.METADATA;
    }

    public void writeBody(FieldWriter w) {
      w.putLong(incarnation).putString8(name).putEndpoint(endpoint).putByte(protocolMin).putByte(protocolMax)
          .putBytes32(metadata);
    }

    static Metadata read(PacketReader r, int maxMeta) throws MalformedPacketException {
      Metadata m = new Metadata(r.getLong(), r.getString8(), r.getEndpoint(), r.getByte(), r.getByte(),
          r.getBytes32(maxMeta));
      checkVersions(m.protocolMin, m.protocolMax);
      return m;
    }
  }

  /** incarnation(8) name(str8) from(str8). */
  record Suspect(long incarnation, String name, String from) implements Message {
    public MessageType type() {
      return MessageType.SUSPECT;
    }

    public void writeBody(FieldWriter w) {
      w.putLong(incarnation).putString8(name).putString8(from);
    }

    static Suspect read(PacketReader r) throws MalformedPacketException {
      return new Suspect(r.getLong(), r.getString8(), r.getString8());
    }
  }

  /** incarnation(8) name(str8) from(str8); from == name means the member left. */
  record Dead(long incarnation, String name, String from) implements Message {
    public MessageType type() {
      return MessageType.DEAD;
    }

    public void writeBody(FieldWriter w) {
      w.putLong(incarnation).putString8(name).putString8(from);
    }

    static Dead read(PacketReader r) throws MalformedPacketException {
      return new Dead(r.getLong(), r.getString8(), r.getString8());
    }
  }

  /**
   * Header of a state exchange: flags(1: bit0 join, bit1 reply, bit2 deflated, bit3 partial)
   * senderName(str8) sender(endpoint) count(4); followed in the same packet by {@code count} member
   * entries and any protocol states, or, with bit2, by one {@link Deflated} message holding them. A
   * partial one (the second and third steps of a digest sync) carries only the members of the
   * buckets named by its one {@code membership.sync} protocol state, and no other protocol's state.
   */
  record PushPull(boolean join, boolean reply, String senderName, Endpoint sender, int count, boolean deflated,
      boolean partial) implements Message {
    PushPull(boolean join, boolean reply, String senderName, Endpoint sender, int count) {
      this(join, reply, senderName, sender, count, false, false);
    }

    PushPull(boolean join, boolean reply, String senderName, Endpoint sender, int count, boolean deflated) {
      this(join, reply, senderName, sender, count, deflated, false);
    }

    public MessageType type() {
      return MessageType.PUSH_PULL;
    }

    public void writeBody(FieldWriter w) {
      w.putByte((join ? 1 : 0) | (reply ? 2 : 0) | (deflated ? 4 : 0) | (partial ? 8 : 0)).putString8(senderName)
          .putEndpoint(sender).putInt(count);
    }

    static PushPull read(PacketReader r) throws MalformedPacketException {
      int flags = r.getByte();
      if ((flags & ~15) != 0 || (flags & 9) == 9) {
        throw new MalformedPacketException(DropReason.BAD_FIELD, "push-pull flags " + flags);
      }
      PushPull p = new PushPull((flags & 1) != 0, (flags & 2) != 0, r.getString8(), r.getEndpoint(), r.getInt(),
          (flags & 4) != 0, (flags & 8) != 0);
      if (p.count < 0) {
        throw new MalformedPacketException(DropReason.BAD_FIELD, "negative count");
      }
      return p;
    }
  }

  /** state(1) incarnation(8) name(str8) endpoint protocolMin(1) protocolMax(1) metadata(bytes16). */
  record MemberStateEntry(
      MemberState state, long incarnation, String name, Endpoint endpoint, int protocolMin, int protocolMax,
      byte[] metadata) implements Message {
    public MessageType type() {
      return MessageType.MEMBER_STATE;
    }

    public void writeBody(FieldWriter w) {
      writeBody(w, state, incarnation, name, endpoint, protocolMin, protocolMax, metadata);
    }

    /** The body of an entry with these fields, without an entry object (a push-pull writes thousands). */
    static void writeBody(FieldWriter w, MemberState state, long incarnation, String name, Endpoint endpoint,
        int protocolMin, int protocolMax, byte[] metadata) {
      w.putByte(state.code()).putLong(incarnation).putString8(name).putEndpoint(endpoint).putByte(protocolMin)
          .putByte(protocolMax).putBytes16(metadata);
    }

    /**
     * The framed size of an entry, as {@link WireSize#message} measures it, from the UTF-8 length of
     * its name: a push-pull sizes every entry it sends.
     */
    static long size(int nameUtf8Bytes, Endpoint endpoint, int metadataLength) {
      long body = 1 + 8 + (1 + nameUtf8Bytes) + (1 + endpoint.addressLength() + 2) + 1 + 1 + (2 + metadataLength);
      return WireFormat.MESSAGE_HEADER_LENGTH + (body > WireFormat.MAX_SHORT_MESSAGE_LENGTH ? 4 : 0) + body;
    }

    static MemberStateEntry read(PacketReader r, int maxMeta) throws MalformedPacketException {
      MemberState state = MemberState.ofCode(r.getByte());
      if (state == null) {
        throw new MalformedPacketException(DropReason.BAD_FIELD, "member state");
      }
      MemberStateEntry e = new MemberStateEntry(
          state, r.getLong(), r.getString8(), r.getEndpoint(), r.getByte(), r.getByte(), r.getBytes16(maxMeta));
      checkVersions(e.protocolMin, e.protocolMax);
      return e;
    }
  }

  /**
   * protocol(str8) state(bytes32): another protocol's state in a push-pull, after the member
   * entries (see {@link io.grapevine.stack.PushPullState}).
   */
  record ProtocolState(String protocol, byte[] state) implements Message {
    public MessageType type() {
      return MessageType.PUSH_PULL_STATE;
    }

    public void writeBody(FieldWriter w) {
      w.putString8(protocol).putBytes32(state);
    }

    static ProtocolState read(PacketReader r) throws MalformedPacketException {
      return new ProtocolState(r.getString8(), r.getBytes32(WireFormat.MAX_MESSAGE_LENGTH));
    }
  }

  /**
   * rawLength(4) data(bytes32): the framed member entries and protocol states of a push-pull, as
   * they would follow its header uncompressed, deflated (zlib). Decoded, {@code inner} holds them;
   * a receiver inflates at most {@code rawLength} bytes, which must be within its caps, and the
   * stream must end exactly there.
   */
  record Deflated(int rawLength, byte[] data, java.util.List<Message> inner) implements Message {
    public MessageType type() {
      return MessageType.PUSH_PULL_DEFLATED;
    }

    public void writeBody(FieldWriter w) {
      w.putInt(rawLength).putBytes32(data);
    }

    /**
     * Reads and inflates a deflated push-pull body.
     *
     * @param clusterName the cluster's name, to read the inflated messages as a packet of it
     * @param maxRaw the most inflated bytes accepted: larger declared lengths are refused unread
     */
    static Deflated read(PacketReader r, String clusterName, int maxRaw, int maxMeta) throws MalformedPacketException {
      int rawLength = r.getInt();
      if (rawLength < 0 || rawLength > maxRaw) {
        throw new MalformedPacketException(DropReason.PUSH_PULL_TOO_LARGE,
            "deflated push-pull of " + rawLength + " bytes inflated, above " + maxRaw);
      }
      byte[] data = r.getBytes32(WireFormat.MAX_MESSAGE_LENGTH);
      // The inflated messages behind a packet header of this cluster (no flags, no CRC: the
      // packet carrying them was checked whole), so the one message reader parses them.
      byte[] name = clusterName.getBytes(java.nio.charset.StandardCharsets.UTF_8);
      int head = WireFormat.CLUSTER_OFFSET + name.length;
      byte[] packet = new byte[head + rawLength];
      packet[0] = WireFormat.MAGIC_0;
      packet[1] = WireFormat.MAGIC_1;
      packet[WireFormat.VERSION_OFFSET] = WireFormat.VERSION;
      packet[WireFormat.CLUSTER_LENGTH_OFFSET] = (byte) name.length;
      System.arraycopy(name, 0, packet, WireFormat.CLUSTER_OFFSET, name.length);
      java.util.zip.Inflater inflater = new java.util.zip.Inflater();
      try {
        inflater.setInput(data);
        int at = head;
        // Never more than rawLength bytes come out: the output ends there.
        while (at < packet.length && !inflater.finished()) {
          int n = inflater.inflate(packet, at, packet.length - at);
          if (n == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
            break;
          }
          at += n;
        }
        if (at == packet.length && !inflater.finished() && inflater.inflate(new byte[1]) != 0) {
          throw new MalformedPacketException(DropReason.PUSH_PULL_TOO_LARGE,
              "deflated push-pull inflates beyond its declared " + rawLength + " bytes");
        }
        if (at != packet.length || !inflater.finished() || inflater.getRemaining() != 0) {
          throw new MalformedPacketException(DropReason.BAD_FIELD, "deflated push-pull does not inflate to its "
              + rawLength + " bytes");
        }
      } catch (java.util.zip.DataFormatException e) {
        throw new MalformedPacketException(DropReason.BAD_FIELD, "deflated push-pull: " + e.getMessage());
      } finally {
        inflater.end();
      }
      PacketReader inner = new PacketReader(clusterName);
      inner.shareResolvers(r);
      java.util.List<Message> messages = new java.util.ArrayList<>();
      inner.open(java.nio.ByteBuffer.wrap(packet), false, 0);
      while (inner.nextMessage()) {
        Message m = MembershipMessages.read(inner, maxMeta);
        if (!(m instanceof MemberStateEntry) && !(m instanceof ProtocolState)) {
          throw new MalformedPacketException(DropReason.BAD_FIELD,
              "deflated push-pull holds " + (m == null ? "a foreign message" : m.type()));
        }
        messages.add(m);
      }
      inner.close();
      return new Deflated(rawLength, data, java.util.List.copyOf(messages));
    }
  }

  /**
   * senderName(str8) sender(endpoint) buckets(4) sums(8 × buckets): the first step of a digest sync,
   * the sender's {@link MemberDigest} folded to {@code buckets} (a power of two up to {@value
   * MemberDigest#FINE}). A receiver whose sums differ answers with a partial {@link PushPull}.
   */
  record SyncDigest(String senderName, Endpoint sender, long[] sums) implements Message {
    public MessageType type() {
      return MessageType.SYNC_DIGEST;
    }

    public void writeBody(FieldWriter w) {
      w.putString8(senderName).putEndpoint(sender).putInt(sums.length);
      for (long s : sums) {
        w.putLong(s);
      }
    }

    static SyncDigest read(PacketReader r) throws MalformedPacketException {
      String name = r.getString8();
      Endpoint sender = r.getEndpoint();
      int buckets = r.getInt();
      if (!MemberDigest.validBuckets(buckets)) {
        throw new MalformedPacketException(DropReason.BAD_FIELD, "sync digest of " + buckets + " buckets");
      }
      if (r.remaining() != 8L * buckets) {
        throw new MalformedPacketException(DropReason.BAD_FIELD, "sync digest of " + buckets + " buckets in "
            + r.remaining() + " bytes");
      }
      long[] sums = new long[buckets];
      for (int i = 0; i < buckets; i++) {
        sums[i] = r.getLong();
      }
      return new SyncDigest(name, sender, sums);
    }
  }

  /** Decodes the current message of {@code r}, or returns null for a type this protocol does not own. */
  static Message read(PacketReader r, int maxMeta) throws MalformedPacketException {
    MessageType type = MessageType.of(r.type());
    if (type == null) {
      throw new MalformedPacketException(DropReason.UNKNOWN_TYPE, "type " + (r.type() & 0xff));
    }
    Message m;
    switch (type) {
      case PING -> m = Ping.read(r);
      case INDIRECT_PING -> m = IndirectPing.read(r);
      case ACK -> m = Ack.read(r);
      case NACK -> m = Nack.read(r);
      case ALIVE -> m = Alive.read(r, maxMeta);
      case SUSPECT -> m = Suspect.read(r);
      case DEAD -> m = Dead.read(r);
      case PUSH_PULL -> m = PushPull.read(r);
      case MEMBER_STATE -> m = MemberStateEntry.read(r, maxMeta);
      case PUSH_PULL_STATE -> m = ProtocolState.read(r);
      case ALIVE_REF -> m = AliveRef.read(r, maxMeta);
      case METADATA_REQUEST -> m = MetadataRequest.read(r);
      case METADATA -> m = Metadata.read(r, maxMeta);
      case SYNC_DIGEST -> m = SyncDigest.read(r);
      default -> {
        return null;
      }
    }
    if (r.remaining() != 0) {
      throw new MalformedPacketException(DropReason.BAD_FIELD, "trailing bytes in " + type);
    }
    return m;
  }

  private static boolean bool(int v) throws MalformedPacketException {
    if (v > 1) {
      throw new MalformedPacketException(DropReason.BAD_FIELD, "boolean " + v);
    }
    return v == 1;
  }

  private static void checkVersions(int min, int max) throws MalformedPacketException {
    if (min < 1 || min > max) {
      throw new MalformedPacketException(DropReason.BAD_FIELD, "protocol versions " + min + ".." + max);
    }
  }
}
