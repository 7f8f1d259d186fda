// SPDX-License-Identifier: Apache-2.0
package io.grapevine.internal.collect;

import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.function.Function;

/**
 * Open-addressing hash table of values that carry their own key (a member record and its name, a
 * queued update and its key). Linear probing, backward-shift deletion, power-of-two capacity kept at most
 * two-thirds full. It stores one reference and a 2-byte tag per slot instead of a {@code HashMap} node per
 * entry: ~15 bytes per entry against ~40, which adds up when one process simulates thousands of full-view
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
  /**
   * Beside each slot the top 16 bits of its key's {@link #mixed} hash (a tag): a probe compares
   * tags in one array and touches a value (and its key) only on a tag match, instead of
   * dereferencing every value of the probe run, three cache misses each in a large table. 2 bytes a
   * slot; while the table has at most 2^16 slots the tag also gives each value's home slot.
   */
  private char[] tags = new char[16];
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
    int h = mixed(name);
    char tag = (char) (h >>> 16);
    int mask = slots.length - 1;
    for (int i = h >>> shift; ; i = (i + 1) & mask) {
      Object o = slots[i];
      if (o == null) {
        return null;
      }
      if (tags[i] == tag) {
        V v = at(o);
        if (keyOf.apply(v).equals(name)) {
          return v;
        }
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
    int h = mixed(name);
    char tag = (char) (h >>> 16);
    int mask = slots.length - 1;
    for (int i = h >>> shift; ; i = (i + 1) & mask) {
      Object o = slots[i];
      if (o == null) {
        slots[i] = value;
        tags[i] = tag;
        size++;
        return null;
      }
      if (tags[i] == tag) {
        V v = at(o);
        if (keyOf.apply(v).equals(name)) {
          slots[i] = value;
          return v;
        }
      }
    }
  }

  /** Removes the value with this key; returns it, or null. */
  public V remove(Object name) {
    int h = mixed(name);
    char tag = (char) (h >>> 16);
    int mask = slots.length - 1;
    int i = h >>> shift;
    while (true) {
      Object o = slots[i];
      if (o == null) {
        return null;
      }
      if (tags[i] == tag && keyOf.apply(at(i)).equals(name)) {
        break;
      }
      i = (i + 1) & mask;
    }
    V removed = at(i);
    // Backward-shift: move later members of the probe run into the hole so lookups still find them.
    int hole = i;
    for (int j = (hole + 1) & mask; slots[j] != null; j = (j + 1) & mask) {
      int home = home(j);
      boolean movable = hole <= j ? (home <= hole || home > j) : (home <= hole && home > j);
      if (movable) {
        slots[hole] = slots[j];
        tags[hole] = tags[j];
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
    char[] oldTags = tags;
    slots = new Object[capacity];
    tags = new char[capacity];
    shift = 32 - Integer.numberOfTrailingZeros(capacity);
    int mask = capacity - 1;
    for (int k = 0; k < old.length; k++) {
      Object o = old[k];
      if (o != null) {
        // Placed by its tag alone while that has the bits: no value is dereferenced.
        char tag = oldTags[k];
        int i = home(tag, o);
        while (slots[i] != null) {
          i = (i + 1) & mask;
        }
        slots[i] = o;
        tags[i] = tag;
      }
    }
  }

  @SuppressWarnings("unchecked")
  private V at(Object o) {
    return (V) o;
  }

  /** The home slot of the value in slot {@code i}. */
  private int home(int i) {
    return home(tags[i], slots[i]);
  }

  /** The home slot of value {@code o} tagged {@code tag}: from the tag while that holds enough bits. */
  private int home(char tag, Object o) {
    return shift >= 16 ? tag >>> (shift - 16) : mixed(keyOf.apply(at(o))) >>> shift;
  }

  /**
   * The hash by which the table places {@code key}: its hash code times the golden ratio, which
   * spreads keys that differ only in their last characters.
   */
  private static int mixed(Object key) {
    return key.hashCode() * 0x9E3779B9;
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
