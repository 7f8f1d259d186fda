package io.grapevine.dissemination;

import io.grapevine.dissemination.Dissemination.RumorMessage;
import io.grapevine.node.Delivery;

final class DisseminationTestAccess {
  private DisseminationTestAccess() {}

  /** Hands {@code d} one rumor as if piggybacked (no header). */
  static void deliver(Dissemination d, RumorNetwork net, RumorId id) {
    var self = net.endpoints.get(net.protocols.indexOf(d));
    d.onMessage(net.now, self, new RumorMessage(id, 1, "t", null, new byte[0]), Delivery.DATAGRAM, net.outbox(self));
    d.onPacketEnd(net.now, self, Delivery.DATAGRAM, net.outbox(self));
  }
}
