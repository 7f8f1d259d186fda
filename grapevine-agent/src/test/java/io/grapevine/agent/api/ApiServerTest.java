// SPDX-License-Identifier: Apache-2.0
package io.grapevine.agent.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.grapevine.api.MemberState;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ApiServerTest {
  private final FakeCluster cluster =
      new FakeCluster("n1").put("n2", MemberState.ALIVE, "").put("n3", MemberState.DEAD, "zone=b")
          .put("web 1+2", MemberState.LEFT, "");
  private final HttpClient http = HttpClient.newHttpClient();
  private final CountDownLatch afterLeave = new CountDownLatch(1);
  private ApiServer server;

  private ApiServer start(String token) throws Exception {
    server = new ApiServer(new InetSocketAddress("127.0.0.1", 0), cluster, registryOf(cluster),
        token, () -> Map.of("profile", "local"), Duration.ofSeconds(1), afterLeave::countDown);
    return server;
  }

  private static java.util.function.Supplier<io.micrometer.prometheusmetrics.PrometheusMeterRegistry> registryOf(
      FakeCluster cluster) {
    var registry = ClusterMetrics.registry(cluster);
    return () -> registry;
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  private HttpResponse<String> call(String method, String path, String body, String token) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.address().getPort() + path))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static JsonNode json(HttpResponse<String> r) throws Exception {
    assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
    return Json.mapper().readTree(r.body());
  }

  @Test
  void listsMembersSortedWithMetadataAsAMap() throws Exception {
    start(null);
    HttpResponse<String> r = call("GET", "/v1/members", null, null);
    assertThat(r.statusCode()).isEqualTo(200);
    JsonNode body = json(r);
    assertThat(body.get("local").asText()).isEqualTo("n1");
    JsonNode members = body.get("members");
    assertThat(members).hasSize(4);
    assertThat(members.get(0).get("name").asText()).isEqualTo("n1");
    assertThat(members.get(0).get("metadata").get("role").asText()).isEqualTo("seed");
    assertThat(members.get(2).get("state").asText()).isEqualTo("dead");
    assertThat(members.get(2).get("address").asText()).isEqualTo("127.0.0.1:7948");
    assertThat(members.get(2).get("incarnation").asLong()).isEqualTo(3);
  }

  @Test
  void tagsUpToTheLargestMetadataFitOneRequest() throws Exception {
    // The largest metadata (65,535 bytes with the node's role=seed) as JSON is a little more than 64 KiB:
    // the request-body cap must not be what refuses it.
    start(null);
    String big = "x".repeat(65_520);
    HttpResponse<String> r = call("PUT", "/v1/tags", "{\"set\": {\"blob\": \"" + big + "\"}}", null);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(new String(cluster.lastMetadata, java.nio.charset.StandardCharsets.UTF_8)).contains("blob=" + big);
    assertThat(cluster.lastMetadata).hasSize(65_535);
    HttpResponse<String> tooBig = call("PUT", "/v1/tags", "{\"set\": {\"blob\": \"" + big + "x"
        + "\"}}", null);
    assertThat(tooBig.statusCode()).isEqualTo(400);
    assertThat(tooBig.body()).contains("more than 65535");
  }

  @Test
  void oneMemberOr404() throws Exception {
    start(null);
    assertThat(json(call("GET", "/v1/members/n3", null, null)).get("metadata").get("zone").asText()).isEqualTo("b");
    assertThat(json(call("GET", "/v1/members/web%201+2", null, null)).get("state").asText()).isEqualTo("left");
    HttpResponse<String> missing = call("GET", "/v1/members/nobody", null, null);
    assertThat(missing.statusCode()).isEqualTo(404);
    assertThat(json(missing).get("error").asText()).isEqualTo("no member named 'nobody'");
  }

  @Test
  void healthIs200WhenJoinedElse503() throws Exception {
    start(null);
    HttpResponse<String> ok = call("GET", "/v1/health", null, null);
    assertThat(ok.statusCode()).isEqualTo(200);
    assertThat(json(ok).get("members").get("alive").asInt()).isEqualTo(2);
    assertThat(json(ok).get("members").get("left").asInt()).isEqualTo(1);
    cluster.joined = false;
    HttpResponse<String> not = call("GET", "/v1/health", null, null);
    assertThat(not.statusCode()).isEqualTo(503);
    assertThat(json(not).get("joined").asBoolean()).isFalse();
  }

  @Test
  void joinPassesSeedsThroughIncludingDns() throws Exception {
    start(null);
    HttpResponse<String> r = call("POST", "/v1/join", "{\"seeds\":[\"127.0.0.1:7000\",\"dns:seeds.svc\"]}", null);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(json(r).get("seedsAnswered").asInt()).isEqualTo(1);
    assertThat(cluster.joins).containsExactly(List.of("127.0.0.1:7000", "dns:seeds.svc"));
  }

  @Test
  void badJoinBodiesAre400AndTouchNothing() throws Exception {
    start(null);
    for (String body : List.of("", "not json", "{}", "{\"seeds\":[]}", "{\"seeds\":\"x\"}", "{\"seeds\":[1]}",
        "{\"seeds\":[\"nohost\"]}")) {
      HttpResponse<String> r = call("POST", "/v1/join", body, null);
      assertThat(r.statusCode()).as(body).isEqualTo(400);
      assertThat(json(r).get("error").asText()).isNotBlank();
    }
    assertThat(cluster.joins).isEmpty();
  }

  @Test
  void failedJoinIs503() throws Exception {
    start(null);
    cluster.joinResult = CompletableFuture.failedFuture(new java.util.concurrent.TimeoutException("no seed answered"));
    HttpResponse<String> r = call("POST", "/v1/join", "{\"seeds\":[\"127.0.0.1:7000\"]}", null);
    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(json(r).get("error").asText()).isEqualTo("join failed: no seed answered");
  }

  @Test
  void leaveAnswersThenRunsTheExitHook() throws Exception {
    start(null);
    HttpResponse<String> r = call("POST", "/v1/leave", null, null);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(json(r).get("name").asText()).isEqualTo("n1");
    assertThat(cluster.left).isTrue();
    assertThat(afterLeave.await(5, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void forceLeaveOnlyForFailedOthers() throws Exception {
    start(null);
    assertThat(call("POST", "/v1/force-leave/nobody", null, null).statusCode()).isEqualTo(404);
    HttpResponse<String> alive = call("POST", "/v1/force-leave/n2", null, null);
    assertThat(alive.statusCode()).isEqualTo(409);
    assertThat(json(alive).get("error").asText()).contains("is alive");
    assertThat(call("POST", "/v1/force-leave/n1", null, null).statusCode()).isEqualTo(409);
    HttpResponse<String> dead = call("POST", "/v1/force-leave/n3", null, null);
    assertThat(dead.statusCode()).isEqualTo(200);
    assertThat(json(dead).get("removed").asText()).isEqualTo("n3");
    assertThat(cluster.forced).containsExactly("n3");
  }

  @Test
  void wrongMethodIs405AndUnknownPathIs404() throws Exception {
    start(null);
    HttpResponse<String> r = call("POST", "/v1/members", "", null);
    assertThat(r.statusCode()).isEqualTo(405);
    assertThat(r.headers().firstValue("Allow")).hasValue("GET, HEAD");
    assertThat(call("GET", "/v1/leave", null, null).statusCode()).isEqualTo(405);
    HttpResponse<String> unknown = call("GET", "/v2/anything", null, null);
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(json(unknown).get("error").asText()).startsWith("no such endpoint");
  }

  @Test
  void tokenIsRequiredOnEveryEndpointWhenSet() throws Exception {
    start("s3cret");
    for (String path : List.of("/v1/members", "/v1/health", "/v1/info", "/metrics")) {
      HttpResponse<String> r = call("GET", path, null, null);
      assertThat(r.statusCode()).as(path).isEqualTo(401);
      assertThat(r.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
      assertThat(call("GET", path, null, "wrong").statusCode()).isEqualTo(401);
      assertThat(call("GET", path, null, "s3cret").statusCode()).as(path).isEqualTo(200);
    }
    assertThat(call("POST", "/v1/leave", null, null).statusCode()).isEqualTo(401);
    assertThat(cluster.left).isFalse();
  }

  @Test
  void infoHasLocalNodeConfigAndCounters() throws Exception {
    start(null);
    JsonNode info = json(call("GET", "/v1/info", null, null));
    assertThat(info.get("local").get("name").asText()).isEqualTo("n1");
    assertThat(info.get("cluster").asText()).isEqualTo("test");
    assertThat(info.get("config").get("probeTimeout").asText()).isEqualTo("200ms");
    assertThat(info.get("config").get("probeInterval").asText()).isEqualTo("1s");
    assertThat(info.get("stats").get("packetsDropped").get("bad_checksum").asLong()).isZero();
    assertThat(info.get("agent").get("profile").asText()).isEqualTo("local");
    assertThat(info.get("members").get("dead").asInt()).isEqualTo(1);
  }

  @Test
  void metricsArePrometheusTextWithGrapevinePrefix() throws Exception {
    cluster.health = 2;
    start(null);
    HttpResponse<String> r = call("GET", "/metrics", null, null);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain");
    assertThat(r.body())
        .contains("grapevine_members{state=\"alive\"} 2.0")
        .contains("grapevine_members{state=\"dead\"} 1.0")
        .contains("grapevine_members{state=\"suspect\"} 0.0")
        .contains("grapevine_members{state=\"left\"} 1.0")
        .contains("grapevine_health_score 2.0")
        .contains("grapevine_probes_total 0.0")
        .contains("grapevine_probe_failures_total")
        .contains("grapevine_suspicions_raised_total")
        .contains("grapevine_suspicions_refuted_total")
        .contains("grapevine_sent_bytes_total")
        .contains("grapevine_received_bytes_total")
        .contains("grapevine_packets_sent_total")
        .contains("grapevine_packets_received_total")
        .contains("grapevine_packets_dropped_total{reason=\"bad_checksum\"} 0.0")
        .contains("grapevine_push_pulls_total")
        .contains("grapevine_transport_sent_bytes_total 0.0")
        .contains("grapevine_transport_datagrams_received_total 0.0")
        .contains("grapevine_transport_send_errors_total 0.0")
        .contains("grapevine_packets_dropped_total{reason=\"push_pull_too_many_members\"} 0.0")
        .contains("grapevine_packets_dropped_total{reason=\"push_pull_too_large\"} 0.0")
        .contains("grapevine_packets_dropped_total{reason=\"event_too_large\"} 0.0")
        .contains("grapevine_packets_dropped_total{reason=\"kv_value_too_large\"} 0.0")
        .contains("grapevine_transport_connections_refused_total{reason=\"concurrent_limit\"} 0.0")
        .contains("grapevine_transport_connections_refused_total{reason=\"rate_limit\"} 0.0");
  }

  /** Keyring operations answered at once with a canned outcome; records what was asked. */
  private static class CannedKeys implements io.grapevine.KeyManager {
    final List<String> asked = new java.util.concurrent.CopyOnWriteArrayList<>();

    private CompletableFuture<io.grapevine.KeyResponse> answer(String op, String key) {
      asked.add(op + (key == null ? "" : " " + key));
      if (key != null) {
        io.grapevine.security.Keys.decode(key);
      }
      if (op.equals("remove")) {
        throw new IllegalArgumentException("key abcd0123 is the primary key of node n1 and cannot be removed");
      }
      return CompletableFuture.completedFuture(new io.grapevine.KeyResponse(op, key == null ? null : "abcd0123", 3, 2,
          List.of(new io.grapevine.KeyResponse.KeyStatus("abcd0123", 256, 2, 1, op.equals("list+") ? "S0VZ" : null)),
          Map.of("n1", "abcd0123", "n2", "ffff0000"), Map.of("n2", "key abcd0123 is not installed; install it first"),
          List.of("n3")));
    }

    @Override
    public CompletableFuture<io.grapevine.KeyResponse> list() {
      return answer("list", null);
    }

    @Override
    public CompletableFuture<io.grapevine.KeyResponse> listWithKeys() {
      return answer("list+", null);
    }

    @Override
    public CompletableFuture<io.grapevine.KeyResponse> install(String key) {
      return answer("install", key);
    }

    @Override
    public CompletableFuture<io.grapevine.KeyResponse> use(String key) {
      return answer("use", key);
    }

    @Override
    public CompletableFuture<io.grapevine.KeyResponse> remove(String key) {
      return answer("remove", key);
    }

    @Override
    public io.grapevine.KeyManager withTimeout(Duration timeout) {
      return this;
    }
  }

  @Test
  void keyringOperationsAnswerPerNodeAndRefuseBadRequests() throws Exception {
    CannedKeys keys = new CannedKeys();
    cluster.keys = keys;
    start(null);
    String key = io.grapevine.security.Keys.encode(new byte[32]);

    JsonNode list = json(call("GET", "/v1/keys", null, null));
    assertThat(list.get("operation").asText()).isEqualTo("list");
    assertThat(list.has("fingerprint")).isFalse();
    assertThat(list.get("complete").asBoolean()).isFalse();
    assertThat(list.get("nodesAsked").asInt()).isEqualTo(3);
    assertThat(list.get("nodesAnswered").asInt()).isEqualTo(2);
    assertThat(list.get("keys").get(0).get("nodes").asInt()).isEqualTo(2);
    assertThat(list.get("keys").get(0).get("primaryNodes").asInt()).isEqualTo(1);
    assertThat(list.get("keys").get(0).has("key")).isFalse();
    assertThat(list.get("primaries").get("n2").asText()).isEqualTo("ffff0000");
    assertThat(list.get("failed").get("n2").asText()).contains("is not installed");
    assertThat(list.get("missing").get(0).asText()).isEqualTo("n3");
    assertThat(json(call("GET", "/v1/keys?showKeys=true", null, null)).get("keys").get(0).get("key").asText())
        .isEqualTo("S0VZ");
    assertThat(call("GET", "/v1/keys?showKeys=yes", null, null).statusCode()).isEqualTo(400);

    HttpResponse<String> used = call("POST", "/v1/keys/use", "{\"key\": \"" + key + "\"}", null);
    assertThat(used.statusCode()).isEqualTo(200);
    assertThat(json(used).get("fingerprint").asText()).isEqualTo("abcd0123");
    assertThat(keys.asked).containsExactly("list", "list+", "use " + key);

    HttpResponse<String> bad = call("POST", "/v1/keys/install", "{\"key\": \"short\"}", null);
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(json(bad).get("error").asText()).startsWith("encryption key");
    assertThat(call("POST", "/v1/keys/install", "{}", null).statusCode()).isEqualTo(400);
    assertThat(call("POST", "/v1/keys/install", "not json", null).statusCode()).isEqualTo(400);
    HttpResponse<String> primary = call("POST", "/v1/keys/remove", "{\"key\": \"" + key + "\"}", null);
    assertThat(primary.statusCode()).isEqualTo(400);
    assertThat(json(primary).get("error").asText()).contains("is the primary key of node n1");
    assertThat(call("GET", "/v1/keys/use", null, null).statusCode()).isEqualTo(405);
    assertThat(call("POST", "/v1/keys", null, null).statusCode()).isEqualTo(405);

    cluster.keys = new CannedKeys() {
      @Override
      public CompletableFuture<io.grapevine.KeyResponse> list() {
        throw new IllegalStateException("encryption is off on node n1");
      }
    };
    HttpResponse<String> off = call("GET", "/v1/keys", null, null);
    assertThat(off.statusCode()).isEqualTo(409);
    assertThat(json(off).get("error").asText()).isEqualTo("encryption is off on node n1");
  }
}
