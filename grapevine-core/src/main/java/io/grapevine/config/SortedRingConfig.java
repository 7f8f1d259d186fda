// SPDX-License-Identifier: Apache-2.0
package io.grapevine.config;

import io.grapevine.overlay.SortedRing;
import io.grapevine.config.KnobDoc;
import java.time.Duration;

/** Settings of {@link SortedRing}. */
public final class SortedRingConfig {
  /** One exchange with a ring neighbor and {@code randomPeersPerRound} with sampled peers per round. */
  @KnobDoc(
      value = "one exchange with each ring neighbor, a long link and the sampled peers, and one tree report, per round; totals settle a few rounds per tree level (about log2 N)",
      valid = "positive")
  public final Duration roundInterval;
  /**
   * Exchanges per round with peers from the peer sampler: the random links that keep T-Man from
   * stalling in a locally sorted but globally wrong order.
   */
  @KnobDoc(
      value = "exchanges per round with members drawn from membership: the random links that keep the ring from stalling in a wrong order",
      unit = "exchanges", valid = "0..16")
  public final int randomPeersPerRound;
  /** Most descriptors one exchange carries besides the sender's own: those ranked closest to the receiver. */
  @KnobDoc(
      value = "table entries one exchange carries besides the sender (27 bytes each): fills a neighborhood in a round or two, small enough for one datagram",
      unit = "descriptors", valid = "1..128")
  public final int maxDescriptors;
  /**
   * How long descriptors of a node reported failed ({@link SortedRing#forget}, or a DEAD/LEFT verdict
   * on a membership host) are refused, so that exchanges with nodes that still hold them do not bring
   * the node back before every table has dropped it.
   */
  @KnobDoc(
      value = "how long a node declared DEAD or LEFT is refused in ring exchanges, so nodes still holding it do not bring it back",
      valid = "longer than roundInterval")
  public final Duration forgetFailedFor;

  private SortedRingConfig(Builder b) {
    roundInterval = b.roundInterval;
    randomPeersPerRound = b.randomPeersPerRound;
    maxDescriptors = b.maxDescriptors;
    forgetFailedFor = b.forgetFailedFor;
  }

  public static SortedRingConfig defaults() {
    return new Builder().build();
  }

  /** A builder holding these settings. */
  public Builder toBuilder() {
    return new Builder(this);
  }

  /** Builder with the defaults. */
  public static final class Builder {
    private Duration roundInterval = Duration.ofSeconds(1);
    private int randomPeersPerRound = 1;
    private int maxDescriptors = 8;
    private Duration forgetFailedFor = Duration.ofSeconds(30);

    /** A builder with the defaults. */
    public Builder() {}

    private Builder(SortedRingConfig c) {
      roundInterval = c.roundInterval;
      randomPeersPerRound = c.randomPeersPerRound;
      maxDescriptors = c.maxDescriptors;
      forgetFailedFor = c.forgetFailedFor;
    }

    public Builder roundInterval(Duration v) { roundInterval = v; return this; }
    public Builder randomPeersPerRound(int v) { randomPeersPerRound = v; return this; }
    public Builder maxDescriptors(int v) { maxDescriptors = v; return this; }
    public Builder forgetFailedFor(Duration v) { forgetFailedFor = v; return this; }

    /** @throws IllegalArgumentException naming the first bad setting */
    public SortedRingConfig build() {
      HyParViewConfig.check(HyParViewConfig.positive(roundInterval), "roundInterval must be positive, got " + roundInterval);
      HyParViewConfig.check(randomPeersPerRound >= 0 && randomPeersPerRound <= 16,
          "randomPeersPerRound must be 0..16, got " + randomPeersPerRound);
      HyParViewConfig.check(maxDescriptors >= 1 && maxDescriptors <= SortedRing.MAX_DESCRIPTORS,
          "maxDescriptors must be 1.." + SortedRing.MAX_DESCRIPTORS + ", got " + maxDescriptors);
      HyParViewConfig.check(HyParViewConfig.positive(forgetFailedFor) && forgetFailedFor.compareTo(roundInterval) > 0,
          "forgetFailedFor must be longer than roundInterval, got " + forgetFailedFor);
      return new SortedRingConfig(this);
    }
  }
}
