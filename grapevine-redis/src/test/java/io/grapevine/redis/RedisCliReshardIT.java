// SPDX-License-Identifier: Apache-2.0
package io.grapevine.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.grapevine.redis.ProcessCluster.Node;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Slot migration: ASK redirects while a slot is open, and {@code redis-cli --cluster reshard}
 * (CLUSTER SETSLOT IMPORTING / MIGRATING / NODE, GETKEYSINSLOT, MIGRATE) moving slots and their
 * keys between primaries of six node processes.
 */
class RedisCliReshardIT {
  ProcessCluster cluster;

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void askRedirectsWhileASlotMigrates() throws Exception {
    assumeTrue(RedisCliIT.redisCli() != null, "redis-cli is not installed (apt-get install redis-tools); skipping");
    cluster = ProcessCluster.start("ask", 6, 23710, 24710);
    Node src = cluster.nodes.get(2); // owns 12182 ("foo")
    Node dst = cluster.nodes.get(0);
    int slot = KeySlot.slot("foo");
    assertThat(RespClient.call(src.respPort(), "SET", "foo", "here")).isEqualTo(Resp.OK);
    assertThat(RespClient.call(dst.respPort(), "CLUSTER", "SETSLOT", String.valueOf(slot), "IMPORTING", src.id())).isEqualTo(Resp.OK);
    assertThat(RespClient.call(src.respPort(), "CLUSTER", "SETSLOT", String.valueOf(slot), "MIGRATING", dst.id())).isEqualTo(Resp.OK);
    assertThat(ProcessCluster.lineOf(src, src.id())).endsWith("[" + slot + "->-" + dst.id() + "]");
    // a key still on the source is served there; a missing one is asked of the target
    assertThat(RespClient.call(src.respPort(), "GET", "foo")).isEqualTo("here");
    assertThat(RespClient.call(src.respPort(), "GET", "{foo}new"))
        .isEqualTo(new Resp.Err("ASK " + slot + " 127.0.0.1:" + dst.respPort()));
    // the target serves the slot only after ASKING
    assertThat(RespClient.call(dst.respPort(), "SET", "{foo}new", "1"))
        .isEqualTo(new Resp.Err("MOVED " + slot + " 127.0.0.1:" + src.respPort()));
    try (RespClient c = new RespClient(dst.respPort())) {
      assertThat(c.call("ASKING")).isEqualTo(Resp.OK);
      assertThat(c.call("SET", "{foo}new", "1")).isEqualTo(Resp.OK);
      assertThat(c.call("GET", "{foo}new"))
          .isEqualTo(new Resp.Err("MOVED " + slot + " 127.0.0.1:" + src.respPort())); // one command only
    }
    assertThat(RespClient.call(src.respPort(), "MIGRATE", "127.0.0.1", String.valueOf(dst.respPort()), "foo", "0", "5000"))
        .isEqualTo(Resp.OK);
    assertThat(RespClient.call(src.respPort(), "GET", "foo"))
        .isEqualTo(new Resp.Err("ASK " + slot + " 127.0.0.1:" + dst.respPort()));
    assertThat(RespClient.call(dst.respPort(), "CLUSTER", "SETSLOT", String.valueOf(slot), "NODE", dst.id())).isEqualTo(Resp.OK);
    assertThat(RespClient.call(src.respPort(), "CLUSTER", "SETSLOT", String.valueOf(slot), "NODE", dst.id())).isEqualTo(Resp.OK);
    await().atMost(Duration.ofSeconds(20)).ignoreExceptions().untilAsserted(() -> {
      for (Node n : cluster.nodes) {
        assertThat(RespClient.call(n.respPort(), "GET", "foo"))
            .isEqualTo(n == dst ? "here" : new Resp.Err("MOVED " + slot + " 127.0.0.1:" + dst.respPort()));
      }
    });
    RedisCliIT.Result get = RedisCliIT.cli("GET {foo}new\n", "-c", "-p", String.valueOf(src.respPort()));
    assertThat(get.out().lines().filter(l -> !l.startsWith("->")).toList()).containsExactly("1");
  }

  @Test
  void redisCliReshardMovesSlotsAndKeys() throws Exception {
    assumeTrue(RedisCliIT.redisCli() != null, "redis-cli is not installed (apt-get install redis-tools); skipping");
    cluster = ProcessCluster.start("reshard", 6, 23810, 24810);
    Node from = cluster.nodes.get(0); // 0-5460
    Node to = cluster.nodes.get(1);
    StringBuilder sets = new StringBuilder();
    StringBuilder gets = new StringBuilder();
    int keys = 400;
    for (int i = 0; i < keys; i++) {
      sets.append("SET r").append(i).append(" v").append(i).append('\n');
      gets.append("GET r").append(i).append('\n');
    }
    assertThat(RedisCliIT.cli(sets.toString(), "-c", "-p", String.valueOf(from.respPort())).exit()).isZero();
    RedisCliIT.Result r = RedisCliIT.cli("", "--cluster", "reshard", "127.0.0.1:" + from.respPort(),
        "--cluster-from", from.id(), "--cluster-to", to.id(), "--cluster-slots", "100", "--cluster-yes");
    assertThat(r.exit()).as(r.out()).isZero();
    assertThat(r.out()).contains("Moving slot 99 from " + from.id());
    await("every node agrees\n" + cluster.logs()).atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
        .ignoreExceptions().until(() -> {
          RedisCliIT.Result check = RedisCliIT.cli("", "--cluster", "check", "127.0.0.1:" + cluster.nodes.get(2).respPort());
          return check.exit() == 0 && check.out().contains("[OK] All nodes agree about slots configuration.")
              && check.out().contains("[OK] All 16384 slots covered.");
        });
    assertThat(ProcessCluster.lineOf(cluster.nodes.get(5), to.id())).contains("connected 0-99 5461-10921");
    assertThat(ProcessCluster.lineOf(cluster.nodes.get(5), from.id())).contains("connected 100-5460");
    RedisCliIT.Result got = RedisCliIT.cli(gets.toString(), "-c", "-p", String.valueOf(cluster.nodes.get(2).respPort()));
    java.util.List<String> expected = new java.util.ArrayList<>();
    for (int i = 0; i < keys; i++) {
      expected.add("v" + i);
    }
    assertThat(got.out().lines().filter(l -> !l.startsWith("->")).toList()).isEqualTo(expected);
    long moved = 0;
    for (int s = 0; s < 100; s++) {
      moved += (Long) RespClient.call(to.respPort(), "CLUSTER", "COUNTKEYSINSLOT", String.valueOf(s));
      assertThat(RespClient.call(from.respPort(), "CLUSTER", "COUNTKEYSINSLOT", String.valueOf(s))).isEqualTo(0L);
    }
    long expectedMoved = java.util.stream.IntStream.range(0, keys).filter(i -> KeySlot.slot("r" + i) < 100).count();
    assertThat(expectedMoved).isPositive();
    assertThat(moved).isEqualTo(expectedMoved);
  }
}
