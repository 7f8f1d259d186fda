// SPDX-License-Identifier: Apache-2.0
package io.grapevine.agent.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.grapevine.Cluster;
import io.grapevine.QueryHandler;
import io.grapevine.agent.GrapevineCommand;
import io.grapevine.agent.Metadata;
import io.grapevine.config.MembershipConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code POST /v1/query/{name}} and {@code grapevine query} against an API served by a real node of a
 * four-node loopback cluster. Nodes carry agent-format tags; q3 has no handler, so it acknowledges
 * but does not answer.
 */
class QueryApiTest {
  private static final String TOKEN = "s3cret";
  private final List<Cluster> nodes = new ArrayList<>();
  private final HttpClient http = HttpClient.newHttpClient();
  private ApiServer server;

  @BeforeEach
  void start() throws Exception {
    String[][] tags = {{"web", "eu"}, {"db", "eu"}, {"web", "us"}, {"web", "eu"}};
    for (int i = 0; i < tags.length; i++) {
      byte[] meta = Metadata.encode(Map.of("role", tags[i][0], "dc", tags[i][1]));
      Cluster c = Cluster.builder().name("q" + i).clusterName("query-api").bind("127.0.0.1:0")
          .config(MembershipConfig.local()).metadata(meta).start();
      nodes.add(c);
      if (i < 3) {
        String self = "q" + i;
        c.onQuery("whoami", QueryHandler.sync(r -> (self + " got " + new String(r.payload(), StandardCharsets.UTF_8))
            .getBytes(StandardCharsets.UTF_8)));
      }
    }
    for (int i = 1; i < nodes.size(); i++) {
      nodes.get(i).join(List.of(nodes.get(0).endpoint().toString())).get(10, TimeUnit.SECONDS);
    }
    await().atMost(Duration.ofSeconds(20)).until(() -> nodes.stream().allMatch(c -> c.members().size() == 4));
    server = new ApiServer(new InetSocketAddress("127.0.0.1", 0), nodes.get(0), () -> null, TOKEN, Map::of,
        Duration.ofSeconds(1), () -> {});
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
    nodes.forEach(Cluster::close);
  }

  private String http() {
    return "127.0.0.1:" + server.address().getPort();
  }

  private HttpResponse<String> post(String pathAndQuery, String body, String token) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://" + http() + pathAndQuery))
        .timeout(Duration.ofSeconds(20)).POST(HttpRequest.BodyPublishers.ofString(body));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** The stream's events as [name, data] pairs, in order. */
  private static List<Map.Entry<String, JsonNode>> events(String sse) throws Exception {
    List<Map.Entry<String, JsonNode>> out = new ArrayList<>();
    String event = null;
    for (String line : sse.split("\n")) {
      if (line.startsWith("event: ")) {
        event = line.substring(7);
      } else if (line.startsWith("data: ")) {
        out.add(Map.entry(event, Json.mapper().readTree(line.substring(6))));
      }
    }
    return out;
  }

  private static List<String> from(List<Map.Entry<String, JsonNode>> events, String type) {
    return events.stream().filter(e -> e.getKey().equals(type)).map(e -> e.getValue().path("from").asText()).toList();
  }

  private static List<String> texts(JsonNode list) {
    List<String> out = new ArrayList<>();
    list.forEach(n -> out.add(n.asText()));
    return out;
  }

  @Test
  void streamsAcksAndAnswersOfExactlyTheNodesTheFiltersSelect() throws Exception {
    // role web and dc eu: q0 and q3 (q3 acks, has no handler); q1 is db, q2 is in us.
    HttpResponse<String> r = post("/v1/query/whoami?tag=role%3Dweb&tag=dc%3De.&ack=true&timeout=3s", "hi", TOKEN);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/event-stream"));
    List<Map.Entry<String, JsonNode>> ev = events(r.body());
    assertThat(ev.get(0).getKey()).isEqualTo("query");
    assertThat(ev.get(ev.size() - 1).getKey()).isEqualTo("done");
    assertThat(from(ev, "ack")).containsExactlyInAnyOrder("q0", "q3");
    assertThat(from(ev, "response")).containsExactly("q0");
    assertThat(ev.stream().filter(e -> e.getKey().equals("response")).findFirst().orElseThrow().getValue()
        .path("payload").asText()).isEqualTo("q0 got hi");
    JsonNode done = ev.get(ev.size() - 1).getValue();
    assertThat(texts(done.path("expected"))).containsExactlyInAnyOrder("q0", "q3");
    assertThat(texts(done.path("missingResponses"))).containsExactly("q3");
    assertThat(done.path("timedOut").asBoolean()).as("q3 never answers").isTrue();

    // Node names (repeated and comma-separated), without acks: only q1 and q2, and it ends early.
    HttpResponse<String> named = post("/v1/query/whoami?node=q1&node=q2,nobody&timeout=5s", "", TOKEN);
    List<Map.Entry<String, JsonNode>> nev = events(named.body());
    assertThat(from(nev, "ack")).isEmpty();
    assertThat(from(nev, "response")).containsExactlyInAnyOrder("q1", "q2");
    JsonNode ndone = nev.get(nev.size() - 1).getValue();
    assertThat(texts(ndone.path("expected"))).containsExactlyInAnyOrder("q1", "q2");
    assertThat(ndone.path("timedOut").asBoolean()).isFalse();
    assertThat(ndone.path("elapsedMs").asLong()).isLessThan(5_000);
  }

  @Test
  void badArgumentsAre400BeforeAnyStreamAndTheTokenIsRequired() throws Exception {
    assertThat(post("/v1/query/whoami", "", null).statusCode()).isEqualTo(401);
    HttpResponse<String> badTag = post("/v1/query/whoami?tag=role", "", TOKEN);
    assertThat(badTag.statusCode()).isEqualTo(400);
    assertThat(badTag.body()).contains("tag filter must be KEY=REGEX");
    assertThat(post("/v1/query/whoami?timeout=5", "", TOKEN).body()).contains("timeout: expected a duration");
    assertThat(post("/v1/query/whoami?relay=9", "", TOKEN).body()).contains("relay factor must be 0..5");
    assertThat(post("/v1/query/whoami?tag=role%3D(", "", TOKEN).body()).contains("does not compile");
    assertThat(post("/v1/query/whoami?nodes=q1", "", TOKEN).body()).contains("unknown query parameter 'nodes'");
    assertThat(post("/v1/query/_grapevine-keys", "", TOKEN).body()).contains("reserved");
    HttpResponse<String> big = post("/v1/query/whoami", "x".repeat(2000), TOKEN);
    assertThat(big.statusCode()).isEqualTo(400);
    assertThat(big.body()).contains("2000 bytes, above query.maxPayloadBytes");
    assertThat(post("/v1/query/", "", TOKEN).statusCode()).isEqualTo(400);
  }

  /** The command line's exit status, stdout and stderr. */
  private record Run(int exit, String out, String err) {}

  private Run cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = GrapevineCommand.newCommandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int exit = cl.execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  @Test
  void theCommandPrintsAcksAndAnswersThenASummary() {
    Run all = cli("query", "whoami", "ping", "--http", http(), "--token", TOKEN, "--timeout", "2s");
    assertThat(all.exit()).as(all.err()).isZero();
    assertThat(all.out()).contains("ack from q0 (", "ack from q3 (", "response from q1 (")
        .containsPattern("response from q2 \\(\\d+ ms\\): q2 got ping")
        .contains("acks 4/4, responses 3/4 in ", "(timed out)", "no response from: q3")
        .doesNotContain("no ack from");
    assertThat(all.err()).contains("query 'whoami' issued as q0/");

    Run web = cli("query", "whoami", "--http", http(), "--token", TOKEN, "--tag", "role=web", "--node", "q2",
        "--node", "q3", "--no-ack", "--timeout", "5s");
    assertThat(web.exit()).as(web.err()).isZero();
    assertThat(web.out()).doesNotContain("ack from").contains("response from q2").doesNotContain("response from q0")
        .contains("responses 1/2 in ", "no response from: q3").doesNotContain("acks ");

    Run json = cli("query", "whoami", "--http", http(), "--token", TOKEN, "--node", "q1", "--json", "--timeout", "5s");
    assertThat(json.exit()).as(json.err()).isZero();
    assertThat(json.out().lines().toList()).hasSize(4); // query, ack, response, done
    assertThat(json.out().lines().reduce((a, b) -> b).orElseThrow()).contains("\"type\":\"done\"",
        "\"responded\":[\"q1\"]");
  }

  @Test
  void usageErrorsAreOneLineAndExitTwo() {
    String[][] bad = {
      {"--tag", "role"},
      {"--tag", "ro le=web"},
      {"--tag", "role=(web"},
      {"--timeout", "5"},
      {"--timeout", "0s"},
      {"--relay-factor", "7"},
    };
    for (String[] b : bad) {
      List<String> args = new ArrayList<>(List.of("query", "whoami", "--http", http(), "--token", TOKEN));
      args.addAll(List.of(b));
      Run r = cli(args.toArray(String[]::new));
      assertThat(r.exit()).as(String.join(" ", b) + ": " + r.err()).isEqualTo(2);
      assertThat(r.err().strip().lines()).as(r.err()).hasSize(1);
      assertThat(r.out()).isEmpty();
    }
    // Refused by the agent, which knows its limits: still a usage error.
    Run big = cli("query", "whoami", "x".repeat(2000), "--http", http(), "--token", TOKEN);
    assertThat(big.exit()).isEqualTo(2);
    assertThat(big.err()).contains("above query.maxPayloadBytes");
    Run noToken = cli("query", "whoami", "--http", http());
    assertThat(noToken.exit()).isEqualTo(1);
    assertThat(noToken.err()).contains("bearer token");
  }
}
