// SPDX-License-Identifier: Apache-2.0
package io.grapevine.config;

import static io.grapevine.node.ConfigChecks.positive;
import static io.grapevine.node.ConfigChecks.range;

import io.grapevine.node.ConfigChecks;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Settings of {@link io.grapevine.query.Query}: cluster-wide request/response (Serf's queries). A
 * query spreads by gossip; each node answers the originator directly. The caps bound what one node
 * holds for queries other nodes send it, and what it sends back.
 */
public final class QueryConfig {
  /** Largest query payload (Serf's QuerySizeLimit is 1024 bytes); the whole query must also fit one gossip datagram. */
  @KnobDoc(
      value = "largest query payload (Serf's limit); the whole encoded query (name, filters, payload) must also fit one gossip datagram, checked when it is issued",
      unit = "bytes", valid = "0..65535")
  public final int maxPayloadBytes;
  /** Largest response payload; a larger answer is refused at the responder and counted. */
  @KnobDoc(
      value = "largest response payload (Serf's limit); a larger answer is refused where it is given and counted; a response packet above the datagram size goes over TCP",
      unit = "bytes", valid = "0..1048576")
  public final int maxResponseBytes;
  /** Queries this node waits on at once; issuing another is refused until one finishes. */
  @KnobDoc(
      value = "queries this node collects answers for at once; another is refused until one finishes (each holds its answers until its deadline)",
      unit = "queries", valid = "1..10000")
  public final int maxOutstanding;
  /**
   * Query ids remembered for duplicate suppression, each for twice its timeout past receipt; when
   * full, new queries are dropped and counted (an id forgotten early would let its copies be
   * delivered again), so a flood of distinct ids costs bounded memory and cannot echo.
   */
  @KnobDoc(
      value = "query ids remembered so each query is delivered once, each for twice its timeout; when full, new queries are dropped and counted: bounded memory under a flood, still at most once",
      unit = "queries", valid = "16..1048576")
  public final int dedupeWindow;
  /**
   * Default timeout = timeoutMult × membership.gossipInterval × ceil(log10(N + 1)), Serf's
   * QueryTimeoutMult: enough rounds for the query to reach everyone and answers to come back.
   */
  @KnobDoc(
      value = "default timeout = timeoutMult × membership.gossipInterval × ceil(log10(N + 1)), as Serf: time for the query to spread and answers to return",
      unit = "rounds", valid = "1..1000")
  public final int timeoutMult;
  /** A query asking for a longer timeout is refused (issued) or dropped and counted (received). */
  @KnobDoc(
      value = "longest timeout a query may ask for; longer ones are refused when issued and dropped (counted) when received, so no node holds a query's state for long",
      valid = "positive")
  public final Duration maxTimeout;

  private QueryConfig(Builder b) {
    maxPayloadBytes = b.maxPayloadBytes;
    maxResponseBytes = b.maxResponseBytes;
    maxOutstanding = b.maxOutstanding;
    dedupeWindow = b.dedupeWindow;
    timeoutMult = b.timeoutMult;
    maxTimeout = b.maxTimeout;
  }

  /** The defaults: Serf's size limits and timeout multiplier. */
  public static QueryConfig defaults() {
    return new Builder().build();
  }

  /** A builder holding these settings. */
  public Builder toBuilder() {
    return new Builder(this);
  }

  /** Builder; defaults are those of {@link #defaults()}. */
  public static final class Builder {
    private int maxPayloadBytes = 1024;
    private int maxResponseBytes = 1024;
    private int maxOutstanding = 64;
    private int dedupeWindow = 4096;
    private int timeoutMult = 16;
    private Duration maxTimeout = Duration.ofMinutes(2);

    /** A builder with the defaults. */
    public Builder() {}

    private Builder(QueryConfig c) {
      maxPayloadBytes = c.maxPayloadBytes;
      maxResponseBytes = c.maxResponseBytes;
      maxOutstanding = c.maxOutstanding;
      dedupeWindow = c.dedupeWindow;
      timeoutMult = c.timeoutMult;
      maxTimeout = c.maxTimeout;
    }

    public Builder maxPayloadBytes(int v) { maxPayloadBytes = v; return this; }
    public Builder maxResponseBytes(int v) { maxResponseBytes = v; return this; }
    public Builder maxOutstanding(int v) { maxOutstanding = v; return this; }
    public Builder dedupeWindow(int v) { dedupeWindow = v; return this; }
    public Builder timeoutMult(int v) { timeoutMult = v; return this; }
    public Builder maxTimeout(Duration v) { maxTimeout = v; return this; }

    /** Validates and builds; the message names every bad knob. */
    public QueryConfig build() {
      List<String> errors = new ArrayList<>();
      range(errors, "maxPayloadBytes", maxPayloadBytes, 0, 65_535);
      range(errors, "maxResponseBytes", maxResponseBytes, 0, 1 << 20);
      range(errors, "maxOutstanding", maxOutstanding, 1, 10_000);
      range(errors, "dedupeWindow", dedupeWindow, 16, 1 << 20);
      range(errors, "timeoutMult", timeoutMult, 1, 1000);
      positive(errors, "maxTimeout", maxTimeout);
      if (maxTimeout != null && maxTimeout.toMillis() > Integer.MAX_VALUE) {
        errors.add("maxTimeout must be at most " + Integer.MAX_VALUE + "ms, got " + maxTimeout);
      }
      if (!errors.isEmpty()) {
        throw ConfigChecks.invalid("query", errors);
      }
      return new QueryConfig(this);
    }
  }
}
