// SPDX-License-Identifier: Apache-2.0
package io.grapevine.dissemination;

import static org.assertj.core.api.Assertions.assertThat;

import io.grapevine.api.RumorId;
import io.grapevine.api.UserEvent;
import io.grapevine.config.DisseminationConfig;
import io.grapevine.testkit.StackCluster;
import io.grapevine.wire.DropReason;
import org.junit.jupiter.api.Test;

/** A user event above the receiver's maxPayloadBytes is dropped under its own reason, not delivered. */
class EventSizeLimitTest {
  @Test
  void anEventAboveTheReceiversPayloadLimitIsDroppedAndCountedAsEventTooLarge() {
    DisseminationConfig roomy = DisseminationConfig.defaults();
    DisseminationConfig strict = roomy.toBuilder().maxPayloadBytes(100).build();
    StackCluster c = StackCluster.of(2, 7, (node, stack) ->
        stack.add(new Dissemination(node.index() == 1 ? strict : roomy, 1, node.random("events"))));
    RumorId small = DisseminationTest.publish(c, 0, "t", new byte[100], null);
    // Apart: a packet carrying both would be dropped whole, the small one with it.
    c.runFor(5_000);
    RumorId large = DisseminationTest.publish(c, 0, "t", new byte[500], null);
    c.runFor(5_000);

    assertThat(DisseminationTest.delivered(c, 1)).extracting(UserEvent::id).contains(small).doesNotContain(large);
    assertThat(c.node(1).stack().stats().dropped(DropReason.EVENT_TOO_LARGE)).isPositive();
    assertThat(c.node(1).stack().stats().dropped(DropReason.OVERSIZED)).isZero();
    assertThat(c.node(0).stack().stats().dropped(DropReason.EVENT_TOO_LARGE)).isZero();
  }
}
