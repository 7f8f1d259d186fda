// SPDX-License-Identifier: Apache-2.0
package io.grapevine.agent.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.grapevine.agent.e2e.AgentHarness.Agent;
import io.grapevine.agent.e2e.AgentHarness.Run;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Joining (retry limits, a taken name, seeds that do not resolve), HEAD requests, the build info
 * metric and the command line's exit statuses, with real agents.
 */
class JoinAndUsageIT {
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private AgentHarness h;

  @BeforeEach
  void setUp() throws Exception {
    h = new AgentHarness("e2e-join");
  }

  @AfterEach
  void tearDown() throws Exception {
    h.close();
  }

  private static HttpResponse<String> request(Agent a, String method, String path, String body) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://" + a.http() + path))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
        .build(), HttpResponse.BodyHandlers.ofString());
  }

  private void awaitUp(Agent a) {
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(300)).ignoreExceptions().untilAsserted(() ->
        assertThat(h.cli("info", "--http", a.http()).exit()).isZero());
  }

  @Test
  void joinRetriesAreLoggedOneByOneAndTheAgentGivesUpAfterTheLimit() throws Exception {
    int[] p = AgentProcessIT.freePorts(3);
    Path yaml = h.work.resolve("retry.yaml");
    Files.writeString(yaml, "profile: local\njoin-timeout: 1s\n");
    // p[2] is free: nothing answers there.
    Agent a = h.start("lonely", p[0], p[1], "--config", yaml.toString(), "--join", "127.0.0.1:" + p[2],
        "--retry-join-max", "2", "--retry-join-interval", "1s");
    assertThat(a.process().waitFor(60, TimeUnit.SECONDS)).as("gave up").isTrue();
    assertThat(a.process().exitValue()).isEqualTo(1);
    String log = Files.readString(a.log());
    assertThat(log).contains(
        "join attempt 1 of 2: waiting up to 1000 ms for an answer from 127.0.0.1:" + p[2],
        "join attempt 1 of 2 through [127.0.0.1:" + p[2] + "] failed (",
        "retrying in 1000 ms",
        "join attempt 2 of 2: waiting up to 1000 ms for an answer from 127.0.0.1:" + p[2],
        "giving up (retry-join-max 2)");
    assertThat(log).doesNotContain("join attempt 3");
  }

  @Test
  void aSecondAgentUnderATakenNameIsRefusedAndTheFirstStaysAlive() throws Exception {
    int[] p = AgentProcessIT.freePorts(6);
    Agent a = h.start("seed", p[0], p[1], "--config", h.fastConfig("seed"));
    Agent b = h.start("web", p[2], p[3], "--join", a.gossip(), "--config", h.fastConfig("web"));
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(300)).ignoreExceptions().untilAsserted(() ->
        assertThat(h.cli("members", "--json", "--status", "alive", "--http", a.http()).json().path("members"))
            .hasSize(2));
    Agent twin = h.start("web", p[4], p[5], "--join", a.gossip(), "--config", h.fastConfig("web-twin"));
    assertThat(twin.process().waitFor(60, TimeUnit.SECONDS)).as("refused").isTrue();
    assertThat(twin.process().exitValue()).isEqualTo(1);
    assertThat(Files.readString(twin.log())).contains("refusing to run: the name 'web' is taken by a member alive at "
        + b.gossip() + "; start this agent with another --name");
    // The original keeps its name, its address and its life: no leave went out under its name.
    Thread.sleep(2000); // a window for a wrong "left" to spread; probing runs every 400 ms
    JsonNode members = h.cli("members", "--json", "--http", a.http()).json().path("members");
    assertThat(members).hasSize(2).anySatisfy(m -> {
      assertThat(m.path("name").asText()).isEqualTo("web");
      assertThat(m.path("address").asText()).isEqualTo(b.gossip());
      assertThat(m.path("state").asText()).isEqualTo("alive");
    });
    assertThat(b.process().isAlive()).isTrue();
  }

  @Test
  void unresolvableSeedsAreBadRequestsHeadWorksAndBuildInfoIsExported() throws Exception {
    // Names come from this file only, so an unknown one fails here without asking any DNS server.
    Path hosts = Files.writeString(h.work.resolve("hosts"), "127.0.0.1 localhost\n");
    int[] p = AgentProcessIT.freePorts(2);
    Agent a = h.start(List.of("-Djdk.net.hosts.file=" + hosts), "solo", p[0], p[1], "--config", h.fastConfig("solo"));
    awaitUp(a);

    HttpResponse<String> join = request(a, "POST", "/v1/join", "{\"seeds\": [\"no-such-host.invalid:7946\"]}");
    assertThat(join.statusCode()).isEqualTo(400);
    assertThat(join.body()).contains("bad seed: cannot resolve host 'no-such-host.invalid'");
    HttpResponse<String> dns = request(a, "POST", "/v1/join", "{\"seeds\": [\"dns:no-such-host.invalid\"]}");
    assertThat(dns.statusCode()).isEqualTo(400);
    assertThat(dns.body()).contains("bad seed: no A/AAAA records for 'no-such-host.invalid'");
    Run cliJoin = h.cli("join", "no-such-host.invalid:7946", "--http", a.http());
    assertThat(cliJoin.exit()).isEqualTo(2);
    assertThat(cliJoin.err()).startsWith("error: bad seed: cannot resolve host 'no-such-host.invalid'");

    HttpResponse<String> head = request(a, "HEAD", "/v1/members", null);
    assertThat(head.statusCode()).isEqualTo(200);
    assertThat(head.body()).isEmpty();
    assertThat(head.headers().firstValue("Content-Type")).hasValue("application/json");
    assertThat(head.headers().firstValueAsLong("Content-Length").orElse(0))
        .isEqualTo(request(a, "GET", "/v1/members", null).body().getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
    for (String path : List.of("/v1/info", "/v1/health", "/metrics", "/v1/tags", "/v1/log-level", "/v1/aggregates",
        "/v1/kv/m", "/v1/monitor", "/v1/events/watch")) {
      HttpResponse<String> r = request(a, "HEAD", path, null);
      assertThat(r.statusCode()).as(path).isEqualTo(200);
      assertThat(r.body()).as(path).isEmpty();
    }
    HttpResponse<String> post = request(a, "POST", "/v1/members", "");
    assertThat(post.statusCode()).isEqualTo(405);
    assertThat(post.headers().firstValue("Allow")).hasValue("GET, HEAD");

    String metrics = request(a, "GET", "/v1/metrics", null).body();
    assertThat(metrics).containsPattern("(?m)^grapevine_build_info\\{version=\"[^\"]+\"} 1$");
    String version = h.cli("info", "--json", "--http", a.http()).json().path("agent").path("version").asText();
    assertThat(metrics).contains("grapevine_build_info{version=\"" + version + "\"} 1\n");
  }

  @Test
  void usageErrorsExit2InCommandLineTerms() throws Exception {
    record Case(List<String> args, String message) {}
    List<Case> cases = List.of(
        new Case(List.of("members", "--http", "127.0.0.1:99999"), "error: --http: "),
        new Case(List.of("info", "--http", "nohost"), "error: --http: "),
        new Case(List.of("aggregate", "set", "load", "lots"), "error: VALUE must be a finite number like 0.7, got 'lots'"),
        new Case(List.of("aggregate", "set", "load", "NaN"), "error: VALUE must be a finite number"),
        new Case(List.of("event", "send", "", "x"), "error: TOPIC must be 1..255 UTF-8 bytes, got 0"),
        new Case(List.of("kv", "put", "bad/map", "k", "v"), "error: MAP: "),
        new Case(List.of("kv", "watch", "", "k"), "error: MAP: map name must not be empty"),
        new Case(List.of("join", "nohost"), "error: SEED: "),
        new Case(List.of("log-level", "loud"), "error: LEVEL must be"),
        new Case(List.of("monitor", "--log-level", "x"), "error: --log-level must be"),
        new Case(List.of("tree", "set", "x"), "error: VALUE must be a finite number"),
        new Case(List.of("tags", "set", "x"), "error: expected KEY=VALUE for a tag"),
        new Case(List.of("members", "--bogus"), "error: Unknown option: '--bogus'"),
        new Case(List.of("nosuchcommand"), "error: Unmatched argument"));
    for (Case c : cases) {
      Run r = h.cli(c.args().toArray(String[]::new));
      assertThat(r.exit()).as(c.args() + ": " + r.err()).isEqualTo(2);
      assertThat(r.err()).as(c.args().toString()).startsWith(c.message());
      assertThat(r.err().lines().count()).as(c.args() + " says it in one line").isEqualTo(1);
    }
    // An agent that is not there is a failure, not a usage error.
    int[] p = AgentProcessIT.freePorts(1);
    Run none = h.cli("members", "--http", "127.0.0.1:" + p[0]);
    assertThat(none.exit()).isEqualTo(1);
    assertThat(none.err()).startsWith("error: cannot reach an agent at 127.0.0.1:" + p[0]);
  }
}
