// SPDX-License-Identifier: Apache-2.0
package io.grapevine.membership;

import static org.assertj.core.api.Assertions.assertThat;

import io.grapevine.api.MemberState;
import io.grapevine.config.MembershipConfig;
import io.grapevine.membership.MembershipMessages.MemberStateEntry;
import io.grapevine.membership.MembershipMessages.Message;
import io.grapevine.membership.MembershipMessages.PushPull;
import io.grapevine.node.Delivery;
import io.grapevine.node.Endpoint;
import io.grapevine.testkit.Packet;
import io.grapevine.testkit.VirtualNetwork;
import io.grapevine.wire.DropReason;
import io.grapevine.wire.MessageType;
import io.grapevine.wire.PacketReader;
import io.grapevine.wire.PacketWriter;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The caps on what one push-pull may bring: member count and state bytes. Above either, the whole
 * exchange is dropped and counted under its own reason and nothing of it is applied; at the cap it
 * is applied; a sender with the same config never sends more than the caps.
 */
class PushPullLimitsTest {
  private static final Endpoint PEER = VirtualNetwork.endpointOf(50);

  private static VirtualNetwork.Node node(VirtualNetwork net, MembershipConfig config) {
    return net.add(Members.stack("n0", VirtualNetwork.endpointOf(0), 1, config, new SplittableRandom(1))).start();
  }

  /** A push-pull reply (no answer expected) carrying {@code n} live members with {@code metaBytes} each. */
  private static ByteBuffer pushPull(int n, int metaBytes) {
    List<Message> messages = new ArrayList<>();
    messages.add(new PushPull(false, true, "peer", PEER, n));
    for (int i = 0; i < n; i++) {
      messages.add(new MemberStateEntry(MemberState.ALIVE, 1, "m" + i, VirtualNetwork.endpointOf(100 + i), 1, 1,
          new byte[metaBytes]));
    }
    return Members.packet(messages);
  }

  @Test
  void aPushPullWithMoreMembersThanTheCapIsDroppedCountedAndChangesNothing() {
    MembershipConfig config = MembershipConfig.lan().toBuilder().pushPullMaxMembers(5).build();
    VirtualNetwork net = new VirtualNetwork(1);
    VirtualNetwork.Node n0 = node(net, config);

    n0.deliverNow(PEER, pushPull(6, 0), Delivery.STREAM);
    assertThat(n0.stack().stats().dropped(DropReason.PUSH_PULL_TOO_MANY_MEMBERS)).isEqualTo(1);
    assertThat(Members.membership(n0).size()).as("members besides itself").isZero();

    n0.deliverNow(PEER, pushPull(5, 0), Delivery.STREAM);
    assertThat(n0.stack().stats().dropped(DropReason.PUSH_PULL_TOO_MANY_MEMBERS)).isEqualTo(1);
    assertThat(Members.membership(n0).size()).isEqualTo(5);
  }

  @Test
  void aPushPullWithMoreStateBytesThanTheCapIsDroppedCountedAndChangesNothing() {
    MembershipConfig config = MembershipConfig.lan().toBuilder().pushPullMaxBytes(4096).build();
    VirtualNetwork net = new VirtualNetwork(1);
    VirtualNetwork.Node n0 = node(net, config);

    // 10 entries of 500 bytes of metadata each: about 5 KB of state, above 4 KiB.
    n0.deliverNow(PEER, pushPull(10, 500), Delivery.STREAM);
    assertThat(n0.stack().stats().dropped(DropReason.PUSH_PULL_TOO_LARGE)).isEqualTo(1);
    assertThat(Members.membership(n0).size()).as("members besides itself").isZero();

    n0.deliverNow(PEER, pushPull(7, 500), Delivery.STREAM);
    assertThat(n0.stack().stats().dropped(DropReason.PUSH_PULL_TOO_LARGE)).isEqualTo(1);
    assertThat(Members.membership(n0).size()).isEqualTo(7);
  }

  @Test
  void aSenderTruncatesItsStateToTheCapsSoAnEqualPeerAcceptsIt() {
    MembershipConfig config = MembershipConfig.lan().toBuilder().pushPullMaxMembers(4).build();
    VirtualNetwork net = new VirtualNetwork(1);
    VirtualNetwork.Node n0 = node(net, config);
    n0.deliverNow(PEER, pushPull(4, 0), Delivery.STREAM);
    assertThat(Members.membership(n0).size()).as("members besides itself").isEqualTo(4);

    List<Packet> sent = new ArrayList<>();
    net.onSend(sent::add);
    // A push-pull that asks for an answer: n0 replies with its state, which is one member above the cap.
    List<Message> header = List.of(new PushPull(false, false, "peer", PEER, 0));
    PacketWriter w = new PacketWriter(1024, Members.CLUSTER).begin();
    for (Message m : header) {
      w.beginMessage(m.type());
      m.writeBody(w);
      w.endMessage();
    }
    n0.deliverNow(PEER, w.finish(), Delivery.STREAM);
    net.runFor(10);
    Packet reply = sent.stream().filter(p -> p.delivery() == Delivery.STREAM).findFirst().orElseThrow();
    assertThat(memberEntries(reply.bytes())).isEqualTo(4);

    VirtualNetwork other = new VirtualNetwork(2);
    VirtualNetwork.Node peer = other.add(Members.stack("peer", PEER, 1, config, new SplittableRandom(2))).start();
    peer.deliverNow(n0.endpoint(), ByteBuffer.wrap(reply.bytes()), Delivery.STREAM);
    assertThat(peer.stack().stats().dropped(DropReason.PUSH_PULL_TOO_MANY_MEMBERS)).isZero();
    // n0 itself and three of the four others: the cap of four entries.
    assertThat(Members.membership(peer).size()).isEqualTo(4);
  }

  private static int memberEntries(byte[] packet) {
    PacketReader r = new PacketReader(Members.CLUSTER);
    int n = 0;
    try {
      r.open(ByteBuffer.wrap(packet));
      while (r.nextMessage()) {
        if (r.type() == MessageType.MEMBER_STATE.code()) {
          n++;
        }
      }
    } catch (io.grapevine.wire.MalformedPacketException e) {
      throw new AssertionError(e);
    }
    return n;
  }
}
