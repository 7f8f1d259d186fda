// SPDX-License-Identifier: Apache-2.0
package io.grapevine.runtime;

import io.grapevine.aggregate.Aggregation;
import io.grapevine.antientropy.AntiEntropy;
import io.grapevine.assembly.NodeSetup;
import io.grapevine.assembly.ProtocolRegistry;
import io.grapevine.coordinates.Coordinates;
import io.grapevine.dissemination.Dissemination;
import io.grapevine.membership.Membership;
import io.grapevine.config.MembershipConfig;
import io.grapevine.node.Endpoint;
import io.grapevine.overlay.HyParView;
import io.grapevine.overlay.OverlayEvents;
import io.grapevine.overlay.Plumtree;
import io.grapevine.overlay.SortedRing;
import io.grapevine.overlay.TreeAggregation;
import io.grapevine.security.PacketSeal;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import io.grapevine.query.Query;
import io.grapevine.stack.Protocol;
import io.grapevine.stack.ProtocolStack;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The one place the socket runtime puts a node's protocols together, by name from the {@link
 * ProtocolRegistry}: membership first (the peer sampler and piggyback carrier of the others), then
 * the replicated store (the caller's instance, around its durable store), user events, aggregates,
 * queries,
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
  /** Network coordinates; null without them. */
  final Coordinates coordinates;
  /** Seals and opens every packet; inert while the keyring is empty. */
  final PacketSeal seal;
  final Query query;

  /**
   * @param adv the advertised endpoint
   * @param incarnation this life's incarnation, also the epoch of its event ids
   * @param kv the replicated store's protocol, built by the caller around its store
   */
  StackAssembly(NodeSettings s, Endpoint adv, long incarnation, Protocol<?> kv) {
    NodeSetup node = new NodeSetup(s.name(), adv, s.clusterName(), incarnation, s.seed(), s.metadata());
    MembershipConfig m = s.configs().membership();
    // Every node has a seal, so a key can be installed while it runs (migration); the stack then
    // leaves the protocols the seal's room within udpPayloadBytes.
    SecureRandom nonces = strongRandom();
    seal = new PacketSeal(s.keyring(), s.clusterName(), s.configs().encryption(), System::currentTimeMillis,
        (dst, off, len) -> {
          byte[] n = new byte[len];
          nonces.nextBytes(n);
          System.arraycopy(n, 0, dst, off, len);
        });
    ProtocolStack.Builder b = node.stackBuilder()
        .datagramBytes(m.udpPayloadBytes)
        .streamMessageMaxBytes(m.streamMessageMaxBytes)
        .seal(seal);
    // Membership first: the peer sampler and piggyback carrier of the others.
    List<String> names = new ArrayList<>(List.of(Membership.PROTOCOL_NAME, AntiEntropy.PROTOCOL_NAME,
        Dissemination.PROTOCOL_NAME, Aggregation.PROTOCOL_NAME, Query.PROTOCOL_NAME));
    if (s.overlay()) {
      names.addAll(List.of(HyParView.PROTOCOL_NAME, Plumtree.PROTOCOL_NAME));
    }
    if (s.tree()) {
      // Membership is the ring's peer sampler and feeds it DEAD/LEFT verdicts.
      names.addAll(List.of(SortedRing.PROTOCOL_NAME, TreeAggregation.PROTOCOL_NAME));
    }
    if (s.coordinates()) {
      names.add(Coordinates.PROTOCOL_NAME);
    }
    Map<String, Protocol<?>> built = ProtocolRegistry.builtIn().assemble(names, node, s.configs(),
        Map.of(AntiEntropy.PROTOCOL_NAME, kv), b);
    membership = (Membership) built.get(Membership.PROTOCOL_NAME);
    dissemination = (Dissemination) built.get(Dissemination.PROTOCOL_NAME);
    aggregation = (Aggregation) built.get(Aggregation.PROTOCOL_NAME);
    hyParView = (HyParView) built.get(HyParView.PROTOCOL_NAME);
    plumtree = (Plumtree) built.get(Plumtree.PROTOCOL_NAME);
    ring = (SortedRing) built.get(SortedRing.PROTOCOL_NAME);
    treeAggregation = (TreeAggregation) built.get(TreeAggregation.PROTOCOL_NAME);
    coordinates = (Coordinates) built.get(Coordinates.PROTOCOL_NAME);
    query = (Query) built.get(Query.PROTOCOL_NAME);
    // The event epoch is this life's incarnation, so event ids never repeat across restarts.
    overlayEvents = plumtree == null ? null : new OverlayEvents(s.name(), incarnation, plumtree);
    for (Protocol<?> p : s.protocols()) {
      b.add(p);
    }
    stack = b.build();
  }

  /** DRBG: a strong generator that does not read the OS on every call; the platform default otherwise. */
  private static SecureRandom strongRandom() {
    try {
      return SecureRandom.getInstance("DRBG");
    } catch (NoSuchAlgorithmException e) {
      return new SecureRandom();
    }
  }
}
