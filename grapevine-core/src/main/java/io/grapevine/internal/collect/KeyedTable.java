// SPDX-License-Identifier: Apache-2.0
package io.grapevine.internal.collect;

import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.function.Function;

/**
 * Open-addressing hash table of values that carry their own key (a member record and its name, a
 * queued update and its key). Linear probing, backward-shift deletion, power-of-two capacity kept at most
 * two-thirds full. It stores one reference per slot instead of a {@code HashMap} node per entry: ~8
 * bytes per entry against ~40, which adds up when one process simulates thousands of full-view
 * nodes (N² records). Internal to Grapevine's protocol classes.
 *
 * <p>A key's home slot is the top bits of its hash times the golden ratio (Fibonacci hashing), so
 * the table is ordered by that {@link #hashPrefix}: the values of one prefix sit in one run of
 * slots, and {@link #forEachNear} visits them without walking the rest.
 *
 * <p>Iteration order depends only on the keys and the order of operations, so it is deterministic.
 * Not safe for concurrent use; the owning state machine is single-threaded.
 */
public final class KeyedTable<V> implements Iterable<V> {
  private final Function<V, ?> keyOf;
  private Object[] slots = new Object[16];
  /** 32 minus log2 of the capacity: a home slot is the hash's top bits. */
  private int shift = 28;
  private int size;

  public KeyedTable(Function<V, ?> keyOf) {
    this.keyOf = keyOf;
  }

  public int size() {
    return size;
  }

  /** The value with this key, or null. */
  public V get(Object name) {
    int mask = slots.length - 1;
    for (int i = home(name); ; i = (i + 1) & mask) {
      V v = at(i);
      if (v == null) {
        return null;
      }
      if (keyOf.apply(v).equals(name)) {
        return v;
      }
    }
  }

  public boolean containsKey(Object name) {
    return get(name) != null;
  }

  /** Inserts or replaces the value under its own key; returns the one replaced, or null. */
  public V put(V value) {
    if ((size + 1) * 3 > slots.length * 2) {
      resize(slots.length * 2);
    }
    Object name = keyOf.apply(value);
    int mask = slots.length - 1;
    for (int i = home(name); ; i = (i + 1) & mask) {
      V v = at(i);
      if (v == null) {
        slots[i] = value;
        size++;
        return null;
      }
      if (keyOf.apply(v).equals(name)) {
        slots[i] = value;
        return v;
      }
    }
  }

  /** Removes the value with this key; returns it, or null. */
  public V remove(Object name) {
    int mask = slots.length - 1;
    int i = home(name);
    while (true) {
      V v = at(i);
      if (v == null) {
        return null;
      }
      if (keyOf.apply(v).equals(name)) {
        break;
      }
      i = (i + 1) & mask;
    }
    V removed = at(i);
    // Backward-shift: move later members of the probe run into the hole so lookups still find them.
    int hole = i;
    for (int j = (hole + 1) & mask; slots[j] != null; j = (j + 1) & mask) {
      int home = home(keyOf.apply(at(j)));
      boolean movable = hole <= j ? (home <= hole || home > j) : (home <= hole && home > j);
      if (movable) {
        slots[hole] = slots[j];
        hole = j;
      }
    }
    slots[hole] = null;
    size--;
    return removed;
  }

  /** Removes every entry (keeps the capacity). */
  public void clear() {
    java.util.Arrays.fill(slots, null);
    size = 0;
  }

  @Override
  public Iterator<V> iterator() {
    return new Iterator<>() {
      private int next = advance(0);

      private int advance(int from) {
        int i = from;
        while (i < slots.length && slots[i] == null) {
          i++;
        }
        return i;
      }

      @Override
      public boolean hasNext() {
        return next < slots.length;
      }

      @Override
      public V next() {
        if (next >= slots.length) {
          throw new NoSuchElementException();
        }
        V v = at(next);
        next = advance(next + 1);
        return v;
      }
    };
  }

  @SuppressWarnings("unchecked")
  private V at(int i) {
    return (V) slots[i];
  }

  private void resize(int capacity) {
    Object[] old = slots;
    slots = new Object[capacity];
    shift = 32 - Integer.numberOfTrailingZeros(capacity);
    int mask = capacity - 1;
    for (Object o : old) {
      if (o != null) {
        @SuppressWarnings("unchecked")
        V v = (V) o;
        int i = home(keyOf.apply(v));
        while (slots[i] != null) {
          i = (i + 1) & mask;
        }
        slots[i] = v;
      }
    }
  }

  private int home(Object key) {
    return (key.hashCode() * 0x9E3779B9) >>> shift;
  }

  /**
   * The top {@code bits} (0..31) bits of the hash by which the table places {@code key}: its hash
   * code times the golden ratio, which spreads keys that differ only in their last characters.
   */
  public static int hashPrefix(Object key, int bits) {
    return bits == 0 ? 0 : (key.hashCode() * 0x9E3779B9) >>> (32 - bits);
  }

  /**
   * Visits every value whose {@link #hashPrefix} of {@code bits} bits is {@code prefix}, and maybe a
   * few others stored near them (callers filter), in time proportional to the slots of that prefix
   * and the probe runs that spill out of them, not to the table.
   */
  public void forEachNear(int prefix, int bits, java.util.function.Consumer<V> visitor) {
    int log2 = 32 - shift;
    int start;
    int width;
    if (bits <= log2) {
      start = prefix << (log2 - bits);
      width = 1 << (log2 - bits);
    } else {
      start = prefix >>> (bits - log2);
      width = 1;
    }
    int mask = slots.length - 1;
    // Every value whose home is in [start, start + width) sits at or after its home with no empty
    // slot between: past the range, the scan ends at the first empty slot.
    for (int k = 0; k < slots.length; k++) {
      Object o = slots[(start + k) & mask];
      if (o == null) {
        if (k >= width) {
          return;
        }
        continue;
      }
      visitor.accept(at((start + k) & mask));
    }
  }
}
