// SPDX-License-Identifier: Apache-2.0
package io.grapevine.agent.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The event, aggregate and replicated-map endpoints, over real HTTP, on a scripted node. */
class DataApiTest {
  private final FakeCluster cluster = new FakeCluster("n1");
  private final HttpClient http = HttpClient.newHttpClient();
  private ApiServer server;

  @BeforeEach
  void start() throws Exception {
    var registry = ClusterMetrics.registry(cluster);
    server = new ApiServer(new InetSocketAddress("127.0.0.1", 0), cluster, () -> registry, null,
        () -> Map.of(), Duration.ofSeconds(1), () -> {});
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + server.address().getPort() + path);
  }

  private HttpResponse<String> call(String method, String path, byte[] body) throws Exception {
    HttpRequest r = HttpRequest.newBuilder(uri(path))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body))
        .build();
    return http.send(r, HttpResponse.BodyHandlers.ofString());
  }

  private static JsonNode json(HttpResponse<String> r) throws Exception {
    return Json.mapper().readTree(r.body());
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void publishesAnEventWithTheBodyAsPayload() throws Exception {
    List<String> seen = new CopyOnWriteArrayList<>();
    cluster.events().subscribe("deploy", e -> seen.add(new String(e.payload(), StandardCharsets.UTF_8)));
    HttpResponse<String> r = call("POST", "/v1/events/deploy", utf8("v42"));
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(json(r).get("id").asText()).isEqualTo("n1/1/1");
    assertThat(json(r).get("bytes").asInt()).isEqualTo(3);
    assertThat(seen).containsExactly("v42");
  }

  @Test
  void oversizeEventAndMissingTopicAre400WithAReason() throws Exception {
    HttpResponse<String> big = call("POST", "/v1/events/deploy", new byte[70_000]);
    assertThat(big.statusCode()).isEqualTo(400);
    assertThat(json(big).get("error").asText()).contains("70000 bytes");
    HttpResponse<String> none = call("POST", "/v1/events/", utf8("x"));
    assertThat(none.statusCode()).isEqualTo(400);
    assertThat(json(none).get("error").asText()).contains("missing topic");
    HttpResponse<String> huge = call("POST", "/v1/events/deploy", new byte[2 * 1024 * 1024]);
    assertThat(huge.statusCode()).isEqualTo(413);
    assertThat(cluster.events.subs).isEmpty();
  }

  @Test
  void eventWatchStreamsServerSentEventsAndUnsubscribesWhenTheClientLeaves() throws Exception {
    var conn = (java.net.HttpURLConnection) uri("/v1/events/watch?topic=deploy").toURL().openConnection();
    assertThat(conn.getResponseCode()).isEqualTo(200);
    assertThat(conn.getContentType()).startsWith("text/event-stream");
    InputStream in = conn.getInputStream();
    BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
    assertThat(reader.readLine()).isEqualTo(": watching");
    assertThat(cluster.events.subs).hasSize(1);
    cluster.events().publish("other", utf8("skipped"));
    cluster.events().publish("deploy", utf8("line1\nline2"));
    cluster.events().publish("deploy", new byte[] {(byte) 0xff, 0});
    String data = nextData(reader);
    JsonNode first = Json.mapper().readTree(data);
    assertThat(first.get("topic").asText()).isEqualTo("deploy");
    assertThat(first.get("payload").asText()).isEqualTo("line1\nline2");
    assertThat(first.get("id").asText()).isEqualTo("n1/1/2");
    JsonNode second = Json.mapper().readTree(nextData(reader));
    assertThat(second.get("payloadBase64").asText()).isEqualTo("/wA=");
    conn.disconnect();
    // The next heartbeat write fails and the subscription goes.
    await().atMost(Duration.ofSeconds(20)).until(() -> cluster.events.subs.isEmpty());
  }

  private static String nextData(BufferedReader reader) throws Exception {
    for (String line = reader.readLine(); line != null; line = reader.readLine()) {
      if (line.startsWith("data: ")) {
        return line.substring(6);
      }
    }
    throw new AssertionError("stream ended");
  }

  @Test
  void aggregatesPutGetListAndBadValues() throws Exception {
    assertThat(call("PUT", "/v1/aggregates/cpu", utf8(" 0.75\n")).statusCode()).isEqualTo(200);
    HttpResponse<String> one = call("GET", "/v1/aggregates/cpu", null);
    assertThat(one.statusCode()).isEqualTo(200);
    assertThat(json(one).get("avg").asDouble()).isEqualTo(0.75);
    assertThat(json(one).get("count").asDouble()).isEqualTo(1.0);
    cluster.aggregates.clusterSize = 3.02;
    JsonNode all = json(call("GET", "/v1/aggregates", null));
    assertThat(all.get("clusterSize").asDouble()).isEqualTo(3.02);
    assertThat(all.get("aggregates")).hasSize(1);
    assertThat(all.get("aggregates").get(0).get("name").asText()).isEqualTo("cpu");

    HttpResponse<String> bad = call("PUT", "/v1/aggregates/cpu", utf8("lots"));
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(json(bad).get("error").asText()).contains("expected a number").contains("lots");
    assertThat(call("PUT", "/v1/aggregates/cpu", utf8("NaN")).statusCode()).isEqualTo(400);
    assertThat(call("GET", "/v1/aggregates/none", null).statusCode()).isEqualTo(404);
    assertThat(call("DELETE", "/v1/aggregates/cpu", null).statusCode()).isEqualTo(200);
    assertThat(cluster.aggregates.estimates).isEmpty();
  }

  @Test
  void treeIsOffByDefaultAndRefusesAValue() throws Exception {
    HttpResponse<String> r = call("GET", "/v1/tree", null);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(json(r).get("enabled").asBoolean()).isFalse();
    assertThat(json(r).size()).isEqualTo(1);
    HttpResponse<String> put = call("PUT", "/v1/tree/value", utf8("3"));
    assertThat(put.statusCode()).isEqualTo(409);
    assertThat(json(put).get("error").asText()).contains("tree aggregation is off").contains("--tree on");
    assertThat(call("POST", "/v1/tree", null).statusCode()).isEqualTo(405);
  }

  @Test
  void treeShowsTheSnapshotAndTakesAValue() throws Exception {
    cluster.tree.enabled = true;
    HttpResponse<String> put = call("PUT", "/v1/tree/value", utf8(" 4.5\n"));
    assertThat(put.statusCode()).isEqualTo(200);
    assertThat(json(put).get("value").asDouble()).isEqualTo(4.5);
    JsonNode t = json(call("GET", "/v1/tree", null));
    assertThat(t.get("enabled").asBoolean()).isTrue();
    assertThat(t.get("nodeId").asText()).isEqualTo(Json.hexId(io.grapevine.TreeService.nodeIdOf("n1"))).hasSize(16);
    assertThat(t.get("root").asBoolean()).isFalse();
    assertThat(t.get("parent").get("name").asText()).isEqualTo("n2");
    assertThat(t.get("parent").get("address").asText()).isEqualTo("127.0.0.1:7947");
    assertThat(t.get("parent").get("id").asText()).isEqualTo("fffffffffffffffe");
    assertThat(t.get("predecessor").get("name").isNull()).isTrue();
    assertThat(t.get("value").asDouble()).isEqualTo(4.5);
    assertThat(t.get("known").asBoolean()).isTrue();
    assertThat(t.get("count").asLong()).isEqualTo(3);
    assertThat(t.get("sum").asDouble()).isEqualTo(14.5);
    HttpResponse<String> bad = call("PUT", "/v1/tree/value", utf8("lots"));
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(json(bad).get("error").asText()).contains("expected a number").contains("lots");
    assertThat(call("PUT", "/v1/tree/value", utf8("Infinity")).statusCode()).isEqualTo(400);
    assertThat(call("GET", "/v1/tree/value", null).statusCode()).isEqualTo(405);
    // The command line's text form of the same answer.
    assertThat(io.grapevine.agent.client.DataCommands.treeText(t))
        .contains("child of n2 (127.0.0.1:7947)")
        .contains("predecessor ? (127.0.0.1:7948), successor n2 (127.0.0.1:7947)")
        .contains("count     3")
        .contains("sum       14.5\n");
  }

  @Test
  void metricsHaveEventCountersAndTheClusterSizeEstimate() throws Exception {
    cluster.aggregates.clusterSize = 5;
    String text = call("GET", "/metrics", null).body();
    assertThat(text)
        .contains("grapevine_events_published_total 0.0")
        .contains("grapevine_events_delivered_total")
        .contains("grapevine_events_duplicates_total")
        .contains("grapevine_events_repaired_total")
        .contains("grapevine_cluster_size_estimate 5.0")
        .contains("grapevine_aggregate_exchanges_total 0.0")
        .contains("grapevine_aggregate_retries_total 0.0")
        .contains("grapevine_aggregate_unanswered_total 0.0")
        .contains("grapevine_aggregate_neighbors_kept_total 0.0")
        .contains("grapevine_aggregate_reads_total 0.0");
  }

  @Test
  void kvPutGetListDelete() throws Exception {
    assertThat(call("PUT", "/v1/kv/flags/dark%20mode", utf8("on")).statusCode()).isEqualTo(200);
    assertThat(call("PUT", "/v1/kv/flags/a/b", utf8("slash")).statusCode()).isEqualTo(200);
    assertThat(call("PUT", "/v1/kv/flags/zz", utf8("last")).statusCode()).isEqualTo(200);
    JsonNode got = json(call("GET", "/v1/kv/flags/dark%20mode", null));
    assertThat(got.get("value").asText()).isEqualTo("on");
    assertThat(json(call("GET", "/v1/kv/flags/a/b", null)).get("value").asText()).isEqualTo("slash");

    JsonNode all = json(call("GET", "/v1/kv/flags", null));
    assertThat(all.get("entries")).extracting(e -> e.get("key").asText()).containsExactly("a/b", "dark mode", "zz");
    JsonNode some = json(call("GET", "/v1/kv/flags?prefix=d", null));
    assertThat(some.get("entries")).extracting(e -> e.get("key").asText()).containsExactly("dark mode");

    JsonNode del = json(call("DELETE", "/v1/kv/flags/zz", null));
    assertThat(del.get("existed").asBoolean()).isTrue();
    HttpResponse<String> gone = call("GET", "/v1/kv/flags/zz", null);
    assertThat(gone.statusCode()).isEqualTo(404);
    assertThat(json(gone).get("error").asText()).contains("no value for key 'zz'");
  }

  @Test
  void kvBadMapKeyAndValueAre400() throws Exception {
    HttpResponse<String> bigValue = call("PUT", "/v1/kv/flags/k", new byte[70_000]);
    assertThat(bigValue.statusCode()).isEqualTo(400);
    assertThat(json(bigValue).get("error").asText()).contains("70000 bytes");
    HttpResponse<String> longKey = call("PUT", "/v1/kv/flags/" + "k".repeat(600), utf8("v"));
    assertThat(longKey.statusCode()).isEqualTo(400);
    assertThat(json(longKey).get("error").asText()).contains("key");
    HttpResponse<String> noMap = call("GET", "/v1/kv", null);
    assertThat(noMap.statusCode()).isEqualTo(400);
    assertThat(call("POST", "/v1/kv/flags/k", utf8("v")).statusCode()).isEqualTo(405);
    assertThat(cluster.maps.get("flags").values).isEmpty();
  }

  @Test
  void kvWatchStreamsChangesUnderThePrefix() throws Exception {
    var conn = (java.net.HttpURLConnection) uri("/v1/kv/flags?watch=true&prefix=app.").toURL().openConnection();
    assertThat(conn.getResponseCode()).isEqualTo(200);
    BufferedReader reader = new BufferedReader(new InputStreamReader(conn.getInputStream(), StandardCharsets.UTF_8));
    assertThat(reader.readLine()).isEqualTo(": watching");
    cluster.kv("flags").put("other", utf8("x"));
    cluster.kv("flags").put("app.color", utf8("blue"));
    cluster.kv("flags").delete("app.color");
    JsonNode put = Json.mapper().readTree(nextData(reader));
    assertThat(put.get("key").asText()).isEqualTo("app.color");
    assertThat(put.get("value").asText()).isEqualTo("blue");
    assertThat(put.get("deleted").asBoolean()).isFalse();
    JsonNode del = Json.mapper().readTree(nextData(reader));
    assertThat(del.get("deleted").asBoolean()).isTrue();
    assertThat(del.has("value")).isFalse();
    conn.disconnect();
    await().atMost(Duration.ofSeconds(20)).until(() -> cluster.maps.get("flags").watchers.isEmpty());
  }
}
