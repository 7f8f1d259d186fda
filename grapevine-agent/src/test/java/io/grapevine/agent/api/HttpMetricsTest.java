// SPDX-License-Identifier: Apache-2.0
package io.grapevine.agent.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Request timings: every label from a fixed set, whatever paths and methods clients send. */
class HttpMetricsTest {

  @Test
  void pathsBecomeTheirRouteTemplate() {
    assertThat(HttpMetrics.route("/v1/members")).isEqualTo("/v1/members");
    assertThat(HttpMetrics.route("/v1/members/")).isEqualTo("/v1/members");
    assertThat(HttpMetrics.route("/v1/members/web%201")).isEqualTo("/v1/members/{name}");
    assertThat(HttpMetrics.route("/v1/force-leave/x")).isEqualTo("/v1/force-leave/{name}");
    assertThat(HttpMetrics.route("/v1/events/watch")).isEqualTo("/v1/events/watch");
    assertThat(HttpMetrics.route("/v1/events/deploy")).isEqualTo("/v1/events/{topic}");
    assertThat(HttpMetrics.route("/v1/aggregates/load")).isEqualTo("/v1/aggregates/{name}");
    assertThat(HttpMetrics.route("/v1/kv/config")).isEqualTo("/v1/kv/{map}");
    assertThat(HttpMetrics.route("/v1/kv/config/a/b")).isEqualTo("/v1/kv/{map}/{key}");
    assertThat(HttpMetrics.route("/v1/query/uptime")).isEqualTo("/v1/query/{name}");
    assertThat(HttpMetrics.route("/v1/keys/install")).isEqualTo("/v1/keys/install");
    assertThat(HttpMetrics.route("/metrics")).isEqualTo("/metrics");
    assertThat(HttpMetrics.route("/")).isEqualTo("/ui");
    assertThat(HttpMetrics.route("/ui/app.js")).isEqualTo("/ui");
    assertThat(HttpMetrics.route("/ui/../../etc/passwd")).isEqualTo("/ui");
    assertThat(HttpMetrics.route("/v2/anything")).isEqualTo("other");
    assertThat(HttpMetrics.route("")).isEqualTo("other");
    assertThat(HttpMetrics.route(null)).isEqualTo("other");
    assertThat(HttpMetrics.method("PATCH")).isEqualTo("OTHER");
    assertThat(HttpMetrics.method("get")).isEqualTo("OTHER");
    assertThat(HttpMetrics.statusClass(204)).isEqualTo("2xx");
    assertThat(HttpMetrics.statusClass(503)).isEqualTo("5xx");
    assertThat(HttpMetrics.statusClass(999)).isEqualTo("other");
  }

  @Test
  void randomPathsAndMethodsMakeABoundedNumberOfSeries() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    HttpMetrics m = new HttpMetrics(registry);
    SplittableRandom random = new SplittableRandom(7);
    String[] prefixes = {"/v1/members/", "/v1/kv/", "/v1/events/", "/v1/", "/", "/v1/query/", "/x/"};
    String[] methods = {"GET", "PUT", "BREW", "get", "POST"};
    int[] statuses = {200, 404, 500, 301, 101};
    for (int i = 0; i < 5_000; i++) {
      String path = prefixes[random.nextInt(prefixes.length)] + Long.toHexString(random.nextLong())
          + (random.nextBoolean() ? "/" + random.nextInt() : "");
      m.record(methods[random.nextInt(methods.length)], path, statuses[random.nextInt(statuses.length)], 1000);
    }
    // 4 methods (GET, PUT, POST, OTHER) × at most 7 templates × 5 classes, not 5,000.
    var timers = registry.find("grapevine.http.request.duration").timers();
    assertThat(timers).hasSizeLessThanOrEqualTo(4 * 7 * 5);
    assertThat(timers).allSatisfy(t -> {
      assertThat(t.getId().getTag("route")).matches("other|/v1/[a-z-]+(/\\{[a-z]+\\})*");
      assertThat(t.getId().getTag("method")).isIn("GET", "PUT", "POST", "OTHER");
    });
    assertThat(registry.find("grapevine.http.request.duration").timers().stream().mapToLong(t -> t.count()).sum())
        .isEqualTo(5_000);
  }
}
