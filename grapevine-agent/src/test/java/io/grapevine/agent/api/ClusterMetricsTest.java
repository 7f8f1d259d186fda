// SPDX-License-Identifier: Apache-2.0
package io.grapevine.agent.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grapevine.Cluster;
import io.grapevine.config.MembershipConfig;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The registry of two real in-process nodes on loopback: histograms fed while it is open, not after. */
class ClusterMetricsTest {
  private static final MembershipConfig FAST = MembershipConfig.local().toBuilder()
      .probeInterval(Duration.ofMillis(200)).probeTimeout(Duration.ofMillis(100)).build();

  private static Cluster node(String name) {
    return Cluster.builder().name(name).clusterName("metrics-test").bind("127.0.0.1:0").config(FAST).start();
  }

  @Test
  void closingTheRegistryStopsItsHistogramsAndTheNodeRunsOn() throws Exception {
    try (Cluster a = node("cm-a"); Cluster b = node("cm-b")) {
      b.join(List.of(a.endpoint().toString())).get(10, TimeUnit.SECONDS);
      PrometheusMeterRegistry registry = ClusterMetrics.registry(a);
      Timer rtt = registry.get("grapevine.probe.rtt").timer();
      await().atMost(Duration.ofSeconds(20)).until(() -> rtt.count() >= 3);
      assertThat(registry.scrape()).contains("grapevine_broadcast_queue{queue=\"membership\"} ",
          "grapevine_kv_keys 0.0", "jvm_gc_", "process_files_open_files ");

      registry.close();
      long frozen = rtt.count();
      long probes = a.stats().probes();
      await().atMost(Duration.ofSeconds(20)).until(() -> a.stats().probes() >= probes + 5);
      // Probes went on and were acked (a sees b alive), but the closed registry heard none of them.
      assertThat(a.stats().probeFailures()).isZero();
      assertThat(rtt.count()).isEqualTo(frozen);

      // A new registry takes the node's observations over.
      PrometheusMeterRegistry next = ClusterMetrics.registry(a);
      Timer again = next.get("grapevine.probe.rtt").timer();
      await().atMost(Duration.ofSeconds(20)).until(() -> again.count() >= 2);
      next.close();
    }
  }

  @Test
  void remoteEventDelaysAreClampedOrCountedAsSkewed() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    try {
      java.util.function.LongConsumer observe = ClusterMetrics.remoteEventDelivery(registry);
      observe.accept(42);
      observe.accept(-3); // within the tolerance: observed as 0
      observe.accept(-ClusterMetrics.EVENT_CLOCK_TOLERANCE_MILLIS - 1);
      observe.accept(ClusterMetrics.EVENT_DELIVERY_MAX_MILLIS + 1);
      observe.accept(ClusterMetrics.EVENT_DELIVERY_MAX_MILLIS);
      Timer t = registry.get("grapevine.event.delivery").timer();
      assertThat(t.count()).isEqualTo(3);
      assertThat(t.totalTime(TimeUnit.MILLISECONDS)).isEqualTo(42 + ClusterMetrics.EVENT_DELIVERY_MAX_MILLIS);
      assertThat(registry.get("grapevine.event.delivery.skewed").tag("reason", "negative").counter().count())
          .isEqualTo(1);
      assertThat(registry.get("grapevine.event.delivery.skewed").tag("reason", "too_large").counter().count())
          .isEqualTo(1);
      assertThat(registry.scrape()).contains("grapevine_event_delivery_seconds_bucket{le=\"0.001\"} 1",
          "grapevine_event_delivery_skewed_total{reason=\"negative\"} 1.0");
    } finally {
      registry.close();
    }
  }
}
