// SPDX-License-Identifier: Apache-2.0
package io.grapevine.agent.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grapevine.agent.e2e.AgentHarness.Agent;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The agent's Prometheus histograms and operator gauges, scraped from real agent processes: probe
 * round trips growing as probes are acked, a suspicion's verdict after a member is killed, a user
 * event's local delivery, HTTP requests under their route template, and the overlay's and the
 * replicated store's meters.
 */
class MetricsIT {
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private AgentHarness h;

  @BeforeEach
  void setUp() throws Exception {
    h = new AgentHarness("e2e-metrics");
  }

  @AfterEach
  void tearDown() throws Exception {
    h.close();
  }

  private static HttpResponse<String> send(Agent a, String method, String path, String body) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://" + a.http() + path))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
        .build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String metrics(Agent a) throws Exception {
    HttpResponse<String> r = send(a, "GET", "/v1/metrics", null);
    assertThat(r.statusCode()).isEqualTo(200);
    return r.body();
  }

  /** The value of the sample {@code series} (name and labels exactly as exported), or NaN. */
  private static double value(String text, String series) {
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(text);
    return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
  }

  /**
   * Asserts that {@code name} is exported as a Prometheus histogram with exactly the bucket bounds
   * {@code les} (seconds) and +Inf, cumulative, the +Inf bucket equal to the count, for the series
   * with {@code labels} (e.g. {@code verdict="dead"}, or empty).
   */
  private static void assertHistogram(String text, String name, String labels, double... les) {
    assertThat(text).as(name + " type").containsPattern("(?m)^# TYPE " + Pattern.quote(name) + " histogram$");
    String prefix = labels.isEmpty() ? "" : labels + ",";
    List<Double> counts = new ArrayList<>();
    for (double le : les) {
      double v = value(text, name + "_bucket{" + prefix + "le=\"" + le + "\"}");
      assertThat(v).as(name + " bucket le=" + le + " (" + labels + ")").isNotNaN();
      counts.add(v);
    }
    double inf = value(text, name + "_bucket{" + prefix + "le=\"+Inf\"}");
    counts.add(inf);
    for (int i = 1; i < counts.size(); i++) {
      assertThat(counts.get(i)).as(name + " buckets are cumulative").isGreaterThanOrEqualTo(counts.get(i - 1));
    }
    String sel = labels.isEmpty() ? "" : "{" + labels + "}";
    assertThat(value(text, name + "_count" + sel)).as(name + "_count").isEqualTo(inf);
    assertThat(value(text, name + "_sum" + sel)).as(name + "_sum").isNotNaN().isGreaterThanOrEqualTo(0);
    // Exactly the documented buckets: no other le for this series.
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name + "_bucket{" + prefix) + "le=").matcher(text);
    int n = 0;
    while (m.find()) {
      n++;
    }
    assertThat(n).as(name + " bucket count (" + labels + ")").isEqualTo(les.length + 1);
  }

  private static final double[] RTT = {0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0};
  private static final double[] SUSPICION = {0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0};
  private static final double[] DELIVERY = {1.0E-4, 2.5E-4, 5.0E-4, 0.001, 0.002, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0};
  private static final double[] REMOTE_DELIVERY =
      {0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0};
  private static final double[] HTTP_BUCKETS =
      {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0};

  @Test
  void histogramsGrowWithProbesVerdictsEventsAndRequests() throws Exception {
    int[] p = AgentProcessIT.freePorts(4);
    Agent a = h.start("mx-a", p[0], p[1], "--config", h.fastConfig("mx-a"));
    Agent b = h.start("mx-b", p[2], p[3], "--join", a.gossip(), "--config", h.fastConfig("mx-b"));
    // The first scrape builds the registry; the histograms count from then on.
    await("both alive on mx-a").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(300))
        .ignoreExceptions().untilAsserted(() ->
            assertThat(value(metrics(a), "grapevine_members{state=\"alive\"}")).isEqualTo(2.0));

    String text = metrics(a);
    assertHistogram(text, "grapevine_probe_rtt_seconds", "", RTT);
    assertHistogram(text, "grapevine_suspicion_duration_seconds", "verdict=\"dead\"", SUSPICION);
    assertHistogram(text, "grapevine_suspicion_duration_seconds", "verdict=\"refuted\"", SUSPICION);
    assertHistogram(text, "grapevine_events_local_delivery_seconds", "", DELIVERY);
    // The scrape that built the registry was not timed; the ones after it are, each recorded once
    // its answer is written, so possibly after the next scrape has been served: scrape again.
    await("a timed scrape").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200))
        .untilAsserted(() -> assertHistogram(metrics(a), "grapevine_http_request_duration_seconds",
            "method=\"GET\",route=\"/v1/metrics\",status=\"2xx\"", HTTP_BUCKETS));

    // Probe RTTs: mx-a probes mx-b every 400 ms, each ack observed.
    double rtts = value(text, "grapevine_probe_rtt_seconds_count");
    await("probe RTTs observed").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(300))
        .untilAsserted(() -> assertThat(value(metrics(a), "grapevine_probe_rtt_seconds_count"))
            .isGreaterThanOrEqualTo(rtts + 3));
    String later = metrics(a);
    // Loopback: every round trip within a second.
    assertThat(value(later, "grapevine_probe_rtt_seconds_bucket{le=\"1.0\"}"))
        .isEqualTo(value(later, "grapevine_probe_rtt_seconds_count"));

    // HTTP: a member and a missing one are timed under the route template, never the raw path.
    assertThat(send(a, "GET", "/v1/members/mx-b", null).statusCode()).isEqualTo(200);
    assertThat(send(a, "GET", "/v1/members/nobody-" + System.nanoTime(), null).statusCode()).isEqualTo(404);
    assertThat(send(a, "GET", "/v1/no/such/endpoint", null).statusCode()).isEqualTo(404);
    assertThat(send(a, "PUT", "/v1/kv/cfg/flag", "on").statusCode()).isEqualTo(200);
    // mx-b's registry (built by its first scrape) must exist before the event reaches it.
    assertHistogram(metrics(b), "grapevine_event_delivery_seconds", "", REMOTE_DELIVERY);
    assertThat(value(metrics(b), "grapevine_event_delivery_seconds_count")).isZero();
    // The event: published through mx-a's API, delivered to its own subscribers.
    assertThat(send(a, "POST", "/v1/events/deploy", "v42").statusCode()).isEqualTo(200);
    // Each request is recorded once its answer is written: scrape until the last one shows.
    await("requests timed").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200))
        .untilAsserted(() -> {
      String afterRequests = metrics(a);
      assertThat(value(afterRequests,
          "grapevine_http_request_duration_seconds_count{method=\"GET\",route=\"/v1/members/{name}\",status=\"2xx\"}"))
          .isEqualTo(1.0);
      assertThat(value(afterRequests,
          "grapevine_http_request_duration_seconds_count{method=\"GET\",route=\"/v1/members/{name}\",status=\"4xx\"}"))
          .isEqualTo(1.0);
      assertThat(value(afterRequests,
          "grapevine_http_request_duration_seconds_count{method=\"GET\",route=\"other\",status=\"4xx\"}"))
          .isEqualTo(1.0);
      assertThat(value(afterRequests,
          "grapevine_http_request_duration_seconds_count{method=\"PUT\",route=\"/v1/kv/{map}/{key}\",status=\"2xx\"}"))
          .isEqualTo(1.0);
      assertThat(afterRequests).doesNotContain("route=\"/v1/members/mx-b\"").doesNotContain("nobody-")
          .doesNotContain("/v1/no/such");
      assertHistogram(afterRequests, "grapevine_events_local_delivery_seconds", "", DELIVERY);
      assertThat(value(afterRequests, "grapevine_events_local_delivery_seconds_count")).isEqualTo(1.0);
    });
    String afterRequests = metrics(a);
    // mx-b times mx-a's event from its origin time; mx-a does not time its own event as remote.
    await("mx-a's event timed on mx-b").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(300))
        .untilAsserted(() -> assertThat(value(metrics(b), "grapevine_event_delivery_seconds_count")).isEqualTo(1.0));
    String remote = metrics(b);
    assertHistogram(remote, "grapevine_event_delivery_seconds", "", REMOTE_DELIVERY);
    // Two processes on one host share a clock: within a minute, never skewed.
    assertThat(value(remote, "grapevine_event_delivery_seconds_bucket{le=\"60.0\"}")).isEqualTo(1.0);
    assertThat(value(remote, "grapevine_event_delivery_skewed_total{reason=\"negative\"}")).isZero();
    assertThat(value(remote, "grapevine_event_delivery_skewed_total{reason=\"too_large\"}")).isZero();
    assertThat(value(metrics(a), "grapevine_event_delivery_seconds_count")).isZero();

    // Operator gauges and counters, and the JVM's and process's.
    assertThat(value(afterRequests, "grapevine_broadcast_queue{queue=\"membership\"}")).isNotNaN();
    assertThat(value(afterRequests, "grapevine_broadcast_queue{queue=\"dissemination\"}")).isNotNaN();
    // Gauges read the node when scraped (one reading serves a scrape's gauges for 100 ms).
    await("kv key counted").atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(200))
        .untilAsserted(() -> assertThat(value(metrics(a), "grapevine_kv_keys")).isEqualTo(1.0));
    assertThat(afterRequests).contains("grapevine_kv_syncs_total ", "grapevine_kv_sync_sent_bytes_total ",
        "grapevine_kv_repairs_total{via=\"anti_entropy\"} ", "grapevine_kv_repairs_total{via=\"rumor\"} ",
        "process_files_open_files ", "process_cpu_usage ", "process_uptime_seconds ")
        .containsPattern("(?m)^jvm_gc_(pause_seconds_count|memory_allocated_bytes_total|max_data_size_bytes)");
    // The replicated key reached mx-b (by rumor or by reconciliation) and is counted as repaired there.
    await("kv repaired on mx-b").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(300))
        .untilAsserted(() -> {
          String tb = metrics(b);
          assertThat(value(tb, "grapevine_kv_keys")).isEqualTo(1.0);
          assertThat(value(tb, "grapevine_kv_repairs_total{via=\"rumor\"}")
              + value(tb, "grapevine_kv_repairs_total{via=\"anti_entropy\"}")).isEqualTo(1.0);
        });
    // Without the overlay, no overlay meters.
    assertThat(afterRequests).doesNotContain("grapevine_plumtree_", "grapevine_hyparview_");

    // Kill mx-b (the process this test started): mx-a suspects it, then declares it dead.
    b.process().destroyForcibly();
    await("suspicion of mx-b ends dead").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(300))
        .untilAsserted(() -> assertThat(
            value(metrics(a), "grapevine_suspicion_duration_seconds_count{verdict=\"dead\"}")).isEqualTo(1.0));
    String dead = metrics(a);
    assertHistogram(dead, "grapevine_suspicion_duration_seconds", "verdict=\"dead\"", SUSPICION);
    // Suspicion timeout on two nodes with this profile: seconds, not minutes.
    assertThat(value(dead, "grapevine_suspicion_duration_seconds_sum{verdict=\"dead\"}")).isGreaterThan(0).isLessThan(60);
    assertThat(value(dead, "grapevine_suspicion_duration_seconds_count{verdict=\"refuted\"}")).isZero();
  }

  @Test
  void overlayAgentsExportViewsAndTreeCounters() throws Exception {
    int[] p = AgentProcessIT.freePorts(4);
    Path config = h.work.resolve("mx-overlay.properties");
    Files.writeString(config, "profile=local\nmembership.probe-interval=400ms\noverlay=hyparview-plumtree\n");
    Agent a = h.start("mx-ov-a", p[0], p[1], "--config", config.toString());
    Agent b = h.start("mx-ov-b", p[2], p[3], "--join", a.gossip(), "--config", config.toString());
    await("overlay neighbours").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(300))
        .ignoreExceptions().untilAsserted(() -> {
          String t = metrics(a);
          assertThat(value(t, "grapevine_hyparview_view_size{view=\"active\"}")).isEqualTo(1.0);
          assertThat(value(t, "grapevine_plumtree_peers{link=\"eager\"}")
              + value(t, "grapevine_plumtree_peers{link=\"lazy\"}")).isEqualTo(1.0);
        });
    assertThat(value(metrics(b), "grapevine_event_delivery_seconds_count")).isZero();
    assertThat(send(a, "POST", "/v1/events/deploy", "v1").statusCode()).isEqualTo(200);
    await("event over the tree").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(300))
        .untilAsserted(() -> assertThat(value(metrics(b), "grapevine_events_delivered_total")).isEqualTo(1.0));
    // The overlay's events carry the origin time too: mx-b timed mx-a's event.
    assertThat(value(metrics(b), "grapevine_event_delivery_seconds_count")).isEqualTo(1.0);
    String t = metrics(a);
    assertThat(value(t, "grapevine_hyparview_view_size{view=\"passive\"}")).isNotNaN();
    assertThat(value(t, "grapevine_plumtree_payloads_sent_total")).isGreaterThanOrEqualTo(1.0);
    assertThat(t).contains("grapevine_plumtree_grafts_total ", "grapevine_plumtree_prunes_total ",
        "grapevine_plumtree_ihaves_total ");
    // Own events over the overlay are delivered in the publishing step too.
    assertThat(value(t, "grapevine_events_local_delivery_seconds_count")).isEqualTo(1.0);
  }
}
