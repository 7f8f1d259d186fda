// SPDX-License-Identifier: Apache-2.0
package io.grapevine.assembly;

import io.grapevine.aggregate.Aggregation;
import io.grapevine.antientropy.AntiEntropy;
import io.grapevine.antientropy.InMemoryReplicaStore;
import io.grapevine.antientropy.Replica;
import io.grapevine.config.ProtocolConfigs;
import io.grapevine.coordinates.Coordinates;
import io.grapevine.dissemination.Dissemination;
import io.grapevine.membership.Membership;
import io.grapevine.overlay.HyParView;
import io.grapevine.overlay.Plumtree;
import io.grapevine.overlay.SortedRing;
import io.grapevine.overlay.TreeAggregation;
import io.grapevine.query.Query;
import io.grapevine.stack.Protocol;
import io.grapevine.stack.ProtocolStack;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The protocols a node can run, by name: how the runtime, the simulator and scenario files build a
 * node's stack from a list of names and a {@link ProtocolConfigs}. The built-in entries are {@link
 * #builtIn()}; an application registers its own with {@link #with}. A new protocol is new files and
 * one entry here.
 *
 * <p>Immutable; {@link #with} returns a new registry.
 */
public final class ProtocolRegistry {
  private static final ProtocolRegistry BUILT_IN = new ProtocolRegistry(List.of(
      ProtocolFactory.of(Membership.PROTOCOL_NAME, List.of(), (node, c, earlier) ->
          new Membership(node.clusterName(), node.name(), node.endpoint(), node.incarnation(), node.metadata(),
              c.membership(), node.random(Membership.PROTOCOL_NAME))),
      // In memory: a durable store is the driver's to open (the runtime gives its own instance).
      ProtocolFactory.of(AntiEntropy.PROTOCOL_NAME, List.of(), (node, c, earlier) ->
          new AntiEntropy(new Replica(node.name() + "@" + node.incarnation(), new InMemoryReplicaStore(), c.kv()),
              node.random(AntiEntropy.PROTOCOL_NAME), 0)),
      ProtocolFactory.of(Dissemination.PROTOCOL_NAME, List.of(), (node, c, earlier) ->
          new Dissemination(c.dissemination(), node.incarnation(), node.random(Dissemination.PROTOCOL_NAME))),
      ProtocolFactory.of(Aggregation.PROTOCOL_NAME, List.of(), (node, c, earlier) ->
          new Aggregation(c.aggregation(), node.random(Aggregation.PROTOCOL_NAME))),
      ProtocolFactory.of(HyParView.PROTOCOL_NAME, List.of(), (node, c, earlier) ->
          new HyParView(c.hyparview(), node.random(HyParView.PROTOCOL_NAME))),
      ProtocolFactory.of(Plumtree.PROTOCOL_NAME, List.of(HyParView.PROTOCOL_NAME), (node, c, earlier) ->
          new Plumtree(c.plumtree(), (HyParView) earlier.apply(HyParView.PROTOCOL_NAME),
              node.random(Plumtree.PROTOCOL_NAME))),
      ProtocolFactory.of(SortedRing.PROTOCOL_NAME, List.of(), (node, c, earlier) ->
          new SortedRing(c.ring(), SortedRing.idOf(node.name()), node.random(SortedRing.PROTOCOL_NAME))),
      ProtocolFactory.of(TreeAggregation.PROTOCOL_NAME, List.of(SortedRing.PROTOCOL_NAME), (node, c, earlier) ->
          new TreeAggregation((SortedRing) earlier.apply(SortedRing.PROTOCOL_NAME), c.ring().roundInterval, 0)),
      ProtocolFactory.of(Coordinates.PROTOCOL_NAME, List.of(), (node, c, earlier) ->
          new Coordinates(c.coordinates(), node.random(Coordinates.PROTOCOL_NAME))),
      // Default timeouts count membership's gossip rounds; ids are unique per life by the incarnation.
      ProtocolFactory.of(Query.PROTOCOL_NAME, List.of(), (node, c, earlier) ->
          new Query(c.query(), c.membership().gossipInterval, node.incarnation()))));

  private final Map<String, ProtocolFactory> factories;

  private ProtocolRegistry(List<ProtocolFactory> entries) {
    Map<String, ProtocolFactory> m = new LinkedHashMap<>();
    for (ProtocolFactory f : entries) {
      m.put(f.name(), f);
    }
    this.factories = Collections.unmodifiableMap(m);
  }

  /**
   * Grapevine's own protocols: membership, kv, dissemination, aggregation, hyparview, plumtree, ring,
   * tree, coordinates, query.
   */
  public static ProtocolRegistry builtIn() {
    return BUILT_IN;
  }

  /**
   * This registry and {@code factory}.
   *
   * @throws IllegalArgumentException if a protocol of that name is registered already
   */
  public ProtocolRegistry with(ProtocolFactory factory) {
    if (factories.containsKey(factory.name())) {
      throw new IllegalArgumentException("a protocol named '" + factory.name() + "' is registered already");
    }
    List<ProtocolFactory> all = new ArrayList<>(factories.values());
    all.add(factory);
    return new ProtocolRegistry(all);
  }

  /** Every registered name, built-in ones first. */
  public Set<String> names() {
    return factories.keySet();
  }

  /** The factory of {@code name}. */
  public Optional<ProtocolFactory> find(String name) {
    return Optional.ofNullable(factories.get(name));
  }

  /** The one-line error for a name nobody registered. */
  public String unknown(String name) {
    return "unknown protocol '" + name + "'; known: " + String.join(", ", names());
  }

  /**
   * Builds the protocols {@code names} for one node and adds them to {@code stack}, in order; a
   * protocol's requirements must come before it. {@code provided} holds instances built elsewhere
   * (a durable store's kv, a membership with a shared interner), used in place of the factory's.
   *
   * @return the node's protocols by name
   * @throws IllegalArgumentException for an unknown name, a name given twice, or a requirement missing
   *     or later in the list
   */
  public Map<String, Protocol<?>> assemble(List<String> names, NodeSetup node, ProtocolConfigs configs,
      Map<String, Protocol<?>> provided, ProtocolStack.Builder stack) {
    Map<String, Protocol<?>> built = new LinkedHashMap<>();
    for (String name : names) {
      ProtocolFactory f = factories.get(name);
      if (f == null) {
        throw new IllegalArgumentException(unknown(name));
      }
      if (built.containsKey(name)) {
        throw new IllegalArgumentException("protocol '" + name + "' is listed twice");
      }
      for (String r : f.requires()) {
        if (!built.containsKey(r)) {
          throw new IllegalArgumentException("protocol '" + name + "' runs on '" + r + "': list '" + r + "' before it");
        }
      }
      Protocol<?> p = provided.containsKey(name) ? provided.get(name) : f.create(node, configs, built::get);
      built.put(name, p);
      stack.add(p);
    }
    return built;
  }
}
