// SPDX-License-Identifier: Apache-2.0
package io.grapevine.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grapevine.redis.ProcessCluster.Node;
import java.io.IOException;
import java.time.Duration;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisCluster;

/**
 * Jedis's JedisCluster, a cluster client from Maven Central, against six node processes: reads and
 * writes across every slot range with redirects; a primary killed with SIGKILL, its replica elected
 * in its place, and the client working again; a coordinated CLUSTER FAILOVER.
 */
class JedisClusterIT {
  static final int KEYS = 2000;
  ProcessCluster cluster;

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  static JedisCluster client(Node seed) {
    return new JedisCluster(Set.of(new HostAndPort("127.0.0.1", seed.respPort())),
        DefaultJedisClientConfig.builder().connectionTimeoutMillis(1000).socketTimeoutMillis(2000).build(),
        5, Duration.ofSeconds(10));
  }

  static long infoLong(Node n, String field) throws IOException {
    String info = (String) RespClient.call(n.respPort(), "INFO", "replication");
    Matcher m = Pattern.compile(field + ":(\\d+)").matcher(info);
    return m.find() ? Long.parseLong(m.group(1)) : -1;
  }

  /** Every replica has applied every write of its primary. */
  void awaitReplicasCaughtUp() {
    await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() -> {
      for (Node r : cluster.nodes) {
        if (!r.primary()) {
          Node p = cluster.nodes.stream().filter(x -> x.id().equals(r.primaryId())).findFirst().orElseThrow();
          if (infoLong(r, "slave_repl_offset") != infoLong(p, "master_repl_offset")) {
            return false;
          }
        }
      }
      return true;
    });
  }

  @Test
  void readsAndWritesAcrossAllSlotsSurviveAPrimaryKilledWithSigkill() throws Exception {
    // the defaults' failure detection and election delays (what the benchmarks measure)
    cluster = ProcessCluster.start("jedis-kill", 6, 23510, 24510, "--node-timeout-ms", "1000");
    try (JedisCluster jedis = client(cluster.nodes.get(3))) {
      for (int i = 0; i < KEYS; i++) {
        assertThat(jedis.set("k" + i, "v" + i)).isEqualTo("OK");
      }
      for (int i = 0; i < KEYS; i++) {
        assertThat(jedis.get("k" + i)).isEqualTo("v" + i);
      }
      assertThat(jedis.incr("{k1}counter")).isEqualTo(1L);
      awaitReplicasCaughtUp();

      Node victim = cluster.nodes.get(1); // slots 5461-10921
      Node heir = cluster.nodes.get(4);
      assertThat(heir.primaryId()).isEqualTo(victim.id());
      long killedAt = System.nanoTime();
      victim.process().destroyForcibly(); // SIGKILL
      assertThat(victim.process().waitFor(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();

      Node observer = cluster.nodes.get(0);
      await("replica " + heir.id() + " promoted\n" + cluster.logs()).atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(100)).ignoreExceptions()
          .until(() -> ProcessCluster.lineOf(observer, heir.id()).contains(" master - "));
      long failoverMillis = (System.nanoTime() - killedAt) / 1_000_000;
      String line = ProcessCluster.lineOf(observer, heir.id());
      assertThat(line).contains("5461-10921");
      assertThat(ProcessCluster.lineOf(observer, victim.id())).contains("master,fail").doesNotContain("5461");
      System.out.println("failover completed " + failoverMillis + " ms after SIGKILL");
      // the verdict and the election are counted where they happened
      assertThat(infoCount(observer, "grapevine_peers_failed")).isPositive();
      assertThat(infoCount(heir, "grapevine_elections_started")).as("elections on the heir\n" + cluster.logs()).isPositive();
      // its replication link broke at the kill: it probed the primary out of turn
      assertThat(infoCount(heir, "grapevine_probes_hinted")).isPositive();

      // the client finds the new owner by itself (bounded wait), and nothing acknowledged before
      // the replicas caught up was lost
      await().atMost(Duration.ofSeconds(30)).ignoreExceptions()
          .until(() -> "OK".equals(jedis.set("after", "kill")));
      for (int i = 0; i < KEYS; i++) {
        assertThat(jedis.get("k" + i)).as("k" + i).isEqualTo("v" + i);
      }
      for (int i = 0; i < KEYS; i++) {
        assertThat(jedis.set("k" + i, "w" + i)).isEqualTo("OK");
      }
      for (int i = 0; i < KEYS; i++) {
        assertThat(jedis.get("k" + i)).isEqualTo("w" + i);
      }
      assertThat(jedis.incr("{k1}counter")).isEqualTo(2L);
      assertThat(RespClient.call(observer.respPort(), "CLUSTER", "INFO").toString())
          .contains("cluster_state:ok").contains("cluster_slots_fail:0");
    }
  }

  private static long infoCount(Node n, String field) throws Exception {
    String info = RespClient.call(n.respPort(), "INFO", "cluster").toString();
    java.util.regex.Matcher m = java.util.regex.Pattern.compile(field + ":(\\d+)").matcher(info);
    assertThat(m.find()).as(field + " in INFO").isTrue();
    return Long.parseLong(m.group(1));
  }

  @Test
  void clusterFailoverOnAReplicaSwapsRolesWithoutLosingWrites() throws Exception {
    cluster = ProcessCluster.start("jedis-manual", 6, 23610, 24610,
        "--probe-interval-ms", "300", "--node-timeout-ms", "1000");
    Node primary = cluster.nodes.get(2);
    Node replica = cluster.nodes.get(5);
    try (JedisCluster jedis = client(cluster.nodes.get(0))) {
      for (int i = 0; i < KEYS; i++) {
        jedis.set("m" + i, "v" + i);
      }
      assertThat(RespClient.call(replica.respPort(), "CLUSTER", "FAILOVER")).isEqualTo(Resp.OK);
      await("manual failover\n" + cluster.logs()).atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(100)).ignoreExceptions().until(() ->
              ProcessCluster.lineOf(cluster.nodes.get(0), replica.id()).contains(" master - ")
              && ProcessCluster.lineOf(cluster.nodes.get(0), primary.id()).contains(" slave " + replica.id()));
      for (int i = 0; i < KEYS; i++) {
        assertThat(jedis.get("m" + i)).isEqualTo("v" + i);
      }
      assertThat(RespClient.call(primary.respPort(), "CLUSTER", "FAILOVER", "TAKEOVER")).isEqualTo(Resp.OK);
      await("takeover back\n" + cluster.logs()).atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(100)).ignoreExceptions().until(() ->
              ProcessCluster.lineOf(cluster.nodes.get(1), primary.id()).contains(" master - "));
      await().atMost(Duration.ofSeconds(20)).ignoreExceptions()
          .until(() -> "OK".equals(jedis.set("m0", "again")));
    }
  }
}
