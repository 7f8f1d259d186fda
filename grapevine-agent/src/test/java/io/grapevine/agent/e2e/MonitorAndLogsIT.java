// SPDX-License-Identifier: Apache-2.0
package io.grapevine.agent.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.grapevine.agent.e2e.AgentHarness.Agent;
import io.grapevine.agent.e2e.AgentHarness.Background;
import io.grapevine.agent.e2e.AgentHarness.Run;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code grapevine monitor}, {@code grapevine log-level} and the JSON log format, with real agents. */
class MonitorAndLogsIT {
  private AgentHarness h;

  @BeforeEach
  void setUp() throws Exception {
    h = new AgentHarness("e2e-monitor");
  }

  @AfterEach
  void tearDown() throws Exception {
    h.close();
  }

  @Test
  void monitorShowsAJoinAndLogLinesAndLogLevelChangesTheLevel() throws Exception {
    int[] p = AgentProcessIT.freePorts(4);
    Agent a = h.start("mon-a", p[0], p[1], "--config", h.fastConfig("mon-a"));
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(300)).ignoreExceptions().untilAsserted(() ->
        assertThat(h.cli("info", "--http", a.http()).exit()).isZero());

    Run level = h.cli("log-level", "--http", a.http());
    assertThat(level.exit()).as(level.err()).isZero();
    assertThat(level.out().strip()).isEqualTo("info");

    Background monitor = h.cliInBackground("monitor", "--log-level", "debug", "--http", a.http());
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
        assertThat(monitor.output()).contains("monitoring " + a.http() + " at level debug"));

    Agent b = h.start("mon-b", p[2], p[3], "--join", a.gossip(), "--config", h.fastConfig("mon-b"));
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
        assertThat(monitor.output()).containsPattern("EVENT member-join mon-b 127\\.0\\.0\\.1:" + b.gossipPort()));
    // Member events carry milliseconds, like the log lines around them.
    assertThat(monitor.output()).containsPattern("\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z EVENT member-join mon-b ");

    // Setting the level is itself logged at info: the monitor shows it as a log line.
    Run set = h.cli("log-level", "DEBUG", "--http", a.http());
    assertThat(set.exit()).as(set.err()).isZero();
    assertThat(set.out().strip()).isEqualTo("debug");
    assertThat(h.cli("log-level", "--http", a.http()).out().strip()).isEqualTo("debug");
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
        assertThat(monitor.output()).containsPattern("INFO  ApiServer: log level set to debug"));
    assertThat(monitor.process().isAlive()).as("monitor streams until interrupted").isTrue();

    Run bad = h.cli("log-level", "loud", "--http", a.http());
    assertThat(bad.exit()).isEqualTo(2);
    assertThat(bad.err()).startsWith("error: LEVEL must be trace, debug, info, warn or error, got 'loud'");
    Run badMonitor = h.cli("monitor", "--log-level", "chatty", "--http", a.http());
    assertThat(badMonitor.exit()).isEqualTo(2);
    assertThat(badMonitor.err()).startsWith("error: --log-level must be trace, debug, info, warn or error");
  }

  @Test
  void jsonLogFormatWritesOneParseableObjectPerLine() throws Exception {
    int[] p = AgentProcessIT.freePorts(2);
    Agent a = h.start("json-a", p[0], p[1], "--log-format", "json", "--config", h.fastConfig("json-a"));
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(300)).ignoreExceptions().untilAsserted(() ->
        assertThat(Files.readString(a.log())).contains("starts a new cluster"));
    List<JsonNode> lines = new ArrayList<>();
    for (String line : Files.readAllLines(a.log())) {
      if (!line.isBlank()) {
        lines.add(AgentHarness.JSON.readTree(line));
      }
    }
    assertThat(lines).isNotEmpty();
    for (JsonNode line : lines) {
      assertThat(java.time.Instant.parse(line.path("timestamp").asText())).as(line.toString())
          .isBefore(java.time.Instant.now().plusSeconds(1));
      assertThat(line.path("level").asText()).as(line.toString()).isIn("TRACE", "DEBUG", "INFO", "WARN", "ERROR");
      assertThat(line.has("message")).as(line.toString()).isTrue();
    }
    assertThat(lines).anySatisfy(l -> assertThat(l.path("message").asText()).contains("node json-a of cluster"));
    // Arguments are filled in, not left as placeholders.
    assertThat(lines).anySatisfy(l -> assertThat(l.path("message").asText())
        .contains("others join it with --join 127.0.0.1:" + a.gossipPort()));
    assertThat(lines).noneSatisfy(l -> assertThat(l.path("message").asText()).contains("{}"));
  }

  @Test
  void debugLogsSayWhyAMemberWasSuspectedAndDeclaredDead() throws Exception {
    int[] p = AgentProcessIT.freePorts(6);
    Agent a = h.start("why-a", p[0], p[1], "--log-level", "debug", "--config", h.fastConfig("why-a"));
    Agent b = h.start("why-b", p[2], p[3], "--join", a.gossip(), "--config", h.fastConfig("why-b"));
    Agent c = h.start("why-c", p[4], p[5], "--join", a.gossip(), "--config", h.fastConfig("why-c"));
    await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(300)).ignoreExceptions().untilAsserted(() ->
        assertThat(h.cli("members", "--json", "--status", "alive", "--http", a.http()).json().path("members"))
            .hasSize(3));
    assertThat(Files.readString(a.log())).as("nothing to explain while all answer").doesNotContain("probe of");
    c.process().destroyForcibly();
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(300)).untilAsserted(() ->
        assertThat(Files.readString(a.log())).contains("member why-c at 127.0.0.1:" + c.gossipPort() + " declared dead"));
    // The reason may be written just after the state change's own line: wait for it, bounded. Either a's
    // probe or b's accusation may come first (a then confirms), and b's timer may run out first (a then
    // takes b's verdict from gossip, and says so).
    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
      String log = Files.readString(a.log());
      assertThat(log).containsPattern("DEBUG \\[[^]]+\\] FailureDetector: why-a: probe of why-c at 127\\.0\\.0\\.1:"
          + c.gossipPort() + " \\((alive|suspect)\\) failed: no ack to the direct ping within \\d+ ms, nor through"
          + " relays why-b, nor over TCP; 1 of 1 nacks back; (suspecting it|confirming the suspicion)");
      assertThat(log).containsPattern("FailureDetector: why-a: why-c \\(incarnation \\d+\\) suspected by"
          + " (this node \\(failed probe\\)|why-b): declared dead in \\d+ ms unless it refutes");
      assertThat(log).containsPattern("FailureDetector: why-a: (suspicion of why-c ran out after \\d+ ms with \\d of \\d"
          + " confirmations and no refutation: declaring it dead|why-[ab] confirms the suspicion of why-c"
          + "|why-b declared why-c \\(incarnation \\d+\\) dead; taking its verdict)");
    });
    // b logs at info: no reasons there.
    assertThat(Files.readString(b.log())).contains("why-c").doesNotContain("FailureDetector:");
  }
}
