// SPDX-License-Identifier: Apache-2.0
package io.grapevine.agent.api;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Times the HTTP API's requests into {@code grapevine_http_request_duration_seconds}, a histogram
 * by method, route template and status class. Every label value comes from a fixed set: a path is
 * reduced to the template of the route that serves it ({@code /v1/kv/{map}/{key}}), an unknown one to
 * {@code other}; a method outside the API's to {@code OTHER}. So at most methods × routes × status
 * classes series exist, however many distinct paths clients send.
 */
final class HttpMetrics {
  /** Upper bounds of the histogram's buckets (plus +Inf). */
  static final Duration[] BUCKETS = {
    Duration.ofMillis(1), Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25),
    Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500),
    Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10),
    Duration.ofSeconds(30)
  };

  private static final Set<String> METHODS = Set.of("GET", "HEAD", "POST", "PUT", "DELETE");
  /** Paths served as they are. */
  private static final Set<String> EXACT = Set.of(
      "/v1/members", "/v1/health", "/v1/info", "/metrics", "/v1/metrics", "/v1/join", "/v1/leave",
      "/v1/events/watch", "/v1/events", "/v1/aggregates", "/v1/kv", "/v1/tree", "/v1/tree/value", "/v1/tags",
      "/v1/monitor", "/v1/log-level", "/v1/coordinates", "/v1/rtt", "/v1/keys", "/v1/keys/install",
      "/v1/keys/use", "/v1/keys/remove", "/v1/query");

  private final MeterRegistry registry;
  /** One timer per (method, route, status class): a product of fixed sets, so bounded. */
  private final Map<String, Timer> timers = new ConcurrentHashMap<>();

  HttpMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  /** Records one request that took {@code nanos} and was answered with {@code status}. */
  void record(String method, String rawPath, int status, long nanos) {
    String m = method(method);
    String route = route(rawPath);
    String statusClass = statusClass(status);
    timers.computeIfAbsent(m + ' ' + route + ' ' + statusClass, k ->
        Timer.builder("grapevine.http.request.duration")
            .description("HTTP API requests, by method, route template and status class; a stream's"
                + " (watch, monitor, query) is the time it was open")
            .tag("method", m)
            .tag("route", route)
            .tag("status", statusClass)
            .serviceLevelObjectives(BUCKETS)
            .register(registry))
        .record(nanos, TimeUnit.NANOSECONDS);
  }

  /** The method, or {@code OTHER} for one the API does not serve. */
  static String method(String method) {
    return METHODS.contains(method) ? method : "OTHER";
  }

  /** {@code 2xx} .. {@code 5xx}; anything else {@code other}. */
  static String statusClass(int status) {
    return status >= 100 && status < 600 ? (status / 100) + "xx" : "other";
  }

  /** The template of the route serving {@code rawPath}, or {@code other}. */
  static String route(String rawPath) {
    String path = rawPath == null ? "" : rawPath;
    if (path.length() > 1 && path.endsWith("/")) {
      path = path.substring(0, path.length() - 1);
    }
    if (EXACT.contains(path)) {
      return path;
    }
    if (path.startsWith("/v1/members/")) {
      return "/v1/members/{name}";
    }
    if (path.startsWith("/v1/force-leave/")) {
      return "/v1/force-leave/{name}";
    }
    if (path.startsWith("/v1/events/")) {
      return "/v1/events/{topic}";
    }
    if (path.startsWith("/v1/aggregates/")) {
      return "/v1/aggregates/{name}";
    }
    if (path.startsWith("/v1/kv/")) {
      return path.indexOf('/', "/v1/kv/".length()) < 0 ? "/v1/kv/{map}" : "/v1/kv/{map}/{key}";
    }
    if (path.startsWith("/v1/query/")) {
      return "/v1/query/{name}";
    }
    if (path.equals("/") || path.equals("/ui") || path.startsWith("/ui/")) {
      return "/ui";
    }
    return "other";
  }
}
