// SPDX-License-Identifier: Apache-2.0
package io.grapevine.runtime;

import static io.grapevine.runtime.TestNodes.countIn;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grapevine.Cluster;
import io.grapevine.api.MemberState;
import io.grapevine.api.UserEvent;
import io.grapevine.config.MembershipConfig;
import io.grapevine.transport.TransportStats.ConnectionRefusal;
import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Real nodes on loopback with a low cap on concurrent inbound TCP connections: a peer that opens
 * more than the cap and holds them open gets the extra ones refused and counted, while gossip goes
 * on; once it lets go, TCP exchanges (a join) work again.
 */
class ConnectionLimitsClusterTest {
  private static final int CAP = 4;
  private static final int HELD = 12;

  @Test
  void connectionsAboveTheCapAreRefusedAndCountedWhileGossipGoesOn() throws Exception {
    MembershipConfig config = TestNodes.fastConfig().toBuilder().maxInboundConnections(CAP).build();
    try (TestNodes nodes = new TestNodes("limits", config, 1, false)) {
      Cluster n0 = nodes.start("n0");
      nodes.start("n1");
      nodes.start("n2");
      nodes.joinAllThrough("n0");
      await().atMost(Duration.ofSeconds(15)).until(() ->
          nodes.nodes.values().stream().allMatch(c -> countIn(c, MemberState.ALIVE) == 3));
      Cluster n1 = nodes.nodes.get("n1");
      Cluster n2 = nodes.nodes.get("n2");
      List<String> heardAt0 = new CopyOnWriteArrayList<>();
      List<String> heardAt2 = new CopyOnWriteArrayList<>();
      n0.events().subscribe("t", e -> heardAt0.add(text(e)));
      n2.events().subscribe("t", e -> heardAt2.add(text(e)));
      long refusedBefore = n0.transportStats().refused(ConnectionRefusal.CONCURRENT_LIMIT);

      InetSocketAddress to = n0.endpoint().toSocketAddress();
      List<SocketChannel> held = new ArrayList<>();
      try {
        for (int i = 0; i < HELD; i++) {
          held.add(SocketChannel.open(to));
        }
        // At most CAP are held by n0; every other one was closed at accept and counted.
        await().atMost(Duration.ofSeconds(10)).until(() ->
            n0.transportStats().refused(ConnectionRefusal.CONCURRENT_LIMIT) - refusedBefore >= HELD - CAP);

        // Gossip is UDP and goes on: an event reaches everyone, nobody is suspected.
        n1.events().publish("t", "while held".getBytes(StandardCharsets.UTF_8));
        await().atMost(Duration.ofSeconds(10)).until(() ->
            heardAt0.contains("while held") && heardAt2.contains("while held"));
        assertThat(nodes.nodes.values()).allMatch(c -> countIn(c, MemberState.ALIVE) == 3);
      } finally {
        for (SocketChannel c : held) {
          c.close();
        }
      }
      long refused = n0.transportStats().refused(ConnectionRefusal.CONCURRENT_LIMIT) - refusedBefore;
      assertThat(refused).isBetween((long) HELD - CAP, (long) HELD);
      assertThat(n0.transportStats().refused(ConnectionRefusal.RATE_LIMIT)).isZero();

      // Slots free again: a newcomer's join (a TCP push-pull) goes through n0.
      Cluster n3 = nodes.start("n3");
      n3.join(List.of(n0.endpoint().toString())).get(20, TimeUnit.SECONDS);
      await().atMost(Duration.ofSeconds(15)).until(() ->
          nodes.nodes.values().stream().allMatch(c -> countIn(c, MemberState.ALIVE) == 4));
    }
  }

  private static String text(UserEvent e) {
    return new String(e.payload(), StandardCharsets.UTF_8);
  }
}
