// SPDX-License-Identifier: Apache-2.0
package io.grapevine;

import io.grapevine.node.Endpoint;

/**
 * One node's view of the sorted ring and its tree aggregation, taken at one instant (see {@link
 * TreeService}). Immutable.
 *
 * @param enabled false when the node runs without the tree; every other field is then empty (0,
 *     false or null)
 * @param nodeId this node's position on the ring, {@link TreeService#nodeIdOf} of its name (compare
 *     as unsigned)
 * @param level this node's skip-list level (level {@code l} holds about N/2^l nodes); the tree's
 *     parent of a node is its closest predecessor of a higher level
 * @param successor the closest known node clockwise on the ring, or null before any is known
 * @param predecessor the closest known node anticlockwise, or null
 * @param parent this node's parent in the tree, or null at the root
 * @param root whether this node is the tree's root as far as it knows
 * @param children nodes that reported to this one within the last few rounds
 * @param subtreeCount nodes in this node's subtree at its last round, itself included
 * @param value this node's contribution to SUM
 * @param known whether cluster totals have reached this node (computed here at the root, or
 *     passed down by the parent); {@code count} and {@code sum} are 0 before
 * @param count cluster-wide COUNT of the nodes in the tree, as last learned
 * @param sum cluster-wide SUM of their values, as last learned
 */
public record TreeSnapshot(
    boolean enabled,
    long nodeId,
    int level,
    Neighbor successor,
    Neighbor predecessor,
    Neighbor parent,
    boolean root,
    int children,
    long subtreeCount,
    double value,
    boolean known,
    long count,
    double sum) {

  /**
   * Another node of the ring.
   *
   * @param id its ring id
   * @param endpoint its advertised address
   * @param name its member name, or null when membership does not (or no longer) list that address
   */
  public record Neighbor(long id, Endpoint endpoint, String name) {}

  private static final TreeSnapshot DISABLED = new TreeSnapshot(false, 0, 0, null, null, null, false, 0, 0, 0,
      false, 0, 0);

  /** The snapshot of a node without the tree. */
  public static TreeSnapshot disabled() {
    return DISABLED;
  }
}
