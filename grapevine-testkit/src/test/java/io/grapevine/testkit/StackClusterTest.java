// SPDX-License-Identifier: Apache-2.0
package io.grapevine.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.grapevine.dissemination.Dissemination;
import io.grapevine.config.DisseminationConfig;
import io.grapevine.api.RumorId;
import io.grapevine.api.UserEvent;
import io.grapevine.overlay.HyParView;
import io.grapevine.config.HyParViewConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

/** N real stacks on the network: naming, seeding, peers, restarts, and runs that repeat. */
class StackClusterTest {
  private static final DisseminationConfig EVENTS = DisseminationConfig.defaults().toBuilder()
      .antiEntropyInterval(Duration.ofSeconds(1)).build();

  private static StackCluster rumors(int n, long seed) {
    return StackCluster.of(n, seed, (node, stack) -> stack.add(new Dissemination(EVENTS, 1, node.random("events"))));
  }

  @Test
  void nodesAreNamedPlacedSeededAndStartedAndGossipOverUniformPeers() {
    StackCluster c = rumors(40, 1);
    assertThat(c.size()).isEqualTo(40);
    assertThat(c.node(3).name()).isEqualTo("n3");
    assertThat(c.endpoint(3)).isEqualTo(VirtualNetwork.endpointOf(3));
    assertThat(c.stack(3).clusterName()).isEqualTo("test");
    Set<Long> seeds = new HashSet<>();
    for (int i = 0; i < 40; i++) {
      seeds.add(c.stack(i).seed());
    }
    assertThat(seeds).as("every node its own seed").hasSize(40);
    assertThat(rumors(40, 1).stack(7).seed()).as("derived from the cluster's seed").isEqualTo(c.stack(7).seed());
    assertThat(rumors(40, 2).stack(7).seed()).isNotEqualTo(c.stack(7).seed());
    assertThat(c.stack(0).peers().size()).as("uniform over the other live nodes").isEqualTo(39);

    RumorId id = c.apply(5, (now, out) -> c.protocol(5, Dissemination.class).publish(now, "t", new byte[] {1}, null, out));
    c.network().loss(0.1);
    assertThat(c.runUntil(() -> c.network().events(UserEvent.class).size() == 40, 30_000)).isTrue();
    for (int i = 0; i < 40; i++) {
      assertThat(c.node(i).events(UserEvent.class)).extracting(UserEvent::id).containsExactly(id);
    }
    c.crash(9);
    assertThat(c.stack(0).peers().size()).isEqualTo(38);
  }

  @Test
  void aStackWithItsOwnPeerSamplerUsesIt() {
    StackCluster c = StackCluster.of(5, 3,
        (node, stack) -> stack.add(new HyParView(HyParViewConfig.defaults(), node.random("hyparview"))));
    // Nobody has joined: HyParView knows no peers, where uniform sampling would offer four.
    assertThat(c.stack(0).peers().size()).isZero();
    for (int i = 1; i < 5; i++) {
      HyParView h = c.protocol(i, HyParView.class);
      c.call(i, (now, out) -> h.join(now, List.of(c.endpoint(0)), out));
    }
    c.runFor(5_000);
    assertThat(c.stack(0).peers().size()).isEqualTo(c.protocol(0, HyParView.class).size()).isPositive();

    StackCluster none = StackCluster.builder(3).uniformPeers(false)
        .build(5, (node, stack) -> stack.add(new Dissemination(EVENTS, 1, node.random("events"))));
    assertThat(none.stack(0).peers().size()).isZero();
  }

  @Test
  void deferredStartAddedNodesAndRestartsWithANewLife() {
    List<String> built = new ArrayList<>();
    StackCluster c = StackCluster.builder(4).deferStart().startAt(1_000).clusterName("kit")
        .build(3, (node, stack) -> {
          built.add(node.name() + "/" + node.life() + "@" + node.endpoint());
          stack.add(new Dissemination(EVENTS, node.life() + 1, node.random("events")));
        });
    assertThat(c.now()).isEqualTo(1_000);
    assertThat(c.stack(0).clusterName()).isEqualTo("kit");
    assertThat(c.protocol(0, Dissemination.class).nextDeadlineMillis()).as("not started").isEqualTo(Long.MAX_VALUE);
    c.startAll();
    assertThat(c.protocol(0, Dissemination.class).nextDeadlineMillis()).isLessThan(Long.MAX_VALUE);
    VirtualNetwork.Node added = c.addNode();
    assertThat(added.index()).isEqualTo(3);
    assertThat(c.protocol(3, Dissemination.class).nextDeadlineMillis()).as("deferred too").isEqualTo(Long.MAX_VALUE);
    c.start(3);
    assertThat(added.isStarted()).isTrue();
    c.start(3); // already started: nothing happens

    Dissemination before = c.protocol(1, Dissemination.class);
    long seedBefore = c.stack(1).seed();
    c.restart(1);
    assertThat(c.protocol(1, Dissemination.class)).isNotSameAs(before);
    assertThat(c.stack(1).seed()).isNotEqualTo(seedBefore);
    assertThat(c.node(1).isUp()).isTrue();
    assertThat(c.protocol(1, Dissemination.class).nextDeadlineMillis()).as("a restart starts").isLessThan(Long.MAX_VALUE);
    assertThat(built).containsExactly("n0/0@10.0.0.1:7946", "n1/0@10.0.0.2:7946", "n2/0@10.0.0.3:7946",
        "n3/0@10.0.0.4:7946", "n1/1@10.0.0.2:7946");
  }

  /**
   * The same seed gives the same run, delivery for delivery, under jitter, loss and duplication; a
   * different seed gives another.
   */
  @Test
  void sameSeedSameSequenceOfDeliveries() {
    List<String> a = deliveries(21);
    List<String> b = deliveries(21);
    List<String> other = deliveries(22);
    assertThat(a).hasSizeGreaterThan(1000);
    assertThat(b).isEqualTo(a);
    assertThat(other).isNotEqualTo(a);
  }

  private static List<String> deliveries(long seed) {
    StackCluster c = rumors(30, seed);
    VirtualNetwork net = c.network().latency(LinkLatency.jitter(2, 30)).loss(0.05).duplication(0.02);
    List<String> trace = new ArrayList<>();
    CRC32C crc = new CRC32C();
    net.onDeliver(p -> {
      crc.reset();
      crc.update(p.bytes());
      trace.add(net.now() + " " + net.node(p.from()).name() + ">" + net.node(p.to()).name() + " " + p.delivery()
          + " " + Long.toHexString(crc.getValue()));
    });
    for (int k = 0; k < 5; k++) {
      int origin = k * 7 % 30;
      c.call(origin, (now, out) -> c.protocol(origin, Dissemination.class).publish(now, "t", new byte[] {1}, null, out));
      c.runFor(500);
    }
    c.runFor(5_000);
    assertThat(net.events(UserEvent.class)).as("seed %d", seed).hasSize(5 * 30);
    return trace;
  }
}
