// SPDX-License-Identifier: Apache-2.0
package io.grapevine.dissemination;

import io.grapevine.api.RumorId;
import io.grapevine.dissemination.Dissemination.RumorMessage;
import io.grapevine.node.Delivery;
import io.grapevine.testkit.VirtualNetwork;

final class DisseminationTestAccess {
  private DisseminationTestAccess() {}

  /** Hands {@code node}'s dissemination one rumor as if piggybacked (no header). */
  static void deliver(VirtualNetwork.Node node, RumorId id) {
    Dissemination d = node.protocol(Dissemination.class);
    node.call((now, out) -> {
      d.onMessage(now, node.endpoint(), new RumorMessage(id, 1, "t", null, new byte[0]), Delivery.DATAGRAM, out);
      d.onPacketEnd(now, node.endpoint(), Delivery.DATAGRAM, out);
    });
  }
}
