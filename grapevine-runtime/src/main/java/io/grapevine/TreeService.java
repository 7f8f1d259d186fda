// SPDX-License-Identifier: Apache-2.0
package io.grapevine;


/**
 * Exact cluster-wide SUM and COUNT along the spanning tree of a sorted ring, when the node was
 * built with {@link ClusterBuilder#treeAggregation}. Off by default.
 *
 * <p>Every node runs a {@code SortedRing} (a T-Man sorted ring with skip-list levels whose tables
 * define a spanning tree) and a {@code TreeAggregation} (once per ring round each node reports its
 * value plus its children's subtree totals to its parent; the root's totals flow back down). Once
 * the tree is stable every node knows the exact COUNT of nodes in it and the exact SUM of their
 * values, a few rounds per tree level later. A member that membership declares dead or left leaves
 * the ring tables at once, so the ring closes over crashed nodes and the totals follow. Only nodes
 * with the tree on take part: give every node of a cluster the same setting. See docs/overlays.md.
 *
 * <pre>{@code
 * Cluster node = Cluster.builder().name("n1").treeAggregation(SortedRingConfig.defaults()).start();
 * node.tree().setValue(42);
 * TreeSnapshot s = node.tree().snapshot();
 * if (s.known()) System.out.println(s.count() + " nodes, sum " + s.sum());
 * }</pre>
 *
 * <p>With the tree off, {@link #enabled()} is false, {@link #snapshot()} is {@link
 * TreeSnapshot#disabled()} and {@link #setValue} throws {@link IllegalStateException}.
 */
public interface TreeService {

  /** Whether this node runs the sorted ring and its tree aggregation. */
  boolean enabled();

  /**
   * Sets this node's contribution to the cluster SUM (0 until set); sent at the node's next round.
   *
   * @throws IllegalArgumentException for NaN or an infinite value
   * @throws IllegalStateException if the tree is off, or the node is closed
   */
  void setValue(double value);

  /**
   * What this node knows now: its ring neighbors, its place in the tree, and the cluster totals.
   *
   * @throws IllegalStateException if the node is closed (with the tree on)
   */
  TreeSnapshot snapshot();

  /**
   * A node's position on the ring: a 64-bit hash (FNV-1a, then the SplitMix64 finalizer) of the
   * UTF-8 bytes of its name. Node names are unique in a cluster, so the ids are (collisions have
   * probability about N^2 / 2^65), and a node restarted under the same name takes the same place.
   */
  static long nodeIdOf(String nodeName) {
    return io.grapevine.overlay.SortedRing.idOf(nodeName);
  }
}
