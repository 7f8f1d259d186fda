package io.grapevine.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grapevine.Cluster;
import io.grapevine.api.MemberState;
import io.grapevine.membership.MembershipObserver;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * What a {@link ClusterNode} hands its observers on real loopback sockets: probe round trips,
 * suspicion verdicts, own events' publish-to-delivery time; and the gauges it reads on its loop.
 */
class NodeObserversTest {

  @Test
  void probesVerdictsOwnEventsAndGauges() throws Exception {
    try (TestNodes nodes = new TestNodes("obs", TestNodes.fastConfig(), 1, false)) {
      ClusterNode a = (ClusterNode) nodes.start("obs-a");
      ClusterNode b = (ClusterNode) nodes.start("obs-b");
      ConcurrentLinkedQueue<Long> rtts = new ConcurrentLinkedQueue<>();
      ConcurrentLinkedQueue<Long> dead = new ConcurrentLinkedQueue<>();
      ConcurrentLinkedQueue<Long> delivery = new ConcurrentLinkedQueue<>();
      a.observeMembership(new MembershipObserver() {
        @Override
        public void probeAcked(long rttMillis) {
          rtts.add(rttMillis);
        }

        @Override
        public void suspicionResolved(long suspectedMillis, boolean isDead) {
          if (isDead) {
            dead.add(suspectedMillis);
          }
        }
      });
      a.observeOwnEventDelivery(delivery::add);
      b.join(List.of(a.endpoint().toString())).get(10, TimeUnit.SECONDS);
      await().atMost(Duration.ofSeconds(20)).until(() -> rtts.size() >= 3);
      assertThat(rtts).allSatisfy(r -> assertThat(r).isBetween(0L, 1000L));

      long before = System.nanoTime();
      a.events().publish("deploy", new byte[] {1});
      long took = System.nanoTime() - before;
      // Delivered to a's own subscribers within the publish call: one observation, no longer than it.
      assertThat(delivery).hasSize(1);
      assertThat(delivery.peek()).isBetween(0L, took);
      b.events().publish("deploy", new byte[] {2});
      await().atMost(Duration.ofSeconds(10)).until(() -> a.events().stats().delivered() == 2);
      assertThat(delivery).as("another node's event is not timed here").hasSize(1);

      NodeGauges g = a.gauges();
      assertThat(g.membershipBroadcasts()).isNotNegative();
      assertThat(g.disseminationRumors()).isNotNegative();
      assertThat(g.hyParViewActive()).as("no overlay").isEqualTo(-1);
      assertThat(g.plumtreeEager()).isEqualTo(-1);
      a.kv("m").put("k", new byte[] {1});
      assertThat(a.gauges().kvKeys()).isEqualTo(1);

      b.close();
      await().atMost(Duration.ofSeconds(30)).until(() -> TestNodes.stateOf(a, "obs-b") == MemberState.DEAD);
      assertThat(dead).hasSize(1);
      assertThat(dead.peek()).isPositive();
    }
  }
}
