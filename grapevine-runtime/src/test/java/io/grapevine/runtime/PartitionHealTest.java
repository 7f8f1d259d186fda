// SPDX-License-Identifier: Apache-2.0
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
   * Lifeguard cap so that probes across the partition fail quickly.
   */
  private static final MembershipConfig CONFIG = TestNodes.fastConfig().toBuilder()
      .gossipToTheDeadTime(Duration.ofMillis(500)).awarenessMaxMultiplier(2).build();
  /**
   * Two nodes, not one, on the small side: each side needs a member of its own to witness (nack)
   * its failed probes. A node cut off alone accuses no one and withdraws what it raised (it cannot
   * tell its isolation from everyone's failure; docs/flaky-members.md), so it would never give up
   * on the others and no reconnect would be needed.
   */
  private static final Set<String> SMALL_SIDE = Set.of("p-3", "p-4");

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

  /** Cuts p-3 and p-4 off from the rest, both ways, and waits until each side has declared the other dead. */
  private static void partitionUntilBothSidesDeclareDeath(TestNodes cluster) {
    List<Cluster> small = cluster.nodes.values().stream()
        .filter(c -> SMALL_SIDE.contains(c.localMember().name())).collect(Collectors.toList());
    List<Cluster> rest = cluster.nodes.values().stream()
        .filter(c -> !SMALL_SIDE.contains(c.localMember().name())).collect(Collectors.toList());
    Set<Endpoint> smallEndpoints = small.stream().map(Cluster::endpoint).collect(Collectors.toSet());
    Set<Endpoint> restEndpoints = rest.stream().map(Cluster::endpoint).collect(Collectors.toSet());
    small.forEach(c -> cluster.faults.get(c.localMember().name()).partition(restEndpoints));
    rest.forEach(c -> cluster.faults.get(c.localMember().name()).partition(smallEndpoints));
    await().atMost(Duration.ofSeconds(30)).until(() -> split(cluster));
    // Past gossip-to-the-dead: neither side sends the other anything any more.
    long quietFrom = cluster.loops.get(0).nowMillis() + CONFIG.gossipToTheDeadTime.toMillis();
    await().atMost(Duration.ofSeconds(5)).until(() -> cluster.loops.get(0).nowMillis() > quietFrom);
    cluster.faults.values().forEach(f -> f.heal());
  }

  /** Whether each side shows every member of the other side dead. */
  private static boolean split(TestNodes cluster) {
    return cluster.nodes.values().stream().allMatch(c -> {
      boolean small = SMALL_SIDE.contains(c.localMember().name());
      return c.members().stream()
          .filter(m -> SMALL_SIDE.contains(m.name()) != small)
          .allMatch(m -> m.state() == MemberState.DEAD);
    });
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
          .until(() -> split(cluster));
    }
  }
}
