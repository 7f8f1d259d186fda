// SPDX-License-Identifier: Apache-2.0
package io.grapevine.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.grapevine.redis.ProcessCluster.Node;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Six nodes as processes (3 primaries, 3 replicas) driven by Redis's own command-line client,
 * redis-cli (Debian's redis-tools): cluster-mode redirects, its cluster checker, and bad input.
 */
class RedisCliIT {
  static final int BASE = 23410;
  static final int BUS = 24410;
  static ProcessCluster cluster;

  static String redisCli() {
    for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(File.pathSeparator)) {
      File f = new File(dir, "redis-cli");
      if (f.canExecute()) {
        return f.getPath();
      }
    }
    return null;
  }

  @BeforeAll
  static void start() throws IOException {
    assumeTrue(redisCli() != null, "redis-cli is not installed (apt-get install redis-tools); skipping");
    cluster = ProcessCluster.start("cli", 6, BASE, BUS);
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  record Result(int exit, String out) {}

  static Result cli(String stdin, String... args) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(redisCli());
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("redis-cli finished").isTrue();
    return new Result(p.exitValue(), out);
  }

  @Test
  void setAndGetAcrossEverySlotRangeWithRedirects() throws Exception {
    int keys = 300;
    StringBuilder sets = new StringBuilder();
    StringBuilder gets = new StringBuilder();
    Set<Integer> shards = new HashSet<>();
    for (int i = 0; i < keys; i++) {
      sets.append("SET key:").append(i).append(" value-").append(i).append('\n');
      gets.append("GET key:").append(i).append('\n');
      shards.add(KeySlot.slot("key:" + i) * 3 / KeySlot.SLOTS);
    }
    assertThat(shards).containsExactlyInAnyOrder(0, 1, 2);
    Node first = cluster.nodes.get(0);
    Result set = cli(sets.toString(), "-c", "-p", String.valueOf(first.respPort()));
    assertThat(set.exit()).isZero();
    assertThat(set.out().lines().filter(l -> l.equals("OK")).count()).isEqualTo(keys);
    assertThat(set.out()).contains("-> Redirected to slot");
    // read through a replica: without READONLY it redirects to the primaries
    Node replica = cluster.nodes.get(4);
    Result get = cli(gets.toString(), "-c", "-p", String.valueOf(replica.respPort()));
    List<String> values = get.out().lines().filter(l -> !l.startsWith("->")).toList();
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < keys; i++) {
      expected.add("value-" + i);
    }
    assertThat(values).isEqualTo(expected);
  }

  @Test
  void redisClusterCheckAgreesWithTheConfiguration() throws Exception {
    Result r = cli("", "--cluster", "check", "127.0.0.1:" + cluster.nodes.get(1).respPort());
    assertThat(r.exit()).as(r.out()).isZero();
    assertThat(r.out()).contains("[OK] All nodes agree about slots configuration.")
        .contains("[OK] All 16384 slots covered.")
        .doesNotContain("[ERR]").doesNotContain("[WARNING]");
    String plain = r.out().replaceAll("\u001B\\[[0-9;]*m", "");
    assertThat(plain.lines().filter(l -> l.startsWith("M: ")).count()).as(plain).isEqualTo(3);
    assertThat(plain.lines().filter(l -> l.startsWith("S: ")).count()).as(plain).isEqualTo(3);
  }

  @Test
  void clusterNodesAndInfoHaveRedisFormats() throws Exception {
    Node n = cluster.nodes.get(2);
    String nodes = ProcessCluster.clusterNodes(n);
    List<String> lines = nodes.lines().toList();
    assertThat(lines).hasSize(6);
    for (String l : lines) {
      String[] f = l.split(" ");
      assertThat(f.length).as(l).isGreaterThanOrEqualTo(8);
      assertThat(f[0]).matches("[0-9a-f]{40}");
      assertThat(f[1]).matches("127\\.0\\.0\\.1:\\d+@\\d+");
      assertThat(f[2]).matches("(myself,)?(master|slave)");
      assertThat(f[7]).isEqualTo("connected");
      if (f[2].endsWith("master")) {
        assertThat(f[3]).isEqualTo("-");
        assertThat(f.length).isEqualTo(9);
        assertThat(f[8]).matches("\\d+-\\d+");
      } else {
        assertThat(f[3]).matches("[0-9a-f]{40}");
        assertThat(f.length).isEqualTo(8);
      }
    }
    assertThat(lines.stream().filter(l -> l.contains("myself")).toList()).singleElement()
        .asString().startsWith(n.id() + " 127.0.0.1:" + n.respPort() + "@" + n.busPort() + " myself,master - 0 0 3 connected 10922-16383");
    Result info = cli("", "-p", String.valueOf(n.respPort()), "cluster", "info");
    assertThat(info.out()).startsWith("cluster_state:ok\r\ncluster_slots_assigned:16384\r\n"
        + "cluster_slots_ok:16384\r\ncluster_slots_pfail:0\r\ncluster_slots_fail:0\r\n"
        + "cluster_known_nodes:6\r\ncluster_size:3\r\n");
    assertThat(RespClient.call(n.respPort(), "CLUSTER", "MYID")).isEqualTo(n.id());
    assertThat(RespClient.call(n.respPort(), "CLUSTER", "KEYSLOT", "foo")).isEqualTo(12182L);
  }

  @Test
  void aKeyOfAnotherNodesSlotIsMoved() throws Exception {
    Node owner = cluster.nodes.get(2); // 10922-16383 holds slot 12182 ("foo")
    Node other = cluster.nodes.get(0);
    assertThat(RespClient.call(other.respPort(), "SET", "foo", "bar"))
        .isEqualTo(new Resp.Err("MOVED 12182 127.0.0.1:" + owner.respPort()));
    assertThat(RespClient.call(owner.respPort(), "SET", "foo", "bar")).isEqualTo(Resp.OK);
    Result r = cli("", "-p", String.valueOf(other.respPort()), "GET", "foo");
    assertThat(r.out().trim()).isEqualTo("MOVED 12182 127.0.0.1:" + owner.respPort());
    assertThat(RespClient.call(other.respPort(), "DEL", "foo", "bar"))
        .isEqualTo(new Resp.Err("CROSSSLOT Keys in request don't hash to the same slot"));
  }

  @Test
  void aReplicaServesReadsOfItsPrimarysSlotsAfterReadonly() throws Exception {
    Node primary = cluster.nodes.get(0); // 0-5460
    Node replica = cluster.nodes.get(3);
    assertThat(replica.primaryId()).isEqualTo(primary.id());
    int slot = KeySlot.slot("{b}r");
    assertThat(slot).isLessThan(5461);
    assertThat(RespClient.call(primary.respPort(), "SET", "{b}r", "replicated")).isEqualTo(Resp.OK);
    try (RespClient c = new RespClient(replica.respPort())) {
      assertThat(c.call("GET", "{b}r"))
          .isEqualTo(new Resp.Err("MOVED " + slot + " 127.0.0.1:" + primary.respPort()));
      assertThat(c.call("READONLY")).isEqualTo(Resp.OK);
      org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
          .until(() -> "replicated".equals(c.call("GET", "{b}r")));
      assertThat(c.call("SET", "{b}r", "x"))
          .isEqualTo(new Resp.Err("MOVED " + slot + " 127.0.0.1:" + primary.respPort()));
      assertThat(c.call("READWRITE")).isEqualTo(Resp.OK);
      assertThat(c.call("GET", "{b}r"))
          .isEqualTo(new Resp.Err("MOVED " + slot + " 127.0.0.1:" + primary.respPort()));
    }
    assertThat((String) RespClient.call(replica.respPort(), "INFO", "replication"))
        .contains("role:slave\r\nmaster_host:127.0.0.1\r\nmaster_port:" + primary.respPort()
            + "\r\nmaster_link_status:up\r\n");
  }

  @Test
  void malformedRespGetsAnErrorAndTheNodeKeepsServing() throws Exception {
    Node n = cluster.nodes.get(1);
    for (String bad : List.of("*2\r\n+oops\r\n", "*1\r\n$999999999999\r\n", "*abc\r\n",
        "*1\r\n$3\r\nGETxx", "\"unbalanced\r\n")) {
      try (RespClient c = new RespClient(n.respPort())) {
        c.sendRaw(bad.getBytes(StandardCharsets.ISO_8859_1));
        Object reply = c.reply();
        assertThat(reply).as(bad).isInstanceOf(Resp.Err.class);
        assertThat(((Resp.Err) reply).text()).startsWith("ERR Protocol error: ");
        assertThat(c.readByte()).as("closed after a protocol error").isEqualTo(-1);
      }
    }
    assertThat(RespClient.call(n.respPort(), "PING")).isEqualTo(new Resp.Simple("PONG"));
    assertThat(cli("", "-p", String.valueOf(n.respPort()), "ping").out().trim()).isEqualTo("PONG");
  }

  @Test
  void invalidCommandsGetRedisStyleErrors() throws Exception {
    int port = cluster.nodes.get(0).respPort();
    assertThat(RespClient.call(port, "CLUSTER", "BOGUS"))
        .isEqualTo(new Resp.Err("ERR unknown subcommand 'BOGUS'. Try CLUSTER HELP."));
    assertThat(RespClient.call(port, "NOSUCH", "a"))
        .isEqualTo(new Resp.Err("ERR unknown command 'NOSUCH', with args beginning with: 'a' "));
    assertThat(RespClient.call(port, "GET"))
        .isEqualTo(new Resp.Err("ERR wrong number of arguments for 'get' command"));
    assertThat(RespClient.call(port, "CLUSTER", "COUNTKEYSINSLOT", "99999"))
        .isEqualTo(new Resp.Err("ERR Invalid slot"));
    assertThat(RespClient.call(port, "CLUSTER", "ADDSLOTS", "12182"))
        .isEqualTo(new Resp.Err("ERR Slot 12182 is already busy"));
    assertThat(RespClient.call(port, "CLUSTER", "FAILOVER"))
        .isEqualTo(new Resp.Err("ERR You should send CLUSTER FAILOVER to a replica"));
    assertThat(RespClient.call(port, "SET", "{b}x", "1", "EX", "0"))
        .isEqualTo(new Resp.Err("ERR invalid expire time in 'set' command"));
  }
}
