// SPDX-License-Identifier: Apache-2.0
package io.grapevine.antientropy;

import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A PN-counter CRDT: per replica, the total of its increments (P) and of its decrements (N), both
 * only growing. Merge takes the maximum of each, so concurrent updates on different replicas are all
 * kept; the value is sum(P) - sum(N). Immutable.
 */
public final class PnCounter {
  /** The counter nobody has touched. */
  public static final PnCounter EMPTY = new PnCounter(new TreeMap<>());

  private final SortedMap<String, long[]> slots;

  private PnCounter(TreeMap<String, long[]> slots) {
    this.slots = Collections.unmodifiableSortedMap(slots);
  }

  /** A counter from per-replica {P, N} pairs (copied); both must be non-negative. */
  public static PnCounter of(Map<String, long[]> pn) {
    TreeMap<String, long[]> copy = new TreeMap<>();
    for (Map.Entry<String, long[]> e : pn.entrySet()) {
      long[] v = e.getValue();
      if (v.length != 2 || v[0] < 0 || v[1] < 0) {
        throw new IllegalArgumentException("P and N must be two non-negative numbers for " + e.getKey());
      }
      copy.put(e.getKey(), new long[] {v[0], v[1]});
    }
    return new PnCounter(copy);
  }

  /** Current value: increments minus decrements, across replicas. Wraps on overflow. */
  public long value() {
    long v = 0;
    for (long[] pn : slots.values()) {
      v += pn[0] - pn[1];
    }
    return v;
  }

  /** This counter with {@code delta} added on behalf of {@code replica}. */
  public PnCounter add(String replica, long delta) {
    TreeMap<String, long[]> copy = copy();
    long[] pn = copy.computeIfAbsent(replica, r -> new long[2]);
    if (delta >= 0) {
      pn[0] = Math.addExact(pn[0], delta);
    } else {
      if (delta == Long.MIN_VALUE) {
        throw new ArithmeticException("delta out of range");
      }
      pn[1] = Math.addExact(pn[1], -delta);
    }
    return new PnCounter(copy);
  }

  /** The least upper bound of two counters: per replica, the larger P and the larger N. */
  public static PnCounter merge(PnCounter a, PnCounter b) {
    if (a.slots.isEmpty()) {
      return b;
    }
    if (b.slots.isEmpty()) {
      return a;
    }
    TreeMap<String, long[]> out = a.copy();
    for (Map.Entry<String, long[]> e : b.slots.entrySet()) {
      long[] mine = out.get(e.getKey());
      long[] theirs = e.getValue();
      if (mine == null) {
        out.put(e.getKey(), theirs.clone());
      } else {
        mine[0] = Math.max(mine[0], theirs[0]);
        mine[1] = Math.max(mine[1], theirs[1]);
      }
    }
    return new PnCounter(out);
  }

  /** Per-replica {P, N}, read-only, in replica order. Do not modify the arrays. */
  public SortedMap<String, long[]> slots() {
    return slots;
  }

  public boolean isEmpty() {
    return slots.isEmpty();
  }

  private TreeMap<String, long[]> copy() {
    TreeMap<String, long[]> copy = new TreeMap<>();
    for (Map.Entry<String, long[]> e : slots.entrySet()) {
      copy.put(e.getKey(), e.getValue().clone());
    }
    return copy;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof PnCounter other) || other.slots.size() != slots.size()) {
      return false;
    }
    for (Map.Entry<String, long[]> e : slots.entrySet()) {
      long[] v = other.slots.get(e.getKey());
      if (v == null || v[0] != e.getValue()[0] || v[1] != e.getValue()[1]) {
        return false;
      }
    }
    return true;
  }

  @Override
  public int hashCode() {
    return Long.hashCode(value()) * 31 + slots.size();
  }

  @Override
  public String toString() {
    return "PnCounter[" + value() + "]";
  }
}
