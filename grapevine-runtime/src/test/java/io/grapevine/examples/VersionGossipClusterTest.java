// SPDX-License-Identifier: Apache-2.0
package io.grapevine.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grapevine.Cluster;
import io.grapevine.config.MembershipConfig;
import io.grapevine.node.Delivery;
import io.grapevine.node.Endpoint;
import io.grapevine.node.Outbox;
import io.grapevine.stack.Protocol;
import io.grapevine.stack.ProtocolContext;
import io.grapevine.wire.MessageRange;
import io.grapevine.wire.PacketReader;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * An application's own protocol added through the builder, on real sockets: it shares the node's
 * port and gossip, its typed events reach the application, and its commands run on the node's
 * thread. The protocol's only registration is {@code ClusterBuilder.protocol(...)}.
 */
class VersionGossipClusterTest {
  /** LOCAL, with a push-pull every 2 s so the table's anti-entropy shows within the test's bounds. */
  static final MembershipConfig CONFIG =
      MembershipConfig.local().toBuilder().pushPullInterval(Duration.ofSeconds(2)).build();

  private final List<Cluster> nodes = new ArrayList<>();

  @AfterEach
  void closeAll() {
    nodes.forEach(Cluster::close);
  }

  private Cluster start(String name, Protocol<?> protocol) {
    Cluster c = Cluster.builder().name(name).clusterName("versions").bind("127.0.0.1:0")
        .config(CONFIG).protocol(protocol).start();
    nodes.add(c);
    return c;
  }

  @Test
  void everyNodeLearnsEveryVersionAndAnUpgradeSpreads() throws Exception {
    int n = 5;
    List<Cluster> cluster = new ArrayList<>();
    List<VersionGossip> protocols = new ArrayList<>();
    // What each node's application has been told, through the typed event alone.
    List<Map<String, String>> seen = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      VersionGossip p = new VersionGossip("1.0");
      Cluster node = start("v" + i, p);
      Map<String, String> view = new ConcurrentHashMap<>();
      node.on(VersionGossip.VersionSeen.class, e -> view.put(e.node(), e.version()));
      cluster.add(node);
      protocols.add(p);
      seen.add(view);
    }
    String seed = cluster.get(0).endpoint().toString();
    for (int i = 1; i < n; i++) {
      cluster.get(i).join(List.of(seed)).get(10, TimeUnit.SECONDS);
    }
    await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
      for (int i = 0; i < n; i++) {
        // Every other node's version, learned from the wire (a node's own is not an event).
        assertThat(seen.get(i)).as("v" + i).hasSize(n - 1).containsValue("1.0").doesNotContainKey("v" + i);
      }
    });

    VersionGossip upgraded = protocols.get(3);
    cluster.get(3).submit((now, out) -> {
      upgraded.setVersion("1.1");
      return null;
    }).get(5, TimeUnit.SECONDS);
    await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
      for (int i = 0; i < n; i++) {
        if (i != 3) {
          assertThat(seen.get(i)).as("v" + i).containsEntry("v3", "1.1");
        }
      }
    });
    // The protocol's own state agrees, read on the node's thread.
    Map<String, String> atZero = cluster.get(0).submit((now, out) -> protocols.get(0).versions())
        .get(5, TimeUnit.SECONDS);
    assertThat(atZero).containsEntry("v3", "1.1").containsEntry("v1", "1.0").hasSize(n);
    // It rode on membership's datagrams: no protocol packet was dropped anywhere.
    for (Cluster node : cluster) {
      assertThat(node.stats().droppedTotal()).as(node.localMember().name()).isZero();
    }
  }

  /** A protocol claiming membership's codes. */
  static final class Squatter implements Protocol<Object> {
    @Override
    public String protocolName() {
      return "squatter";
    }

    @Override
    public MessageRange messageTypes() {
      return MessageRange.of(0x08, 0x08);
    }

    @Override
    public void attach(ProtocolContext context) {}

    @Override
    public Object decode(PacketReader reader) {
      return null;
    }

    @Override
    public void onMessage(long nowMillis, Endpoint from, Object message, Delivery delivery, Outbox out) {}

  }

  @Test
  void aProtocolClaimingAnotherProtocolsMessageTypesIsRefusedAtStart() {
    assertThatThrownBy(() -> start("squat", new Squatter()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("stack of node squat: protocol 'squatter' claims message types 0x08..0x08, which overlap"
            + " 0x01..0x1F of protocol 'membership'");
  }
}
