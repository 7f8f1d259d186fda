// SPDX-License-Identifier: Apache-2.0
package io.grapevine.antientropy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A hash tree over the key space, fanout 16, {@code depth} levels below the root. Each key goes to
 * the bucket named by the top {@code 4 * depth} bits of its key hash; a bucket's hash is the sum
 * (mod 2^64) of its entries' hashes and a node's hash the sum of its children's. Sums make updates
 * incremental (a write changes depth + 1 numbers, no rehashing) and independent of insertion order,
 * so two replicas holding the same entries have the same root whatever their histories.
 *
 * <p>Two replicas find their differences by descending only into subtrees whose hashes differ: d
 * differing keys among n cost about d * depth * 16 hashes instead of n digests.
 *
 * <p>The tree also indexes which keys are in each bucket (key, key hash, entry hash), which is what
 * a bucket digest lists. Not thread-safe: owned by the replica's driver thread.
 */
public final class MerkleTree {
  /** Children per node. */
  public static final int FANOUT = 16;
  private static final int BITS = 4;

  /** One key in a bucket. */
  public static final class Slot {
    final StoreKey key;
    final long keyHash;
    long hash;

    Slot(StoreKey key, long keyHash, long hash) {
      this.key = key;
      this.keyHash = keyHash;
      this.hash = hash;
    }

    public StoreKey key() {
      return key;
    }

    public long keyHash() {
      return keyHash;
    }

    /** Hash of the entry now stored under the key. */
    public long hash() {
      return hash;
    }
  }

  private final int depth;
  // Both are allocated at the first put: with the default depth they take about 800 KiB, which a
  // node whose replicated maps stay empty (most agents) would otherwise hold for its whole life.
  // Until then every hash is 0, as it is for a tree whose keys have all been removed.
  private long[][] levels;
  private ArrayList<Slot>[] buckets;
  private int size;

  /** @param depth levels below the root, 1..6 */
  public MerkleTree(int depth) {
    if (depth < 1 || depth > 6) {
      throw new IllegalArgumentException("depth must be 1..6, got " + depth);
    }
    this.depth = depth;
  }

  @SuppressWarnings("unchecked")
  private void allocate() {
    levels = new long[depth + 1][];
    for (int k = 0; k <= depth; k++) {
      levels[k] = new long[1 << (BITS * k)];
    }
    buckets = new ArrayList[1 << (BITS * depth)];
  }

  /** The key hash that places {@code key} in the tree: 64 bits over map, a zero byte, and key. */
  public static long keyHash(StoreKey key) {
    byte[] m = Entry.utf8(key.map());
    byte[] k = Entry.utf8(key.key());
    byte[] all = new byte[m.length + 1 + k.length];
    System.arraycopy(m, 0, all, 0, m.length);
    System.arraycopy(k, 0, all, m.length + 1, k.length);
    return Hash64.hash(all, 0, all.length, 0x6b657973L);
  }

  public int depth() {
    return depth;
  }

  /** Number of buckets: 16^depth. */
  public int bucketCount() {
    return 1 << (BITS * depth);
  }

  public int bucketOf(long keyHash) {
    return (int) (keyHash >>> (64 - BITS * depth));
  }

  /** Keys indexed. */
  public int size() {
    return size;
  }

  public long root() {
    return levels == null ? 0 : levels[0][0];
  }

  /** Hash of node {@code index} at {@code level} (0 = root, depth = buckets). */
  public long node(int level, int index) {
    if (levels == null) {
      java.util.Objects.checkIndex(index, 1 << (BITS * level));
      return 0;
    }
    return levels[level][index];
  }

  /** Copies the 16 child hashes of node {@code index} at {@code level} (below depth) into {@code out}. */
  public void children(int level, int index, long[] out) {
    if (levels == null) {
      java.util.Objects.checkFromIndexSize(index * FANOUT, FANOUT, 1 << (BITS * (level + 1)));
      java.util.Arrays.fill(out, 0, FANOUT, 0L);
      return;
    }
    System.arraycopy(levels[level + 1], index * FANOUT, out, 0, FANOUT);
  }

  /** Sets the entry hash for {@code key} (adding the key if new). */
  public void put(StoreKey key, long keyHash, long entryHash) {
    if (levels == null) {
      allocate();
    }
    int b = bucketOf(keyHash);
    ArrayList<Slot> bucket = buckets[b];
    if (bucket == null) {
      bucket = new ArrayList<>(4);
      buckets[b] = bucket;
    }
    for (int i = 0; i < bucket.size(); i++) {
      Slot s = bucket.get(i);
      if (s.keyHash == keyHash && s.key.equals(key)) {
        long delta = entryHash - s.hash;
        s.hash = entryHash;
        add(b, delta);
        return;
      }
    }
    bucket.add(new Slot(key, keyHash, entryHash));
    size++;
    add(b, entryHash);
  }

  /** Removes {@code key}; no-op if absent. */
  public void remove(StoreKey key, long keyHash) {
    if (buckets == null) {
      return;
    }
    int b = bucketOf(keyHash);
    ArrayList<Slot> bucket = buckets[b];
    if (bucket == null) {
      return;
    }
    for (int i = 0; i < bucket.size(); i++) {
      Slot s = bucket.get(i);
      if (s.keyHash == keyHash && s.key.equals(key)) {
        bucket.remove(i);
        size--;
        add(b, -s.hash);
        return;
      }
    }
  }

  /** The keys in bucket {@code b}, read-only (valid until the next change). */
  public List<Slot> bucket(int b) {
    if (buckets == null) {
      java.util.Objects.checkIndex(b, bucketCount());
      return Collections.emptyList();
    }
    ArrayList<Slot> bucket = buckets[b];
    return bucket == null ? Collections.emptyList() : Collections.unmodifiableList(bucket);
  }

  private void add(int bucket, long delta) {
    int idx = bucket;
    for (int k = depth; k >= 0; k--) {
      levels[k][idx] += delta;
      idx >>>= BITS;
    }
  }
}
