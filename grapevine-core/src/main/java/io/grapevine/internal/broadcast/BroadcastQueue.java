// SPDX-License-Identifier: Apache-2.0
package io.grapevine.internal.broadcast;

import io.grapevine.internal.collect.KeyedTable;
import io.grapevine.wire.PacketWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Updates waiting to be piggybacked on outgoing packets, each sent a limited number of times.
 *
 * <p>Entries are keyed (for membership: by member name; any object with value equality): a newer
 * update about the same key replaces the older one, which is then never sent again. Packing takes
 * the least-transmitted entries first, and among those the most recently queued or transmitted
 * first, so fresh news spreads before old news is repeated. An entry is dropped after {@code limit}
 * transmissions; the queue holds at most {@code capacity} entries, evicting the most-transmitted
 * (then the longest waiting) first.
 *
 * <p>Layout: one intrusive doubly-linked list per transmission count and an open-addressing index
 * by key, about 40 bytes per entry besides the message (a joining node of a large cluster queues
 * one update per member it learns, so this is per member, per node).
 */
public final class BroadcastQueue {
  private static final int MIN_MESSAGE_BYTES = 16;
  private static final int MAX_MISFITS = 32;

  private static final class Entry {
    final Object key;
    final byte[] message;
    Entry prev;
    Entry next;
    int transmits;

    Entry(Object key, byte[] message) {
      this.key = key;
      this.message = message;
    }
  }

  private final KeyedTable<Entry> byKey = new KeyedTable<>(e -> e.key);
  /** heads[t] / tails[t]: the entries transmitted t times, most recent first. */
  private Entry[] heads = new Entry[8];
  private Entry[] tails = new Entry[8];
  private final int capacity;
  private final List<Entry> scratch = new ArrayList<>();
  private int size;
  /** Sum of {@code transmits} over the queued entries, for {@link #pendingTransmissions}. */
  private long transmitted;
  private long dropped;
  private long refused;

  public BroadcastQueue(int capacity) {
    this.capacity = capacity;
  }

  /** Queues {@code message} (a whole encoded message) under {@code key}, replacing any older one. */
  public void add(Object key, byte[] message) {
    Entry old = byKey.remove(key);
    if (old != null) {
      unlink(old);
    }
    Entry e = new Entry(key, message);
    pushFront(e);
    byKey.put(e);
    while (size > capacity) {
      evict();
    }
  }

  /**
   * Like {@link #add} but never evicts: when the queue is full and holds nothing under {@code key},
   * the message is refused. For low-value updates (state learned in bulk, which most nodes already
   * know) that must not push fresher news out.
   *
   * @return whether the message was queued
   */
  public boolean offer(Object key, byte[] message) {
    if (size >= capacity && !byKey.containsKey(key)) {
      refused++;
      return false;
    }
    add(key, message);
    return true;
  }

  /**
   * Packs as many entries as fit into {@code writer}, counting a transmission for each.
   *
   * @param limit transmissions after which an entry is retired
   * @return number of entries written
   */
  public int fill(PacketWriter writer, int limit) {
    if (size == 0) {
      return 0;
    }
    scratch.clear();
    int misfits = 0;
    outer:
    for (int t = 0; t < heads.length; t++) {
      for (Entry e = heads[t]; e != null; e = e.next) {
        int room = writer.remaining();
        if (room < MIN_MESSAGE_BYTES) {
          break outer;
        }
        if (e.transmits >= limit) {
          // The limit shrank (the cluster did): retire without sending.
          scratch.add(e);
        } else if (e.message.length <= room) {
          writer.putEncodedMessage(e.message);
          scratch.add(e);
        } else if (++misfits >= MAX_MISFITS) {
          break outer;
        }
      }
    }
    int written = 0;
    // In reverse, so that entries moving up one count keep their relative order at its head.
    for (int i = scratch.size() - 1; i >= 0; i--) {
      Entry e = scratch.get(i);
      unlink(e);
      if (e.transmits < limit) {
        written++;
        e.transmits++;
      }
      if (e.transmits >= limit) {
        byKey.remove(e.key);
      } else {
        pushFront(e);
      }
    }
    return written;
  }

  /**
   * Drops the entry for {@code key}, if any, without sending it again: for news its sender takes
   * back (a suspicion it cannot stand behind).
   *
   * @return whether an entry was queued
   */
  public boolean remove(Object key) {
    Entry e = byKey.remove(key);
    if (e == null) {
      return false;
    }
    unlink(e);
    return true;
  }

  /** Whether an entry for {@code key} is still waiting to be (re)transmitted. */
  public boolean contains(Object key) {
    return byKey.containsKey(key);
  }

  /** Transmissions so far of the entry for {@code key}, or -1 if none is queued. */
  public int transmits(Object key) {
    Entry e = byKey.get(key);
    return e == null ? -1 : e.transmits;
  }

  public int size() {
    return size;
  }

  /**
   * Transmissions still owed to the queued entries if each is sent {@code limit} times: how much
   * gossip the queue holds, whatever the packet size.
   */
  public long pendingTransmissions(int limit) {
    return Math.max(0, (long) size * limit - transmitted);
  }

  /** Entries evicted because the queue was full. */
  public long dropped() {
    return dropped;
  }

  /** Messages {@link #offer}ed while the queue was full, not queued. */
  public long refused() {
    return refused;
  }

  public void clear() {
    byKey.clear();
    Arrays.fill(heads, null);
    Arrays.fill(tails, null);
    size = 0;
    transmitted = 0;
  }

  private void evict() {
    for (int t = tails.length - 1; t >= 0; t--) {
      Entry e = tails[t];
      if (e != null) {
        unlink(e);
        byKey.remove(e.key);
        dropped++;
        return;
      }
    }
  }

  private void pushFront(Entry e) {
    int t = e.transmits;
    if (t >= heads.length) {
      int length = Math.max(t + 1, heads.length * 2);
      heads = Arrays.copyOf(heads, length);
      tails = Arrays.copyOf(tails, length);
    }
    e.prev = null;
    e.next = heads[t];
    if (heads[t] != null) {
      heads[t].prev = e;
    } else {
      tails[t] = e;
    }
    heads[t] = e;
    size++;
    transmitted += t;
  }

  private void unlink(Entry e) {
    int t = e.transmits;
    if (e.prev != null) {
      e.prev.next = e.next;
    } else {
      heads[t] = e.next;
    }
    if (e.next != null) {
      e.next.prev = e.prev;
    } else {
      tails[t] = e.prev;
    }
    e.prev = null;
    e.next = null;
    size--;
    transmitted -= t;
  }
}
