// SPDX-License-Identifier: Apache-2.0
package io.grapevine.membership;

import io.grapevine.config.MembershipConfig;
import static org.assertj.core.api.Assertions.assertThat;

import io.grapevine.dissemination.Dissemination;
import io.grapevine.config.DisseminationConfig;
import io.grapevine.api.RumorId;
import io.grapevine.api.UserEvent;
import io.grapevine.testkit.StackCluster;
import io.grapevine.testkit.Traffic;
import io.grapevine.testkit.VirtualNetwork;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** User events riding on membership traffic (the default), over the test kit's in-memory network. */
class EventsOverMembershipTest {

  private static StackCluster cluster(int n, long seed, DisseminationConfig config) {
    StackCluster c = Members.cluster(n, seed, 1, MembershipConfig.lan(),
        (node, stack) -> stack.add(new Dissemination(config, 1, node.random("events"))));
    c.runFor(10_000);
    return c;
  }

  private static long deliveries(VirtualNetwork net, RumorId id) {
    return net.events(UserEvent.class).stream().filter(u -> u.id().equals(id)).count();
  }

  private static long nodesDelivered(VirtualNetwork net, RumorId id) {
    return net.nodes().stream()
        .filter(n -> n.events(UserEvent.class).stream().anyMatch(u -> u.id().equals(id))).count();
  }

  private static RumorId publish(StackCluster c, int node, String topic, byte[] payload) {
    Dissemination d = c.protocol(node, Dissemination.class);
    return c.apply(node, (now, out) -> d.publish(now, topic, payload, null, out));
  }

  @Test
  void anEventReachesEveryNodeExactlyOnce() {
    StackCluster c = cluster(30, 21, DisseminationConfig.defaults());
    RumorId id = publish(c, 0, "deploy", "v42".getBytes());
    c.runFor(3_000);
    assertThat(nodesDelivered(c.network(), id)).isEqualTo(30);
    assertThat(deliveries(c.network(), id)).isEqualTo(30);
  }

  @Test
  void everyNodeSeesTheOriginsPublishTimeAndUntimedEventsStayUntimed() {
    StackCluster c = cluster(20, 23, DisseminationConfig.defaults());
    Dissemination d = c.protocol(3, Dissemination.class);
    // The virtual clock is the loop's monotonic time; the origin time is the wall clock the runtime
    // would pass, chosen here so it cannot be mistaken for it.
    long wall = 1_765_000_000_042L;
    RumorId timed = c.apply(3, (now, out) -> d.publish(now, wall, "deploy", new byte[] {1}, "svc", out));
    RumorId untimed = publish(c, 3, "deploy", new byte[] {2});
    c.runFor(3_000);
    assertThat(nodesDelivered(c.network(), timed)).isEqualTo(20);
    assertThat(c.network().events(UserEvent.class)).filteredOn(u -> u.id().equals(timed))
        .allSatisfy(u -> {
          assertThat(u.originMillis()).isEqualTo(wall);
          assertThat(u.coalesceKey()).isEqualTo("svc");
        });
    assertThat(nodesDelivered(c.network(), untimed)).isEqualTo(20);
    assertThat(c.network().events(UserEvent.class)).filteredOn(u -> u.id().equals(untimed))
        .allSatisfy(u -> assertThat(u.hasOriginTime()).isFalse());
  }

  @Test
  void withTenPercentLossAntiEntropyStillReachesEveryone() {
    DisseminationConfig config = DisseminationConfig.defaults().toBuilder()
        .antiEntropyInterval(Duration.ofSeconds(5)).build();
    StackCluster c = cluster(30, 22, config);
    // Every packet, stream messages included: a harsher loss than a real network's.
    c.network().loss(0.10, Traffic.ALL);
    List<RumorId> ids = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      ids.add(publish(c, 0, "t", new byte[] {(byte) i}));
      c.runFor(100);
    }
    c.runFor(60_000);
    for (RumorId id : ids) {
      assertThat(nodesDelivered(c.network(), id)).as("%s", id).isEqualTo(30);
      assertThat(deliveries(c.network(), id)).isEqualTo(30);
    }
  }
}
