package io.grapevine.membership;

import io.grapevine.membership.MembershipMessages.Alive;
import io.grapevine.membership.MembershipMessages.Dead;
import io.grapevine.membership.MembershipMessages.Message;
import io.grapevine.membership.MembershipMessages.Suspect;
import io.grapevine.node.Delivery;
import io.grapevine.wire.PacketWriter;
import java.nio.ByteBuffer;

/** Hand-crafted claims delivered straight to a node, for precedence tests. */
final class MembershipMessagesTestAccess {
  private MembershipMessagesTestAccess() {}

  static ByteBuffer packet(Message... messages) {
    PacketWriter w = new PacketWriter(1400, TestNetwork.CLUSTER).begin();
    for (Message m : messages) {
      w.beginMessage(m.type());
      m.writeBody(w);
      w.endMessage();
    }
    return w.finish();
  }

  static void deliver(TestNetwork net, Membership to, Message m) {
    net.stack(to).onPacket(net.now, TestNetwork.endpoint(200), packet(m), Delivery.DATAGRAM, net.outbox(to));
  }

  static void deliverSuspect(TestNetwork net, Membership to, String name, long inc, String from) {
    deliver(net, to, new Suspect(inc, name, from));
  }

  static void deliverDead(TestNetwork net, Membership to, String name, long inc, String from) {
    deliver(net, to, new Dead(inc, name, from));
  }

  static void deliverAlive(TestNetwork net, Membership to, Membership about, long inc) {
    deliver(net, to, new Alive(inc, about.name(), about.endpoint(), 1, 1, new byte[0]));
  }
}
