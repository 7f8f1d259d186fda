// SPDX-License-Identifier: Apache-2.0
package io.grapevine.security;

import io.grapevine.wire.DropReason;

/**
 * Drops sealed packets replayed by someone who captured them: a packet whose sender's wall-clock
 * time is further than the window from ours is stale; inside the window, a packet whose nonce was
 * already seen is a duplicate. Only packets that opened (authentic) are remembered, so a stranger
 * cannot fill the memory.
 *
 * <p>Bounded: at most {@code capacity} nonces (64 bits of each, the nonce being random), grown on
 * demand. When it is full, the oldest is forgotten and the lowest time still accepted rises to its
 * time: a replay of a forgotten packet is then stale, never accepted, and the window narrows under a
 * load above what the capacity allows (counted as stale drops).
 *
 * <p>Not thread-safe: used by one node's driver thread.
 */
final class ReplayGuard {
  private static final int INITIAL = 256;

  private final long windowMillis;
  private final int capacity;
  // Ring of remembered nonces in arrival order, with the sender time of each.
  private long[] ringId = new long[0];
  private long[] ringTime = new long[0];
  private int head;
  private int size;
  // Open-addressing set of the same ids (0 = empty slot), linear probing.
  private long[] table = new long[0];
  /** Packets sent at or before this time are refused: the newest time forgotten for lack of room. */
  private long floor = Long.MIN_VALUE;

  ReplayGuard(long windowMillis, int capacity) {
    this.windowMillis = windowMillis;
    this.capacity = capacity;
  }

  /**
   * Checks an authentic packet and remembers it.
   *
   * @param nonceId 64 bits of the packet's nonce
   * @param sentMillis the sender's wall-clock time in the packet
   * @param nowMillis this node's wall-clock time
   * @return null to accept, else why it is dropped
   */
  DropReason check(long nonceId, long sentMillis, long nowMillis) {
    if (sentMillis < nowMillis - windowMillis || sentMillis > nowMillis + windowMillis || sentMillis <= floor) {
      return DropReason.REPLAY_STALE;
    }
    expire(nowMillis);
    long id = nonceId == 0 ? 1 : nonceId;
    if (contains(id)) {
      return DropReason.REPLAY_DUPLICATE;
    }
    if (size == ringId.length) {
      if (size < capacity) {
        grow();
      } else {
        floor = Math.max(floor, ringTime[head]);
        removeHead();
      }
    }
    int tail = (head + size) % ringId.length;
    ringId[tail] = id;
    ringTime[tail] = sentMillis;
    size++;
    insert(id);
    return null;
  }

  /** Nonces remembered now. */
  int size() {
    return size;
  }

  /** Forgets packets older than the window: a replay of one is stale anyway. */
  private void expire(long nowMillis) {
    long oldest = nowMillis - windowMillis;
    while (size > 0 && ringTime[head] < oldest) {
      removeHead();
    }
  }

  private void removeHead() {
    remove(ringId[head]);
    head = (head + 1) % ringId.length;
    size--;
  }

  private void grow() {
    int n = Math.min(capacity, Math.max(INITIAL, ringId.length * 2));
    long[] ids = new long[n];
    long[] times = new long[n];
    for (int i = 0; i < size; i++) {
      int j = (head + i) % ringId.length;
      ids[i] = ringId[j];
      times[i] = ringTime[j];
    }
    ringId = ids;
    ringTime = times;
    head = 0;
    // Load at most one half.
    table = new long[Integer.highestOneBit(Math.max(2, n - 1)) << 2];
    for (int i = 0; i < size; i++) {
      insert(ids[i]);
    }
  }

  private int home(long id) {
    long h = id * 0x9E3779B97F4A7C15L;
    return (int) (h ^ (h >>> 32)) & (table.length - 1);
  }

  private boolean contains(long id) {
    if (table.length == 0) {
      return false;
    }
    int mask = table.length - 1;
    for (int i = home(id); ; i = (i + 1) & mask) {
      long v = table[i];
      if (v == 0) {
        return false;
      }
      if (v == id) {
        return true;
      }
    }
  }

  private void insert(long id) {
    int mask = table.length - 1;
    int i = home(id);
    while (table[i] != 0) {
      i = (i + 1) & mask;
    }
    table[i] = id;
  }

  /** Removes {@code id}, shifting later entries of its probe run back so lookups stay correct. */
  private void remove(long id) {
    int mask = table.length - 1;
    int i = home(id);
    while (table[i] != id) {
      if (table[i] == 0) {
        return;
      }
      i = (i + 1) & mask;
    }
    table[i] = 0;
    int j = i;
    while (true) {
      j = (j + 1) & mask;
      long v = table[j];
      if (v == 0) {
        return;
      }
      int k = home(v);
      boolean stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
      if (!stays) {
        table[i] = v;
        table[j] = 0;
        i = j;
      }
    }
  }
}
