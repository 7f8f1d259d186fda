// SPDX-License-Identifier: Apache-2.0
package io.grapevine.agent.api;

import io.grapevine.TreeService;
import io.grapevine.TreeSnapshot;
import io.grapevine.node.Endpoint;

/** A scripted tree for handler tests: off until {@link #enabled} is set; a set value shows in the snapshot. */
final class FakeTree implements TreeService {
  volatile boolean enabled;
  volatile double value;

  @Override
  public boolean enabled() {
    return enabled;
  }

  @Override
  public void setValue(double v) {
    if (!enabled) {
      throw new IllegalStateException("tree aggregation is off");
    }
    if (!Double.isFinite(v)) {
      throw new IllegalArgumentException("tree value must be a finite number, got " + v);
    }
    value = v;
  }

  @Override
  public TreeSnapshot snapshot() {
    if (!enabled) {
      return TreeSnapshot.disabled();
    }
    // A node of a three-node cluster that has the totals: n2 is its parent and successor.
    TreeSnapshot.Neighbor n2 = new TreeSnapshot.Neighbor(-2, Endpoint.parse("127.0.0.1:7947"), "n2");
    TreeSnapshot.Neighbor n3 = new TreeSnapshot.Neighbor(5, Endpoint.parse("127.0.0.1:7948"), null);
    return new TreeSnapshot(true, TreeService.nodeIdOf("n1"), 0, n2, n3, n2, false, 0, 1, value, true, 3,
        value + 10);
  }
}
