// SPDX-License-Identifier: Apache-2.0
package io.grapevine.config;

import io.grapevine.overlay.HyParView;
import io.grapevine.config.KnobDoc;
import java.time.Duration;

/**
 * Settings of {@link HyParView}. Defaults follow the paper (Leitão, Pereira, Rodrigues 2007) for
 * clusters of about 10^4 nodes: active view {@code log10(N) + 1 = 5}, passive view 6× that, random
 * walks of 6 (active) and 3 (passive) hops, shuffles of 1 + 3 + 4 entries.
 */
public final class HyParViewConfig {
  /** Peers kept connected: traffic flows only over these (paper: log10 N + 1). */
  @KnobDoc(
      value = "peers kept connected, the links traffic flows over; the paper's log10 N + 1 keeps the overlay connected through mass failures",
      unit = "peers", valid = "1..64")
  public final int activeViewSize;
  /** Backup peers used to repair the active view (paper: about 6 × active). */
  @KnobDoc(
      value = "backup peers that refill the active view after failures (about 6 × active)",
      unit = "peers", valid = "1..1024")
  public final int passiveViewSize;
  /** Active random walk length of FORWARD_JOIN: hops before the walk ends in an active view. */
  @KnobDoc(value = "hops of a JOIN's random walk before it ends in an active view", unit = "hops", valid = "1..32")
  public final int activeRandomWalkLength;
  /** Passive random walk length: the hop at which a FORWARD_JOIN also enters a passive view. */
  @KnobDoc(
      value = "the hop at which that walk also leaves the joiner in a passive view",
      unit = "hops", valid = "0..activeRandomWalkLength")
  public final int passiveRandomWalkLength;
  /** Active-view entries sent in a shuffle. */
  @KnobDoc(value = "active-view entries sent in a shuffle", unit = "entries", valid = "0..activeViewSize")
  public final int shuffleActive;
  /** Passive-view entries sent in a shuffle. */
  @KnobDoc(value = "passive-view entries sent in a shuffle", unit = "entries", valid = "0..passiveViewSize")
  public final int shufflePassive;
  /** Hops of a shuffle's random walk. */
  @KnobDoc(value = "hops of a shuffle's random walk", unit = "hops", valid = "0..32")
  public final int shuffleTtl;
  /** One shuffle and one keep-alive to each active peer per round. */
  @KnobDoc(value = "one shuffle and one keep-alive to each active peer per round", valid = "positive")
  public final Duration roundInterval;
  /** An active peer silent this long is taken as failed (the paper uses TCP for this). */
  @KnobDoc(
      value = "an active peer silent this long is dropped (the paper uses TCP for this; membership's DEAD verdicts act at once)",
      valid = "longer than roundInterval")
  public final Duration failureTimeout;
  /** How long a NEIGHBOR request waits for its reply before the candidate is taken as dead. */
  @KnobDoc(
      value = "a NEIGHBOR request unanswered this long marks the candidate dead and tries the next",
      valid = "positive")
  public final Duration neighborTimeout;
  /**
   * A node whose active view stays short this long without a reply from any repair candidate
   * re-joins through its seeds (again every {@code rejoinAfter} while it lasts): how a fragment cut
   * off by a mass crash, whose views name only its own members and dead nodes, finds the rest of the
   * cluster. Zero turns it off (then only a node with both views empty re-joins).
   */
  @KnobDoc(
      value = "a node whose active view stays short this long with no candidate answering re-joins through its seeds: how fragments cut off by a mass crash find the cluster again; 0 = off",
      valid = "0, or longer than neighborTimeout")
  public final Duration rejoinAfter;

  private HyParViewConfig(Builder b) {
    activeViewSize = b.activeViewSize;
    passiveViewSize = b.passiveViewSize;
    activeRandomWalkLength = b.activeRandomWalkLength;
    passiveRandomWalkLength = b.passiveRandomWalkLength;
    shuffleActive = b.shuffleActive;
    shufflePassive = b.shufflePassive;
    shuffleTtl = b.shuffleTtl;
    roundInterval = b.roundInterval;
    failureTimeout = b.failureTimeout;
    neighborTimeout = b.neighborTimeout;
    rejoinAfter = b.rejoinAfter;
  }

  public static HyParViewConfig defaults() {
    return new Builder().build();
  }

  /** Defaults with the active view sized {@code ceil(log10 N) + 1} and the passive view 6× that. */
  public static HyParViewConfig forClusterSize(int expectedNodes) {
    int active = (int) Math.ceil(Math.log10(Math.max(10, expectedNodes))) + 1;
    return new Builder().activeViewSize(active).passiveViewSize(6 * active).build();
  }

  public Builder toBuilder() {
    return new Builder(this);
  }

  /** Builder with the defaults. */
  public static final class Builder {
    private int activeViewSize = 5;
    private int passiveViewSize = 30;
    private int activeRandomWalkLength = 6;
    private int passiveRandomWalkLength = 3;
    private int shuffleActive = 3;
    private int shufflePassive = 4;
    private int shuffleTtl = 6;
    private Duration roundInterval = Duration.ofSeconds(1);
    private Duration failureTimeout = Duration.ofSeconds(3);
    private Duration neighborTimeout = Duration.ofSeconds(1);
    private Duration rejoinAfter = Duration.ofSeconds(5);

    public Builder() {}

    private Builder(HyParViewConfig c) {
      activeViewSize = c.activeViewSize;
      passiveViewSize = c.passiveViewSize;
      activeRandomWalkLength = c.activeRandomWalkLength;
      passiveRandomWalkLength = c.passiveRandomWalkLength;
      shuffleActive = c.shuffleActive;
      shufflePassive = c.shufflePassive;
      shuffleTtl = c.shuffleTtl;
      roundInterval = c.roundInterval;
      failureTimeout = c.failureTimeout;
      neighborTimeout = c.neighborTimeout;
      rejoinAfter = c.rejoinAfter;
    }

    public Builder activeViewSize(int v) { activeViewSize = v; return this; }
    public Builder passiveViewSize(int v) { passiveViewSize = v; return this; }
    public Builder activeRandomWalkLength(int v) { activeRandomWalkLength = v; return this; }
    public Builder passiveRandomWalkLength(int v) { passiveRandomWalkLength = v; return this; }
    public Builder shuffleActive(int v) { shuffleActive = v; return this; }
    public Builder shufflePassive(int v) { shufflePassive = v; return this; }
    public Builder shuffleTtl(int v) { shuffleTtl = v; return this; }
    public Builder roundInterval(Duration v) { roundInterval = v; return this; }
    public Builder failureTimeout(Duration v) { failureTimeout = v; return this; }
    public Builder neighborTimeout(Duration v) { neighborTimeout = v; return this; }
    public Builder rejoinAfter(Duration v) { rejoinAfter = v; return this; }

    /** @throws IllegalArgumentException naming the first bad setting */
    public HyParViewConfig build() {
      check(activeViewSize >= 1 && activeViewSize <= 64, "activeViewSize must be 1..64, got " + activeViewSize);
      check(passiveViewSize >= 1 && passiveViewSize <= 1024, "passiveViewSize must be 1..1024, got " + passiveViewSize);
      check(activeRandomWalkLength >= 1 && activeRandomWalkLength <= 32,
          "activeRandomWalkLength must be 1..32, got " + activeRandomWalkLength);
      check(passiveRandomWalkLength >= 0 && passiveRandomWalkLength <= activeRandomWalkLength,
          "passiveRandomWalkLength must be 0..activeRandomWalkLength, got " + passiveRandomWalkLength);
      check(shuffleActive >= 0 && shuffleActive <= activeViewSize, "shuffleActive must be 0..activeViewSize");
      check(shufflePassive >= 0 && shufflePassive <= passiveViewSize, "shufflePassive must be 0..passiveViewSize");
      check(shuffleTtl >= 0 && shuffleTtl <= 32, "shuffleTtl must be 0..32, got " + shuffleTtl);
      check(positive(roundInterval), "roundInterval must be positive, got " + roundInterval);
      check(positive(failureTimeout) && failureTimeout.compareTo(roundInterval) > 0,
          "failureTimeout must be longer than roundInterval, got " + failureTimeout);
      check(positive(neighborTimeout), "neighborTimeout must be positive, got " + neighborTimeout);
      check(rejoinAfter != null && !rejoinAfter.isNegative()
              && (rejoinAfter.isZero() || rejoinAfter.compareTo(neighborTimeout) > 0),
          "rejoinAfter must be 0 (off) or longer than neighborTimeout, got " + rejoinAfter);
      return new HyParViewConfig(this);
    }
  }

  static boolean positive(Duration d) {
    return d != null && !d.isNegative() && !d.isZero();
  }

  static void check(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }
}
