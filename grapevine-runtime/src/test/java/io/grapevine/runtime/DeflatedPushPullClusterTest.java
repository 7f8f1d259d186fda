// SPDX-License-Identifier: Apache-2.0
package io.grapevine.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grapevine.Cluster;
import io.grapevine.api.MemberState;
import io.grapevine.config.MembershipConfig;
import io.grapevine.node.Delivery;
import io.grapevine.node.Endpoint;
import io.grapevine.transport.Transport;
import io.grapevine.transport.TransportStats;
import io.grapevine.wire.MessageType;
import io.grapevine.wire.WireFormat;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Deflated push-pulls over real TCP on loopback: three nodes that deflate exchange deflated state and
 * apply it; a fourth with deflating off (as a node of an earlier version asks for nothing) is only
 * ever sent plain push-pulls, and every node sees every other alive.
 */
class DeflatedPushPullClusterTest {
  private static final String CLUSTER = "deflate";
  private static final int TYPE_AT = WireFormat.CLUSTER_OFFSET + CLUSTER.length();
  private final List<Cluster> nodes = new ArrayList<>();

  /** A push-pull a node sent: to whom, and whether deflated. */
  private record Sent(Endpoint to, boolean deflated, int bytes) {}

  private static Transport capturing(Transport inner, List<Sent> into) {
    return new Transport() {
      @Override
      public void start(Receiver receiver) throws IOException {
        inner.start(receiver);
      }

      @Override
      public Endpoint localEndpoint() {
        return inner.localEndpoint();
      }

      @Override
      public void send(Endpoint to, ByteBuffer packet, Delivery delivery) {
        if (delivery == Delivery.STREAM && packet.remaining() > TYPE_AT + 3
            && packet.get(packet.position() + TYPE_AT) == MessageType.PUSH_PULL.code() && into.size() < 10_000) {
          into.add(new Sent(to, (packet.get(packet.position() + TYPE_AT + 3) & 4) != 0, packet.remaining()));
        }
        inner.send(to, packet, delivery);
      }

      @Override
      public TransportStats stats() {
        return inner.stats();
      }

      @Override
      public void close() {
        inner.close();
      }
    };
  }

  /**
   * Tags of a realistic size: with four members and a few bytes each, a push-pull is about 200 bytes
   * and deflating it does not make it smaller, so it goes plain.
   */
  private static byte[] meta(int i) {
    return ("dc=eu-west-1\nrack=r" + i + "\nrole=node-" + i + "\nversion=1.4.2-" + "build".repeat(20))
        .getBytes(StandardCharsets.UTF_8);
  }

  @AfterEach
  void close() {
    nodes.forEach(Cluster::close);
  }

  @Test
  void deflatingNodesExchangeDeflatedStateAndANodeThatDoesNotAskGetsPlainOnes() throws Exception {
    List<Sent> sent = new CopyOnWriteArrayList<>();
    for (int i = 0; i < 4; i++) {
      MembershipConfig config = MembershipConfig.local().toBuilder().pushPullInterval(Duration.ofMillis(300))
          .pushPullDeflateLevel(i == 3 ? 0 : 6).build();
      nodes.add(Cluster.builder().name("d" + i).clusterName(CLUSTER).bind("127.0.0.1:0").config(config)
          .metadata(meta(i))
          .transportDecorator(t -> capturing(t, sent)).start());
    }
    for (int i = 1; i < 4; i++) {
      nodes.get(i).join(List.of(nodes.get(0).endpoint().toString())).get(10, TimeUnit.SECONDS);
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> nodes.stream().allMatch(c -> c.members().stream()
        .filter(m -> m.state() == MemberState.ALIVE).count() == 4));
    await().atMost(Duration.ofSeconds(30)).until(() -> sent.stream().filter(Sent::deflated).count() >= 10);

    Endpoint plainOnly = nodes.get(3).endpoint();
    assertThat(sent.stream().filter(s -> s.to().equals(plainOnly))).isNotEmpty().noneMatch(Sent::deflated);
    int largestDeflated = sent.stream().filter(Sent::deflated).mapToInt(Sent::bytes).max().orElseThrow();
    // The full state, plain (early ones carry fewer members), against the full state deflated.
    int largestPlain = sent.stream().filter(s -> !s.deflated()).mapToInt(Sent::bytes).max().orElseThrow();
    assertThat(largestDeflated).isLessThan(largestPlain * 3 / 4);
    for (Cluster c : nodes) {
      assertThat(c.stats().droppedTotal()).as(c.localMember().name() + " dropped nothing").isZero();
      assertThat(c.members()).hasSize(4).allMatch(m -> m.state() == MemberState.ALIVE);
      // Metadata comes through deflated state as it went in.
      assertThat(c.member("d2").orElseThrow().metadata()).isEqualTo(meta(2));
    }
  }
}
