// SPDX-License-Identifier: Apache-2.0
package io.grapevine.runtime;

import io.grapevine.Aggregates;
import io.grapevine.api.AggregateEstimate;
import io.grapevine.aggregate.Aggregation;
import io.grapevine.api.AggregationStats;
import io.grapevine.node.Outbox;
import java.util.Map;
import java.util.Optional;

/** Aggregates of one node in the socket runtime: reads and writes run on the event loop. */
final class AggregateService implements Aggregates {
  private final Aggregation protocol;
  private final EventService.Caller caller;

  AggregateService(Aggregation protocol, EventService.Caller caller) {
    this.protocol = protocol;
    this.caller = caller;
  }

  Aggregation protocol() {
    return protocol;
  }

  @Override
  public void publish(String name, double value) {
    caller.call((Long now, Outbox out) -> {
      protocol.publish(name, value);
      return null;
    });
  }

  @Override
  public void unpublish(String name) {
    caller.call((Long now, Outbox out) -> {
      protocol.unpublish(name);
      return null;
    });
  }

  @Override
  public Optional<AggregateEstimate> estimate(String name) {
    return Optional.ofNullable(caller.call((Long now, Outbox out) -> protocol.estimate(name)));
  }

  @Override
  public Map<String, AggregateEstimate> estimates() {
    return caller.call((Long now, Outbox out) -> protocol.estimates());
  }

  @Override
  public double clusterSize() {
    return caller.call((Long now, Outbox out) -> protocol.clusterSize());
  }

  @Override
  public AggregationStats stats() {
    return protocol.stats();
  }
}
