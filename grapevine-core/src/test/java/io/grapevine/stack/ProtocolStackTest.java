// SPDX-License-Identifier: Apache-2.0
package io.grapevine.stack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grapevine.api.Member;
import io.grapevine.api.MemberEvent;
import io.grapevine.api.MemberState;
import io.grapevine.node.Delivery;
import io.grapevine.node.Endpoint;
import io.grapevine.node.Outbox;
import io.grapevine.node.ProtocolEvent;
import io.grapevine.wire.DropReason;
import io.grapevine.wire.MalformedPacketException;
import io.grapevine.wire.MessageRange;
import io.grapevine.wire.PacketReader;
import io.grapevine.wire.PacketWriter;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The stack's own contract: assembly checks, whole-packet decoding, dispatch, peer events, seeds. */
class ProtocolStackTest {
  static final Endpoint SELF = Endpoint.ipv4(0x0A000001, 7946);
  static final Endpoint PEER = Endpoint.ipv4(0x0A000002, 7946);

  /** A minimal protocol: each message is one int; a negative int is malformed. */
  static class Recorder implements Protocol<Integer> {
    final String name;
    final MessageRange range;
    final List<String> calls = new ArrayList<>();
    ProtocolContext context;
    long deadline = Long.MAX_VALUE;

    Recorder(String name, MessageRange range) {
      this.name = name;
      this.range = range;
    }

    @Override
    public String protocolName() {
      return name;
    }

    @Override
    public MessageRange messageTypes() {
      return range;
    }

    @Override
    public void attach(ProtocolContext context) {
      this.context = context;
      calls.add("attach");
    }

    @Override
    public void start(long nowMillis, Outbox out) {
      calls.add("start@" + nowMillis);
    }

    @Override
    public Integer decode(PacketReader reader) throws MalformedPacketException {
      int v = reader.getInt();
      if (v < 0) {
        throw new MalformedPacketException(DropReason.BAD_FIELD, "negative");
      }
      return v;
    }

    @Override
    public void onMessage(long nowMillis, Endpoint from, Integer message, Delivery delivery, Outbox out) {
      calls.add(name + ":" + message);
    }

    @Override
    public void onPacketEnd(long nowMillis, Endpoint from, Delivery delivery, Outbox out) {
      calls.add(name + ":end");
    }

    @Override
    public void onTick(long nowMillis, Outbox out) {
      calls.add("tick@" + nowMillis);
      deadline = Long.MAX_VALUE;
    }

    @Override
    public long nextDeadlineMillis() {
      return deadline;
    }

    @Override
    public void onPeerEvent(long nowMillis, MemberEvent event, Outbox out) {
      calls.add(name + ":peer " + event.type());
    }
  }

  static final Outbox NOWHERE = new Outbox() {
    @Override
    public void send(Endpoint to, ByteBuffer packet, Delivery delivery) {}

    @Override
    public void emit(ProtocolEvent event) {}
  };

  static ByteBuffer packet(int... typeAndValue) {
    PacketWriter w = new PacketWriter(1400, "c").begin();
    for (int i = 0; i < typeAndValue.length; i += 2) {
      w.beginMessage(typeAndValue[i]).putInt(typeAndValue[i + 1]).endMessage();
    }
    return w.finish();
  }

  @Test
  void twoProtocolsClaimingOneMessageTypeFailAtBuildTime() {
    Recorder a = new Recorder("alpha", MessageRange.of(0xC0, 0xC7));
    Recorder b = new Recorder("beta", MessageRange.of(0xC4, 0xCF));
    assertThatThrownBy(() -> ProtocolStack.builder("n", SELF, "c").add(a).add(b).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("stack of node n: protocol 'beta' claims message types 0xC4..0xCF, which overlap "
            + "0xC0..0xC7 of protocol 'alpha'");
    assertThat(a.calls).as("nothing is attached when the assembly is refused").isEmpty();
  }

  @Test
  void twoProtocolsWithOneNameFailAtBuildTime() {
    assertThatThrownBy(() -> ProtocolStack.builder("n", SELF, "c")
        .add(new Recorder("x", MessageRange.of(0xC0, 0xC0)))
        .add(new Recorder("x", MessageRange.of(0xC1, 0xC1)))
        .build())
        .hasMessageContaining("two protocols are named 'x'");
  }

  @Test
  void aPacketIsDispatchedByTypeAndAppliedWholeOrNotAtAll() {
    Recorder a = new Recorder("alpha", MessageRange.of(0xC0, 0xC7));
    Recorder b = new Recorder("beta", MessageRange.of(0xC8, 0xCF));
    ProtocolStack stack = ProtocolStack.builder("n", SELF, "c").add(a).add(b).build();
    stack.start(5, NOWHERE);
    assertThat(a.calls).containsExactly("attach", "start@5");
    a.calls.clear();
    b.calls.clear();

    stack.onPacket(10, PEER, packet(0xC0, 1, 0xC9, 2, 0xC1, 3), Delivery.DATAGRAM, NOWHERE);
    assertThat(a.calls).containsExactly("alpha:1", "alpha:3", "alpha:end");
    assertThat(b.calls).containsExactly("beta:2", "beta:end");

    // The third message is malformed: neither protocol sees any of the packet.
    a.calls.clear();
    b.calls.clear();
    stack.onPacket(11, PEER, packet(0xC0, 1, 0xC9, 2, 0xC1, -1), Delivery.DATAGRAM, NOWHERE);
    assertThat(a.calls).isEmpty();
    assertThat(b.calls).isEmpty();
    assertThat(stack.stats().dropped(DropReason.BAD_FIELD)).isEqualTo(1);

    // A type nobody owns drops the packet too.
    stack.onPacket(12, PEER, packet(0xC0, 1, 0xD0, 2), Delivery.DATAGRAM, NOWHERE);
    assertThat(a.calls).isEmpty();
    assertThat(stack.stats().dropped(DropReason.UNKNOWN_TYPE)).isEqualTo(1);
    assertThat(stack.stats().packetsIn()).isEqualTo(3);
  }

  @Test
  void checkPacketSeesOnlyItsOwnMessagesAndCanRejectThePacket() {
    Recorder a = new Recorder("alpha", MessageRange.of(0xC0, 0xC7)) {
      @Override
      public void checkPacket(List<Integer> mine, int messagesInPacket, Delivery delivery)
          throws MalformedPacketException {
        calls.add("check " + mine + " of " + messagesInPacket);
        if (mine.contains(7)) {
          throw new MalformedPacketException(DropReason.UNEXPECTED, "7 must come alone");
        }
      }
    };
    Recorder b = new Recorder("beta", MessageRange.of(0xC8, 0xCF));
    ProtocolStack stack = ProtocolStack.builder("n", SELF, "c").add(a).add(b).build();
    stack.onPacket(1, PEER, packet(0xC0, 1, 0xC9, 2, 0xC1, 3), Delivery.DATAGRAM, NOWHERE);
    assertThat(a.calls).contains("check [1, 3] of 3");
    a.calls.clear();
    stack.onPacket(1, PEER, packet(0xC0, 7, 0xC9, 2), Delivery.DATAGRAM, NOWHERE);
    assertThat(a.calls).containsExactly("check [7] of 2");
    assertThat(b.calls).containsExactly("attach", "beta:2", "beta:end");
    assertThat(stack.stats().dropped(DropReason.UNEXPECTED)).isEqualTo(1);
  }

  @Test
  void ticksReachOnlyProtocolsThatAreDue() {
    Recorder a = new Recorder("alpha", MessageRange.of(0xC0, 0xC7));
    Recorder b = new Recorder("beta", MessageRange.of(0xC8, 0xCF));
    ProtocolStack stack = ProtocolStack.builder("n", SELF, "c").add(a).add(b).build();
    a.deadline = 100;
    b.deadline = 200;
    assertThat(stack.nextDeadlineMillis()).isEqualTo(100);
    stack.onTick(150, NOWHERE);
    assertThat(a.calls).containsExactly("attach", "tick@150");
    assertThat(b.calls).containsExactly("attach");
    assertThat(stack.nextDeadlineMillis()).isEqualTo(200);
  }

  @Test
  void aMembershipChangeReachesEveryOtherProtocolAndTheApplication() {
    Recorder a = new Recorder("alpha", MessageRange.of(0xC0, 0xC7));
    Recorder b = new Recorder("beta", MessageRange.of(0xC8, 0xCF));
    ProtocolStack stack = ProtocolStack.builder("n", SELF, "c").add(a).add(b).build();
    List<ProtocolEvent> app = new ArrayList<>();
    Outbox out = new Outbox() {
      @Override
      public void send(Endpoint to, ByteBuffer packet, Delivery delivery) {}

      @Override
      public void emit(ProtocolEvent event) {
        app.add(event);
      }
    };
    MemberEvent dead = new MemberEvent(MemberEvent.Type.DEAD,
        new Member("p", PEER, MemberState.DEAD, 3, new byte[0], 1, 1, 0));
    a.context.emit(1, dead, out);
    assertThat(app).containsExactly(dead);
    assertThat(b.calls).containsExactly("attach", "beta:peer DEAD");
    assertThat(a.calls).as("the emitter does not hear its own event").containsExactly("attach");
    ProtocolEvent other = new ProtocolEvent() {};
    a.context.emit(1, other, out);
    assertThat(app).containsExactly(dead, other);
    assertThat(b.calls).as("only membership changes are peer events").hasSize(2);
  }

  @Test
  void eachProtocolsRandomnessDependsOnlyOnTheNodeSeedAndItsName() {
    Recorder a1 = new Recorder("alpha", MessageRange.of(0xC0, 0xC7));
    ProtocolStack.builder("n", SELF, "c").seed(42).add(a1).build();
    Recorder b = new Recorder("beta", MessageRange.of(0xC0, 0xC7));
    Recorder a2 = new Recorder("alpha", MessageRange.of(0xC8, 0xCF));
    // Another protocol before it, and another range: alpha draws the same numbers.
    ProtocolStack.builder("n", SELF, "c").seed(42).add(b).add(a2).build();
    long[] first = draws(a1.context, 8);
    assertThat(draws(a2.context, 8)).isEqualTo(first);
    assertThat(draws(b.context, 8)).isNotEqualTo(first);
    Recorder a3 = new Recorder("alpha", MessageRange.of(0xC0, 0xC7));
    ProtocolStack.builder("n", SELF, "c").seed(43).add(a3).build();
    assertThat(draws(a3.context, 8)).as("another node seed").isNotEqualTo(first);
    assertThat(ProtocolStack.seedFor(42, "alpha")).isEqualTo(ProtocolStack.seedFor(42, "alpha"))
        .isNotEqualTo(ProtocolStack.seedFor(42, "alphb"));
  }

  private static long[] draws(ProtocolContext ctx, int n) {
    long[] out = new long[n];
    for (int i = 0; i < n; i++) {
      out[i] = ctx.random().nextLong();
    }
    return out;
  }

  @Test
  void everyBuiltInMessageTypeFallsInExactlyOneBuiltInRange() {
    List<MessageRange> ranges = List.of(MessageRange.MEMBERSHIP, MessageRange.DISSEMINATION, MessageRange.KV,
        MessageRange.AGGREGATION, MessageRange.HYPARVIEW, MessageRange.PLUMTREE, MessageRange.RING,
        MessageRange.TREE, MessageRange.QUERY);
    for (io.grapevine.wire.MessageType t : io.grapevine.wire.MessageType.values()) {
      long owners = ranges.stream().filter(r -> r.contains(t.code() & 0xff)).count();
      assertThat(owners).as(t.name()).isEqualTo(1);
      assertThat(MessageRange.APPLICATION.contains(t.code() & 0xff)).as(t.name()).isFalse();
    }
    for (int i = 0; i < ranges.size(); i++) {
      for (int j = i + 1; j < ranges.size(); j++) {
        assertThat(ranges.get(i).overlaps(ranges.get(j))).isFalse();
      }
      assertThat(ranges.get(i).overlaps(MessageRange.APPLICATION)).isFalse();
    }
  }
}
