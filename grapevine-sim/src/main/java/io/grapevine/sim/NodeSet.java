// SPDX-License-Identifier: Apache-2.0
package io.grapevine.sim;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Which nodes a fault applies to: an explicit list, a range, or a random count or fraction drawn
 * from the run's fault stream (so the same seed picks the same nodes).
 */
public final class NodeSet {
  private final int[] explicit;
  private final int count;
  private final double fraction;
  private final String text;

  private NodeSet(int[] explicit, int count, double fraction, String text) {
    this.explicit = explicit;
    this.count = count;
    this.fraction = fraction;
    this.text = text;
  }

  public static NodeSet of(int... nodes) {
    return new NodeSet(nodes.clone(), -1, -1, Arrays.toString(nodes));
  }

  /** Nodes {@code from..to}, both included. */
  public static NodeSet range(int from, int to) {
    int[] a = new int[to - from + 1];
    for (int i = 0; i < a.length; i++) {
      a[i] = from + i;
    }
    return new NodeSet(a, -1, -1, from + "-" + to);
  }

  /** {@code count} distinct random nodes. */
  public static NodeSet randomCount(int count) {
    return new NodeSet(null, count, -1, "count " + count);
  }

  /** round(fraction * N) distinct random nodes, at least one if fraction &gt; 0. */
  public static NodeSet randomFraction(double fraction) {
    return new NodeSet(null, -1, fraction, "fraction " + fraction);
  }

  /** Whether the set is drawn at random when the run starts. */
  public boolean isRandom() {
    return explicit == null;
  }

  /** The largest explicit index, or -1 for random sets (checked against N by validation). */
  public int maxExplicit() {
    if (explicit == null) {
      return -1;
    }
    int max = -1;
    for (int i : explicit) {
      max = Math.max(max, i);
    }
    return max;
  }

  /**
   * Resolves to node indices. Random picks avoid {@code exclude} (the join seeds, say) when possible.
   */
  public int[] resolve(int n, SplittableRandom random, int excludeBelow) {
    if (explicit != null) {
      return explicit.clone();
    }
    int k = count >= 0 ? count : (int) Math.max(fraction > 0 ? 1 : 0, Math.round(fraction * n));
    int lo = n - excludeBelow >= k ? excludeBelow : 0;
    int pool = n - lo;
    k = Math.min(k, pool);
    // Partial Fisher-Yates over a virtual array [lo, n) with a sparse swap map.
    java.util.HashMap<Integer, Integer> swaps = new java.util.HashMap<>();
    int[] out = new int[k];
    for (int i = 0; i < k; i++) {
      int j = i + random.nextInt(pool - i);
      int vj = swaps.getOrDefault(j, j);
      int vi = swaps.getOrDefault(i, i);
      swaps.put(j, vi);
      out[i] = lo + vj;
    }
    Arrays.sort(out);
    return out;
  }

  @Override
  public String toString() {
    return text;
  }
}
