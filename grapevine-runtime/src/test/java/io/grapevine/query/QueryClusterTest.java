// SPDX-License-Identifier: Apache-2.0
package io.grapevine.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grapevine.Cluster;
import io.grapevine.QueryHandle;
import io.grapevine.QueryHandler;
import io.grapevine.config.MembershipConfig;
import io.grapevine.runtime.ClusterNode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Queries on five real nodes over loopback UDP/TCP: handlers, filters, acks, async answers, limits. */
class QueryClusterTest {
  private static final int N = 5;
  private final List<Cluster> nodes = new ArrayList<>();
  private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();

  @BeforeEach
  void startFive() throws Exception {
    for (int i = 0; i < N; i++) {
      String tags = "role=" + (i % 2 == 0 ? "web" : "db");
      nodes.add(Cluster.builder().name("q" + i).clusterName("queries").bind("127.0.0.1:0")
          .config(MembershipConfig.local()).metadata(tags.getBytes(StandardCharsets.UTF_8)).start());
    }
    String seed = nodes.get(0).endpoint().toString();
    for (int i = 1; i < N; i++) {
      nodes.get(i).join(List.of(seed)).get(10, TimeUnit.SECONDS);
    }
    await().atMost(Duration.ofSeconds(20)).until(() -> nodes.stream().allMatch(c -> c.members().size() == N));
  }

  @AfterEach
  void closeAll() {
    nodes.forEach(Cluster::close);
    executor.shutdownNow();
  }

  @Test
  void everyNodeAnswersOnceAndTheResultSaysWho() throws Exception {
    for (int i = 0; i < N; i++) {
      String name = "q" + i;
      nodes.get(i).onQuery("whoami", QueryHandler.sync(r -> (name + " heard " + new String(r.payload(),
          StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8)));
    }
    ConcurrentLinkedQueue<String> streamed = new ConcurrentLinkedQueue<>();
    QueryHandle q = nodes.get(2).query("whoami", "hi".getBytes(StandardCharsets.UTF_8),
        QueryOptions.defaults().requestAck(true).timeout(Duration.ofSeconds(5)));
    q.onResponse(r -> streamed.add(r.from()));
    QueryResult r = q.result().get(10, TimeUnit.SECONDS);

    Set<String> all = Set.of("q0", "q1", "q2", "q3", "q4");
    assertThat(r.expected()).isEqualTo(all);
    assertThat(r.responses().keySet()).isEqualTo(all);
    assertThat(r.acked()).isEqualTo(all);
    assertThat(r.timedOut()).as("finished once everyone answered").isFalse();
    assertThat(new String(r.responses().get("q4"), StandardCharsets.UTF_8)).isEqualTo("q4 heard hi");
    assertThat(streamed).containsExactlyInAnyOrderElementsOf(all);
    assertThat(q.responses()).hasSize(N);
    assertThat(q.acks()).hasSize(N);
    assertThat(nodes.get(2).queryStats().responsesReceived()).isEqualTo(N);
    for (Cluster c : nodes) {
      assertThat(c.queryStats().delivered()).isEqualTo(1);
      assertThat(c.queryStats().responsesSent()).isEqualTo(1);
    }
  }

  @Test
  void asyncAnswersCountUntilTheDeadlineAndFiltersSelectNodes() throws Exception {
    for (int i = 0; i < N; i++) {
      String name = "q" + i;
      // q1 answers after the deadline; the others after 50 ms, off the node's thread.
      long delay = i == 1 ? 1_400 : 50;
      nodes.get(i).onQuery("slow", r -> {
        CompletableFuture<byte[]> f = new CompletableFuture<>();
        executor.schedule(() -> f.complete(name.getBytes(StandardCharsets.UTF_8)), delay, TimeUnit.MILLISECONDS);
        return f;
      });
    }
    QueryResult all = nodes.get(0).query("slow", new byte[0], QueryOptions.defaults().timeout(Duration.ofSeconds(1)))
        .result().get(10, TimeUnit.SECONDS);
    assertThat(all.timedOut()).isTrue();
    assertThat(all.responses().keySet()).containsExactlyInAnyOrder("q0", "q2", "q3", "q4");
    assertThat(all.missingResponses()).containsExactly("q1");
    // q1's answer comes after its own deadline too: refused there and counted.
    await().atMost(Duration.ofSeconds(10)).until(() -> nodes.get(1).queryStats().lateResponsesRefused() == 1);

    QueryResult web = nodes.get(1).query("slow", new byte[0],
        QueryOptions.defaults().tag("role", "web").timeout(Duration.ofSeconds(2))).result().get(10, TimeUnit.SECONDS);
    assertThat(web.expected()).containsExactlyInAnyOrder("q0", "q2", "q4");
    assertThat(web.responses().keySet()).containsExactlyInAnyOrder("q0", "q2", "q4");
    assertThat(web.timedOut()).isFalse();
  }

  @Test
  void namesAreCheckedAndInternalOnesAreReserved() throws Exception {
    Cluster c = nodes.get(0);
    assertThatThrownBy(() -> c.onQuery("_grapevine-keys", QueryHandler.sync(r -> null)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("reserved");
    assertThatThrownBy(() -> c.query("_grapevine-keys", new byte[0], QueryOptions.defaults()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("reserved");
    c.onQuery("x", QueryHandler.sync(r -> null));
    assertThatThrownBy(() -> c.onQuery("x", QueryHandler.sync(r -> null)))
        .isInstanceOf(IllegalStateException.class).hasMessage("query 'x' has a handler already on node q0");
    assertThatThrownBy(() -> c.query("x", new byte[2000], QueryOptions.defaults()))
        .hasMessage("query payload is 2000 bytes, above query.maxPayloadBytes 1024");

    // Grapevine's own commands use the same protocol under the reserved prefix.
    for (Cluster n : nodes) {
      ((ClusterNode) n).onInternalQuery("_grapevine-echo", QueryHandler.sync(r -> r.payload()));
    }
    QueryResult r = ((ClusterNode) nodes.get(3)).internalQuery("_grapevine-echo", new byte[] {42},
        QueryOptions.defaults().timeout(Duration.ofSeconds(5))).result().get(10, TimeUnit.SECONDS);
    assertThat(r.responses()).hasSize(N).allSatisfy((node, bytes) -> assertThat(bytes).containsExactly(42));
  }
}
