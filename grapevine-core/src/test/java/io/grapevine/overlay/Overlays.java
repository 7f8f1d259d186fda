// SPDX-License-Identifier: Apache-2.0
package io.grapevine.overlay;

import io.grapevine.node.Endpoint;
import io.grapevine.testkit.VirtualNetwork;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.function.Function;

/** Graph checks over the nodes of the test kit's network. */
final class Overlays {
  private Overlays() {}

  /** Whether the nodes that are up form one component over the union of the given views. */
  static boolean connected(VirtualNetwork net, Function<VirtualNetwork.Node, Collection<Endpoint>> view) {
    int n = net.size();
    List<List<Integer>> adj = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      adj.add(new ArrayList<>());
    }
    int first = -1;
    int live = 0;
    for (VirtualNetwork.Node node : net.liveNodes()) {
      live++;
      if (first < 0) {
        first = node.index();
      }
      for (Endpoint e : view.apply(node)) {
        VirtualNetwork.Node other = net.find(e);
        if (other != null && other.isUp()) {
          adj.get(node.index()).add(other.index());
          adj.get(other.index()).add(node.index());
        }
      }
    }
    if (live == 0) {
      return true;
    }
    boolean[] seen = new boolean[n];
    ArrayDeque<Integer> queue = new ArrayDeque<>();
    queue.add(first);
    seen[first] = true;
    int count = 0;
    while (!queue.isEmpty()) {
      int u = queue.poll();
      count++;
      for (int v : adj.get(u)) {
        if (!seen[v]) {
          seen[v] = true;
          queue.add(v);
        }
      }
    }
    return count == live;
  }
}
