// SPDX-License-Identifier: Apache-2.0
package io.grapevine.agent.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grapevine.agent.e2e.AgentHarness.Agent;
import io.grapevine.agent.e2e.AgentHarness.Run;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code --event-handler} with real agents: what a command is told, and that a hanging one is cut off. */
class EventHandlersIT {
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private AgentHarness h;

  @BeforeEach
  void setUp() throws Exception {
    h = new AgentHarness("e2e-handlers");
  }

  @AfterEach
  void tearDown() throws Exception {
    h.close();
  }

  static String metrics(Agent a) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://" + a.http() + "/v1/metrics")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
  }

  static double metric(String text, String line) {
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(line) + " (\\S+)$").matcher(text);
    return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
  }

  @Test
  void handlersHearMemberAndUserEventsAndAHangingOneIsKilledWithoutHoldingUpProbes() throws Exception {
    Path dir = Files.createDirectories(h.work.resolve("handlers-" + System.nanoTime()));
    Path record = dir.resolve("record.sh");
    Files.writeString(record, "out=\"$1/events.txt\"\n"
        + "{ env | grep '^GRAPEVINE_' | sort; echo '--stdin--'; cat; echo; echo '--end--'; } >> \"$out\"\n");
    Path yaml = dir.resolve("ev-a.yaml");
    Files.writeString(yaml, String.join("\n",
        "profile: local",
        "membership:",
        "  probe-interval: 400ms",
        "  probe-timeout: 150ms",
        "  suspicion-max-timeout-mult: 3",
        "event-handler:",
        "  - member-join,member-leave,user:deploy=/bin/sh " + record + " " + dir,
        "event-handler-timeout: 3s",
        ""));
    Path pidFile = dir.resolve("hang.pid");
    int[] p = AgentProcessIT.freePorts(6);
    Agent a = h.start("ev-a", p[0], p[1], "--config", yaml.toString(), "--meta", "role=web", "--meta", "zone=eu-1",
        "--event-handler", "user:hang=echo $$ > " + pidFile + "; exec sleep 60",
        "--event-handler", "user:fail=echo broken; exit 3");
    Agent b = h.start("ev-b", p[2], p[3], "--join", a.gossip(), "--meta", "role=db", "--config", h.fastConfig("ev-b"));
    Agent c = h.start("ev-c", p[4], p[5], "--join", a.gossip(), "--config", h.fastConfig("ev-c"));
    Path events = dir.resolve("events.txt");

    // member-join: Serf's variables, the node's tags, and the member on stdin (name, address, role, tags).
    await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(300)).untilAsserted(() ->
        assertThat(events).exists().content().contains("ev-b\t127.0.0.1:" + b.gossipPort() + "\tdb\trole=db\n",
            "ev-c\t127.0.0.1:" + c.gossipPort() + "\t\t\n"));
    String joined = Files.readString(events);
    String joinB = joined.substring(joined.lastIndexOf("GRAPEVINE_EVENT=", joined.indexOf("ev-b\t127")));
    assertThat(joinB).startsWith("GRAPEVINE_EVENT=member-join\n").contains("GRAPEVINE_SELF_NAME=ev-a\n",
        "GRAPEVINE_SELF_ROLE=web\n", "GRAPEVINE_TAG_ROLE=web\n", "GRAPEVINE_TAG_ZONE=eu-1\n");

    // A user event: its name in the environment, its payload on stdin.
    Run sent = h.cli("event", "send", "deploy", "v42", "--http", b.http());
    assertThat(sent.exit()).as(sent.err()).isZero();
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
        assertThat(Files.readString(events)).contains("GRAPEVINE_USER_EVENT=deploy\n").contains("--stdin--\nv42\n"));
    assertThat(Files.readString(events)).doesNotContain("GRAPEVINE_USER_EVENT=hang");

    // A handler that hangs: killed at the timeout, counted, and meanwhile ev-a answers every probe.
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(300)).untilAsserted(() -> {
      assertThat(metric(metrics(b), "grapevine_members{state=\"alive\"}")).isEqualTo(3.0);
      assertThat(metric(metrics(c), "grapevine_members{state=\"alive\"}")).isEqualTo(3.0);
    });
    double suspicionsB = metric(metrics(b), "grapevine_suspicions_raised_total");
    double suspicionsC = metric(metrics(c), "grapevine_suspicions_raised_total");
    assertThat(h.cli("event", "send", "hang", "x", "--http", c.http()).exit()).isZero();
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() ->
        Files.exists(pidFile) && !Files.readString(pidFile).isBlank());
    long pid = Long.parseLong(Files.readString(pidFile).strip());
    long started = System.nanoTime();
    while (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)
        && System.nanoTime() - started < Duration.ofSeconds(20).toNanos()) {
      assertThat(metric(metrics(b), "grapevine_members{state=\"alive\"}")).as("ev-b sees every member alive")
          .isEqualTo(3.0);
      assertThat(metric(metrics(c), "grapevine_members{state=\"alive\"}")).isEqualTo(3.0);
      Thread.sleep(200);
    }
    assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).as("killed at the timeout").isFalse();
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
    assertThat(metric(metrics(b), "grapevine_suspicions_raised_total")).isEqualTo(suspicionsB);
    assertThat(metric(metrics(c), "grapevine_suspicions_raised_total")).isEqualTo(suspicionsC);
    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
        assertThat(metric(metrics(a), "grapevine_event_handler_runs_total{outcome=\"timeout\"}")).isEqualTo(1.0));
    assertThat(Files.readString(a.log())).contains("event handler 'echo $$ > " + pidFile
        + "; exec sleep 60' for user:hang still ran after 3000 ms: killed (1 timed out so far)");

    // A failing one is counted and logged with its output.
    assertThat(h.cli("event", "send", "fail", "x", "--http", c.http()).exit()).isZero();
    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
        assertThat(metric(metrics(a), "grapevine_event_handler_runs_total{outcome=\"failed\"}")).isEqualTo(1.0));
    assertThat(Files.readString(a.log())).contains("for user:fail exited with status 3 (1 failed so far): broken");
    assertThat(metric(metrics(a), "grapevine_event_handler_runs_total{outcome=\"dropped\"}")).isZero();

    // member-leave after a graceful leave.
    assertThat(h.cli("leave", "--http", b.http()).exit()).isZero();
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
        assertThat(Files.readString(events)).contains("GRAPEVINE_EVENT=member-leave\n"));
    assertThat(metric(metrics(a), "grapevine_event_handler_runs_total{outcome=\"ok\"}")).isGreaterThanOrEqualTo(4.0);
  }

  @Test
  void aBadHandlerIsAUsageError() throws Exception {
    Run bad = h.cli("agent", "--name", "x", "--event-handler", "member-joined=echo hi");
    assertThat(bad.exit()).isEqualTo(2);
    assertThat(bad.err()).contains("error: --event-handler: unknown event 'member-joined' in 'member-joined' (known:"
        + " member-join, member-leave, member-failed, member-update, member-reap, user, user:NAME, query:NAME)");
    Run timeout = h.cli("agent", "--name", "x", "--event-handler-timeout", "0s");
    assertThat(timeout.exit()).isEqualTo(2);
    assertThat(timeout.err()).contains("error: --event-handler-timeout: must be positive");
  }
}
