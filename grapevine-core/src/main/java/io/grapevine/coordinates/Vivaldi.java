// SPDX-License-Identifier: Apache-2.0
package io.grapevine.coordinates;

import io.grapevine.api.Coordinate;
import io.grapevine.config.CoordinatesConfig;
import java.util.random.RandomGenerator;

/**
 * One node's Vivaldi state: its coordinate and the adjustment window. Pure arithmetic, stepped with
 * one RTT sample at a time; the randomness (a direction when two coordinates coincide) is injected.
 *
 * <p>Each sample moves the node along the line to the peer, as a spring would, by an amount that
 * grows with the node's own error relative to the peer's (a confident peer pulls harder); the
 * height absorbs the part of every RTT that no position explains (the access link); the adjustment
 * is the mean miss over a window; gravity keeps the whole system from drifting away from the origin.
 */
final class Vivaldi {
  /** Below this (ms), a length is zero: no direction, no division. */
  static final double ZERO = 1e-6;

  private final CoordinatesConfig config;
  private final double minHeight;
  private final double gravity;
  private final double[] adjustmentSamples;
  private int adjustmentIndex;
  private Coordinate coordinate;
  private long resets;

  Vivaldi(CoordinatesConfig config) {
    this.config = config;
    this.minHeight = config.minHeightMillis;
    this.gravity = config.gravity.toNanos() / 1e6;
    this.adjustmentSamples = new double[config.adjustmentWindow];
    this.coordinate = initial();
  }

  private Coordinate initial() {
    return Coordinate.origin(config.dimensions, config.errorMax, minHeight);
  }

  Coordinate coordinate() {
    return coordinate;
  }

  /** Times the coordinate became invalid (not finite) and started over from the origin. */
  long resets() {
    return resets;
  }

  /**
   * Folds in one (filtered) RTT sample to a peer whose coordinate is {@code other}.
   *
   * @param rttMillis the measured round trip, at least 0
   */
  void observe(Coordinate other, double rttMillis, RandomGenerator random) {
    double rtt = Math.max(rttMillis, ZERO);
    Coordinate c = coordinate;
    double dist = c.rawDistanceTo(other);
    double wrongness = Math.abs(dist - rtt) / rtt;
    double totalError = Math.max(c.error() + other.error(), ZERO);
    double weight = c.error() / totalError;
    double error = Math.min(config.errorGain * weight * wrongness + c.error() * (1 - config.errorGain * weight),
        config.errorMax);
    double force = config.moveGain * weight * (rtt - dist);
    c = push(c, other, force, error, random);

    double adjustment = c.adjustment();
    if (adjustmentSamples.length > 0) {
      adjustmentSamples[adjustmentIndex] = rtt - c.rawDistanceTo(other);
      adjustmentIndex = (adjustmentIndex + 1) % adjustmentSamples.length;
      double sum = 0;
      for (double s : adjustmentSamples) {
        sum += s;
      }
      adjustment = sum / (2.0 * adjustmentSamples.length);
    }
    c = new Coordinate(c.vector(), c.error(), adjustment, c.height());

    // Gravity: a pull toward the origin that grows with the square of the distance from it.
    Coordinate origin = Coordinate.origin(config.dimensions, 0, minHeight);
    double fromOrigin = origin.rawDistanceTo(c);
    double pull = -(fromOrigin / gravity) * (fromOrigin / gravity);
    c = push(c, origin, pull, c.error(), random);

    if (!valid(c)) {
      resets++;
      coordinate = initial();
      java.util.Arrays.fill(adjustmentSamples, 0);
      return;
    }
    coordinate = c;
  }

  /** {@code c} moved by {@code force} ms away from {@code other} (toward it when negative). */
  private Coordinate push(Coordinate c, Coordinate other, double force, double error, RandomGenerator random) {
    int n = c.dimensions();
    double[] v = c.vector();
    double[] unit = new double[n];
    double mag = 0;
    for (int i = 0; i < n; i++) {
      unit[i] = v[i] - other.component(i);
      mag += unit[i] * unit[i];
    }
    mag = Math.sqrt(mag);
    if (mag > ZERO) {
      for (int i = 0; i < n; i++) {
        unit[i] /= mag;
      }
    } else {
      // The two coincide: any direction will do, as long as nodes do not all pick the same one.
      double len = 0;
      for (int i = 0; i < n; i++) {
        unit[i] = random.nextDouble() - 0.5;
        len += unit[i] * unit[i];
      }
      len = Math.sqrt(len);
      for (int i = 0; i < n; i++) {
        unit[i] = len > ZERO ? unit[i] / len : 0;
      }
    }
    for (int i = 0; i < n; i++) {
      v[i] += unit[i] * force;
    }
    double height = c.height();
    if (mag > ZERO) {
      height = Math.max((height + other.height()) * force / mag + height, minHeight);
    }
    return new Coordinate(v, error, c.adjustment(), height);
  }

  static boolean valid(Coordinate c) {
    for (int i = 0; i < c.dimensions(); i++) {
      if (!Double.isFinite(c.component(i))) {
        return false;
      }
    }
    return Double.isFinite(c.error()) && Double.isFinite(c.adjustment()) && Double.isFinite(c.height());
  }
}
