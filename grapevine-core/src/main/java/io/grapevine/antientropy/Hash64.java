// SPDX-License-Identifier: Apache-2.0
package io.grapevine.antientropy;

/**
 * The 64-bit hash of the anti-entropy tree: Murmur3-style block mixing with the fmix64 finalizer.
 * Fixed forever (replicas compare hashes), fast, well distributed; not cryptographic, which is
 * fine here because peers are members of the same cluster, and a collision (probability about
 * 2^-64 per comparison) only delays a repair until the entry changes again.
 */
public final class Hash64 {
  private static final long C1 = 0x87c37b91114253d5L;
  private static final long C2 = 0x4cf5ad432745937fL;

  private Hash64() {}

  /** Hash of {@code length} bytes of {@code data} from {@code offset}. */
  public static long hash(byte[] data, int offset, int length, long seed) {
    long h = seed ^ (length * C1);
    int i = offset;
    int end = offset + length;
    while (end - i >= 8) {
      long k = (data[i] & 0xffL) | (data[i + 1] & 0xffL) << 8 | (data[i + 2] & 0xffL) << 16
          | (data[i + 3] & 0xffL) << 24 | (data[i + 4] & 0xffL) << 32 | (data[i + 5] & 0xffL) << 40
          | (data[i + 6] & 0xffL) << 48 | (data[i + 7] & 0xffL) << 56;
      h ^= mixK(k);
      h = Long.rotateLeft(h, 27) * 5 + 0x52dce729;
      i += 8;
    }
    long k = 0;
    int shift = 0;
    while (i < end) {
      k |= (data[i++] & 0xffL) << shift;
      shift += 8;
    }
    h ^= mixK(k);
    return fmix(h ^ length);
  }

  public static long hash(byte[] data) {
    return hash(data, 0, data.length, 0);
  }

  private static long mixK(long k) {
    k *= C1;
    k = Long.rotateLeft(k, 31);
    return k * C2;
  }

  /** Murmur3's 64-bit finalizer: every input bit affects every output bit. */
  public static long fmix(long h) {
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    h *= 0xc4ceb9fe1a85ec53L;
    h ^= h >>> 33;
    return h;
  }
}
