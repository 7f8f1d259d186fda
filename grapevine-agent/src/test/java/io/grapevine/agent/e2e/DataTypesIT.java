// SPDX-License-Identifier: Apache-2.0
package io.grapevine.agent.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.grapevine.agent.e2e.AgentHarness.Agent;
import io.grapevine.agent.e2e.AgentHarness.Background;
import io.grapevine.agent.e2e.AgentHarness.Run;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Counters, sets, values with a time to live and coalesced events through the HTTP API and the
 * command line, with real agents.
 */
class DataTypesIT {
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private AgentHarness h;

  @BeforeEach
  void setUp() throws Exception {
    h = new AgentHarness("e2e-data-types");
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

  private static JsonNode json(HttpResponse<String> r) throws IOException {
    return AgentHarness.JSON.readTree(r.body());
  }

  private void awaitUp(Agent a) {
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(300)).ignoreExceptions().untilAsserted(() ->
        assertThat(h.cli("info", "--http", a.http()).exit()).isZero());
  }

  private static void assertUsageError(Run r, String message) {
    assertThat(r.exit()).as(r.err()).isEqualTo(2);
    assertThat(r.err().lines().toList()).hasSize(1);
    assertThat(r.err()).startsWith("error: ").contains(message);
  }

  private static List<String> lines(String out) {
    return out.lines().filter(l -> !l.isBlank()).toList();
  }

  @Test
  void countersSetsAndTtlOverHttpAndCli() throws Exception {
    int[] p = AgentProcessIT.freePorts(4);
    Agent a = h.start("dt-a", p[0], p[1], "--config", h.fastConfig("dt-a"));
    Agent b = h.start("dt-b", p[2], p[3], "--join", a.gossip(), "--config", h.fastConfig("dt-b"));
    await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(300)).ignoreExceptions().untilAsserted(() ->
        assertThat(json(request(a, "GET", "/v1/health", null)).path("members").path("alive").asInt()).isEqualTo(2));

    // Counters: increments on both nodes all count, everywhere.
    assertThat(h.cli("kv", "incr", "stats", "logins", "--http", a.http()).out().strip()).isEqualTo("1");
    Run five = h.cli("kv", "incr", "stats", "logins", "5", "--http", b.http());
    assertThat(five.exit()).as(five.err()).isZero();
    HttpResponse<String> minus = request(b, "POST", "/v1/counters/stats/logins", "-2");
    assertThat(minus.statusCode()).isEqualTo(200);
    assertThat(json(minus).path("delta").asLong()).isEqualTo(-2);
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
      assertThat(h.cli("kv", "counter", "stats", "logins", "--http", a.http()).out().strip()).isEqualTo("4");
      assertThat(json(request(b, "GET", "/v1/counters/stats/logins", null)).path("value").asLong()).isEqualTo(4);
    });
    assertThat(json(request(a, "GET", "/v1/counters/stats/never", null)).path("value").asLong()).isZero();

    // Sets: added on a, one element removed on b once it has arrived there.
    Run add = h.cli("kv", "set-add", "groups", "admins", "alice", "bob", "--http", a.http());
    assertThat(add.out()).contains("added to groups/admins; it has 2 elements");
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
        assertThat(lines(h.cli("kv", "set-members", "groups", "admins", "--http", b.http()).out()))
            .containsExactly("alice", "bob"));
    assertThat(h.cli("kv", "set-remove", "groups", "admins", "bob", "--http", b.http()).exit()).isZero();
    HttpResponse<String> carol = request(b, "POST", "/v1/sets/groups/admins", "{\"add\": [\"carol\"]}");
    assertThat(carol.statusCode()).isEqualTo(200);
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
      assertThat(lines(h.cli("kv", "set-members", "groups", "admins", "--http", a.http()).out()))
          .containsExactly("alice", "carol");
      List<String> elements = new ArrayList<>();
      json(request(a, "GET", "/v1/sets/groups/admins", null)).path("elements").forEach(e -> elements.add(e.asText()));
      assertThat(elements).containsExactly("alice", "carol");
    });

    // A key holds one kind: a counter operation on a set is refused (409, exit 1).
    Run wrongKind = h.cli("kv", "incr", "groups", "admins", "--http", a.http());
    assertThat(wrongKind.exit()).isEqualTo(1);
    assertThat(wrongKind.err()).startsWith("error: ").contains("holds a set, not a counter");
    assertThat(request(a, "POST", "/v1/counters/groups/admins", "1").statusCode()).isEqualTo(409);

    // Bad numbers and bodies: 400 with the reason over HTTP, one line and exit 2 from the CLI.
    HttpResponse<String> badNumber = request(a, "POST", "/v1/counters/stats/logins", "lots");
    assertThat(badNumber.statusCode()).isEqualTo(400);
    assertThat(json(badNumber).path("error").asText()).isEqualTo("expected a whole number to add as the body (like 1 or -3), got 'lots'");
    assertThat(request(a, "POST", "/v1/counters/stats/huge", Long.toString(Long.MAX_VALUE)).statusCode()).isEqualTo(200);
    HttpResponse<String> overflow = request(a, "POST", "/v1/counters/stats/huge", "1");
    assertThat(overflow.statusCode()).isEqualTo(400);
    assertThat(json(overflow).path("error").asText()).contains("would leave the 64-bit range");
    assertThat(request(a, "POST", "/v1/counters/stats/huge", Long.toString(Long.MIN_VALUE)).statusCode()).isEqualTo(400);
    HttpResponse<String> badJson = request(a, "POST", "/v1/sets/groups/admins", "{\"add\": [");
    assertThat(badJson.statusCode()).isEqualTo(400);
    assertThat(json(badJson).path("error").asText()).startsWith("body is not valid JSON: ");
    HttpResponse<String> notList = request(a, "POST", "/v1/sets/groups/admins", "{\"add\": \"dave\"}");
    assertThat(json(notList).path("error").asText()).startsWith("'add' must be an array of strings");
    HttpResponse<String> badTtl = request(a, "PUT", "/v1/kv/flags/x?ttl=5", "v");
    assertThat(badTtl.statusCode()).isEqualTo(400);
    assertThat(json(badTtl).path("error").asText()).startsWith("ttl: expected a duration");
    assertUsageError(h.cli("kv", "incr", "stats", "logins", "lots", "--http", a.http()),
        "DELTA must be a whole number like 1 or -3, got 'lots'");
    assertUsageError(h.cli("kv", "put", "flags", "x", "v", "--ttl", "soon", "--http", a.http()), "--ttl: expected a duration");
    assertUsageError(h.cli("kv", "put", "flags", "x", "v", "--ttl", "0s", "--http", a.http()), "--ttl must be above zero");

    // TTL: the value reaches b, then is gone on both nodes once it expires; a plain value stays.
    assertThat(h.cli("kv", "put", "flags", "keep", "yes", "--http", a.http()).exit()).isZero();
    Run ttl = h.cli("kv", "put", "flags", "session", "token-1", "--ttl", "6s", "--http", a.http());
    assertThat(ttl.out()).contains("stored flags/session (7 bytes, expires in 6s)");
    long written = System.nanoTime();
    await().atMost(Duration.ofSeconds(6)).pollInterval(Duration.ofMillis(100)).untilAsserted(() ->
        assertThat(json(request(b, "GET", "/v1/kv/flags/session", null)).path("value").asText()).isEqualTo("token-1"));
    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
      assertThat(request(b, "GET", "/v1/kv/flags/session", null).statusCode()).isEqualTo(404);
      Run gone = h.cli("kv", "get", "flags", "session", "--http", a.http());
      assertThat(gone.exit()).isEqualTo(1);
      assertThat(gone.err()).contains("no value for key 'session' in map 'flags'");
    });
    // Not before its time: the expiry is the TTL, not a side effect of something else.
    assertThat(Duration.ofNanos(System.nanoTime() - written)).isGreaterThanOrEqualTo(Duration.ofMillis(5000));
    assertThat(h.cli("kv", "get", "flags", "keep", "--http", b.http()).out().strip()).isEqualTo("yes");
  }

  @Test
  void anEventOlderThanOneDeliveredUnderItsCoalesceKeyIsSkipped() throws Exception {
    int[] p = AgentProcessIT.freePorts(4);
    // Two agents that start apart, so that each publishes before it has seen the other's events.
    Agent a = h.start("co-a", p[0], p[1], "--config", h.fastConfig("co-a", "dissemination.anti-entropy-interval=1s"));
    Agent b = h.start("co-b", p[2], p[3], "--config", h.fastConfig("co-b", "dissemination.anti-entropy-interval=1s"));
    awaitUp(a);
    awaitUp(b);
    Background watch = h.cliInBackground("event", "watch", "deploy", "--json", "--http", a.http());
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).untilAsserted(() ->
        assertThat(watch.output()).contains("watching topic deploy"));

    // a's newest 'web' event has Lamport time 5; b's has 1, so a node that has delivered a's skips b's.
    for (int i = 1; i <= 5; i++) {
      Run sent = h.cli("event", "send", "deploy", "a-v" + i, "--coalesce", "web", "--http", a.http());
      assertThat(sent.exit()).as(sent.err()).isZero();
    }
    Run old = h.cli("event", "send", "deploy", "b-old", "--coalesce", "web", "--json", "--http", b.http());
    assertThat(old.json().path("coalesceKey").asText()).isEqualTo("web");
    HttpResponse<String> plain = request(b, "POST", "/v1/events/deploy", "b-plain");
    assertThat(plain.statusCode()).isEqualTo(200);
    assertThat(json(plain).has("coalesceKey")).isFalse();
    HttpResponse<String> other = request(b, "POST", "/v1/events/deploy?coalesce=api", "b-api");
    assertThat(json(other).path("coalesceKey").asText()).isEqualTo("api");

    assertThat(h.cli("join", b.gossip(), "--http", a.http()).exit()).isZero();
    // b's events without a key, or under another key, arrive; the older 'web' one never does.
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
      assertThat(payloads(watch)).contains("b-plain", "b-api");
      // b-old did reach a, and was dropped there: the check below is not vacuous.
      assertThat(json(request(a, "GET", "/v1/info", null)).path("events").path("coalesced").asLong()).isPositive();
    });
    List<String> seen = payloads(watch);
    assertThat(seen).containsSubsequence("a-v1", "a-v2", "a-v3", "a-v4", "a-v5").doesNotContain("b-old");
    assertUsageError(h.cli("event", "send", "deploy", "x", "--coalesce", "", "--http", a.http()), "--coalesce must be 1..255 UTF-8 bytes");
    HttpResponse<String> empty = request(a, "POST", "/v1/events/deploy?coalesce=", "x");
    assertThat(empty.statusCode()).isEqualTo(400);
    assertThat(json(empty).path("error").asText()).contains("empty coalesce key");
  }

  private static List<String> payloads(Background watch) throws IOException {
    List<String> out = new ArrayList<>();
    for (String line : watch.output().lines().toList()) {
      if (line.startsWith("{")) {
        out.add(AgentHarness.JSON.readTree(line).path("payload").asText());
      }
    }
    return out;
  }
}
