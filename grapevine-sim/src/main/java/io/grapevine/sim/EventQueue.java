// SPDX-License-Identifier: Apache-2.0
package io.grapevine.sim;

import java.util.Arrays;

/**
 * A min-heap of events keyed by (time, insertion sequence), in primitive arrays.
 *
 * <p>The sequence number breaks ties between events at the same time in insertion order, which is
 * what makes a run reproducible: two events never compare equal. Each entry carries one {@code int}
 * payload that the engine interprets (a node to wake, or a slot in its event pool). Three parallel
 * arrays and no objects per event keep a queue of millions of pending events to 20 bytes each.
 */
public final class EventQueue {
  private long[] times;
  private long[] seqs;
  private int[] payloads;
  private int size;
  private long nextSeq;

  public EventQueue(int initialCapacity) {
    int cap = Math.max(16, initialCapacity);
    times = new long[cap];
    seqs = new long[cap];
    payloads = new int[cap];
  }

  public int size() {
    return size;
  }

  public boolean isEmpty() {
    return size == 0;
  }

  /** Adds an event; among equal times, events come out in the order they were pushed. */
  public void push(long time, int payload) {
    if (size == times.length) {
      int cap = times.length * 2;
      times = Arrays.copyOf(times, cap);
      seqs = Arrays.copyOf(seqs, cap);
      payloads = Arrays.copyOf(payloads, cap);
    }
    long seq = nextSeq++;
    int i = size++;
    // Sift up: move parents down until the slot for the new entry is found.
    while (i > 0) {
      int parent = (i - 1) >>> 1;
      long pt = times[parent];
      if (pt < time || (pt == time && seqs[parent] < seq)) {
        break;
      }
      times[i] = pt;
      seqs[i] = seqs[parent];
      payloads[i] = payloads[parent];
      i = parent;
    }
    times[i] = time;
    seqs[i] = seq;
    payloads[i] = payload;
  }

  /** Time of the earliest event; undefined when empty. */
  public long peekTime() {
    return times[0];
  }

  /** Payload of the earliest event; undefined when empty. */
  public int peekPayload() {
    return payloads[0];
  }

  /** Removes the earliest event and returns its payload. */
  public int pop() {
    int result = payloads[0];
    int last = --size;
    if (last > 0) {
      long t = times[last];
      long s = seqs[last];
      int p = payloads[last];
      int i = 0;
      int half = last >>> 1;
      while (i < half) {
        int child = 2 * i + 1;
        int right = child + 1;
        if (right < last
            && (times[right] < times[child] || (times[right] == times[child] && seqs[right] < seqs[child]))) {
          child = right;
        }
        long ct = times[child];
        if (t < ct || (t == ct && s < seqs[child])) {
          break;
        }
        times[i] = ct;
        seqs[i] = seqs[child];
        payloads[i] = payloads[child];
        i = child;
      }
      times[i] = t;
      seqs[i] = s;
      payloads[i] = p;
    }
    return result;
  }

  public void clear() {
    size = 0;
  }
}
