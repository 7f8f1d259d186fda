// SPDX-License-Identifier: Apache-2.0
package io.grapevine.agent.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grapevine.Cluster;
import io.grapevine.QueryHandler;
import io.grapevine.agent.Metadata;
import io.grapevine.agent.e2e.AgentHarness.Agent;
import io.grapevine.agent.e2e.AgentHarness.Run;
import io.grapevine.config.MembershipConfig;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code grapevine query} through a real agent process, answered by an application node (a {@link
 * Cluster} in this JVM with a query handler) that joined the agents' cluster. The agents have no
 * handler: they acknowledge, and do not answer.
 */
class QueryProcessIT {
  private AgentHarness h;
  private Cluster app;

  @BeforeEach
  void setUp() throws Exception {
    h = new AgentHarness("e2e-query");
  }

  @AfterEach
  void tearDown() throws Exception {
    if (app != null) {
      app.close();
    }
    h.close();
  }

  @Test
  void anAgentAsksAndAnApplicationNodeAnswers() throws Exception {
    int[] p = AgentProcessIT.freePorts(4);
    Agent a = h.start("web-1", p[0], p[1], "--meta", "role=web", "--config", h.fastConfig("web-1"));
    Agent b = h.start("db-1", p[2], p[3], "--meta", "role=db", "--join", a.gossip(), "--config", h.fastConfig("db-1"));
    app = Cluster.builder().name("app-1").bind("127.0.0.1:0").config(MembershipConfig.local())
        .metadata(Metadata.encode(Map.of("role", "web"))).start();
    app.onQuery("version", QueryHandler.sync(r -> ("app-1 runs 1.4 (" + new String(r.payload(), StandardCharsets.UTF_8)
        + ")").getBytes(StandardCharsets.UTF_8)));
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(300)).ignoreExceptions()
        .until(() -> app.join(List.of(a.gossip())).get(5, TimeUnit.SECONDS) > 0);
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(300)).ignoreExceptions().untilAsserted(() ->
        assertThat(h.cli("members", "--json", "--status", "alive", "--http", b.http()).json().path("members").size())
            .isEqualTo(3));

    // Asked from db-1: every node acknowledges; only the application node has a handler.
    Run all = h.cli("query", "version", "now?", "--timeout", "3s", "--http", b.http());
    assertThat(all.exit()).as(all.err()).isZero();
    assertThat(all.out()).contains("ack from web-1 (", "ack from db-1 (", "ack from app-1 (")
        .containsPattern("response from app-1 \\(\\d+ ms\\): app-1 runs 1.4 \\(now\\?\\)")
        .contains("acks 3/3, responses 1/3 in ", "no response from: ").doesNotContain("response from web-1");

    // role=web selects web-1 and app-1, not db-1 (which asks).
    Run web = h.cli("query", "version", "--tag", "role=w.b", "--timeout", "3s", "--http", b.http());
    assertThat(web.exit()).as(web.err()).isZero();
    assertThat(web.out()).contains("ack from web-1", "ack from app-1", "acks 2/2, responses 1/2")
        .doesNotContain("ack from db-1");

    // Only app-1, no acks: the query ends as soon as it answered.
    Run one = h.cli("query", "version", "--node", "app-1", "--no-ack", "--timeout", "20s", "--json", "--http", a.http());
    assertThat(one.exit()).as(one.err()).isZero();
    String done = one.out().lines().reduce((x, y) -> y).orElseThrow();
    assertThat(done).contains("\"timedOut\":false", "\"responded\":[\"app-1\"]", "\"expected\":[\"app-1\"]");

    Run bad = h.cli("query", "version", "--tag", "=web", "--http", a.http());
    assertThat(bad.exit()).isEqualTo(2);
    assertThat(bad.err().strip().lines()).hasSize(1);
  }
}
