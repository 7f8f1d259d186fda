// SPDX-License-Identifier: Apache-2.0
package io.grapevine.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grapevine.Cluster;
import io.grapevine.EventOverlay;
import io.grapevine.api.UserEvent;
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
      ConcurrentLinkedQueue<Long> remote = new ConcurrentLinkedQueue<>();
      ConcurrentLinkedQueue<UserEvent> seen = new ConcurrentLinkedQueue<>();
      ConcurrentLinkedQueue<Long> remoteAtB = new ConcurrentLinkedQueue<>();
      a.observeRemoteEventDelivery(remote::add);
      b.observeRemoteEventDelivery(remoteAtB::add);
      a.events().subscribe("deploy", seen::add);
      long wallBefore = System.currentTimeMillis();
      b.events().publish("deploy", new byte[] {2});
      long wallAfter = System.currentTimeMillis();
      await().atMost(Duration.ofSeconds(10)).until(() -> a.events().stats().delivered() == 2);
      long wallDelivered = System.currentTimeMillis();
      assertThat(delivery).as("another node's event is not timed here").hasSize(1);
      // b's event carries b's wall clock at publish; a times it against its own (one JVM, one clock).
      assertThat(seen).singleElement().satisfies(e -> {
        assertThat(e.id().origin()).isEqualTo("obs-b");
        assertThat(e.originMillis()).isBetween(wallBefore, wallAfter);
      });
      assertThat(remote).singleElement().satisfies(ms -> assertThat(ms).isBetween(0L, wallDelivered - wallBefore));
      // b may yet be delivered a's earlier event (and time it), but never its own.
      assertThat(remoteAtB).hasSizeLessThanOrEqualTo(1);

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

  @Test
  void eventsOverTheHyParViewPlumtreeOverlayCarryTheirOriginTime() throws Exception {
    try (TestNodes nodes = new TestNodes("obs-overlay", TestNodes.fastConfig(), 1, false)) {
      List<ClusterNode> all = List.of(
          (ClusterNode) nodes.start("ov-a", "127.0.0.1:0", b -> b.eventOverlay(EventOverlay.HYPARVIEW_PLUMTREE)),
          (ClusterNode) nodes.start("ov-b", "127.0.0.1:0", b -> b.eventOverlay(EventOverlay.HYPARVIEW_PLUMTREE)),
          (ClusterNode) nodes.start("ov-c", "127.0.0.1:0", b -> b.eventOverlay(EventOverlay.HYPARVIEW_PLUMTREE)));
      nodes.joinAllThrough("ov-a");
      ConcurrentLinkedQueue<Long> remote = new ConcurrentLinkedQueue<>();
      ConcurrentLinkedQueue<UserEvent> seen = new ConcurrentLinkedQueue<>();
      for (ClusterNode n : all) {
        n.observeRemoteEventDelivery(remote::add);
        n.events().subscribe("deploy", seen::add);
      }
      await().atMost(Duration.ofSeconds(20)).until(() -> all.stream().allMatch(n -> !n.overlayActiveView().isEmpty()));
      long wallBefore = System.currentTimeMillis();
      all.get(2).events().publish("deploy", new byte[] {3});
      long wallAfter = System.currentTimeMillis();
      await().atMost(Duration.ofSeconds(20)).until(() -> seen.size() == 3);
      long wallDelivered = System.currentTimeMillis();
      assertThat(seen).allSatisfy(e -> assertThat(e.originMillis()).isBetween(wallBefore, wallAfter));
      await().atMost(Duration.ofSeconds(5)).until(() -> remote.size() == 2);
      assertThat(remote).as("a and b, not the origin c").hasSize(2)
          .allSatisfy(ms -> assertThat(ms).isBetween(0L, wallDelivered - wallBefore));
      assertThat(all).allMatch(n -> n.overlayMalformedEvents() == 0);
    }
  }
}
