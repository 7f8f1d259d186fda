package io.grapevine.overlay;

import java.time.Duration;

/** Settings of {@link SortedRing}. */
public final class SortedRingConfig {
  /** One exchange with a ring neighbor and {@code randomPeersPerRound} with sampled peers per round. */
  public final Duration roundInterval;
  /**
   * Exchanges per round with peers from the peer sampler: the random links that keep T-Man from
   * stalling in a locally sorted but globally wrong order.
   */
  public final int randomPeersPerRound;
  /** Most descriptors one exchange carries besides the sender's own: those ranked closest to the receiver. */
  public final int maxDescriptors;
  /**
   * How long descriptors of a node reported failed ({@link SortedRing#forget}, or a DEAD/LEFT verdict
   * on a membership host) are refused, so that exchanges with nodes that still hold them do not bring
   * the node back before every table has dropped it.
   */
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

  /** Builder with the defaults. */
  public static final class Builder {
    private Duration roundInterval = Duration.ofSeconds(1);
    private int randomPeersPerRound = 1;
    private int maxDescriptors = 8;
    private Duration forgetFailedFor = Duration.ofSeconds(30);

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
