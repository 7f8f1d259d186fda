// SPDX-License-Identifier: Apache-2.0
package io.grapevine.membership;

import io.grapevine.membership.MembershipMessages.Alive;
import io.grapevine.membership.MembershipMessages.Dead;
import io.grapevine.membership.MembershipMessages.Message;
import io.grapevine.membership.MembershipMessages.Suspect;
import io.grapevine.node.Delivery;
import io.grapevine.testkit.VirtualNetwork;
import io.grapevine.wire.PacketWriter;
import java.nio.ByteBuffer;

/** Hand-crafted claims delivered straight to a node, for precedence tests. */
final class MembershipMessagesTestAccess {
  private MembershipMessagesTestAccess() {}

  static ByteBuffer packet(Message... messages) {
    return packet(1400, messages);
  }

  static ByteBuffer packet(int capacity, Message... messages) {
    PacketWriter w = new PacketWriter(capacity, Members.CLUSTER).begin();
    for (Message m : messages) {
      w.beginMessage(m.type());
      m.writeBody(w);
      w.endMessage();
    }
    return w.finish();
  }

  static void deliver(VirtualNetwork.Node to, Message m) {
    to.deliverNow(VirtualNetwork.endpointOf(199), packet(m), Delivery.DATAGRAM);
  }

  static void deliverSuspect(VirtualNetwork.Node to, String name, long inc, String from) {
    deliver(to, new Suspect(inc, name, from));
  }

  static void deliverDead(VirtualNetwork.Node to, String name, long inc, String from) {
    deliver(to, new Dead(inc, name, from));
  }

  static void deliverAlive(VirtualNetwork.Node to, Membership about, long inc) {
    deliver(to, new Alive(inc, about.name(), about.endpoint(), 1, 1, new byte[0]));
  }
}
