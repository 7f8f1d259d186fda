// SPDX-License-Identifier: Apache-2.0
package io.grapevine.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grapevine.Cluster;
import io.grapevine.EventOverlay;
import io.grapevine.api.RumorId;
import io.grapevine.node.Endpoint;
import io.grapevine.config.HyParViewConfig;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Fifty nodes in one JVM on real UDP/TCP sockets on loopback (two shared event loops), each started
 * through {@link Cluster#builder()} with {@code eventOverlay(HYPARVIEW_PLUMTREE)}: user events travel
 * as Plumtree broadcasts over HyParView's active views, and every node delivers every event exactly
 * once, also right after a node crashes.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OverlayEventsClusterTest {
  private static final int N = 50;
  private TestNodes cluster;
  private final Map<String, Map<RumorId, AtomicInteger>> delivered = new ConcurrentHashMap<>();

  @BeforeAll
  void startCluster() throws Exception {
    // Rounds of 200 ms keep the test short; failureTimeout is the keep-alive fallback.
    HyParViewConfig hpv = HyParViewConfig.defaults().toBuilder().roundInterval(Duration.ofMillis(200))
        .failureTimeout(Duration.ofMillis(1500)).neighborTimeout(Duration.ofMillis(500)).build();
    cluster = new TestNodes("overlay-events", TestNodes.fastConfig(), 2, false);
    for (int i = 0; i < N; i++) {
      String name = String.format("node-%02d", i);
      Cluster c = cluster.start(name, "127.0.0.1:0",
          b -> b.eventOverlay(EventOverlay.HYPARVIEW_PLUMTREE).hyParViewConfig(hpv));
      Map<RumorId, AtomicInteger> mine = new ConcurrentHashMap<>();
      delivered.put(name, mine);
      c.events().subscribe("deploy", e -> mine.computeIfAbsent(e.id(), k -> new AtomicInteger()).incrementAndGet());
    }
    cluster.joinAllThrough("node-00");
  }

  @AfterAll
  void closeCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static ClusterNode node(Cluster c) {
    return (ClusterNode) c;
  }

  /** Whether the union of the live nodes' active views connects them all. */
  private boolean overlayConnected(List<Cluster> live) {
    Map<Endpoint, Integer> index = new HashMap<>();
    for (int i = 0; i < live.size(); i++) {
      index.put(live.get(i).endpoint(), i);
    }
    List<Set<Integer>> adj = new ArrayList<>();
    for (int i = 0; i < live.size(); i++) {
      adj.add(new HashSet<>());
    }
    for (int i = 0; i < live.size(); i++) {
      for (Endpoint e : node(live.get(i)).overlayActiveView()) {
        Integer j = index.get(e);
        if (j != null) {
          adj.get(i).add(j);
          adj.get(j).add(i);
        }
      }
    }
    boolean[] seen = new boolean[live.size()];
    ArrayDeque<Integer> queue = new ArrayDeque<>(List.of(0));
    seen[0] = true;
    int reached = 1;
    while (!queue.isEmpty()) {
      for (int v : adj.get(queue.poll())) {
        if (!seen[v]) {
          seen[v] = true;
          reached++;
          queue.add(v);
        }
      }
    }
    return reached == live.size();
  }

  private void awaitEveryoneDeliveredOnce(List<Cluster> live, List<RumorId> ids) {
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      for (Cluster c : live) {
        String name = c.localMember().name();
        for (RumorId id : ids) {
          AtomicInteger count = delivered.get(name).get(id);
          assertThat(count).as("%s delivered %s", name, id).isNotNull();
          assertThat(count.get()).as("deliveries of %s at %s", id, name).isEqualTo(1);
        }
      }
    });
  }

  @Test
  @Order(1)
  void everyUserEventReachesEveryNodeExactlyOnceOverThePartialView() {
    List<Cluster> all = new ArrayList<>(cluster.nodes.values());
    assertThat(all).allMatch(c -> node(c).usesEventOverlay());
    await().atMost(Duration.ofSeconds(30)).until(() -> overlayConnected(all));
    // A partial view: no node has more than the active view size as neighbors.
    assertThat(all).allMatch(c -> node(c).overlayActiveView().size() <= HyParViewConfig.defaults().activeViewSize);
    List<RumorId> ids = new ArrayList<>();
    for (int k = 0; k < 10; k++) {
      Cluster origin = cluster.nodes.get(String.format("node-%02d", (k * 7) % N));
      ids.add(origin.events().publish("deploy", ("v" + k).getBytes(StandardCharsets.UTF_8)));
    }
    awaitEveryoneDeliveredOnce(all, ids);
    // The events went through Plumtree, not the membership-gossip path.
    assertThat(all).allMatch(c -> c.events().stats().published() == 0 && c.events().stats().delivered() == 0);
    long payloads = all.stream().mapToLong(c -> node(c).plumtreeStats().gossipSent()).sum();
    assertThat(payloads).isGreaterThanOrEqualTo(10L * (N - 1));
    assertThat(all).allMatch(c -> node(c).overlayMalformedEvents() == 0);
  }

  @Test
  @Order(2)
  void afterACrashEventsStillReachEveryLiveNodeAndTheDeadPeerLeavesTheViews() {
    Cluster victim = cluster.nodes.get("node-17");
    Endpoint dead = victim.endpoint();
    victim.close();
    List<Cluster> live = cluster.except("node-17");
    // Published at once: the tree still has the dead node in it; lazy links and GRAFT repair it.
    List<RumorId> ids = new ArrayList<>();
    for (int k = 0; k < 5; k++) {
      ids.add(live.get(k * 9).events().publish("deploy", ("after-crash-" + k).getBytes(StandardCharsets.UTF_8)));
    }
    awaitEveryoneDeliveredOnce(live, ids);
    await().atMost(Duration.ofSeconds(30))
        .until(() -> live.stream().noneMatch(c -> node(c).overlayActiveView().contains(dead)));
    await().atMost(Duration.ofSeconds(30)).until(() -> overlayConnected(live));
  }

  @Test
  @Order(3)
  void anOversizedEventIsRefusedWithTheOverlayLimit() {
    Cluster c = cluster.nodes.get("node-01");
    assertThatThrownBy(() -> c.events().publish("deploy", new byte[5000]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("hyparview-plumtree")
        .hasMessageContaining("5000 bytes");
    assertThatThrownBy(() -> c.events().publish("", new byte[1]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("topic must be 1..255");
  }
}
