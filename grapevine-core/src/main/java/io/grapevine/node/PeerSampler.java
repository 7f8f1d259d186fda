// SPDX-License-Identifier: Apache-2.0
package io.grapevine.node;

import java.util.List;

/**
 * Where a protocol gets its gossip partners: full membership, a partial view (HyParView, Cyclon) or,
 * in the simulator, uniform sampling over all nodes. Protocols written against this run unchanged
 * over any of them.
 */
public interface PeerSampler {
  /**
   * Adds up to {@code k} distinct live peers (never this node), chosen at random, to {@code out}.
   * Fewer when fewer are known.
   */
  void sample(int k, List<Endpoint> out);

  /** Live peers known, this node excluded (an estimate for partial views). */
  int size();
}
