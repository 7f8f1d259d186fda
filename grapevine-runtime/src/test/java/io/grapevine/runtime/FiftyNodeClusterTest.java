// SPDX-License-Identifier: Apache-2.0
package io.grapevine.runtime;

import static io.grapevine.runtime.TestNodes.allSee;
import static io.grapevine.runtime.TestNodes.countIn;
import static io.grapevine.runtime.TestNodes.stateOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grapevine.Cluster;
import io.grapevine.api.MemberState;
import io.grapevine.config.MembershipConfig;
import io.grapevine.node.Endpoint;
import io.grapevine.wire.MessageType;
import io.grapevine.wire.PacketWriter;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Fifty nodes on loopback, on two shared event loops, through the life of a cluster: join, crash,
 * restart, graceful leave, forced removal, metadata. The tests run in order on one cluster.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FiftyNodeClusterTest {
  private static final int N = 50;
  private final MembershipConfig config = TestNodes.fastConfig();
  private TestNodes cluster;
  private Cluster seed;

  /**
   * Upper bound on crash-to-dead-everywhere implied by the config. Someone probes the crashed node
   * within a few probe intervals (each of N-1 nodes picks it with probability ~1/(N-1) per interval;
   * 8 intervals leave a chance of e^-8 that nobody has), stretched by Lifeguard's health multiplier
   * on a busy machine (x2 allowed); the probe fails after one interval; the suspicion runs at most
   * its maximum (no confirmations); the DEAD verdict then spreads by gossip in a few gossip rounds,
   * and push-pull (one scaled interval) repairs any node gossip missed. Plus 3 s of slack for a
   * loaded 2-core machine.
   */
  private long deadBoundMillis() {
    long probe = config.probeInterval.toMillis();
    long firstProbe = 8 * probe * 2;
    long suspicion = config.suspicionMaxMillis(N);
    long spread = config.retransmitLimit(N) * config.gossipInterval.toMillis() + config.pushPullIntervalMillis(N);
    return firstProbe + probe + suspicion + spread + 3_000;
  }

  @BeforeAll
  void startCluster() {
    cluster = new TestNodes("fifty", config, 2, false);
    seed = cluster.start("node-00");
    for (int i = 1; i < N; i++) {
      cluster.start(String.format("node-%02d", i));
    }
  }

  @AfterAll
  void closeCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  @Order(1)
  void allJoinThroughOneSeedAndSeeEveryoneAlive() throws Exception {
    List<CompletableFuture<Integer>> joins = new ArrayList<>();
    for (Cluster c : cluster.except("node-00")) {
      joins.add(c.join(List.of(seed.endpoint().toString())));
    }
    for (CompletableFuture<Integer> j : joins) {
      assertThat(j.get(30, TimeUnit.SECONDS)).isEqualTo(1);
    }
    await().atMost(Duration.ofSeconds(30))
        .until(() -> cluster.nodes.values().stream().allMatch(c -> countIn(c, MemberState.ALIVE) == N));
    assertThat(cluster.nodes.values()).allMatch(Cluster::isJoined);
  }

  @Test
  @Order(2)
  void crashedNodeIsDeadEverywhereWithinTheConfigBound() {
    Cluster victim = cluster.nodes.get("node-17");
    long bound = deadBoundMillis();
    long start = System.nanoTime();
    victim.close();
    List<Cluster> survivors = cluster.except("node-17");
    await().atMost(Duration.ofMillis(bound)).until(() -> allSee(survivors, "node-17", MemberState.DEAD));
    long tookMillis = (System.nanoTime() - start) / 1_000_000;
    assertThat(tookMillis).isLessThanOrEqualTo(bound);
    // No one else was declared dead on the way.
    assertThat(survivors).allMatch(c -> countIn(c, MemberState.DEAD) == 1);
  }

  @Test
  @Order(3)
  void restartedNodeIsAliveAgainEverywhere() throws Exception {
    Endpoint old = cluster.nodes.get("node-17").endpoint();
    long oldIncarnation = seed.member("node-17").orElseThrow().incarnation();
    Cluster restarted = cluster.start("node-17", old.toString(), b -> {});
    assertThat(restarted.endpoint()).isEqualTo(old);
    assertThat(restarted.localMember().incarnation()).isGreaterThan(oldIncarnation);
    restarted.join(List.of(seed.endpoint().toString())).get(20, TimeUnit.SECONDS);
    await().atMost(Duration.ofSeconds(20))
        .until(() -> cluster.nodes.values().stream().allMatch(c -> countIn(c, MemberState.ALIVE) == N));
  }

  @Test
  @Order(4)
  void gracefulLeaveShowsLeftEverywhere() throws Exception {
    Cluster leaver = cluster.nodes.get("node-23");
    leaver.leave().get(10, TimeUnit.SECONDS);
    List<Cluster> others = cluster.except("node-23");
    await().atMost(Duration.ofSeconds(15)).until(() -> allSee(others, "node-23", MemberState.LEFT));
    leaver.close();
    cluster.nodes.remove("node-23");
    // Closing after the leave is not a crash: it stays LEFT, never DEAD.
    await().during(Duration.ofMillis(config.probeInterval.toMillis() * 3)).atMost(Duration.ofSeconds(10))
        .until(() -> allSee(others, "node-23", MemberState.LEFT));
  }

  @Test
  @Order(5)
  void metadataUpdateSpreads() {
    Cluster source = cluster.nodes.get("node-05");
    byte[] meta = "zone=b;role=cache".getBytes(StandardCharsets.UTF_8);
    source.updateMetadata(meta);
    await().atMost(Duration.ofSeconds(15)).until(() -> cluster.nodes.values().stream()
        .allMatch(c -> c.member("node-05").map(m -> Arrays.equals(m.metadata(), meta)).orElse(false)));
  }

  @Test
  @Order(6)
  void forceLeaveRemovesADeadNodeForGoodButARestartRejoins() throws Exception {
    Cluster victim = cluster.nodes.get("node-31");
    Endpoint addr = victim.endpoint();
    long staleIncarnation = victim.localMember().incarnation();
    victim.close();
    List<Cluster> survivors = cluster.except("node-31");
    await().atMost(Duration.ofMillis(deadBoundMillis()))
        .until(() -> allSee(survivors, "node-31", MemberState.DEAD));

    assertThat(seed.forceLeave("node-31")).isTrue();
    assertThat(seed.member("node-31")).isEmpty();
    await().atMost(Duration.ofSeconds(15)).until(() -> survivors.stream()
        .allMatch(c -> c.member("node-31").isEmpty() || stateOf(c, "node-31") == MemberState.LEFT));

    // Stale gossip: an ALIVE claim with the crashed life's incarnation, straight to the seed.
    ByteBuffer stale = new PacketWriter(1400, seed.clusterName()).begin()
        .beginMessage(MessageType.ALIVE).putLong(staleIncarnation).putString8("node-31").putEndpoint(addr)
        .putByte(1).putByte(1).putBytes16(new byte[0]).endMessage().finish();
    try (DatagramChannel ch = DatagramChannel.open()) {
      for (int i = 0; i < 5; i++) {
        ch.send(stale.duplicate(), new InetSocketAddress("127.0.0.1", seed.endpoint().port()));
      }
    }
    long packetsBefore = seed.stats().packetsIn();
    // Let several push-pull and gossip rounds pass: still gone on the seed.
    await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5))
        .until(() -> seed.member("node-31").isEmpty());
    assertThat(seed.stats().packetsIn()).isGreaterThan(packetsBefore);

    Cluster restarted = cluster.start("node-31", addr.toString(), b -> {});
    restarted.join(List.of(seed.endpoint().toString())).get(20, TimeUnit.SECONDS);
    await().atMost(Duration.ofSeconds(20))
        .until(() -> cluster.nodes.values().stream().allMatch(c -> stateOf(c, "node-31") == MemberState.ALIVE));
  }
}
