// SPDX-License-Identifier: Apache-2.0
package io.grapevine.config;

import java.time.Duration;

/**
 * Settings of {@link io.grapevine.coordinates.Coordinates}, network coordinates (Vivaldi with
 * height, adjustment and gravity). The defaults are the constants of the Vivaldi paper and of Serf,
 * which tuned them on real networks; distances are in milliseconds.
 */
public final class CoordinatesConfig {
  /** Dimensions of the Euclidean part of a coordinate. */
  @KnobDoc(
      value = "dimensions of the Euclidean part; with a height, few dimensions already fit real networks, each costs 4 bytes on every ack",
      unit = "dimensions", valid = "1..16")
  public final int dimensions;
  /** Largest error a coordinate may report; new coordinates start with it. */
  @KnobDoc(value = "the error a new coordinate starts with and the most any may report (Vivaldi's bound)",
      valid = "positive")
  public final double errorMax;
  /** How fast a node's error estimate moves toward the latest sample's (Vivaldi's c_e). */
  @KnobDoc(value = "how fast the error estimate follows new samples (Vivaldi's c_e)", valid = "0 < x <= 1")
  public final double errorGain;
  /** How far one sample moves the coordinate, as a share of the error (Vivaldi's c_c). */
  @KnobDoc(value = "how far one sample moves the coordinate (Vivaldi's c_c)", valid = "0 < x <= 1")
  public final double moveGain;
  /** Samples of (RTT - estimate) averaged into the adjustment term. */
  @KnobDoc(value = "samples of (RTT - estimate) averaged into the per-node adjustment; 0 turns adjustment off",
      unit = "samples", valid = "0..256")
  public final int adjustmentWindow;
  /** RTT samples per peer whose median is used: one slow answer does not move a coordinate. */
  @KnobDoc(value = "RTT samples per peer whose median is used, so one late ack does not move a coordinate",
      unit = "samples", valid = "1..16")
  public final int latencyFilter;
  /**
   * Smallest height, in milliseconds (a number: it is far below the duration grammar's 1 ms step):
   * the access link of a real host is never free.
   */
  @KnobDoc(value = "smallest height a coordinate may have, in ms (an access link is never free; 10 us as in Serf)",
      unit = "ms", valid = "positive")
  public final double minHeightMillis;
  /** Gravity's constant: the distance from the origin at which gravity equals a 1 ms sample's pull. */
  @KnobDoc(value = "gravity pulls coordinates toward the origin so the whole system does not drift; weaker the larger",
      valid = "positive")
  public final Duration gravity;
  /** RTT samples above this are discarded as not a network's: a paused process, a full queue. */
  @KnobDoc(value = "RTT samples above this are discarded (a paused process, not the network)", valid = "positive")
  public final Duration maxRtt;
  /** Members whose coordinates are kept; more are not cached (counted). */
  @KnobDoc(value = "peers whose coordinates and RTT filters are kept (about 100 bytes each); a full cache takes no new ones",
      unit = "peers", valid = "1..1000000")
  public final int maxPeers;

  private CoordinatesConfig(Builder b) {
    dimensions = b.dimensions;
    errorMax = b.errorMax;
    errorGain = b.errorGain;
    moveGain = b.moveGain;
    adjustmentWindow = b.adjustmentWindow;
    latencyFilter = b.latencyFilter;
    minHeightMillis = b.minHeightMillis;
    gravity = b.gravity;
    maxRtt = b.maxRtt;
    maxPeers = b.maxPeers;
  }

  public static CoordinatesConfig defaults() {
    return new Builder().build();
  }

  /** A builder holding these settings. */
  public Builder toBuilder() {
    return new Builder(this);
  }

  /** Builder with the defaults. */
  public static final class Builder {
    private int dimensions = 8;
    private double errorMax = 1.5;
    private double errorGain = 0.25;
    private double moveGain = 0.25;
    private int adjustmentWindow = 20;
    private int latencyFilter = 3;
    private double minHeightMillis = 0.01;
    private Duration gravity = Duration.ofSeconds(150);
    private Duration maxRtt = Duration.ofSeconds(10);
    private int maxPeers = 100_000;

    /** A builder with the defaults. */
    public Builder() {}

    private Builder(CoordinatesConfig c) {
      dimensions = c.dimensions;
      errorMax = c.errorMax;
      errorGain = c.errorGain;
      moveGain = c.moveGain;
      adjustmentWindow = c.adjustmentWindow;
      latencyFilter = c.latencyFilter;
      minHeightMillis = c.minHeightMillis;
      gravity = c.gravity;
      maxRtt = c.maxRtt;
      maxPeers = c.maxPeers;
    }

    public Builder dimensions(int v) { dimensions = v; return this; }
    public Builder errorMax(double v) { errorMax = v; return this; }
    public Builder errorGain(double v) { errorGain = v; return this; }
    public Builder moveGain(double v) { moveGain = v; return this; }
    public Builder adjustmentWindow(int v) { adjustmentWindow = v; return this; }
    public Builder latencyFilter(int v) { latencyFilter = v; return this; }
    public Builder minHeightMillis(double v) { minHeightMillis = v; return this; }
    public Builder gravity(Duration v) { gravity = v; return this; }
    public Builder maxRtt(Duration v) { maxRtt = v; return this; }
    public Builder maxPeers(int v) { maxPeers = v; return this; }

    /** @throws IllegalArgumentException naming the first bad setting */
    public CoordinatesConfig build() {
      HyParViewConfig.check(dimensions >= 1 && dimensions <= 16, "dimensions must be 1..16, got " + dimensions);
      HyParViewConfig.check(errorMax > 0 && Double.isFinite(errorMax), "errorMax must be positive, got " + errorMax);
      HyParViewConfig.check(errorGain > 0 && errorGain <= 1, "errorGain must be in (0, 1], got " + errorGain);
      HyParViewConfig.check(moveGain > 0 && moveGain <= 1, "moveGain must be in (0, 1], got " + moveGain);
      HyParViewConfig.check(adjustmentWindow >= 0 && adjustmentWindow <= 256,
          "adjustmentWindow must be 0..256, got " + adjustmentWindow);
      HyParViewConfig.check(latencyFilter >= 1 && latencyFilter <= 16, "latencyFilter must be 1..16, got " + latencyFilter);
      HyParViewConfig.check(minHeightMillis > 0 && Double.isFinite(minHeightMillis),
          "minHeightMillis must be positive, got " + minHeightMillis);
      HyParViewConfig.check(HyParViewConfig.positive(gravity), "gravity must be positive, got " + gravity);
      HyParViewConfig.check(HyParViewConfig.positive(maxRtt), "maxRtt must be positive, got " + maxRtt);
      HyParViewConfig.check(maxPeers >= 1 && maxPeers <= 1_000_000, "maxPeers must be 1..1000000, got " + maxPeers);
      return new CoordinatesConfig(this);
    }
  }
}
