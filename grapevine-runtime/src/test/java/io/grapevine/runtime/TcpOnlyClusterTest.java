// SPDX-License-Identifier: Apache-2.0
package io.grapevine.runtime;

import static io.grapevine.runtime.TestNodes.allSee;
import static io.grapevine.runtime.TestNodes.countIn;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grapevine.Cluster;
import io.grapevine.api.MemberState;
import io.grapevine.config.TransportConfig;
import io.grapevine.transport.FaultInjectingTransport;
import io.grapevine.transport.TransportStats;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * transport.mode tcp-only on a network that drops every UDP datagram: the cluster forms, detects a
 * crash, and not one datagram leaves any node.
 */
class TcpOnlyClusterTest {
  private static final int N = 5;
  private static final TransportConfig TCP_ONLY =
      new TransportConfig.Builder().mode(TransportConfig.Mode.TCP_ONLY).build();

  @Test
  void formsDetectsACrashAndSendsNoDatagram() throws Exception {
    try (TestNodes cluster = new TestNodes("tcp-only", TestNodes.fastConfig(), 1, true)) {
      for (int i = 0; i < N; i++) {
        cluster.start("tcp-" + i, "127.0.0.1:0", b -> b.transportConfig(TCP_ONLY));
      }
      // The network drops UDP: whatever would still go out as a datagram is lost.
      cluster.faults.values().forEach(f -> f.drop(1.0));
      cluster.joinAllThrough("tcp-0");
      await("all alive everywhere").atMost(Duration.ofSeconds(30))
          .until(() -> cluster.nodes.values().stream().allMatch(c -> countIn(c, MemberState.ALIVE) == N));
      assertThat(cluster.nodes.get("tcp-0").config().tcpFallbackPing).as("fallback ping off").isFalse();

      // A crash: the node's sockets close without a word to anyone.
      cluster.nodes.remove("tcp-4").close();
      List<Cluster> rest = List.copyOf(cluster.nodes.values());
      await("crash detected").atMost(Duration.ofSeconds(30)).until(() -> allSee(rest, "tcp-4", MemberState.DEAD));
      // And no false verdict about anyone else.
      for (Cluster c : rest) {
        assertThat(countIn(c, MemberState.ALIVE)).as(c.localMember().name()).isEqualTo(N - 1);
      }

      for (String name : List.of("tcp-0", "tcp-1", "tcp-2", "tcp-3")) {
        TransportStats s = cluster.nodes.get(name).transportStats();
        FaultInjectingTransport f = cluster.faults.get(name);
        assertThat(s.datagramsOut()).as(name + " datagrams sent").isZero();
        assertThat(s.datagramsIn()).as(name + " datagrams received").isZero();
        assertThat(f.dropped()).as(name + " datagrams the network dropped").isZero();
        assertThat(s.streamMessagesOut()).as(name + " stream messages sent").isPositive();
      }
    }
  }
}
