package io.grapevine.dissemination;

import io.grapevine.dissemination.Dissemination.RumorMessage;
import io.grapevine.node.Delivery;

final class DisseminationTestAccess {
  private DisseminationTestAccess() {}

  /** Hands {@code d} one rumor as if piggybacked (no header). */
  static void deliver(Dissemination d, RumorNetwork net, RumorId id) {
    int i = net.protocols.indexOf(d);
    var self = net.endpoints.get(i);
    d.onMessage(net.now(), self, new RumorMessage(id, 1, "t", null, new byte[0]), Delivery.DATAGRAM, net.net.outbox(i));
    d.onPacketEnd(net.now(), self, Delivery.DATAGRAM, net.net.outbox(i));
  }
}
