// SPDX-License-Identifier: Apache-2.0
package io.grapevine.internal.hash;

import java.nio.charset.StandardCharsets;

/** The 64-bit hashing of names that ring ids and protocol seeds share: FNV-1a, then SplitMix64's finalizer. */
public final class Hash64 {
  private Hash64() {}

  /** FNV-1a over the UTF-8 bytes of {@code s}. */
  public static long fnv1a(String s) {
    long h = 0xcbf29ce484222325L;
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      h = (h ^ (b & 0xff)) * 0x100000001b3L;
    }
    return h;
  }

  /** SplitMix64's finalizer: spreads every input bit over the output. */
  public static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }
}
