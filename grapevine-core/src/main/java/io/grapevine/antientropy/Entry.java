// SPDX-License-Identifier: Apache-2.0
package io.grapevine.antientropy;

import io.grapevine.config.AntiEntropyConfig;
import io.grapevine.wire.DropReason;
import io.grapevine.wire.MalformedPacketException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collection;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * One versioned key of a replicated map, immutable: a value (last-writer-wins register), a
 * PN-counter, an OR-set, or a tombstone.
 *
 * <p><b>Versions.</b> Every entry belongs to a <em>generation</em> {@code (genHlc, genOrigin)}: the
 * HLC timestamp and replica of the put or delete that started it. Counters and sets created on a key
 * that never existed live in generation {@code (0, "")}, so replicas that create the same counter
 * concurrently merge their updates instead of one erasing the other; a counter or set updated after
 * a delete continues the tombstone's generation. {@link #hlc} is the latest timestamp of any update
 * in the entry.
 *
 * <p><b>Merge</b> ({@link #merge}) is a join: commutative, associative, idempotent, so replicas that
 * have seen the same updates in any order, any number of times, hold identical entries. The higher
 * generation wins outright (last writer wins; ties are impossible because a replica never reuses a
 * timestamp, and the origin breaks the rest). Within a generation: counters merge per replica, sets
 * by union, a tombstone yields to a counter or set continuing it, and the kinds rank TOMBSTONE &lt;
 * VALUE &lt; COUNTER &lt; SET for the remaining cases; two equal-generation values (only possible if
 * a replica id were shared) are ordered by their bytes.
 *
 * <p><b>Encoding.</b> {@link #encoded()} is canonical (CRDT parts sorted), so equal entries have
 * equal bytes and equal {@link #hash()}es everywhere: the hash tree depends on it.
 */
public final class Entry {

  /** What an entry holds. The ordinal is the wire code and the rank within a generation. */
  public enum Kind {
    TOMBSTONE,
    VALUE,
    COUNTER,
    SET
  }

  private static final byte[] EMPTY = new byte[0];

  private final StoreKey key;
  private final Kind kind;
  private final long genHlc;
  private final String genOrigin;
  private final long hlc;
  private final long expiresAtMillis;
  private final byte[] value;
  private final PnCounter counter;
  private final OrSet set;
  private byte[] encoded;
  private long hash;

  private Entry(StoreKey key, Kind kind, long genHlc, String genOrigin, long hlc, long expiresAtMillis, byte[] value,
      PnCounter counter, OrSet set) {
    this.key = key;
    this.kind = kind;
    this.genHlc = genHlc;
    this.genOrigin = genOrigin;
    this.hlc = hlc;
    this.expiresAtMillis = expiresAtMillis;
    this.value = value;
    this.counter = counter;
    this.set = set;
  }

  /** A put: a value written at {@code hlc} by {@code origin}; {@code expiresAtMillis} 0 = never. */
  public static Entry value(StoreKey key, long hlc, String origin, byte[] value, long expiresAtMillis) {
    return new Entry(key, Kind.VALUE, hlc, origin, hlc, expiresAtMillis, value.clone(), null, null);
  }

  /** A delete at {@code hlc} by {@code origin}. */
  public static Entry tombstone(StoreKey key, long hlc, String origin) {
    return new Entry(key, Kind.TOMBSTONE, hlc, origin, hlc, 0, null, null, null);
  }

  /** A counter state in generation {@code (genHlc, genOrigin)}, last updated at {@code hlc}. */
  public static Entry counter(StoreKey key, long genHlc, String genOrigin, long hlc, PnCounter counter) {
    return new Entry(key, Kind.COUNTER, genHlc, genOrigin, hlc, 0, null, counter, null);
  }

  /** A set state in generation {@code (genHlc, genOrigin)}, last updated at {@code hlc}. */
  public static Entry set(StoreKey key, long genHlc, String genOrigin, long hlc, OrSet set) {
    return new Entry(key, Kind.SET, genHlc, genOrigin, hlc, 0, null, null, set);
  }

  public StoreKey key() {
    return key;
  }

  public Kind kind() {
    return kind;
  }

  public long genHlc() {
    return genHlc;
  }

  /** Replica that started this generation; empty for counters and sets never deleted. */
  public String genOrigin() {
    return genOrigin;
  }

  /** Timestamp of the latest update in this entry: orders reconciliation, dates tombstones. */
  public long hlc() {
    return hlc;
  }

  /** Expiry in physical milliseconds, 0 for none (values only). */
  public long expiresAtMillis() {
    return expiresAtMillis;
  }

  /** The value (a copy), or null if not a value. */
  public byte[] value() {
    return value == null ? null : value.clone();
  }

  /** The counter, or null. */
  public PnCounter counter() {
    return counter;
  }

  /** The set, or null. */
  public OrSet set() {
    return set;
  }

  /** Whether a reader sees this key at {@code physicalMillis}: not deleted, not expired. */
  public boolean isLive(long physicalMillis) {
    return switch (kind) {
      case TOMBSTONE -> false;
      case VALUE -> expiresAtMillis == 0 || physicalMillis < expiresAtMillis;
      default -> true;
    };
  }

  /**
   * When this entry may be removed for good (physical ms): a tombstone {@code grace} after the
   * delete, an expiring value {@code grace} after its expiry; never for the rest.
   */
  public long removableAtMillis(long graceMillis) {
    if (kind == Kind.TOMBSTONE) {
      return Hlc.physicalOf(hlc) + graceMillis;
    }
    if (kind == Kind.VALUE && expiresAtMillis != 0) {
      return expiresAtMillis + graceMillis;
    }
    return Long.MAX_VALUE;
  }

  // ------------------------------------------------------------------ merge

  /** Orders generations: timestamp, then origin. */
  static int compareGeneration(Entry a, Entry b) {
    int c = Long.compare(a.genHlc, b.genHlc);
    return c != 0 ? c : a.genOrigin.compareTo(b.genOrigin);
  }

  /** The join of two versions of the same key (see class doc). Returns one of them when it is the result. */
  public static Entry merge(Entry a, Entry b) {
    if (!a.key.equals(b.key)) {
      throw new IllegalArgumentException("merging different keys " + a.key + " and " + b.key);
    }
    int g = compareGeneration(a, b);
    if (g != 0) {
      return g > 0 ? a : b;
    }
    long hlc = Math.max(a.hlc, b.hlc);
    if (a.kind != b.kind) {
      Entry w = a.kind.ordinal() > b.kind.ordinal() ? a : b;
      return w.hlc == hlc ? w : w.withHlc(hlc);
    }
    return switch (a.kind) {
      case TOMBSTONE -> a.hlc >= b.hlc ? a : b;
      case VALUE -> Arrays.compareUnsigned(a.encoded(), b.encoded()) >= 0 ? a : b;
      case COUNTER -> {
        PnCounter m = PnCounter.merge(a.counter, b.counter);
        yield m.equals(a.counter) && a.hlc == hlc ? a : m.equals(b.counter) && b.hlc == hlc ? b
            : counter(a.key, a.genHlc, a.genOrigin, hlc, m);
      }
      case SET -> {
        OrSet m = OrSet.merge(a.set, b.set);
        yield m.equals(a.set) && a.hlc == hlc ? a : m.equals(b.set) && b.hlc == hlc ? b
            : set(a.key, a.genHlc, a.genOrigin, hlc, m);
      }
    };
  }

  private Entry withHlc(long newHlc) {
    return new Entry(key, kind, genHlc, genOrigin, newHlc, expiresAtMillis, value, counter, set);
  }

  // ------------------------------------------------------------------ encoding

  /**
   * The canonical encoding:
   *
   * <pre>
   * kind(1) map(bytes16) key(bytes16) genHlc(8) genOrigin(bytes16, 0..255) hlc(8), then by kind:
   *   VALUE:   expiresAt(8) value(bytes16)
   *   COUNTER: n(2) n x [replica(bytes16) p(8) n(8)]             replicas ascending
   *   SET:     e(2) e x [element(bytes16) t(2) t x tag]  r(2) r x tag   ascending; tag = replica(bytes16) hlc(8)
   * </pre>
   *
   * Cached; do not modify the returned array.
   */
  public byte[] encoded() {
    byte[] e = encoded;
    if (e == null) {
      ByteSink s = new ByteSink(64 + (value == null ? 0 : value.length));
      writeTo(s);
      e = s.toArray();
      encoded = e;
    }
    return e;
  }

  /** Size of the canonical encoding. */
  public int encodedSize() {
    return encoded().length;
  }

  /** 64-bit hash of the canonical encoding: this entry's contribution to the hash tree. Never 0. */
  public long hash() {
    long h = hash;
    if (h == 0) {
      byte[] e = encoded();
      h = Hash64.hash(e, 0, e.length, 0x5eed);
      if (h == 0) {
        h = 1;
      }
      hash = h;
    }
    return h;
  }

  private void writeTo(ByteSink s) {
    s.u8(kind.ordinal());
    s.bytes16(utf8(key.map()));
    s.bytes16(utf8(key.key()));
    s.i64(genHlc);
    s.bytes16(utf8(genOrigin));
    s.i64(hlc);
    switch (kind) {
      case TOMBSTONE -> { }
      case VALUE -> s.i64(expiresAtMillis).bytes16(value);
      case COUNTER -> {
        s.u16(counter.slots().size());
        for (Map.Entry<String, long[]> e : counter.slots().entrySet()) {
          s.bytes16(utf8(e.getKey())).i64(e.getValue()[0]).i64(e.getValue()[1]);
        }
      }
      case SET -> {
        s.u16(set.adds().size());
        for (Map.Entry<String, SortedSet<Tag>> e : set.adds().entrySet()) {
          s.bytes16(utf8(e.getKey())).u16(e.getValue().size());
          for (Tag t : e.getValue()) {
            s.bytes16(utf8(t.replica())).i64(t.hlc());
          }
        }
        s.u16(set.removed().size());
        for (Tag t : set.removed()) {
          s.bytes16(utf8(t.replica())).i64(t.hlc());
        }
      }
    }
  }

  /** Decodes an entry from a stored record. */
  public static Entry decode(byte[] record, AntiEntropyConfig config) throws MalformedPacketException {
    FieldSource in = FieldSource.of(record);
    Entry e = read(in, config);
    if (in.remaining() != 0) {
      throw new MalformedPacketException(DropReason.BAD_FIELD, "trailing bytes after entry");
    }
    return e;
  }

  /**
   * Reads one entry, validating every field against {@code config} and requiring the canonical
   * order (a non-canonical state would hash differently on different replicas).
   */
  static Entry read(FieldSource in, AntiEntropyConfig config) throws MalformedPacketException {
    int k = in.u8();
    if (k >= Kind.values().length) {
      throw bad("entry kind " + k);
    }
    Kind kind = Kind.values()[k];
    String map = in.string16(1, Names.MAP_MAX_BYTES, "map name");
    if (Names.mapNameProblem(map) != null) {
      throw bad("map name");
    }
    String key = in.string16(1, config.keyMaxBytes, "key");
    StoreKey sk = new StoreKey(map, key);
    long genHlc = in.i64();
    String genOrigin = in.string16(0, 255, "origin");
    long hlc = in.i64();
    if (genHlc < 0 || hlc < genHlc) {
      throw bad("timestamps");
    }
    switch (kind) {
      case TOMBSTONE -> {
        if (genOrigin.isEmpty() || hlc != genHlc) {
          throw bad("tombstone version");
        }
        return tombstone(sk, hlc, genOrigin);
      }
      case VALUE -> {
        long expires = in.i64();
        byte[] v;
        try {
          v = in.bytes16(config.valueMaxBytes);
        } catch (MalformedPacketException e) {
          throw e.oversizedAs(DropReason.KV_VALUE_TOO_LARGE);
        }
        if (genOrigin.isEmpty() || hlc != genHlc || expires < 0) {
          throw bad("value version");
        }
        return new Entry(sk, Kind.VALUE, hlc, genOrigin, hlc, expires, v, null, null);
      }
      case COUNTER -> {
        int n = in.u16();
        TreeMap<String, long[]> slots = new TreeMap<>();
        String prev = null;
        for (int i = 0; i < n; i++) {
          String r = in.string16(1, 255, "replica");
          long p = in.i64();
          long q = in.i64();
          if (p < 0 || q < 0 || (prev != null && prev.compareTo(r) >= 0)) {
            throw bad("counter slot");
          }
          slots.put(r, new long[] {p, q});
          prev = r;
        }
        return counter(sk, genHlc, genOrigin, hlc, PnCounter.of(slots));
      }
      case SET -> {
        int n = in.u16();
        TreeMap<String, Collection<Tag>> adds = new TreeMap<>();
        TreeSet<Tag> all = new TreeSet<>();
        String prev = null;
        for (int i = 0; i < n; i++) {
          String element = in.string16(1, config.keyMaxBytes, "element");
          if (prev != null && prev.compareTo(element) >= 0) {
            throw bad("set element order");
          }
          prev = element;
          int t = in.u16();
          if (t == 0) {
            throw bad("element without tags");
          }
          TreeSet<Tag> tags = readTags(in, t);
          for (Tag tag : tags) {
            if (!all.add(tag)) {
              throw bad("tag on two elements");
            }
          }
          adds.put(element, tags);
        }
        TreeSet<Tag> removed = readTags(in, in.u16());
        for (Tag tag : removed) {
          if (all.contains(tag)) {
            throw bad("tag both live and retired");
          }
        }
        return set(sk, genHlc, genOrigin, hlc, OrSet.of(adds, removed));
      }
      default -> throw new AssertionError(kind);
    }
  }

  private static TreeSet<Tag> readTags(FieldSource in, int count) throws MalformedPacketException {
    TreeSet<Tag> tags = new TreeSet<>();
    Tag prev = null;
    for (int i = 0; i < count; i++) {
      Tag t = new Tag(in.string16(1, 255, "tag replica"), in.i64());
      if (prev != null && prev.compareTo(t) >= 0) {
        throw bad("tag order");
      }
      tags.add(t);
      prev = t;
    }
    return tags;
  }

  private static MalformedPacketException bad(String what) {
    return new MalformedPacketException(DropReason.BAD_FIELD, "bad " + what);
  }

  static byte[] utf8(String s) {
    return s.isEmpty() ? EMPTY : s.getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Entry e && Arrays.equals(e.encoded(), encoded());
  }

  @Override
  public int hashCode() {
    return Long.hashCode(hash());
  }

  @Override
  public String toString() {
    String body = switch (kind) {
      case TOMBSTONE -> "deleted";
      case VALUE -> value.length + "B" + (expiresAtMillis == 0 ? "" : " expires " + expiresAtMillis);
      case COUNTER -> "counter " + counter.value();
      case SET -> "set " + set.elements();
    };
    return key + "[" + body + " gen=" + genHlc + "/" + genOrigin + " hlc=" + hlc + "]";
  }
}
