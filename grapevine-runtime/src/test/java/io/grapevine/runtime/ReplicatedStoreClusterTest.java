// SPDX-License-Identifier: Apache-2.0
package io.grapevine.runtime;

import static io.grapevine.runtime.TestNodes.countIn;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grapevine.Cluster;
import io.grapevine.ReplicatedMap;
import io.grapevine.config.AntiEntropyConfig;
import io.grapevine.api.MemberState;
import io.grapevine.node.Endpoint;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The replicated store on real sockets: partitions, heals, restarts from disk. */
class ReplicatedStoreClusterTest {
  private static final AntiEntropyConfig KV = AntiEntropyConfig.builder().syncInterval(Duration.ofMillis(500)).build();

  @TempDir
  Path dataRoot;

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static long root(Cluster c) {
    ClusterNode n = (ClusterNode) c;
    return n.eventLoop().call(() -> n.kvService().replica().tree().root());
  }

  private static boolean allRootsEqual(List<Cluster> nodes) {
    Set<Long> roots = new HashSet<>();
    for (Cluster c : nodes) {
      roots.add(root(c));
    }
    return roots.size() == 1;
  }

  @Test
  void partitionedSidesBothTakeWritesAndConvergeAfterTheHeal() throws Exception {
    try (TestNodes cluster = new TestNodes("kv-split", TestNodes.fastConfig(), 2, true)) {
      List<Cluster> nodes = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        Path dir = dataRoot.resolve("n" + i);
        nodes.add(cluster.start(String.format("kv-%02d", i), "127.0.0.1:0", b -> b.kvConfig(KV).dataDir(dir)));
      }
      String seed = nodes.get(0).endpoint().toString();
      for (Cluster c : nodes.subList(1, 10)) {
        c.join(List.of(seed)).get(20, TimeUnit.SECONDS);
      }
      await().atMost(Duration.ofSeconds(30)).until(() -> nodes.stream().allMatch(c -> countIn(c, MemberState.ALIVE) == 10));

      // Split 6 / 4: each side drops everything addressed to the other.
      List<Cluster> six = nodes.subList(0, 6);
      List<Cluster> four = nodes.subList(6, 10);
      List<Endpoint> sixEndpoints = six.stream().map(Cluster::endpoint).toList();
      List<Endpoint> fourEndpoints = four.stream().map(Cluster::endpoint).toList();
      for (Cluster c : six) {
        cluster.faults.get(c.localMember().name()).partition(fourEndpoints);
      }
      for (Cluster c : four) {
        cluster.faults.get(c.localMember().name()).partition(sixEndpoints);
      }

      // Both sides write; every write that returned is acknowledged and must survive.
      Map<String, String> acknowledged = new ConcurrentHashMap<>();
      int increments = 0;
      for (int round = 0; round < 10; round++) {
        for (Cluster c : nodes) {
          String name = c.localMember().name();
          ReplicatedMap m = c.kv("cfg");
          String key = name + "/k" + round;
          m.put(key, utf8("v" + round));
          acknowledged.put(key, "v" + round);
          m.put("contested", utf8(name + "-" + round));
          c.kv("stats").increment("writes", 1);
          increments++;
        }
      }
      // A delete on one side of a key written on the other before the split.
      nodes.get(2).kv("cfg").delete("kv-07/k0");
      acknowledged.remove("kv-07/k0");
      // The sides really are apart: the four have none of the six's keys.
      assertThat(four.get(0).kv("cfg").get("kv-00/k0")).isEmpty();

      // Hold the split until each side has declared the other dead: a real split brain, healed
      // by membership (refutation, rejoin) and then by anti-entropy.
      await().atMost(Duration.ofSeconds(30)).until(() -> six.stream().allMatch(c -> countIn(c, MemberState.DEAD) == 4)
          && four.stream().allMatch(c -> countIn(c, MemberState.DEAD) == 6));
      for (Cluster c : nodes) {
        cluster.faults.get(c.localMember().name()).heal();
      }
      // Once both sides hold each other dead, membership alone does not always re-merge them (no
      // one gossips to the dead after gossipToTheDeadTime): re-join across, as an operator or a
      // reconnecting agent would. The push-pull makes each side refute and reappear ALIVE.
      for (Cluster c : four) {
        c.join(List.of(six.get(0).endpoint().toString())).get(20, TimeUnit.SECONDS);
      }
      six.get(0).join(List.of(four.get(0).endpoint().toString())).get(20, TimeUnit.SECONDS);
      await().atMost(Duration.ofSeconds(60)).until(() -> nodes.stream().allMatch(c -> countIn(c, MemberState.ALIVE) == 10));
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> allRootsEqual(nodes));

      String contested = new String(nodes.get(0).kv("cfg").get("contested").orElseThrow(), StandardCharsets.UTF_8);
      for (Cluster c : nodes) {
        ReplicatedMap m = c.kv("cfg");
        for (Map.Entry<String, String> e : acknowledged.entrySet()) {
          assertThat(m.get(e.getKey()).map(b -> new String(b, StandardCharsets.UTF_8)))
              .as("%s on %s", e.getKey(), c.localMember().name()).contains(e.getValue());
        }
        assertThat(m.get("kv-07/k0")).isEmpty();
        assertThat(new String(m.get("contested").orElseThrow(), StandardCharsets.UTF_8)).isEqualTo(contested);
        assertThat(c.kv("stats").counter("writes")).isEqualTo(increments);
        assertThat(m.scan("kv-0").size()).isEqualTo(acknowledged.size());
        assertThat(m.scan("kv-03/")).hasSize(10);
      }
      long repairedByAntiEntropy = nodes.stream().mapToLong(c -> c.kv("cfg").stats().keysRepairedByAntiEntropy()).sum();
      long repairedByRumor = nodes.stream().mapToLong(c -> c.kv("cfg").stats().keysRepairedByRumor()).sum();
      assertThat(repairedByAntiEntropy).isPositive();
      assertThat(repairedByRumor).isPositive();
    }
  }

  @Test
  void aNodeClosedDuringWritesRestartsFromItsDataDirAndCatchesUp() throws Exception {
    try (TestNodes cluster = new TestNodes("kv-restart", TestNodes.fastConfig(), 1, false)) {
      Path victimDir = dataRoot.resolve("victim");
      Cluster a = cluster.start("r-a", "127.0.0.1:0", b -> b.kvConfig(KV));
      Cluster b = cluster.start("r-b", "127.0.0.1:0", x -> x.kvConfig(KV));
      Cluster victim = cluster.start("r-victim", "127.0.0.1:0", x -> x.kvConfig(KV).dataDir(victimDir));
      String seed = a.endpoint().toString();
      b.join(List.of(seed)).get(20, TimeUnit.SECONDS);
      victim.join(List.of(seed)).get(20, TimeUnit.SECONDS);
      await().atMost(Duration.ofSeconds(20)).until(() -> countIn(a, MemberState.ALIVE) == 3);

      for (int i = 0; i < 50; i++) {
        victim.kv("m").put("mine-" + i, utf8("x" + i));
      }
      victim.close(); // abrupt: no leave; others will find it dead
      for (int i = 0; i < 50; i++) {
        a.kv("m").put("while-down-" + i, utf8("y" + i));
      }

      Cluster back = cluster.start("r-victim", "127.0.0.1:0", x -> x.kvConfig(KV).dataDir(victimDir));
      // Its own acknowledged writes are there at once, from disk, before it talks to anyone.
      for (int i = 0; i < 50; i++) {
        assertThat(back.kv("m").get("mine-" + i)).isPresent();
      }
      back.join(List.of(seed)).get(20, TimeUnit.SECONDS);
      await().atMost(Duration.ofSeconds(30)).until(() -> back.kv("m").scan("while-down-").size() == 50);
      await().atMost(Duration.ofSeconds(30)).until(() -> allRootsEqual(List.of(a, b, back)));
      assertThat(a.kv("m").scan("mine-")).hasSize(50);
    }
  }
}
