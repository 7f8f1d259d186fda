// SPDX-License-Identifier: Apache-2.0
package io.grapevine.agent.api;

import io.grapevine.Aggregates;
import io.grapevine.api.AggregateEstimate;
import io.grapevine.api.AggregationStats;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** Scripted estimates for handler tests: a published value becomes a one-node estimate. */
final class FakeAggregates implements Aggregates {
  final Map<String, AggregateEstimate> estimates = new ConcurrentHashMap<>();
  volatile double clusterSize = Double.NaN;

  @Override
  public void publish(String name, double value) {
    if (!Double.isFinite(value)) {
      throw new IllegalArgumentException("value must be finite, got " + value);
    }
    estimates.put(name, new AggregateEstimate(name, value, value, 1, 1, value, value, 1, 0, 0));
  }

  @Override
  public void unpublish(String name) {
    estimates.remove(name);
  }

  @Override
  public Optional<AggregateEstimate> estimate(String name) {
    return Optional.ofNullable(estimates.get(name));
  }

  @Override
  public Map<String, AggregateEstimate> estimates() {
    return Map.copyOf(estimates);
  }

  @Override
  public double clusterSize() {
    return clusterSize;
  }

  @Override
  public AggregationStats stats() {
    return AggregationStats.empty();
  }
}
