// SPDX-License-Identifier: Apache-2.0
package io.grapevine.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grapevine.Cluster;
import io.grapevine.TreeService;
import io.grapevine.TreeSnapshot;
import io.grapevine.config.SortedRingConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Twenty nodes in one JVM on real UDP/TCP sockets on loopback (two shared event loops), each started
 * through {@link Cluster#builder()} with {@code treeAggregation(...)}: the sorted ring forms over
 * membership, every node learns the exact COUNT and SUM along the ring's tree, and after five nodes
 * crash (the root among them) the ring closes over them and every survivor learns the new totals.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TreeAggregationClusterTest {
  private static final int N = 20;
  private static final int CRASHED = 5;
  private static final Duration BOUND = Duration.ofSeconds(30);
  private TestNodes cluster;
  private final Map<String, Integer> index = new LinkedHashMap<>();

  @BeforeAll
  void startCluster() throws Exception {
    // Rounds of 200 ms keep the test short; membership runs with the fast loopback profile.
    SortedRingConfig ring = new SortedRingConfig.Builder().roundInterval(Duration.ofMillis(200)).build();
    cluster = new TestNodes("tree-aggregation", TestNodes.fastConfig(), 2, false);
    for (int i = 0; i < N; i++) {
      String name = String.format("node-%02d", i);
      Cluster c = cluster.start(name, "127.0.0.1:0", b -> b.treeAggregation(ring));
      c.tree().setValue(i);
      index.put(name, i);
    }
    cluster.joinAllThrough("node-00");
  }

  @AfterAll
  void closeCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private String name(Cluster c) {
    return c.localMember().name();
  }

  private double sumOf(List<Cluster> live) {
    return live.stream().mapToInt(c -> index.get(name(c))).sum();
  }

  /** Every live node has its true ring neighbors, knows the exact totals, and exactly one is root. */
  private void assertSettled(List<Cluster> live) {
    List<Cluster> byId = new ArrayList<>(live);
    byId.sort(Comparator.comparing((Cluster c) -> TreeService.nodeIdOf(name(c)), Long::compareUnsigned));
    double sum = sumOf(live);
    int roots = 0;
    for (int i = 0; i < byId.size(); i++) {
      Cluster c = byId.get(i);
      TreeSnapshot s = c.tree().snapshot();
      String next = name(byId.get((i + 1) % byId.size()));
      String prev = name(byId.get((i + byId.size() - 1) % byId.size()));
      assertThat(s.successor()).as("successor of %s", name(c)).isNotNull();
      assertThat(s.successor().name()).as("successor of %s", name(c)).isEqualTo(next);
      // A slot emptied by a failure verdict is null until the next exchange refills it.
      assertThat(s.predecessor()).as("predecessor of %s", name(c)).isNotNull();
      assertThat(s.predecessor().name()).as("predecessor of %s", name(c)).isEqualTo(prev);
      assertThat(s.known()).as("totals known at %s", name(c)).isTrue();
      assertThat(s.count()).as("COUNT at %s", name(c)).isEqualTo(live.size());
      assertThat(s.sum()).as("SUM at %s", name(c)).isEqualTo(sum);
      if (s.root()) {
        roots++;
        assertThat(s.parent()).isNull();
      }
    }
    assertThat(roots).as("roots among the live nodes").isEqualTo(1);
  }

  private Cluster root(List<Cluster> live) {
    return live.stream().filter(c -> c.tree().snapshot().root()).findFirst().orElseThrow();
  }

  @Test
  @Order(1)
  void everyNodeLearnsTheExactCountAndSum() {
    List<Cluster> all = new ArrayList<>(cluster.nodes.values());
    long start = System.nanoTime();
    await().atMost(BOUND).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> assertSettled(all));
    System.out.printf("tree: %d nodes agree on COUNT %d and SUM %.0f %d ms after the joins completed%n", N, N,
        sumOf(all), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
    TreeSnapshot s = all.get(0).tree().snapshot();
    assertThat(s.enabled()).isTrue();
    assertThat(s.nodeId()).isEqualTo(TreeService.nodeIdOf(name(all.get(0))));
    // A spanning tree: N - 1 parent links, and the root's subtree is everyone (a report withdrawn
    // from a former parent may still be on its way, hence the wait).
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      assertThat(all.stream().mapToLong(c -> c.tree().snapshot().children()).sum()).as("tree edges")
          .isEqualTo(N - 1);
      assertThat(root(all).tree().snapshot().subtreeCount()).isEqualTo(N);
    });
  }

  @Test
  @Order(2)
  void afterFiveCrashesIncludingTheRootTheSurvivorsLearnTheNewTotals() {
    List<Cluster> all = new ArrayList<>(cluster.nodes.values());
    List<String> victims = new ArrayList<>();
    victims.add(name(root(all)));
    for (int i = 1; victims.size() < CRASHED; i += 4) {
      String n = String.format("node-%02d", i);
      if (!victims.contains(n)) {
        victims.add(n);
      }
    }
    long start = System.nanoTime();
    for (String v : victims) {
      cluster.nodes.get(v).close(); // a crash: no departure is announced
    }
    List<Cluster> live = cluster.except(victims.toArray(String[]::new));
    assertThat(live).hasSize(N - CRASHED);
    await().atMost(BOUND).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> assertSettled(live));
    System.out.printf("tree: %d survivors of crashes of %s agree on COUNT %d and SUM %.0f %d ms after the crash%n",
        live.size(), victims, live.size(), sumOf(live), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
  }

  @Test
  @Order(3)
  void aNonFiniteValueIsRefusedAndANodeWithoutTheTreeSaysSo() {
    Cluster c = cluster.except().stream().filter(n -> !((ClusterNode) n).isClosed()).findFirst().orElseThrow();
    assertThatThrownBy(() -> c.tree().setValue(Double.NaN)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("finite");
    Cluster plain = cluster.start("no-tree");
    assertThat(plain.tree().enabled()).isFalse();
    assertThat(plain.tree().snapshot()).isEqualTo(TreeSnapshot.disabled());
    assertThatThrownBy(() -> plain.tree().setValue(1)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("tree aggregation is off");
  }
}
