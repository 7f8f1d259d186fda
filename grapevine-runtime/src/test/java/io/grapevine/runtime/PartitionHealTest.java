package io.grapevine.runtime;

import static io.grapevine.runtime.TestNodes.allSee;
import static io.grapevine.runtime.TestNodes.countIn;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grapevine.Cluster;
import io.grapevine.api.MemberState;
import io.grapevine.config.MembershipConfig;
import io.grapevine.node.Endpoint;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * A node cut off long enough that both sides declare each other dead, and stop gossiping to the
 * dead, merges back after the partition heals only because of the runtime's reconnect attempts.
 */
class PartitionHealTest {
  private static final int N = 5;
  /**
   * Gossip to the dead stops quickly, so nothing but reconnect can heal the partition; a low
   * Lifeguard cap so the island, whose every probe fails, declares the others dead quickly.
   */
  private static final MembershipConfig CONFIG = TestNodes.fastConfig().toBuilder()
      .gossipToTheDeadTime(Duration.ofMillis(500)).awarenessMaxMultiplier(2).build();

  private static TestNodes formCluster(String name, Duration reconnect) throws Exception {
    TestNodes cluster = new TestNodes(name, CONFIG, 1, true);
    Cluster seed = cluster.start("p-0", "127.0.0.1:0", b -> b.reconnectInterval(reconnect));
    for (int i = 1; i < N; i++) {
      cluster.start("p-" + i, "127.0.0.1:0", b -> b.reconnectInterval(reconnect));
    }
    for (Cluster c : cluster.except("p-0")) {
      c.join(List.of(seed.endpoint().toString())).get(10, TimeUnit.SECONDS);
    }
    await().atMost(Duration.ofSeconds(15))
        .until(() -> cluster.nodes.values().stream().allMatch(c -> countIn(c, MemberState.ALIVE) == N));
    return cluster;
  }

  /** Cuts p-4 off from everyone, both ways, and waits until each side has declared the other dead. */
  private static void partitionUntilBothSidesDeclareDeath(TestNodes cluster) {
    Cluster island = cluster.nodes.get("p-4");
    List<Cluster> rest = cluster.except("p-4");
    Set<Endpoint> restEndpoints = rest.stream().map(Cluster::endpoint).collect(Collectors.toSet());
    cluster.faults.get("p-4").partition(restEndpoints);
    rest.forEach(c -> cluster.faults.get(c.localMember().name()).partition(Set.of(island.endpoint())));
    await().atMost(Duration.ofSeconds(30)).until(() -> allSee(rest, "p-4", MemberState.DEAD)
        && countIn(island, MemberState.DEAD) == N - 1);
    // Past gossip-to-the-dead: neither side sends the other anything any more.
    long quietFrom = cluster.loops.get(0).nowMillis() + CONFIG.gossipToTheDeadTime.toMillis();
    await().atMost(Duration.ofSeconds(5)).until(() -> cluster.loops.get(0).nowMillis() > quietFrom);
    cluster.faults.values().forEach(f -> f.heal());
  }

  @Test
  void aHealedPartitionMergesThroughReconnect() throws Exception {
    try (TestNodes cluster = formCluster("heal", Duration.ofSeconds(1))) {
      partitionUntilBothSidesDeclareDeath(cluster);
      await().atMost(Duration.ofSeconds(30))
          .until(() -> cluster.nodes.values().stream().allMatch(c -> countIn(c, MemberState.ALIVE) == N));
      assertThat(cluster.nodes.values().stream().mapToLong(c -> ((ClusterNode) c).reconnectAttempts()).sum())
          .isGreaterThan(0);
    }
  }

  @Test
  void withoutReconnectTheSidesStayApart() throws Exception {
    try (TestNodes cluster = formCluster("apart", Duration.ZERO)) {
      partitionUntilBothSidesDeclareDeath(cluster);
      // Control for the test above: several push-pull intervals later, still split.
      await().during(Duration.ofMillis(CONFIG.pushPullInterval.toMillis() + 1000)).atMost(Duration.ofSeconds(15))
          .until(() -> allSee(cluster.except("p-4"), "p-4", MemberState.DEAD));
    }
  }
}
