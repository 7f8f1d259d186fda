// SPDX-License-Identifier: Apache-2.0
package io.grapevine.membership;

import io.grapevine.api.MemberState;
import io.grapevine.internal.collect.KeyedTable;
import io.grapevine.internal.hash.Hash64;

/**
 * An order-independent summary of a member table, for digest syncs: the members are spread over
 * {@value #FINE} buckets by the {@link KeyedTable#hashPrefix} of their name (so that the member
 * table holds one bucket's members in one run of slots), and each bucket keeps the wrapping sum of one
 * 64-bit value per member (its name, incarnation and whether it is gone) and a count. Two nodes
 * whose tables agree have equal sums; a bucket whose sums differ holds at least one member the
 * two nodes see differently, so only that bucket's members need to be sent. Adding or removing a
 * member is O(1); a coarser summary of {@code b} buckets (a power of two) folds {@code FINE / b}
 * neighbouring buckets, so nodes of any size compare at the resolution the smaller message allows.
 */
final class MemberDigest {
  /** Buckets kept; the most a digest message carries. 8 KiB of sums per node. */
  static final int FINE = 1024;
  private static final int FINE_BITS = 10;
  /** Members per bucket a sent digest aims at: its size is about 8 / this bytes per member. */
  static final int MEMBERS_PER_BUCKET = 4;

  private final long[] sums = new long[FINE];
  private final int[] counts = new int[FINE];

  /** The 64-bit hash of a member name that its {@link #value} starts from. */
  static long nameHash(String name) {
    return Hash64.mix(Hash64.fnv1a(name));
  }

  /** The fine bucket of a name: top bits of its hash, so that coarser buckets are runs of fine ones. */
  static int fineBucket(String name) {
    return KeyedTable.hashPrefix(name, FINE_BITS);
  }

  /** The bucket of a name among {@code buckets} (a power of two up to {@link #FINE}). */
  static int bucket(String name, int buckets) {
    return KeyedTable.hashPrefix(name, bits(buckets));
  }

  /** log2 of {@code buckets}, a power of two. */
  static int bits(int buckets) {
    return Integer.numberOfTrailingZeros(buckets);
  }

  /**
   * What one member adds to its bucket's sum: two tables agree on it when they hold it at the same
   * incarnation, both live (alive or suspect) or both gone (dead or left). Suspicions and verdicts
   * at one incarnation travel by gossip; this sees who is known, and at which incarnation.
   */
  static long value(long nameHash, long incarnation, MemberState state) {
    return Hash64.mix(nameHash ^ Hash64.mix(incarnation * 2 + (state.isGone() ? 1 : 0)));
  }

  void add(String name, long value) {
    int b = fineBucket(name);
    sums[b] += value;
    counts[b]++;
  }

  void remove(String name, long value) {
    int b = fineBucket(name);
    sums[b] -= value;
    counts[b]--;
  }

  /** Buckets a digest of a table of {@code members} has: about {@link #MEMBERS_PER_BUCKET} each. */
  static int bucketsFor(int members) {
    int b = Integer.highestOneBit(Math.max(1, (members + MEMBERS_PER_BUCKET - 1) / MEMBERS_PER_BUCKET));
    return Math.min(FINE, b);
  }

  /** Whether {@code buckets} is a digest size this class reads: a power of two from 1 to {@link #FINE}. */
  static boolean validBuckets(int buckets) {
    return buckets >= 1 && buckets <= FINE && Integer.bitCount(buckets) == 1;
  }

  /** The sums folded to {@code buckets} buckets. */
  long[] sums(int buckets) {
    long[] out = new long[buckets];
    int per = FINE / buckets;
    for (int i = 0; i < FINE; i++) {
      out[i / per] += sums[i];
    }
    return out;
  }

  /** Members in bucket {@code b} of {@code buckets}. */
  int count(int b, int buckets) {
    int per = FINE / buckets;
    int n = 0;
    for (int i = b * per; i < (b + 1) * per; i++) {
      n += counts[i];
    }
    return n;
  }
}
