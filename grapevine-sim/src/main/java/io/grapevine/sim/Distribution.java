// SPDX-License-Identifier: Apache-2.0
package io.grapevine.sim;

import java.util.Arrays;

/**
 * Summary of a sample of latencies in milliseconds: count, min, p50, p90, p99, max, mean. Empty
 * samples have count 0 and -1 elsewhere.
 */
public record Distribution(long count, long min, long p50, long p90, long p99, long max, double mean) {

  public static Distribution of(long[] values, int length) {
    if (length == 0) {
      return new Distribution(0, -1, -1, -1, -1, -1, -1);
    }
    long[] v = Arrays.copyOf(values, length);
    Arrays.sort(v);
    double sum = 0;
    for (long x : v) {
      sum += x;
    }
    return new Distribution(length, v[0], pct(v, 0.50), pct(v, 0.90), pct(v, 0.99), v[length - 1], sum / length);
  }

  /** Nearest-rank percentile. */
  private static long pct(long[] sorted, double q) {
    int rank = (int) Math.ceil(q * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }

  /** A growable list of longs, for collecting samples without boxing. */
  public static final class Samples {
    private long[] data = new long[16];
    private int size;

    public void add(long v) {
      if (size == data.length) {
        data = Arrays.copyOf(data, size * 2);
      }
      data[size++] = v;
    }

    public void addAll(Samples other) {
      for (int i = 0; i < other.size; i++) {
        add(other.data[i]);
      }
    }

    public int size() {
      return size;
    }

    public Distribution summary() {
      return of(data, size);
    }
  }
}
