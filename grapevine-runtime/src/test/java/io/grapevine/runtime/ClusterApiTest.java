// SPDX-License-Identifier: Apache-2.0
package io.grapevine.runtime;

import static io.grapevine.runtime.TestNodes.countIn;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.grapevine.Cluster;
import io.grapevine.api.MemberEvent;
import io.grapevine.api.MemberState;
import io.grapevine.node.Endpoint;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ClusterApiTest {

  @Test
  void badSettingsFailWithOneClearLine() {
    assertThatThrownBy(() -> Cluster.builder().start()).hasMessageContaining("name is required");
    assertThatThrownBy(() -> Cluster.builder().name("")).hasMessage("name must be 1..255 UTF-8 bytes, got 0");
    assertThatThrownBy(() -> Cluster.builder().bind("127.0.0.1")).hasMessageContaining("expected HOST:PORT");
    assertThatThrownBy(() -> Cluster.builder().bind("127.0.0.1:99999"))
        .hasMessage("bind: port must be 0..65535 in '127.0.0.1:99999'");
    assertThatThrownBy(() -> Cluster.builder().advertise("[::1:7946"))
        .hasMessage("advertise: expected HOST:PORT, got '[::1:7946'");
    assertThatThrownBy(() -> Cluster.builder().clusterName("x".repeat(65)))
        .hasMessage(io.grapevine.config.ClusterNames.error("x".repeat(65))).hasMessageContaining("1..64");
    assertThatThrownBy(() -> Cluster.builder().joinTimeout(Duration.ZERO)).hasMessageContaining("joinTimeout");
    assertThatThrownBy(() -> Cluster.builder().name("w").bind("0.0.0.0:0").start())
        .hasMessageContaining("wildcard").hasMessageContaining("advertise");
    assertThatThrownBy(() -> Cluster.builder().name("m").metadata(new byte[10_000]).start())
        .hasMessageContaining("metadataMaxBytes");
  }

  @Test
  void seedsParseHostPortAndDnsNames() {
    assertThat(Seeds.resolve(List.of("127.0.0.1:7000"))).containsExactly(Endpoint.parse("127.0.0.1:7000"));
    assertThat(Seeds.resolve(List.of("[::1]:7000"))).containsExactly(Endpoint.parse("[::1]:7000"));
    // Every A/AAAA record of the name; localhost has at least 127.0.0.1.
    assertThat(Seeds.resolve(List.of("dns:localhost:7001"))).contains(Endpoint.parse("127.0.0.1:7001"))
        .allMatch(e -> e.port() == 7001);
    assertThat(Seeds.resolve(List.of("dns:localhost"))).allMatch(e -> e.port() == Seeds.DEFAULT_PORT);
    assertThatThrownBy(() -> Seeds.resolve(List.of())).hasMessageContaining("no seeds");
    assertThatThrownBy(() -> Seeds.resolve(List.of("::1:7000"))).hasMessageContaining("brackets");
    assertThatThrownBy(() -> Seeds.resolve(List.of("127.0.0.1:0"))).hasMessage("port must be 1..65535 in '127.0.0.1:0'");
    assertThat(Seeds.syntaxError("dns:seeds.example")).isNull();
    assertThat(Seeds.syntaxError("dns:")).isEqualTo("expected dns:NAME or dns:NAME:PORT, got 'dns:' (empty name)");
    assertThat(Seeds.syntaxError("dns:a b")).startsWith("expected dns:NAME or dns:NAME:PORT, got 'dns:a b' (bad host name");
    assertThatThrownBy(() -> Seeds.resolve(List.of("dns:no-such-host.invalid:7000")))
        .hasMessageContaining("no A/AAAA records");
  }

  @Test
  void wildcardBindWithAdvertisedAddressAndDnsSeed() throws Exception {
    try (Cluster a = Cluster.builder().name("a").clusterName("adv").bind("0.0.0.0:0").advertise("127.0.0.1:0")
            .config(TestNodes.fastConfig()).start();
        Cluster b = Cluster.builder().name("b").clusterName("adv").bind("127.0.0.1:0")
            .config(TestNodes.fastConfig()).start()) {
      assertThat(a.endpoint().toString()).startsWith("127.0.0.1:");
      assertThat(a.localMember().endpoint()).isEqualTo(a.endpoint());
      // localhost may also resolve to ::1, which an IPv4 socket cannot reach: counted, not fatal.
      assertThat(b.join(List.of("dns:localhost:" + a.endpoint().port())).get(10, TimeUnit.SECONDS)).isEqualTo(1);
      await().atMost(Duration.ofSeconds(10)).until(() -> countIn(a, MemberState.ALIVE) == 2
          && countIn(b, MemberState.ALIVE) == 2);
    }
  }

  @Test
  void ipv6ClusterOnLoopback() throws Exception {
    boolean v6;
    try (DatagramChannel ch = DatagramChannel.open()) {
      ch.bind(new InetSocketAddress(InetAddress.getByName("::1"), 0));
      v6 = true;
    } catch (IOException e) {
      v6 = false;
    }
    assumeTrue(v6, "no IPv6 loopback on this host");
    try (TestNodes cluster = new TestNodes("v6", TestNodes.fastConfig(), 1, false)) {
      Cluster a = cluster.start("a", "[::1]:0", b -> {});
      Cluster b = cluster.start("b", "[::1]:0", x -> {});
      Cluster c = cluster.start("c", "[::1]:0", x -> {});
      b.join(List.of(a.endpoint().toString())).get(10, TimeUnit.SECONDS);
      c.join(List.of(a.endpoint().toString())).get(10, TimeUnit.SECONDS);
      await().atMost(Duration.ofSeconds(10))
          .until(() -> cluster.nodes.values().stream().allMatch(n -> countIn(n, MemberState.ALIVE) == 3));
      assertThat(a.endpoint().isIpv6()).isTrue();
    }
  }

  @Test
  void joinTimesOutClearlyAndJoiningOnlyYourselfIsTrivial() throws Exception {
    try (Cluster a = Cluster.builder().name("lonely").bind("127.0.0.1:0").joinTimeout(Duration.ofMillis(600))
        .config(TestNodes.fastConfig()).start()) {
      assertThat(a.isJoined()).isTrue();
      assertThat(a.join(List.of(a.endpoint().toString())).get(1, TimeUnit.SECONDS)).isZero();
      // Port 9 (discard) on loopback: nobody answers.
      assertThatThrownBy(() -> a.join(List.of("127.0.0.1:9")).get(10, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .hasMessageContaining("no seed of [127.0.0.1:9] answered within 600 ms");
      assertThat(a.isJoined()).isFalse();
    }
  }

  @Test
  void listenersRunOnTheLoopAndTheirExceptionsAreContained() throws Exception {
    try (TestNodes cluster = new TestNodes("listen", TestNodes.fastConfig(), 1, false)) {
      Cluster a = cluster.start("a");
      List<String> seen = new CopyOnWriteArrayList<>();
      a.addListener(e -> {
        throw new IllegalStateException("listener failure (expected by the test)");
      });
      AutoCloseable handle = a.addListener(e -> {
        assertThat(Thread.currentThread().getName()).isEqualTo(cluster.loops.get(0).threadName());
        // Calling back into the node from a listener is allowed.
        seen.add(e.type() + ":" + e.member().name() + ":" + a.members().size());
      });
      Cluster b = cluster.start("b");
      b.join(List.of(a.endpoint().toString())).get(10, TimeUnit.SECONDS);
      await().atMost(Duration.ofSeconds(5)).until(() -> seen.contains(MemberEvent.Type.JOINED + ":b:2"));
      assertThat(((ClusterNode) a).listenerErrors()).isGreaterThan(0);
      handle.close();
      seen.clear();
      b.leave().get(5, TimeUnit.SECONDS);
      await().atMost(Duration.ofSeconds(5)).until(() -> TestNodes.stateOf(a, "b") == MemberState.LEFT);
      assertThat(seen).isEmpty();
      assertThat(cluster.loops.get(0).errors()).isZero();

      b.close();
      b.close();
      assertThatThrownBy(() -> b.updateMetadata(new byte[1])).hasMessageContaining("closed");
      assertThat(b.leave()).isCompletedExceptionally();
    }
  }
}
