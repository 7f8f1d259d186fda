// SPDX-License-Identifier: Apache-2.0
package io.grapevine.membership;

import io.grapevine.config.MembershipConfig;
import static org.assertj.core.api.Assertions.assertThat;

import io.grapevine.node.Delivery;
import io.grapevine.node.Endpoint;
import io.grapevine.node.Outbox;
import io.grapevine.stack.Protocol;
import io.grapevine.stack.ProtocolContext;
import io.grapevine.stack.PushPullState;
import io.grapevine.testkit.StackCluster;
import io.grapevine.wire.MalformedPacketException;
import io.grapevine.wire.MessageRange;
import io.grapevine.wire.PacketReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Other protocols' state rides on membership's push-pull, both ways, joins and periodic syncs alike. */
class PushPullStateTest {
  /** A protocol with no messages of its own: only state in push-pull. */
  static final class StateHolder implements Protocol<Object>, PushPullState {
    final String name;
    final MessageRange range;
    String state;
    final List<String> received = new ArrayList<>();
    final List<Boolean> joins = new ArrayList<>();

    StateHolder(String name, MessageRange range, String state) {
      this.name = name;
      this.range = range;
      this.state = state;
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
    public void attach(ProtocolContext context) {}

    @Override
    public Object decode(PacketReader reader) throws MalformedPacketException {
      throw new AssertionError("no messages of its own");
    }

    @Override
    public void onMessage(long nowMillis, Endpoint from, Object message, Delivery delivery, Outbox out) {}


    @Override
    public byte[] localState(boolean join) {
      return state == null ? null : state.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void mergeRemoteState(long nowMillis, byte[] remote, boolean join, Outbox out) {
      received.add(new String(remote, StandardCharsets.UTF_8));
      joins.add(join);
    }
  }

  @Test
  void stateTravelsWithTheJoinAndEveryLaterPushPullAndOnlyToTheProtocolOfItsName() {
    MembershipConfig config = MembershipConfig.lan().toBuilder().pushPullInterval(Duration.ofSeconds(5)).build();
    MessageRange a = MessageRange.of(0xC0, 0xC0);
    MessageRange b = MessageRange.of(0xC1, 0xC1);
    StackCluster c = Members.cluster(2, 11, 1, config, (node, stack) -> {
      stack.add(new StateHolder("app", a, "state of " + node.name()));
      if (node.index() == 0) {
        // Only n0 runs this one: n1 has no protocol of that name and passes its state over.
        stack.add(new StateHolder("only-n0", b, "n0 only"));
      }
    });
    c.runFor(100);
    StateHolder at0 = c.node(0).protocol(StateHolder.class);
    StateHolder at1 = c.node(1).protocol(StateHolder.class);
    // n1's join push-pull carried its state to n0, and n0's reply carried n0's back.
    assertThat(at0.received).containsExactly("state of n1");
    assertThat(at1.received).containsExactly("state of n0");
    assertThat(at0.joins).containsExactly(true);

    at0.state = "changed";
    at1.state = null; // sends nothing
    c.runFor(30_000);
    assertThat(at1.received).hasSizeGreaterThan(2).last().isEqualTo("changed");
    assertThat(at0.received).containsExactly("state of n1");
    assertThat(at1.joins.subList(1, at1.joins.size())).containsOnly(false);
    assertThat(c.node(1).stack().stats().droppedTotal()).isZero();
  }
}
