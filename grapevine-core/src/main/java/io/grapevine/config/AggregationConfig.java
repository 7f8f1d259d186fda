// SPDX-License-Identifier: Apache-2.0
package io.grapevine.config;

import static io.grapevine.node.ConfigChecks.positive;
import static io.grapevine.node.ConfigChecks.range;

import io.grapevine.config.KnobDoc;
import io.grapevine.node.ConfigChecks;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Settings of the aggregation protocol; {@link #defaults()} is loss-robust flow updating. */
public final class AggregationConfig {

  /** How a pair of nodes mixes their values. */
  public enum Mode {
    /**
     * Push-pull averaging (Jelasity, Montresor, Babaoglu 2005): both sides take the mean. Fastest
     * (variance × 1/(2√e) per round over uniform peers). Exchanges are atomic (a node with its own
     * exchange in flight refuses requests), so without loss mass is conserved exactly; but a lost
     * reply destroys or creates mass.
     */
    PUSH_PULL,
    /** Push-sum (Kempe, Dobra, Gehrke 2003): send half of (sum, weight) each round. A lost push loses mass. */
    PUSH_SUM,
    /**
     * Flow updating (Jesus, Baquero, Almeida 2009) over pairwise exchanges: each node keeps, per
     * neighbor, the net flow it has sent; its estimate is its value minus its flows. Messages carry
     * flows (state), not deltas, so a lost message is repaired by the next one between the pair and
     * mass is conserved; a dead neighbor's flows are folded into its neighbors' values, so it stays
     * counted until the next epoch.
     */
    FLOW
  }

  /** How a pair of nodes mixes their values. Default {@link Mode#FLOW}. */
  @KnobDoc(
      "flow updating keeps the mass exactly under message loss; push-pull mixes a little faster per round but a lost reply creates or destroys mass; push-sum for comparison")
  public final Mode mode;
  /** One exchange per node per round. */
  @KnobDoc(value = "one exchange per node per round", valid = "positive")
  public final Duration roundInterval;
  /** Rounds per epoch; a new epoch re-reads every node's value, so estimates follow changes. */
  @KnobDoc(
      value = "estimates restart every epoch, so they follow joins, crashes and changed values",
      unit = "rounds", valid = "2..1000000")
  public final int epochRounds;
  /** Rounds into an epoch before its estimates replace the previous epoch's final ones. */
  @KnobDoc(
      value = "a young epoch has not mixed yet: the previous epoch's final estimates are reported until then",
      unit = "rounds", valid = "0..epochRounds")
  public final int reportAfterRounds;
  /**
   * FLOW: rounds from an epoch's start during which a node that has just started still takes part
   * in it. A node started later only reads estimates until the next epoch, so an epoch counts the
   * nodes it began with (as Jelasity et al.'s restarting epochs do) and joins do not dilute it.
   * Default 10: agents of a new cluster rarely start further apart, so its first epoch counts them
   * all; under heavy churn a smaller value trims the nodes counted twice (one gone, its
   * replacement taken in).
   */
  @KnobDoc(
      value = "flow: a node that starts later than this into an epoch only reads estimates until the next, so an epoch counts the nodes it began with; 0 for the least bias under heavy churn",
      unit = "rounds", valid = "0..epochRounds")
  public final int censusRounds;
  /**
   * FLOW: neighbors each node samples (kept for the epoch so flows are repaired); it also accepts
   * requests from others up to a table of {@code 2 × neighbors}, contacted round-robin.
   */
  @KnobDoc(
      value = "flow: neighbors sampled per epoch, so pairs meet again and repair what a lost message did; up to 2 × this are accepted",
      unit = "peers", valid = "1..64")
  public final int neighbors;
  /**
   * FLOW: a neighbor not heard from for this long is forgotten (its flows folded into this node's
   * value) even where no membership protocol reports deaths (standalone hosts, partial views), so
   * the table takes in a live node instead. Default 15 s: 2.5× the longest silence between live
   * neighbors at the default round (a full table of 12 contacted round-robin, 500 ms apart), so a
   * lost message or two does not drop a live one. In FLOW mode it must be at least
   * {@code 2 × neighbors × roundInterval}.
   */
  @KnobDoc(
      value = "flow: a neighbor silent this long is forgotten (its flows folded in) where no membership reports deaths",
      valid = "at least 2 × neighbors × roundInterval")
  public final Duration neighborTimeout;
  /**
   * FLOW: times an unanswered request is sent again within its round, {@link #retryAfter} apart.
   * Default 2. Requests carry state (flows), not deltas, so a repeat is harmless, and a lost reply
   * is repaired at once instead of at the pair's next contact, rounds later, after the half-applied
   * exchange has mixed into other nodes. 0: no repeats.
   */
  @KnobDoc(
      value = "flow: an unanswered request is sent again within its round, so a lost reply is repaired at once",
      unit = "requests", valid = "0..8")
  public final int requestRetries;
  /**
   * FLOW: how long a request waits for its reply before it is sent again. Default 50 ms (many
   * round trips on a LAN), or {@code roundInterval / (requestRetries + 1)} if that is shorter: the
   * attempts ({@code (requestRetries + 1) × retryAfter}) must fit in one round.
   */
  @KnobDoc(
      value = "flow: wait for a reply before asking again; unset, 50ms or roundInterval / (requestRetries + 1) if shorter",
      valid = "positive; (requestRetries + 1) × it fits in roundInterval")
  public final Duration retryAfter;
  /** What the builder was given for {@link #retryAfter}; null: derived from roundInterval. */
  private final Duration retryAfterSetting;
  /** Most aggregate names carried per exchange. */
  @KnobDoc(
      value = "aggregates one node may publish; an exchange carries what fits one datagram",
      unit = "names", valid = "1..256")
  public final int maxNames;

  private AggregationConfig(Builder b) {
    mode = b.mode;
    roundInterval = b.roundInterval;
    epochRounds = b.epochRounds;
    reportAfterRounds = b.reportAfterRounds;
    censusRounds = b.censusRounds;
    neighbors = b.neighbors;
    neighborTimeout = b.neighborTimeout;
    requestRetries = b.requestRetries;
    retryAfter = b.derivedRetryAfter();
    retryAfterSetting = b.retryAfter;
    maxNames = b.maxNames;
  }

  public static AggregationConfig defaults() {
    return new Builder().build();
  }

  public Builder toBuilder() {
    return new Builder(this);
  }

  private static final Duration DEFAULT_RETRY_AFTER = Duration.ofMillis(50);

  /** Builder with the defaults. */
  public static final class Builder {
    private Mode mode = Mode.FLOW;
    private Duration roundInterval = Duration.ofMillis(500);
    private int epochRounds = 60;
    private int reportAfterRounds = 30;
    private int censusRounds = 10;
    private int neighbors = 6;
    private Duration neighborTimeout = Duration.ofSeconds(15);
    private int requestRetries = 2;
    /** Null: the default, derived from roundInterval at build time. */
    private Duration retryAfter;
    private int maxNames = 32;

    public Builder() {}

    private Builder(AggregationConfig c) {
      mode = c.mode;
      roundInterval = c.roundInterval;
      epochRounds = c.epochRounds;
      reportAfterRounds = c.reportAfterRounds;
      censusRounds = c.censusRounds;
      neighbors = c.neighbors;
      neighborTimeout = c.neighborTimeout;
      requestRetries = c.requestRetries;
      retryAfter = c.retryAfterSetting;
      maxNames = c.maxNames;
    }

    public Builder mode(Mode v) { mode = v; return this; }
    public Builder roundInterval(Duration v) { roundInterval = v; return this; }
    public Builder epochRounds(int v) { epochRounds = v; return this; }
    public Builder reportAfterRounds(int v) { reportAfterRounds = v; return this; }
    public Builder censusRounds(int v) { censusRounds = v; return this; }
    public Builder neighbors(int v) { neighbors = v; return this; }
    public Builder neighborTimeout(Duration v) { neighborTimeout = v; return this; }
    public Builder requestRetries(int v) { requestRetries = v; return this; }
    public Builder retryAfter(Duration v) { retryAfter = v; return this; }
    public Builder maxNames(int v) { maxNames = v; return this; }

    /** The retry wait: as set, or 50 ms capped at {@code roundInterval / (requestRetries + 1)}. */
    private Duration derivedRetryAfter() {
      if (retryAfter != null || roundInterval == null || roundInterval.isNegative() || roundInterval.isZero()) {
        return retryAfter;
      }
      Duration share = roundInterval.dividedBy(Math.max(1, requestRetries + 1L));
      Duration d = share.compareTo(DEFAULT_RETRY_AFTER) < 0 ? share : DEFAULT_RETRY_AFTER;
      return d.isZero() ? Duration.ofMillis(1) : d;
    }

    public AggregationConfig build() {
      List<String> errors = new ArrayList<>();
      if (mode == null) {
        errors.add("mode must be set");
      }
      positive(errors, "roundInterval", roundInterval);
      range(errors, "epochRounds", epochRounds, 2, 1_000_000);
      if (reportAfterRounds < 0 || reportAfterRounds > epochRounds) {
        errors.add("reportAfterRounds must be in 0..epochRounds (" + epochRounds + "), got " + reportAfterRounds);
      }
      if (censusRounds < 0 || censusRounds > epochRounds) {
        errors.add("censusRounds must be in 0..epochRounds (" + epochRounds + "), got " + censusRounds);
      }
      range(errors, "neighbors", neighbors, 1, 64);
      positive(errors, "neighborTimeout", neighborTimeout);
      if (mode == Mode.FLOW && neighborTimeout != null && roundInterval != null && !roundInterval.isNegative()
          && neighborTimeout.compareTo(roundInterval.multipliedBy(2L * neighbors)) < 0) {
        errors.add("neighborTimeout must be at least 2 × neighbors × roundInterval ("
            + roundInterval.multipliedBy(2L * neighbors).toMillis() + " ms), or live neighbors are dropped between"
            + " contacts; got " + neighborTimeout.toMillis() + " ms");
      }
      range(errors, "requestRetries", requestRetries, 0, 8);
      Duration retry = derivedRetryAfter();
      positive(errors, "retryAfter", retry);
      if (retryAfter != null && roundInterval != null && retry != null && !retry.isNegative() && !retry.isZero()
          && requestRetries >= 0 && requestRetries <= 8
          && retry.multipliedBy(requestRetries + 1L).compareTo(roundInterval) > 0) {
        errors.add("(requestRetries + 1) × retryAfter must fit in roundInterval (" + roundInterval.toMillis()
            + " ms), or a request is still being repeated when the next round starts; got "
            + (requestRetries + 1) + " × " + retry.toMillis() + " ms");
      }
      range(errors, "maxNames", maxNames, 1, 256);
      if (!errors.isEmpty()) {
        throw ConfigChecks.invalid("aggregation", errors);
      }
      return new AggregationConfig(this);
    }
  }
}
