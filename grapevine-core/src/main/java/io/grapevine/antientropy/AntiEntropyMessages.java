// SPDX-License-Identifier: Apache-2.0
package io.grapevine.antientropy;

import io.grapevine.config.AntiEntropyConfig;
import io.grapevine.node.Endpoint;
import io.grapevine.wire.DropReason;
import io.grapevine.wire.MalformedPacketException;
import io.grapevine.wire.MessageType;
import io.grapevine.wire.PacketReader;
import io.grapevine.wire.WireFormat;

/**
 * The anti-entropy messages (type codes 0x40..0x44) and their codec. Bodies, big-endian:
 *
 * <pre>
 * 0x40 KV_RUMOR         entry                                   a new version, spreading
 * 0x41 KV_SYNC_NODES    session(8) replyTo(endpoint) depth(1) level(1) count(2)
 *                       count x [index(4) 16 x childHash(8)]    "my children of these nodes"
 * 0x42 KV_SYNC_BUCKETS  session(8) replyTo(endpoint) depth(1) count(2)
 *                       count x [bucket(4) n(2) n x [keyHash(8) entryHash(8)]]
 * 0x43 KV_SYNC_WANT     session(8) replyTo(endpoint) count(2) count x keyHash(8)
 * 0x44 KV_SYNC_ENTRY    entry                                   a version shipped by reconciliation
 * </pre>
 *
 * An entry is encoded as in {@link Entry#encoded()}. Decoding validates every field and reads the
 * body whole (trailing bytes are an error); it never changes state.
 */
public final class AntiEntropyMessages {
  /** Largest body the envelope allows. */
  static final int MAX_BODY = WireFormat.MAX_MESSAGE_LENGTH;
  /** Bytes of a NODES entry: index and 16 hashes. */
  static final int NODE_BYTES = 4 + 8 * MerkleTree.FANOUT;
  /** Bytes of one digest item. */
  static final int DIGEST_ITEM_BYTES = 16;
  /** Header bytes of a sync message before its list (IPv6 endpoint, worst case). */
  static final int SYNC_HEADER_BYTES = 8 + 19 + 1 + 1 + 2;
  /** Most digest items of one bucket in a message. */
  static final int MAX_BUCKET_ITEMS = (MAX_BODY - SYNC_HEADER_BYTES - 6) / DIGEST_ITEM_BYTES;

  private AntiEntropyMessages() {}

  /** A message of the replicated store's protocol on the wire. */
  public sealed interface Message permits Rumor, SyncEntry, Nodes, Buckets, Want {}

  /** A version spreading as a rumor. */
  public record Rumor(Entry entry) implements Message {}

  /** A version shipped by reconciliation. */
  public record SyncEntry(Entry entry) implements Message {}

  /** The sender's 16 child hashes of each listed node at {@code level}. */
  public record Nodes(long session, Endpoint replyTo, int depth, int level, int[] indexes, long[] hashes)
      implements Message {}

  /** The sender's digests of the listed buckets; bucket i has items {@code offsets[i]..offsets[i+1]}. */
  public record Buckets(long session, Endpoint replyTo, int depth, int[] buckets, int[] offsets, long[] keyHashes,
      long[] entryHashes) implements Message {}

  /** Key hashes whose versions the sender asks for. */
  public record Want(long session, Endpoint replyTo, long[] keyHashes) implements Message {}

  // ------------------------------------------------------------------ encoding (whole messages)

  /** A whole message (type, length, body) carrying an entry. */
  static byte[] entryMessage(MessageType type, Entry e) {
    byte[] body = e.encoded();
    ByteSink s = new ByteSink(body.length + 3);
    s.u8(type.code()).u16(body.length).raw(body);
    return s.toArray();
  }

  private static void endpoint(ByteSink s, Endpoint e) {
    s.u8(e.isIpv6() ? 6 : 4).raw(e.address()).u16(e.port());
  }

  private static int begin(ByteSink s, MessageType type) {
    s.u8(type.code());
    int at = s.size();
    s.u16(0);
    return at;
  }

  private static void end(ByteSink s, int at) {
    s.patchU16(at, s.size() - at - 2);
  }

  /** Nodes message; {@code hashes} holds 16 per index. */
  static void nodes(ByteSink s, long session, Endpoint replyTo, int depth, int level, int[] indexes, int from,
      int count, long[] hashes) {
    int at = begin(s, MessageType.KV_SYNC_NODES);
    s.i64(session);
    endpoint(s, replyTo);
    s.u8(depth).u8(level).u16(count);
    for (int i = from; i < from + count; i++) {
      s.i32(indexes[i]);
      for (int c = 0; c < MerkleTree.FANOUT; c++) {
        s.i64(hashes[i * MerkleTree.FANOUT + c]);
      }
    }
    end(s, at);
  }

  /**
   * Starts a buckets message; add buckets with {@link #bucket}, close with {@link #endBuckets}.
   *
   * @return {lengthAt, countAt} for {@link #endBuckets}
   */
  static int[] beginBuckets(ByteSink s, long session, Endpoint replyTo, int depth) {
    int at = begin(s, MessageType.KV_SYNC_BUCKETS);
    s.i64(session);
    endpoint(s, replyTo);
    s.u8(depth);
    int countAt = s.size();
    s.u16(0);
    return new int[] {at, countAt};
  }

  /** Bytes {@link #bucket} writes for {@code items} digest items. */
  static int bucketBytes(int items) {
    return 6 + Math.min(items, MAX_BUCKET_ITEMS) * DIGEST_ITEM_BYTES;
  }

  static void bucket(ByteSink s, int bucket, java.util.List<MerkleTree.Slot> slots) {
    int n = Math.min(slots.size(), MAX_BUCKET_ITEMS);
    s.i32(bucket).u16(n);
    for (int i = 0; i < n; i++) {
      MerkleTree.Slot slot = slots.get(i);
      s.i64(slot.keyHash()).i64(slot.hash());
    }
  }

  static void endBuckets(ByteSink s, int[] marks, int count) {
    s.patchU16(marks[1], count);
    end(s, marks[0]);
  }

  static void want(ByteSink s, long session, Endpoint replyTo, long[] keyHashes, int from, int count) {
    int at = begin(s, MessageType.KV_SYNC_WANT);
    s.i64(session);
    endpoint(s, replyTo);
    s.u16(count);
    for (int i = from; i < from + count; i++) {
      s.i64(keyHashes[i]);
    }
    end(s, at);
  }

  // ------------------------------------------------------------------ decoding

  /** Decodes the current message of {@code r}, whose type is in 0x40..0x5F. */
  static Message decode(PacketReader r, AntiEntropyConfig config) throws MalformedPacketException {
    MessageType type = MessageType.of(r.type());
    if (type == null) {
      throw new MalformedPacketException(DropReason.UNKNOWN_TYPE, "type " + (r.type() & 0xff));
    }
    FieldSource in = FieldSource.of(r);
    Message m = switch (type) {
      case KV_RUMOR -> new Rumor(Entry.read(in, config));
      case KV_SYNC_ENTRY -> new SyncEntry(Entry.read(in, config));
      case KV_SYNC_NODES -> readNodes(in, r);
      case KV_SYNC_BUCKETS -> readBuckets(in, r);
      case KV_SYNC_WANT -> readWant(in, r);
      default -> throw new MalformedPacketException(DropReason.UNKNOWN_TYPE, "type " + type);
    };
    if (in.remaining() != 0) {
      throw new MalformedPacketException(DropReason.BAD_FIELD, "trailing bytes in " + type);
    }
    return m;
  }

  private static Nodes readNodes(FieldSource in, PacketReader r) throws MalformedPacketException {
    long session = in.i64();
    Endpoint replyTo = r.getEndpoint();
    int depth = in.u8();
    int level = in.u8();
    int count = in.u16();
    if (depth < 1 || depth > 6 || level >= depth) {
      throw new MalformedPacketException(DropReason.BAD_FIELD, "depth " + depth + " level " + level);
    }
    if (count == 0 || in.remaining() != count * NODE_BYTES) {
      throw new MalformedPacketException(DropReason.BAD_FIELD, "node count " + count);
    }
    int limit = 1 << (4 * level);
    int[] indexes = new int[count];
    long[] hashes = new long[count * MerkleTree.FANOUT];
    for (int i = 0; i < count; i++) {
      indexes[i] = in.i32();
      if (indexes[i] < 0 || indexes[i] >= limit) {
        throw new MalformedPacketException(DropReason.BAD_FIELD, "node index " + indexes[i]);
      }
      for (int c = 0; c < MerkleTree.FANOUT; c++) {
        hashes[i * MerkleTree.FANOUT + c] = in.i64();
      }
    }
    return new Nodes(session, replyTo, depth, level, indexes, hashes);
  }

  private static Buckets readBuckets(FieldSource in, PacketReader r) throws MalformedPacketException {
    long session = in.i64();
    Endpoint replyTo = r.getEndpoint();
    int depth = in.u8();
    int count = in.u16();
    if (depth < 1 || depth > 6) {
      throw new MalformedPacketException(DropReason.BAD_FIELD, "depth " + depth);
    }
    if (count == 0 || in.remaining() < count * 6) {
      throw new MalformedPacketException(DropReason.BAD_FIELD, "bucket count " + count);
    }
    long limit = 1L << (4 * depth);
    int[] buckets = new int[count];
    int[] offsets = new int[count + 1];
    int items = (in.remaining() - count * 6) / DIGEST_ITEM_BYTES;
    long[] keyHashes = new long[items];
    long[] entryHashes = new long[items];
    int k = 0;
    for (int i = 0; i < count; i++) {
      buckets[i] = in.i32();
      if (buckets[i] < 0 || buckets[i] >= limit) {
        throw new MalformedPacketException(DropReason.BAD_FIELD, "bucket " + buckets[i]);
      }
      int n = in.u16();
      if (k + n > items) {
        throw new MalformedPacketException(DropReason.BAD_FIELD, "bucket item count");
      }
      offsets[i] = k;
      for (int j = 0; j < n; j++) {
        keyHashes[k] = in.i64();
        entryHashes[k] = in.i64();
        k++;
      }
    }
    offsets[count] = k;
    if (k != items) {
      throw new MalformedPacketException(DropReason.BAD_FIELD, "bucket item count");
    }
    return new Buckets(session, replyTo, depth, buckets, offsets, keyHashes, entryHashes);
  }

  private static Want readWant(FieldSource in, PacketReader r) throws MalformedPacketException {
    long session = in.i64();
    Endpoint replyTo = r.getEndpoint();
    int count = in.u16();
    if (count == 0 || in.remaining() != count * 8) {
      throw new MalformedPacketException(DropReason.BAD_FIELD, "want count " + count);
    }
    long[] keyHashes = new long[count];
    for (int i = 0; i < count; i++) {
      keyHashes[i] = in.i64();
    }
    return new Want(session, replyTo, keyHashes);
  }
}
