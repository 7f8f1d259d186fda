// SPDX-License-Identifier: Apache-2.0
package io.grapevine.testkit;

import io.grapevine.node.Delivery;
import io.grapevine.node.Endpoint;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

/**
 * A latency model with geometry, for network coordinates: each node sits at a point of a square
 * plane and has an access link; the round trip between two nodes is the distance between their
 * points plus both access links (the structure Vivaldi's "height vectors" model), and a packet takes
 * half of it, plus a small random jitter. Nodes are those at {@link VirtualNetwork#endpointOf}
 * indices 0..n-1; any other endpoint gets the median placement's delay.
 */
public final class GeometricLatency implements LinkLatency {
  private final Map<Endpoint, Integer> index = new HashMap<>();
  private final double[] x;
  private final double[] y;
  private final double[] access;
  private final long jitterMillis;

  /**
   * @param n nodes placed
   * @param seed where they are placed
   * @param sideMillis the plane's side, as a round-trip time across it
   * @param minAccessMillis shortest access link (added to each round trip once per end)
   * @param maxAccessMillis longest access link
   * @param jitterMillis each packet's extra delay is uniform in 0..jitterMillis
   */
  public GeometricLatency(int n, long seed, double sideMillis, double minAccessMillis, double maxAccessMillis,
      long jitterMillis) {
    if (n < 1 || sideMillis < 0 || minAccessMillis < 0 || maxAccessMillis < minAccessMillis || jitterMillis < 0) {
      throw new IllegalArgumentException("need n >= 1, side >= 0, 0 <= minAccess <= maxAccess, jitter >= 0");
    }
    SplittableRandom r = new SplittableRandom(seed);
    x = new double[n];
    y = new double[n];
    access = new double[n];
    for (int i = 0; i < n; i++) {
      x[i] = r.nextDouble() * sideMillis;
      y[i] = r.nextDouble() * sideMillis;
      access[i] = minAccessMillis + r.nextDouble() * (maxAccessMillis - minAccessMillis);
      index.put(VirtualNetwork.endpointOf(i), i);
    }
    this.jitterMillis = jitterMillis;
  }

  /** The true round-trip time between nodes {@code i} and {@code j}, jitter aside, in ms. */
  public double rttMillis(int i, int j) {
    if (i == j) {
      return 0;
    }
    return Math.hypot(x[i] - x[j], y[i] - y[j]) + access[i] + access[j];
  }

  @Override
  public long delayMillis(Endpoint from, Endpoint to, Delivery delivery, RandomGenerator random) {
    Integer a = index.get(from);
    Integer b = index.get(to);
    double rtt = a == null || b == null ? rttMillis(0, Math.min(1, x.length - 1)) : rttMillis(a, b);
    long jitter = jitterMillis == 0 ? 0 : random.nextLong(jitterMillis + 1);
    return Math.round(rtt / 2) + jitter;
  }
}
