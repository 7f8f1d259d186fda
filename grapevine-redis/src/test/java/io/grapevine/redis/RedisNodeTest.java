// SPDX-License-Identifier: Apache-2.0
package io.grapevine.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** One node owning every slot, in this JVM on ephemeral ports: command semantics and bounds. */
class RedisNodeTest {
  // room for the connections of earlier calls whose server threads have not yet seen the close
  // (released asynchronously: with 3, a busy host ran out between two calls of one test)
  static final int MAX_CLIENTS = 8;
  static RedisNode node;
  static int port;

  @BeforeAll
  static void start() throws Exception {
    node = RedisNode.start(RedisNodeConfig.builder().respPort(0).busPort(0).slots(0, 16383)
        .configEpoch(1).maxConnections(MAX_CLIENTS).maxBulkBytes(1024).maxArgs(16).maxKeys(5).randomSeed(1).build());
    port = node.respPort();
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
  }

  @BeforeEach
  void flush() throws Exception {
    assertThat(RespClient.call(port, "FLUSHALL")).isEqualTo(Resp.OK);
  }

  static Object call(String... args) throws Exception {
    return RespClient.call(port, args);
  }

  @Test
  void setOptionsAndExpiry() throws Exception {
    assertThat(call("SET", "a", "1", "NX")).isEqualTo(Resp.OK);
    assertThat(call("SET", "a", "2", "NX")).isNull();
    assertThat(call("SET", "b", "2", "XX")).isNull();
    assertThat(call("SET", "a", "3", "XX", "PX", "100000")).isEqualTo(Resp.OK);
    assertThat(call("GET", "a")).isEqualTo("3");
    assertThat((Long) call("PTTL", "a")).isBetween(90_000L, 100_000L);
    assertThat(call("TTL", "a")).isEqualTo(100L);
    assertThat(call("TTL", "missing")).isEqualTo(-2L);
    assertThat(call("SET", "c", "x")).isEqualTo(Resp.OK);
    assertThat(call("TTL", "c")).isEqualTo(-1L);
    assertThat(call("SET", "a", "1", "NX", "XX")).isEqualTo(new Resp.Err("ERR syntax error"));
    assertThat(call("SET", "a", "1", "EX")).isEqualTo(new Resp.Err("ERR syntax error"));
    assertThat(call("SET", "a", "1", "EX", "abc")).isEqualTo(new Resp.Err("ERR value is not an integer or out of range"));
    assertThat(call("SET", "d", "v", "PX", "50")).isEqualTo(Resp.OK);
    await().atMost(Duration.ofSeconds(5)).until(() -> call("GET", "d") == null);
    assertThat(call("EXPIRE", "c", "100")).isEqualTo(1L);
    assertThat(call("TTL", "c")).isEqualTo(100L);
    assertThat(call("EXPIRE", "c", "0")).isEqualTo(1L);
    assertThat(call("EXISTS", "c")).isEqualTo(0L);
    assertThat(call("EXPIRE", "nothing", "10")).isEqualTo(0L);
  }

  @Test
  void incrDelExistsDbsize() throws Exception {
    assertThat(call("INCR", "n")).isEqualTo(1L);
    assertThat(call("INCR", "n")).isEqualTo(2L);
    assertThat(call("SET", "s", "abc")).isEqualTo(Resp.OK);
    assertThat(call("INCR", "s")).isEqualTo(new Resp.Err("ERR value is not an integer or out of range"));
    assertThat(call("SET", "m", String.valueOf(Long.MAX_VALUE))).isEqualTo(Resp.OK);
    assertThat(call("INCR", "m")).isEqualTo(new Resp.Err("ERR increment or decrement would overflow"));
    assertThat(call("DBSIZE")).isEqualTo(3L);
    assertThat(call("EXISTS", "foo", "bar")).isEqualTo(new Resp.Err("CROSSSLOT Keys in request don't hash to the same slot"));
    assertThat(call("SET", "{t}1", "a")).isEqualTo(Resp.OK);
    assertThat(call("EXISTS", "{t}1", "{t}2", "{t}1")).isEqualTo(2L);
    assertThat(call("DEL", "{t}1", "{t}2")).isEqualTo(1L);
    assertThat(call("FLUSHALL")).isEqualTo(Resp.OK);
    assertThat(call("DBSIZE")).isEqualTo(0L);
  }

  @Test
  void writesBeyondTheKeyLimitAreRefusedAndCounted() throws Exception {
    for (int i = 0; i < 5; i++) {
      assertThat(call("SET", "k" + i, "v")).isEqualTo(Resp.OK);
    }
    Object oom = call("SET", "k5", "v");
    assertThat(oom).isInstanceOf(Resp.Err.class);
    assertThat(((Resp.Err) oom).text()).startsWith("OOM ");
    assertThat(call("INCR", "k6")).isEqualTo(oom);
    assertThat(call("SET", "k0", "overwrite")).isEqualTo(Resp.OK); // an existing key is no new key
    assertThat((String) call("INFO", "stats")).contains("rejected_writes:2\r\n");
    assertThat(call("DEL", "k1")).isEqualTo(1L);
    assertThat(call("SET", "k5", "v")).isEqualTo(Resp.OK);
  }

  @Test
  void pingEchoInfoAndClusterBasics() throws Exception {
    assertThat(call("PING")).isEqualTo(new Resp.Simple("PONG"));
    assertThat(call("PING", "hi")).isEqualTo("hi");
    assertThat(call("ECHO", "x y")).isEqualTo("x y");
    assertThat((String) call("INFO", "cluster")).startsWith("# Cluster\r\ncluster_enabled:1\r\n")
        .doesNotContain("# Server");
    // a lone node has no one to probe: Lifeguard's local health stays at 0 (healthy)
    assertThat((String) call("INFO", "cluster")).contains("grapevine_health_score:0\r\n")
        .contains("grapevine_health_score_max:0\r\n").contains("grapevine_self_refutations:0\r\n");
    assertThat((String) call("INFO")).contains("# Replication\r\nrole:master\r\n");
    assertThat((String) call("CLUSTER", "INFO")).startsWith("cluster_state:ok\r\n");
    assertThat(call("CLUSTER", "MYID")).isEqualTo(node.nodeId());
    assertThat(call("CLUSTER", "SLOTS")).isEqualTo(List.of(List.of(0L, 16383L,
        List.of("127.0.0.1", (long) port, node.nodeId(), List.of()))));
    assertThat(call("SET", "{x}1", "a")).isEqualTo(Resp.OK);
    int slot = KeySlot.slot("x");
    assertThat(call("CLUSTER", "COUNTKEYSINSLOT", String.valueOf(slot))).isEqualTo(1L);
    assertThat(call("CLUSTER", "GETKEYSINSLOT", String.valueOf(slot), "10")).isEqualTo(List.of("{x}1"));
    assertThat(call("CLUSTER", "DELSLOTS", "100")).isEqualTo(Resp.OK);
    assertThat(call("CLUSTER", "DELSLOTS", "100")).isEqualTo(new Resp.Err("ERR Slot 100 is already unassigned"));
    assertThat((String) call("CLUSTER", "INFO")).startsWith("cluster_state:fail\r\ncluster_slots_assigned:16383\r\n");
    assertThat(call("CLUSTER", "ADDSLOTSRANGE", "100", "100")).isEqualTo(Resp.OK);
    assertThat(call("CLUSTER", "ADDSLOTSRANGE", "5", "1"))
        .isEqualTo(new Resp.Err("ERR start slot number 5 is greater than end slot number 1"));
    assertThat((String) call("CLUSTER", "NODES")).isEqualTo(node.nodeId() + " 127.0.0.1:" + port + "@"
        + node.busPort() + " myself,master - 0 0 1 connected 0-16383\n");
  }

  @Test
  void renderedClusterNodesAndSlotsFollowEveryChangeOfThisNode() throws Exception {
    String line = node.nodeId() + " 127.0.0.1:" + port + "@" + node.busPort() + " myself,master - 0 0 1 connected ";
    assertThat(call("CLUSTER", "NODES")).isEqualTo(line + "0-16383\n"); // rendered and kept
    assertThat(call("CLUSTER", "SLOTS")).asList().hasSize(1);
    // slot moves change this node's claim: both replies are rendered again
    assertThat(call("CLUSTER", "DELSLOTS", "200")).isEqualTo(Resp.OK);
    assertThat(call("CLUSTER", "NODES")).isEqualTo(line + "0-199 201-16383\n");
    assertThat(call("CLUSTER", "SLOTS")).asList().hasSize(2);
    assertThat(call("CLUSTER", "ADDSLOTS", "200")).isEqualTo(Resp.OK);
    assertThat(call("CLUSTER", "SLOTS")).asList().hasSize(1);
    // open slots are this node's own state, not its claim: they still show at once
    assertThat(call("CLUSTER", "NODES")).isEqualTo(line + "0-16383\n");
    assertThat(call("CLUSTER", "SETSLOT", "7", "MIGRATING", node.nodeId())).isEqualTo(Resp.OK);
    assertThat(call("CLUSTER", "NODES")).isEqualTo(line + "0-16383 [7->-" + node.nodeId() + "]\n");
    assertThat(call("CLUSTER", "SETSLOT", "7", "STABLE")).isEqualTo(Resp.OK);
    assertThat(call("CLUSTER", "NODES")).isEqualTo(line + "0-16383\n");
  }

  @Test
  void requestsOverTheLimitsAreProtocolErrorsAndTheNodeGoesOn() throws Exception {
    try (RespClient c = new RespClient(port)) {
      c.sendRaw("*2\r\n$3\r\nGET\r\n$2000\r\n".getBytes(StandardCharsets.US_ASCII));
      assertThat(c.reply()).isEqualTo(new Resp.Err("ERR Protocol error: invalid bulk length"));
      assertThat(c.readByte()).isEqualTo(-1);
    }
    try (RespClient c = new RespClient(port)) {
      c.sendRaw("*17\r\n".getBytes(StandardCharsets.US_ASCII));
      assertThat(c.reply()).isEqualTo(new Resp.Err("ERR Protocol error: invalid multibulk length"));
    }
    assertThat(call("PING")).isEqualTo(new Resp.Simple("PONG"));
  }

  @Test
  void connectionsBeyondTheLimitAreRefused() throws Exception {
    // connections of earlier tests are released when their threads see the close: wait for all slots
    List<RespClient> all = await().atMost(Duration.ofSeconds(5)).until(() -> {
      List<RespClient> open = new java.util.ArrayList<>();
      for (int i = 0; i < MAX_CLIENTS; i++) {
        open.add(new RespClient(port));
      }
      for (RespClient x : open) {
        if (!new Resp.Simple("PONG").equals(x.call("PING"))) {
          for (RespClient y : open) {
            y.close();
          }
          return null;
        }
      }
      return open;
    }, l -> l != null);
    try (RespClient d = new RespClient(port)) {
      assertThat(d.reply()).isEqualTo(new Resp.Err("ERR max number of clients reached"));
      assertThat(d.readByte()).isEqualTo(-1);
    } finally {
      for (RespClient x : all) {
        x.close();
      }
    }
    await().atMost(Duration.ofSeconds(5)).ignoreExceptions()
        .until(() -> new Resp.Simple("PONG").equals(call("PING")));
  }

  @Test
  void badCommandLinesNameTheProblem() {
    assertThatThrownBy(() -> RedisNodeMain.parse(new String[] {"--port"}))
        .hasMessage("missing value after --port");
    assertThatThrownBy(() -> RedisNodeMain.parse(new String[] {"--bogus", "1"}))
        .hasMessage("unknown option --bogus");
    assertThatThrownBy(() -> RedisNodeMain.parse(new String[] {"--port", "x"}))
        .hasMessage("--port needs a number, got x");
    assertThatThrownBy(() -> RedisNodeMain.parse(new String[] {"--port", "1", "--slots", "5-99999"}))
        .hasMessage("--slots must be FROM-TO within 0-16383: 5-99999");
    assertThatThrownBy(() -> RedisNodeMain.parse(new String[] {"--port", "1", "--id", "xyz"}))
        .hasMessageStartingWith("node id must be 40 lower-case hex characters");
    assertThatThrownBy(() -> RedisNodeMain.parse(new String[] {"--bus-port", "1"}))
        .hasMessage("--port is required");
  }

  @Test
  void malformedClaimPushesAreAnsweredWithErrorsAndTheNodeGoesOn() throws Exception {
    String stranger = "9".repeat(40);
    assertThat(call("GVCLAIM")).isEqualTo(new Resp.Err("ERR wrong number of arguments for 'gvclaim' command"));
    assertThat(call("GVCLAIM", "a", "b")).isEqualTo(new Resp.Err("ERR wrong number of arguments for 'gvclaim' command"));
    assertThat(call("GVCLAIM", "garbage")).isEqualTo(new Resp.Err("ERR invalid claim"));
    assertThat(call("GVCLAIM", "r1 " + stranger + " 7000 primary - 9 9 0 99999-5")).isEqualTo(new Resp.Err("ERR invalid claim"));
    assertThat(call("GVCLAIM", "r1 " + stranger + " 7000 primary - 9 9 0 0-16383"))
        .isEqualTo(new Resp.Err("ERR unknown node " + stranger));
    // its own claim, with a newer epoch: not a peer's, so refused; the node still owns its slots
    assertThat(call("GVCLAIM", "r1 " + node.nodeId() + " " + port + " replica " + stranger + " 9 9 0 -"))
        .isEqualTo(new Resp.Err("ERR unknown node " + node.nodeId()));
    assertThat(node.claim().primary()).isTrue();
    assertThat((String) call("INFO", "cluster")).contains("grapevine_claims_applied:0\r\n");
    assertThat(call("PING")).isEqualTo(new Resp.Simple("PONG"));
  }

  @Test
  void peerLinksReuseOneConnectionAndReconnectWhenThePeerClosedIt() throws Exception {
    try (PeerLinks links = new PeerLinks(300, 2000, new Resp.Limits(16, 1024, 1024))) {
      PeerLinks.Target t = new PeerLinks.Target(node.nodeId(), "127.0.0.1", port);
      byte[] ping = Resp.command(List.of(Resp.bytes("PING")));
      for (int i = 0; i < 5; i++) {
        assertThat(links.call(t, ping)).isEqualTo(new Resp.Simple("PONG"));
      }
      assertThat(links.opened()).isEqualTo(1);
      assertThat(links.reused()).isEqualTo(4);
      assertThat(links.idleTo(node.nodeId())).isEqualTo(1);
      // the server ends the connection (QUIT): the next request finds it closed and opens a new one
      assertThat(links.call(t, Resp.command(List.of(Resp.bytes("QUIT"))))).isEqualTo(Resp.OK);
      assertThat(links.call(t, ping)).isEqualTo(new Resp.Simple("PONG"));
      assertThat(links.opened()).isEqualTo(2);
      // a peer nobody listens on: an error reply, no exception
      PeerLinks.Target gone = new PeerLinks.Target("0".repeat(40), "127.0.0.1", 1);
      assertThat(links.call(gone, ping)).isInstanceOf(java.io.IOException.class);
      // maintain keeps one idle connection to a live peer and drops those to unknown ones
      links.maintain(List.of(t), java.util.Set.of(node.nodeId()));
      assertThat(links.idleTo(node.nodeId())).isEqualTo(1);
      links.maintain(List.of(), java.util.Set.of());
      assertThat(links.idleTo(node.nodeId())).isZero();
    }
  }

  @Test
  void peerLinksOpenAFewConnectionsPerRoundNotAllAtOnce() throws Exception {
    try (PeerLinks links = new PeerLinks(300, 2000, new Resp.Limits(16, 1024, 1024))) {
      // ten peers (all served by this node's port: the ids are what the links are kept by)
      List<PeerLinks.Target> peers = new java.util.ArrayList<>();
      java.util.Set<String> ids = new java.util.HashSet<>();
      for (int i = 0; i < 10; i++) {
        String id = String.format("%040d", i);
        peers.add(new PeerLinks.Target(id, "127.0.0.1", port));
        ids.add(id);
      }
      int per = PeerLinks.MAX_OPENS_PER_ROUND;
      links.maintain(peers, ids);
      assertThat(links.opened()).isEqualTo(per);
      links.maintain(peers, ids);
      assertThat(links.opened()).isEqualTo(2L * per);
      for (int round = 0; round < 10 && links.opened() < 10; round++) {
        links.maintain(peers, ids);
      }
      assertThat(links.opened()).isEqualTo(10);
      assertThat(links.connectedPeers()).isEqualTo(ids);
      links.maintain(peers, ids);
      assertThat(links.opened()).as("nothing more once every peer has its link").isEqualTo(10);
    }
  }

  @Test
  void aSilentPeerDoesNotHoldUpTheAnswersOfTheOthers() throws Exception {
    // a peer that accepts connections (the backlog does) and never answers
    try (java.net.ServerSocket silent = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
        PeerLinks links = new PeerLinks(300, 2000, new Resp.Limits(16, 1024, 1024))) {
      PeerLinks.Target mute = new PeerLinks.Target("0".repeat(40), "127.0.0.1", silent.getLocalPort());
      PeerLinks.Target live = new PeerLinks.Target(node.nodeId(), "127.0.0.1", port);
      long start = System.nanoTime();
      long[] answeredAfterMillis = {-1};
      java.util.Map<PeerLinks.Target, Object> replies = links.fanOut(List.of(mute, live),
          Resp.command(List.of(Resp.bytes("PING"))), (t, r) -> {
            if (t.equals(live)) {
              answeredAfterMillis[0] = (System.nanoTime() - start) / 1_000_000;
            }
          });
      assertThat(replies.get(live)).isEqualTo(new Resp.Simple("PONG"));
      assertThat(replies.get(mute)).isInstanceOf(java.net.SocketTimeoutException.class);
      // the live peer's answer was handled long before the silent one's 2 s timeout
      assertThat(answeredAfterMillis[0]).isBetween(0L, 1000L);
      assertThat((System.nanoTime() - start) / 1_000_000).isGreaterThanOrEqualTo(2000L);
    }
  }
}
