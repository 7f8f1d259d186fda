// SPDX-License-Identifier: Apache-2.0
package io.grapevine.runtime;

import static io.grapevine.runtime.TestNodes.countIn;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grapevine.Cluster;
import io.grapevine.api.AggregateEstimate;
import io.grapevine.config.AggregationConfig;
import io.grapevine.config.DisseminationConfig;
import io.grapevine.api.RumorId;
import io.grapevine.api.MemberState;
import io.grapevine.transport.FaultInjectingTransport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** User events and aggregates on 50 real nodes over loopback sockets. */
class EventsAndAggregatesClusterTest {
  private static final int N = 50;

  private static TestNodes cluster(String name) throws Exception {
    TestNodes cluster = new TestNodes(name, TestNodes.fastConfig(), 2, true);
    for (int i = 0; i < N; i++) {
      cluster.start(String.format("%s-%02d", name, i), "127.0.0.1:0", b -> b
          .eventsConfig(DisseminationConfig.defaults().toBuilder().antiEntropyInterval(Duration.ofSeconds(2)).build())
          .aggregatesConfig(AggregationConfig.defaults().toBuilder().roundInterval(Duration.ofMillis(200))
              .epochRounds(30).reportAfterRounds(15).build()));
    }
    Cluster seed = cluster.nodes.get(name + "-00");
    for (Cluster c : cluster.except(name + "-00")) {
      c.join(List.of(seed.endpoint().toString())).get(20, TimeUnit.SECONDS);
    }
    await().atMost(Duration.ofSeconds(40))
        .until(() -> cluster.nodes.values().stream().allMatch(c -> countIn(c, MemberState.ALIVE) == N));
    return cluster;
  }

  @Test
  void everyEventIsDeliveredExactlyOnceEverywhereEvenWithTenPercentLoss() throws Exception {
    try (TestNodes cluster = cluster("ev")) {
      Map<RumorId, Map<String, AtomicInteger>> deliveries = new ConcurrentHashMap<>();
      for (Cluster c : cluster.nodes.values()) {
        String self = c.localMember().name();
        c.events().subscribe("deploy", e -> deliveries.computeIfAbsent(e.id(), k -> new ConcurrentHashMap<>())
            .computeIfAbsent(self, k -> new AtomicInteger()).incrementAndGet());
      }
      Cluster origin = cluster.nodes.get("ev-07");
      RumorId first = origin.events().publish("deploy", "v1".getBytes());
      await().atMost(Duration.ofSeconds(10)).until(() -> deliveries.getOrDefault(first, Map.of()).size() == N);

      cluster.faults.values().forEach(f -> f.drop(0.10));
      List<RumorId> ids = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        Cluster from = cluster.nodes.get(String.format("ev-%02d", (i * 7) % N));
        ids.add(from.events().publish("deploy", ("v" + (i + 2)).getBytes()));
      }
      await().atMost(Duration.ofSeconds(40)).until(() -> ids.stream()
          .allMatch(id -> deliveries.getOrDefault(id, Map.of()).size() == N));
      cluster.faults.values().forEach(FaultInjectingTransport::reset);

      // A few anti-entropy rounds later, still exactly once.
      await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(6)).until(() -> true);
      for (RumorId id : ids) {
        assertThat(deliveries.get(id).values()).allMatch(count -> count.get() == 1);
      }
      assertThat(deliveries.get(first).values()).allMatch(count -> count.get() == 1);
      long dropped = cluster.faults.values().stream().mapToLong(FaultInjectingTransport::dropped).sum();
      assertThat(dropped).as("loss was injected").isPositive();
    }
  }

  @Test
  void aggregatesAreWithinOnePercentAndCountFollowsTenKilledNodes() throws Exception {
    try (TestNodes cluster = cluster("ag")) {
      for (int i = 0; i < N; i++) {
        cluster.nodes.get(String.format("ag-%02d", i)).aggregates().publish("load", i + 1);
      }
      double avg = (N + 1) / 2.0;
      long published = System.nanoTime();
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
          .until(() -> cluster.nodes.values().stream().allMatch(c -> {
            AggregateEstimate e = c.aggregates().estimate("load").orElse(null);
            return e != null && within(e.avg(), avg) && within(e.count(), N) && within(e.sum(), avg * N)
                && e.min() == 1.0 && e.max() == N;
          }));
      Cluster first = cluster.nodes.get("ag-00");
      System.out.printf("aggregates: every node's AVG, SUM, COUNT within 1%% and MIN, MAX exact %.1f s after"
          + " publishing (epoch %d)%n", (System.nanoTime() - published) / 1e9, first.aggregates().estimate("load").get().epoch());

      long epochAtKill = first.aggregates().estimate("load").get().epoch();
      long killed = System.nanoTime();
      for (int i = 40; i < N; i++) {
        String name = String.format("ag-%02d", i);
        cluster.nodes.remove(name).close();
      }
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
          .until(() -> cluster.nodes.values().stream().allMatch(c -> within(c.aggregates().clusterSize(), 40)));
      long epochAfter = first.aggregates().estimate("load").get().epoch();
      System.out.printf("aggregates: every node's COUNT within 1%% of 40 %.1f s after 10 nodes were killed"
          + " (reported epoch %d at the kill, %d after: %d epoch(s) later)%n", (System.nanoTime() - killed) / 1e9,
          epochAtKill, epochAfter, epochAfter - epochAtKill);
      assertThat(epochAfter - epochAtKill).as("epochs until COUNT follows").isBetween(1L, 3L);
      double avg40 = 41 / 2.0;
      await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500))
          .until(() -> cluster.nodes.values().stream()
              .allMatch(c -> within(c.aggregates().estimate("load").get().avg(), avg40)));
    }
  }

  private static boolean within(double value, double truth) {
    return Math.abs(value - truth) <= 0.01 * truth;
  }
}
