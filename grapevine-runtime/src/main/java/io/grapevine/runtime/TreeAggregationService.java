// SPDX-License-Identifier: Apache-2.0
package io.grapevine.runtime;

import io.grapevine.TreeService;
import io.grapevine.TreeSnapshot;
import io.grapevine.node.Endpoint;
import io.grapevine.node.Outbox;
import io.grapevine.overlay.SortedRing;
import io.grapevine.overlay.TreeAggregation;
import java.util.function.Function;

/**
 * The sorted ring and tree aggregation of one node in the socket runtime: reads and writes run on
 * the event loop. {@link #off} stands in for a node without them.
 */
final class TreeAggregationService implements TreeService {
  private final SortedRing ring;
  private final TreeAggregation aggregation;
  private final EventService.Caller caller;
  private final Function<Endpoint, String> names;
  // Loop thread only.
  private double value;

  /**
   * @param names the member name at an endpoint, or null (read on the loop thread)
   */
  TreeAggregationService(SortedRing ring, TreeAggregation aggregation, EventService.Caller caller,
      Function<Endpoint, String> names) {
    this.ring = ring;
    this.aggregation = aggregation;
    this.caller = caller;
    this.names = names;
  }

  /** A node without the tree: disabled snapshots, and {@code setValue} refused with {@code why}. */
  static TreeService off(String why) {
    return new TreeService() {
      @Override
      public boolean enabled() {
        return false;
      }

      @Override
      public void setValue(double value) {
        throw new IllegalStateException(why);
      }

      @Override
      public TreeSnapshot snapshot() {
        return TreeSnapshot.disabled();
      }
    };
  }

  SortedRing ring() {
    return ring;
  }

  TreeAggregation aggregation() {
    return aggregation;
  }

  @Override
  public boolean enabled() {
    return true;
  }

  @Override
  public void setValue(double v) {
    if (!Double.isFinite(v)) {
      throw new IllegalArgumentException("tree value must be a finite number, got " + v);
    }
    caller.call((Long now, Outbox out) -> {
      aggregation.setValue(v);
      value = v;
      return null;
    });
  }

  @Override
  public TreeSnapshot snapshot() {
    return caller.call((Long now, Outbox out) -> new TreeSnapshot(true, ring.id(), ring.level(),
        neighbor(ring.successor()), neighbor(ring.predecessor()), neighbor(ring.parent()), ring.isRoot(),
        aggregation.childCount(), aggregation.subtreeCount(), value, aggregation.known(),
        aggregation.known() ? aggregation.count() : 0, aggregation.known() ? aggregation.sum() : 0));
  }

  private TreeSnapshot.Neighbor neighbor(SortedRing.Descriptor d) {
    return d == null ? null : new TreeSnapshot.Neighbor(d.id(), d.endpoint(), names.apply(d.endpoint()));
  }
}
