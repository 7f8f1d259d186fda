// SPDX-License-Identifier: Apache-2.0
package io.grapevine;

import io.grapevine.api.AggregateEstimate;
import io.grapevine.api.AggregationStats;
import java.util.Map;
import java.util.Optional;

/**
 * Cluster-wide aggregates of values that nodes publish: every node learns estimates of AVG, SUM,
 * COUNT, MIN and MAX per name, by fixed-size pairwise exchanges. See docs/aggregates.md.
 *
 * <pre>{@code
 * node.aggregates().publish("cpu", 0.7);
 * node.aggregates().estimate("cpu").ifPresent(e -> System.out.println(e.avg() + " over " + e.count()));
 * }</pre>
 */
public interface Aggregates {

  /**
   * Sets this node's value for {@code name}.
   *
   * @throws IllegalArgumentException for a bad name (1..255 UTF-8 bytes), a non-finite value, or
   *     too many names
   */
  void publish(String name, double value);

  /** Withdraws this node's value for {@code name}. */
  void unpublish(String name);

  /** The current estimate for {@code name}, if this node has heard of it. */
  Optional<AggregateEstimate> estimate(String name);

  /** Every estimate this node has. */
  Map<String, AggregateEstimate> estimates();

  /** Estimated number of live nodes, NaN before the first estimate. */
  double clusterSize();

  AggregationStats stats();
}
