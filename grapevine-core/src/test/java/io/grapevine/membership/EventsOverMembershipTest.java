package io.grapevine.membership;

import static org.assertj.core.api.Assertions.assertThat;

import io.grapevine.dissemination.Dissemination;
import io.grapevine.dissemination.DisseminationConfig;
import io.grapevine.dissemination.RumorId;
import io.grapevine.dissemination.UserEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** User events riding on membership traffic (the default), over the in-memory network. */
class EventsOverMembershipTest {

  private static List<Dissemination> cluster(TestNetwork net, int n, DisseminationConfig config) {
    List<Dissemination> events = new ArrayList<>();
    List<Membership> nodes = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Dissemination d = new Dissemination(config, 1, net.random.split());
      nodes.add(net.add("n" + i, TestNetwork.endpoint(i + 1), 1, MembershipConfig.lan(), b -> b.add(d)));
      events.add(d);
    }
    for (int i = 1; i < n; i++) {
      net.join(nodes.get(i), nodes.get(0));
    }
    net.runFor(10_000);
    return events;
  }

  private static long deliveries(TestNetwork net, RumorId id) {
    return net.events.values().stream().flatMap(List::stream)
        .filter(e -> e instanceof UserEvent u && u.id().equals(id)).count();
  }

  private static long nodesDelivered(TestNetwork net, RumorId id) {
    return net.events.values().stream()
        .filter(l -> l.stream().anyMatch(e -> e instanceof UserEvent u && u.id().equals(id))).count();
  }

  @Test
  void anEventReachesEveryNodeExactlyOnce() {
    TestNetwork net = new TestNetwork(21, 1);
    List<Dissemination> events = cluster(net, 30, DisseminationConfig.defaults());
    Membership origin = net.nodes.values().iterator().next();
    RumorId id = events.get(0).publish(net.now, "deploy", "v42".getBytes(), null, net.outbox(origin));
    net.runFor(3_000);
    assertThat(nodesDelivered(net, id)).isEqualTo(30);
    assertThat(deliveries(net, id)).isEqualTo(30);
  }

  @Test
  void withTenPercentLossAntiEntropyStillReachesEveryone() {
    TestNetwork net = new TestNetwork(22, 1);
    DisseminationConfig config = DisseminationConfig.defaults().toBuilder()
        .antiEntropyInterval(Duration.ofSeconds(5)).build();
    List<Dissemination> events = cluster(net, 30, config);
    SplittableRandom loss = new SplittableRandom(22);
    net.drop = (from, to) -> loss.nextInt(100) < 10;
    Membership origin = net.nodes.values().iterator().next();
    List<RumorId> ids = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      ids.add(events.get(0).publish(net.now, "t", new byte[] {(byte) i}, null, net.outbox(origin)));
      net.runFor(100);
    }
    net.runFor(60_000);
    for (RumorId id : ids) {
      assertThat(nodesDelivered(net, id)).as("%s", id).isEqualTo(30);
      assertThat(deliveries(net, id)).isEqualTo(30);
    }
  }
}
