// SPDX-License-Identifier: Apache-2.0
package io.grapevine.agent.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.grapevine.agent.e2e.AgentHarness.Agent;
import io.grapevine.agent.e2e.AgentHarness.Run;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Tags, member filters and RTT estimates, with real agents and the real command line. */
class OperatorCommandsIT {
  private AgentHarness h;

  @BeforeEach
  void setUp() throws Exception {
    h = new AgentHarness("e2e-operator");
  }

  @AfterEach
  void tearDown() throws Exception {
    h.close();
  }

  private static List<String> names(JsonNode members) {
    List<String> out = new ArrayList<>();
    members.path("members").forEach(m -> out.add(m.path("name").asText()));
    return out;
  }

  @Test
  void tagsSpreadFiltersSelectAndRttIsEstimated() throws Exception {
    int[] p = AgentProcessIT.freePorts(6);
    Agent a = h.start("web-1", p[0], p[1], "--meta", "role=web", "--coordinates", "on", "--config",
        h.fastConfig("web-1"));
    Agent b = h.start("web-2", p[2], p[3], "--meta", "role=web", "--coordinates", "on", "--join", a.gossip(),
        "--config", h.fastConfig("web-2"));
    Agent c = h.start("db-1", p[4], p[5], "--meta", "role=db", "--coordinates", "on", "--join", a.gossip(),
        "--config", h.fastConfig("db-1"));
    await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(300)).ignoreExceptions().untilAsserted(() ->
        assertThat(names(h.cli("members", "--json", "--status", "alive", "--http", a.http()).json()))
            .containsExactlyInAnyOrder("web-1", "web-2", "db-1"));

    // Filters: tag regex, name regex, status; all must match.
    assertThat(names(h.cli("members", "--json", "--tag", "role=web", "--http", a.http()).json()))
        .containsExactlyInAnyOrder("web-1", "web-2");
    assertThat(names(h.cli("members", "--json", "--name", "web-.*", "--tag", "role=w.*", "--http", a.http()).json()))
        .containsExactlyInAnyOrder("web-1", "web-2");
    assertThat(names(h.cli("members", "--json", "--name", "web", "--http", a.http()).json())).isEmpty();
    assertThat(names(h.cli("members", "--json", "--status", "dead,left", "--http", a.http()).json())).isEmpty();
    Run detailed = h.cli("members", "--detailed", "--http", a.http());
    assertThat(detailed.out()).contains("PROTOCOL", "SINCE", "role=db").containsPattern("db-1 .* \\d+s ago");

    // Tags set on db-1 reach web-1; deleting one removes it there too.
    Run set = h.cli("tags", "set", "role=db", "zone=eu-1", "--http", c.http());
    assertThat(set.exit()).as(set.err()).isZero();
    assertThat(set.out()).contains("zone=eu-1", "role=db");
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
        assertThat(names(h.cli("members", "--json", "--tag", "zone=eu-.*", "--http", a.http()).json()))
            .containsExactly("db-1"));
    assertThat(h.cli("tags", "delete", "zone", "--http", c.http()).exit()).isZero();
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
        assertThat(names(h.cli("members", "--json", "--tag", "zone=.*", "--http", a.http()).json())).isEmpty());

    // Coordinates arrive on probe acks; on loopback the estimate is small and finite.
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(300)).untilAsserted(() -> {
      Run rtt = h.cli("rtt", "web-2", "db-1", "--json", "--http", a.http());
      assertThat(rtt.exit()).as(rtt.err()).isZero();
      assertThat(rtt.json().path("rttMs").asDouble()).isBetween(0.0, 50.0);
    });
    Run self = h.cli("rtt", "db-1", "--http", a.http());
    assertThat(self.out()).startsWith("estimated db-1 <-> web-1 rtt: ");
    assertThat(b.process().isAlive()).isTrue();
  }

  @Test
  void badFiltersAndTagsAreUsageErrors() throws Exception {
    Run badStatus = h.cli("members", "--status", "zombie");
    assertThat(badStatus.exit()).isEqualTo(2);
    assertThat(badStatus.err()).contains("error: --status: unknown state 'zombie' (known: alive, suspect, dead, left)");
    Run badRegex = h.cli("members", "--name", "web-(");
    assertThat(badRegex.exit()).isEqualTo(2);
    assertThat(badRegex.err()).contains("error: --name: bad regular expression 'web-('");
    Run badTag = h.cli("members", "--tag", "role");
    assertThat(badTag.exit()).isEqualTo(2);
    assertThat(badTag.err()).contains("error: --tag: expected KEY=REGEX, got 'role'");
    Run badSet = h.cli("tags", "set", "novalue");
    assertThat(badSet.exit()).isEqualTo(2);
    assertThat(badSet.err()).contains("expected KEY=VALUE for a tag, got 'novalue'");
    Run offAgent = h.cli("rtt");
    assertThat(offAgent.exit()).isEqualTo(2);
  }

  @Test
  void rttOnAnAgentWithoutCoordinatesSaysHowToTurnThemOn() throws Exception {
    int[] p = AgentProcessIT.freePorts(2);
    Agent a = h.start("solo", p[0], p[1]);
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(300)).ignoreExceptions().untilAsserted(() ->
        assertThat(h.cli("info", "--http", a.http()).exit()).isZero());
    Run r = h.cli("rtt", "solo", "--http", a.http());
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).contains("network coordinates are off on this agent: start it with --coordinates on");
  }
}
