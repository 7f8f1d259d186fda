// SPDX-License-Identifier: Apache-2.0
package io.grapevine.config;

import io.grapevine.overlay.Plumtree;
import io.grapevine.config.KnobDoc;
import java.time.Duration;

/** Settings of {@link Plumtree}. */
public final class PlumtreeConfig {
  /**
   * False (the default) is Plumtree; true turns pruning and lazy announcements off, which leaves
   * plain eager push (flooding) over the active view: the baseline Plumtree is measured against.
   */
  @KnobDoc(
      "true turns pruning and lazy announcements off: plain eager push (flooding), the baseline Plumtree is measured against")
  public final boolean floodOnly;
  /** How long a node waits after the first IHAVE of a missing message before it sends GRAFT. */
  @KnobDoc(value = "wait after the first IHAVE of a missing message before grafting its announcer", valid = "positive")
  public final Duration graftTimeout;
  /** How long it then waits for the grafted copy before grafting the next announcer. */
  @KnobDoc(value = "then wait this long for the grafted copy before grafting the next announcer", valid = "positive")
  public final Duration regraftTimeout;
  /** Largest broadcast payload; bigger broadcasts are refused (they must fit a datagram). */
  @KnobDoc(value = "largest broadcast: it must fit one datagram with its header; a larger one received is dropped and counted (event_too_large)", unit = "bytes", valid = "0..60000")
  public final int maxPayloadBytes;
  /** Messages kept to answer GRAFTs (oldest evicted first). */
  @KnobDoc(value = "messages kept to answer GRAFTs, oldest evicted first", unit = "messages", valid = "at least 1")
  public final int cacheMessages;
  /** Message ids remembered to drop duplicates (oldest forgotten first). */
  @KnobDoc(value = "message ids remembered to drop duplicates", unit = "ids", valid = "at least cacheMessages")
  public final int seenIds;
  /**
   * Hops by which a lazy announcer's path must beat the eager one before the links swap (the tree
   * optimisation); 0, the default, turns it off: with broadcasts from many origins a swap that
   * shortens one origin's path can lengthen others' (measured in docs/overlays.md).
   */
  @KnobDoc(
      value = "hops by which a lazy path must beat the eager one before the links swap; 0 = off, since with many origins a swap can lengthen other paths (docs/overlays.md)",
      unit = "hops", valid = "0..255")
  public final int optimizationThreshold;
  /**
   * How often a node that delivered messages lately announces their ids to one random active peer,
   * so a node that missed a broadcast (cut off, or every announcement lost) grafts it later; 0
   * turns it off. One IHAVE of at most 64 ids per interval, only while there is recent traffic.
   */
  @KnobDoc(
      value = "a node with recent deliveries announces their ids to one active peer this often, so a node cut off during a broadcast grafts it later; 0 = off",
      valid = "0 or positive")
  public final Duration historyInterval;
  /**
   * How far back those announcements reach: messages delivered longer ago are not announced. Must
   * stay well inside what {@code seenIds} remembers, or a node could deliver a forgotten message twice.
   */
  @KnobDoc(
      value = "how far back those announcements reach; must stay inside what seenIds remembers",
      valid = "at least historyInterval")
  public final Duration historyWindow;

  private PlumtreeConfig(Builder b) {
    floodOnly = b.floodOnly;
    graftTimeout = b.graftTimeout;
    regraftTimeout = b.regraftTimeout;
    maxPayloadBytes = b.maxPayloadBytes;
    cacheMessages = b.cacheMessages;
    seenIds = b.seenIds;
    optimizationThreshold = b.optimizationThreshold;
    historyInterval = b.historyInterval;
    historyWindow = b.historyWindow;
  }

  public static PlumtreeConfig defaults() {
    return new Builder().build();
  }

  public Builder toBuilder() {
    return new Builder(this);
  }

  /** Builder with the defaults. */
  public static final class Builder {
    private boolean floodOnly;
    private Duration graftTimeout = Duration.ofMillis(250);
    private Duration regraftTimeout = Duration.ofMillis(125);
    private int maxPayloadBytes = 1024;
    private int cacheMessages = 1024;
    private int seenIds = 16384;
    private int optimizationThreshold = 0;
    private Duration historyInterval = Duration.ofSeconds(2);
    private Duration historyWindow = Duration.ofSeconds(60);

    public Builder() {}

    private Builder(PlumtreeConfig c) {
      floodOnly = c.floodOnly;
      graftTimeout = c.graftTimeout;
      regraftTimeout = c.regraftTimeout;
      maxPayloadBytes = c.maxPayloadBytes;
      cacheMessages = c.cacheMessages;
      seenIds = c.seenIds;
      optimizationThreshold = c.optimizationThreshold;
      historyInterval = c.historyInterval;
      historyWindow = c.historyWindow;
    }

    public Builder floodOnly(boolean v) { floodOnly = v; return this; }
    public Builder graftTimeout(Duration v) { graftTimeout = v; return this; }
    public Builder regraftTimeout(Duration v) { regraftTimeout = v; return this; }
    public Builder maxPayloadBytes(int v) { maxPayloadBytes = v; return this; }
    public Builder cacheMessages(int v) { cacheMessages = v; return this; }
    public Builder seenIds(int v) { seenIds = v; return this; }
    public Builder optimizationThreshold(int v) { optimizationThreshold = v; return this; }
    public Builder historyInterval(Duration v) { historyInterval = v; return this; }
    public Builder historyWindow(Duration v) { historyWindow = v; return this; }

    /** @throws IllegalArgumentException naming the first bad setting */
    public PlumtreeConfig build() {
      HyParViewConfig.check(HyParViewConfig.positive(graftTimeout), "graftTimeout must be positive, got " + graftTimeout);
      HyParViewConfig.check(HyParViewConfig.positive(regraftTimeout),
          "regraftTimeout must be positive, got " + regraftTimeout);
      HyParViewConfig.check(maxPayloadBytes >= 0 && maxPayloadBytes <= 60_000,
          "maxPayloadBytes must be 0..60000, got " + maxPayloadBytes);
      HyParViewConfig.check(cacheMessages >= 1, "cacheMessages must be at least 1, got " + cacheMessages);
      HyParViewConfig.check(seenIds >= cacheMessages, "seenIds must be at least cacheMessages, got " + seenIds);
      HyParViewConfig.check(optimizationThreshold >= 0 && optimizationThreshold <= 255,
          "optimizationThreshold must be 0 (off)..255 hops, got " + optimizationThreshold);
      HyParViewConfig.check(historyInterval != null && !historyInterval.isNegative(),
          "historyInterval must be 0 (off) or positive, got " + historyInterval);
      HyParViewConfig.check(historyWindow != null && HyParViewConfig.positive(historyWindow)
              && historyWindow.compareTo(historyInterval) >= 0,
          "historyWindow must be positive and at least historyInterval, got " + historyWindow);
      return new PlumtreeConfig(this);
    }
  }
}
