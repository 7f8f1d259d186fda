package io.grapevine.runtime;

import io.grapevine.TreeService;
import io.grapevine.aggregate.Aggregation;
import io.grapevine.dissemination.Dissemination;
import io.grapevine.membership.Membership;
import io.grapevine.node.Endpoint;
import io.grapevine.overlay.HyParView;
import io.grapevine.overlay.OverlayEvents;
import io.grapevine.overlay.Plumtree;
import io.grapevine.overlay.SortedRing;
import io.grapevine.overlay.TreeAggregation;
import io.grapevine.stack.Protocol;
import io.grapevine.stack.ProtocolStack;

/**
 * The one place the socket runtime puts a node's protocols together: membership first (the peer
 * sampler and piggyback carrier of the others), then the replicated store, user events, aggregates,
 * the optional overlays, and the application's own protocols. Each protocol's randomness derives
 * from the node's seed and the protocol's name ({@link ProtocolStack#randomFor}).
 */
final class StackAssembly {
  final ProtocolStack stack;
  final Membership membership;
  final Dissemination dissemination;
  final Aggregation aggregation;
  /** The event overlay; null without it. */
  final HyParView hyParView;
  final Plumtree plumtree;
  /** User events over the overlay; null without it. */
  final OverlayEvents overlayEvents;
  /** The tree aggregation's ring; null without it. */
  final SortedRing ring;
  final TreeAggregation treeAggregation;

  /**
   * @param adv the advertised endpoint
   * @param incarnation this life's incarnation, also the epoch of its event ids
   * @param kv the replicated store's protocol, built by the caller around its store
   */
  StackAssembly(NodeSettings s, Endpoint adv, long incarnation, Protocol<?> kv) {
    ProtocolStack.Builder b = ProtocolStack.builder(s.name(), adv, s.clusterName())
        .seed(s.seed())
        .datagramBytes(s.membership().udpPayloadBytes)
        .streamMessageMaxBytes(s.membership().streamMessageMaxBytes);
    membership = new Membership(s.clusterName(), s.name(), adv, incarnation, s.metadata(), s.membership(),
        b.randomFor(Membership.PROTOCOL_NAME));
    // The event epoch is this life's incarnation, so event ids never repeat across restarts.
    dissemination = new Dissemination(s.events(), incarnation, b.randomFor(Dissemination.PROTOCOL_NAME));
    aggregation = new Aggregation(s.aggregation(), b.randomFor(Aggregation.PROTOCOL_NAME));
    b.add(membership).add(kv).add(dissemination).add(aggregation);
    if (s.hyParView() != null) {
      hyParView = new HyParView(s.hyParView(), b.randomFor(HyParView.PROTOCOL_NAME));
      plumtree = new Plumtree(s.plumtree(), hyParView, b.randomFor(Plumtree.PROTOCOL_NAME));
      overlayEvents = new OverlayEvents(s.name(), incarnation, plumtree);
      b.add(hyParView).add(plumtree);
    } else {
      hyParView = null;
      plumtree = null;
      overlayEvents = null;
    }
    if (s.tree() != null) {
      // Membership is the ring's peer sampler and feeds it DEAD/LEFT verdicts.
      ring = new SortedRing(s.tree(), TreeService.nodeIdOf(s.name()), b.randomFor(SortedRing.PROTOCOL_NAME));
      treeAggregation = new TreeAggregation(ring, s.tree().roundInterval, 0);
      b.add(ring).add(treeAggregation);
    } else {
      ring = null;
      treeAggregation = null;
    }
    for (Protocol<?> p : s.protocols()) {
      b.add(p);
    }
    stack = b.build();
  }
}
