package io.grapevine.dissemination;

import io.grapevine.node.Endpoint;
import io.grapevine.node.ExtensionNetwork;
import java.util.List;
import java.util.stream.Collectors;

/** N dissemination nodes with uniform random peers over an in-memory network with a fake clock. */
final class RumorNetwork {
  final ExtensionNetwork<Dissemination> net;
  final List<Endpoint> endpoints;
  final List<Dissemination> protocols;

  RumorNetwork(int n, DisseminationConfig config, long seed) {
    net = new ExtensionNetwork<>(n, seed, (i, random) -> new Dissemination(config, 1, random));
    endpoints = net.endpoints;
    protocols = net.protocols;
    for (int i = 0; i < n; i++) {
      protocols.get(i).start(0);
    }
  }

  long now() {
    return net.now;
  }

  RumorId publish(int node, String topic, byte[] payload, String key) {
    RumorId id = protocols.get(node).publish(net.now, topic, payload, key, net.outbox(node));
    net.touch(node);
    return id;
  }

  void runUntil(long until) {
    net.runUntil(until);
  }

  List<UserEvent> delivered(int node) {
    return net.events.get(node).stream().filter(e -> e instanceof UserEvent).map(e -> (UserEvent) e)
        .collect(Collectors.toList());
  }

  /** Nodes that delivered {@code id}. */
  long informed(RumorId id) {
    return net.events.stream().filter(l -> l.stream().anyMatch(e -> e instanceof UserEvent u && u.id().equals(id)))
        .count();
  }

  /** Largest number of deliveries of one id at one node. */
  long maxDeliveriesPerNode(RumorId id) {
    return net.events.stream()
        .mapToLong(l -> l.stream().filter(e -> e instanceof UserEvent u && u.id().equals(id)).count())
        .max()
        .orElse(0);
  }

  boolean quiescent() {
    return protocols.stream().allMatch(d -> d.hotCount() == 0);
  }
}
