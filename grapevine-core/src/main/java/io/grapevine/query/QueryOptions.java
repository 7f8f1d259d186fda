// SPDX-License-Identifier: Apache-2.0
package io.grapevine.query;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * How a query is asked: which nodes answer (filters), how long answers are collected, whether
 * nodes acknowledge receipt, and how many other nodes each answer is relayed through. Immutable;
 * each method returns a changed copy.
 *
 * <pre>{@code
 * QueryOptions o = QueryOptions.defaults()
 *     .nodes(List.of("web-1", "web-2"))
 *     .tag("role", "web|api")
 *     .timeout(Duration.ofSeconds(3))
 *     .requestAck(true);
 * }</pre>
 */
public final class QueryOptions {
  private static final QueryOptions DEFAULTS = new QueryOptions(Set.of(), List.of(), null, false, 0);

  private final Set<String> nodes;
  private final List<String> metadataPatterns;
  private final Duration timeout;
  private final boolean requestAck;
  private final int relayFactor;

  private QueryOptions(Set<String> nodes, List<String> metadataPatterns, Duration timeout, boolean requestAck,
      int relayFactor) {
    this.nodes = nodes;
    this.metadataPatterns = metadataPatterns;
    this.timeout = timeout;
    this.requestAck = requestAck;
    this.relayFactor = relayFactor;
  }

  /** Every node answers, the default timeout, no acks, no relays. */
  public static QueryOptions defaults() {
    return DEFAULTS;
  }

  /** Only nodes with one of these names answer; empty (the default): any name. */
  public QueryOptions nodes(Collection<String> names) {
    Set<String> copy = new LinkedHashSet<>();
    for (String n : names) {
      copy.add(Objects.requireNonNull(n, "node name"));
    }
    return new QueryOptions(Set.copyOf(copy), metadataPatterns, timeout, requestAck, relayFactor);
  }

  /**
   * Only nodes whose metadata, read as UTF-8, contains a match of {@code regex} (Java syntax,
   * unanchored as Serf's tag filters: anchor with {@code ^...$}) answer. Each call adds a pattern;
   * a node must match all of them ({@value Query#MAX_PATTERNS} at most, each at most {@value
   * Query#MAX_REGEX_BYTES} bytes). A node gives up matching after a bounded amount of work, so a
   * pathological pattern makes a node not answer rather than hang.
   */
  public QueryOptions metadataRegex(String regex) {
    Objects.requireNonNull(regex, "regex");
    List<String> more = new ArrayList<>(metadataPatterns);
    more.add(regex);
    return new QueryOptions(nodes, List.copyOf(more), timeout, requestAck, relayFactor);
  }

  /**
   * Only nodes with tag {@code key} whose whole value matches {@code valueRegex} answer, for metadata
   * in the agent's tag format ({@code key=value} lines, UTF-8): the pattern {@code
   * (?m)^KEY=(?:VALUE_REGEX)$} added with {@link #metadataRegex}.
   */
  public QueryOptions tag(String key, String valueRegex) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(valueRegex, "valueRegex");
    return metadataRegex("(?m)^" + Pattern.quote(key) + "=(?:" + valueRegex + ")$");
  }

  /**
   * How long the originator collects answers; null (the default): {@code query.timeoutMult ×
   * membership.gossipInterval × ceil(log10(N + 1))}. At most {@code query.maxTimeout}.
   */
  public QueryOptions timeout(Duration timeout) {
    return new QueryOptions(nodes, metadataPatterns, timeout, requestAck, relayFactor);
  }

  /** Whether each node that receives the query (and passes the filters) acknowledges it. */
  public QueryOptions requestAck(boolean requestAck) {
    return new QueryOptions(nodes, metadataPatterns, timeout, requestAck, relayFactor);
  }

  /**
   * Besides sending its ack and answer to the originator directly, each node sends them through
   * this many random other nodes, which forward them: redundancy against loss (Serf's relay
   * factor). 0..{@value Query#MAX_RELAY_FACTOR}; 0 (the default): direct only.
   */
  public QueryOptions relayFactor(int relayFactor) {
    return new QueryOptions(nodes, metadataPatterns, timeout, requestAck, relayFactor);
  }

  /** The node-name filter; empty: any name. */
  public Set<String> nodes() {
    return nodes;
  }

  /** The metadata patterns, all of which a node's metadata must match; empty: any metadata. */
  public List<String> metadataPatterns() {
    return metadataPatterns;
  }

  /** The timeout, or null for the default. */
  public Duration timeout() {
    return timeout;
  }

  public boolean requestAck() {
    return requestAck;
  }

  public int relayFactor() {
    return relayFactor;
  }

  @Override
  public String toString() {
    return "QueryOptions[nodes=" + nodes + ", metadataPatterns=" + metadataPatterns + ", timeout=" + timeout
        + ", requestAck=" + requestAck + ", relayFactor=" + relayFactor + "]";
  }
}
