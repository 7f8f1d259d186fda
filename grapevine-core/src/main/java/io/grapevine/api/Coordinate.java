// SPDX-License-Identifier: Apache-2.0
package io.grapevine.api;

import java.util.Arrays;

/**
 * A node's network coordinate (Vivaldi, Dabek et al., SIGCOMM 2004, with a height for the access
 * link, an adjustment term and gravity as in Serf): the distance between two coordinates estimates
 * the round-trip time between the two nodes. Immutable; units are milliseconds.
 */
public final class Coordinate {
  private final double[] vector;
  private final double error;
  private final double adjustment;
  private final double height;

  /**
   * @param vector the position in the Euclidean space, one value per dimension (copied)
   * @param error how uncertain the node is of its position (0: sure; new nodes start high)
   * @param adjustment a per-node offset learned from how far estimates miss, milliseconds
   * @param height the access link's part of every round trip, milliseconds, at least 0
   */
  public Coordinate(double[] vector, double error, double adjustment, double height) {
    this.vector = vector.clone();
    this.error = error;
    this.adjustment = adjustment;
    this.height = height;
  }

  /** The origin in {@code dimensions} dimensions with the given starting error and height. */
  public static Coordinate origin(int dimensions, double error, double height) {
    return new Coordinate(new double[dimensions], error, 0, height);
  }

  /** The position (a copy). */
  public double[] vector() {
    return vector.clone();
  }

  /** The position's value in dimension {@code i}. */
  public double component(int i) {
    return vector[i];
  }

  /** Dimensions of the position. */
  public int dimensions() {
    return vector.length;
  }

  public double error() {
    return error;
  }

  public double adjustment() {
    return adjustment;
  }

  public double height() {
    return height;
  }

  /** Whether both have the same number of dimensions: only then can distances be estimated. */
  public boolean isCompatibleWith(Coordinate other) {
    return other.vector.length == vector.length;
  }

  /**
   * The estimated round-trip time to {@code other}, in milliseconds: Euclidean distance plus both
   * heights, plus both adjustments unless that would make it non-positive.
   *
   * @throws IllegalArgumentException if the dimensions differ
   */
  public double estimateRttMillis(Coordinate other) {
    double raw = rawDistanceTo(other);
    double adjusted = raw + adjustment + other.adjustment;
    return adjusted > 0 ? adjusted : raw;
  }

  /** Euclidean distance plus both heights, without adjustments (what Vivaldi's springs use). */
  public double rawDistanceTo(Coordinate other) {
    if (!isCompatibleWith(other)) {
      throw new IllegalArgumentException("coordinates of " + vector.length + " and " + other.vector.length
          + " dimensions cannot be compared");
    }
    double sum = 0;
    for (int i = 0; i < vector.length; i++) {
      double d = vector[i] - other.vector[i];
      sum += d * d;
    }
    return Math.sqrt(sum) + height + other.height;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Coordinate c && Arrays.equals(vector, c.vector) && error == c.error
        && adjustment == c.adjustment && height == c.height;
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(vector) * 31 + Double.hashCode(error + adjustment * 7 + height * 13);
  }

  @Override
  public String toString() {
    return "Coordinate" + Arrays.toString(vector) + " error=" + error + " adjustment=" + adjustment
        + " height=" + height;
  }
}
