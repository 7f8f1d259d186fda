// SPDX-License-Identifier: Apache-2.0
package io.grapevine.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grapevine.Cluster;
import io.grapevine.KvChange;
import io.grapevine.ReplicatedMap;
import io.grapevine.config.AntiEntropyConfig;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The ReplicatedMap facade on two real nodes: values, TTL, counters, sets, watch, errors. */
class ReplicatedMapApiTest {
  @Test
  void facadeOperationsReplicateAndWatchersSeeThem() throws Exception {
    AntiEntropyConfig kv = AntiEntropyConfig.builder().syncInterval(Duration.ofMillis(300)).build();
    try (TestNodes cluster = new TestNodes("kv-api", TestNodes.fastConfig(), 1, false)) {
      Cluster a = cluster.start("api-a", "127.0.0.1:0", b -> b.kvConfig(kv));
      Cluster b = cluster.start("api-b", "127.0.0.1:0", x -> x.kvConfig(kv));
      b.join(List.of(a.endpoint().toString())).get(20, TimeUnit.SECONDS);

      ConcurrentLinkedQueue<KvChange> seen = new ConcurrentLinkedQueue<>();
      AutoCloseable watch = b.kv("svc").watch("web/", seen::add);
      ReplicatedMap svc = a.kv("svc");
      svc.put("web/1", "10.0.0.1".getBytes(StandardCharsets.UTF_8));
      svc.put("db/1", "10.0.0.9".getBytes(StandardCharsets.UTF_8));
      svc.put("web/tmp", new byte[] {1}, Duration.ofMillis(300));
      a.kv("stats").increment("hits", 5);
      b.kv("stats").increment("hits", -2);
      a.kv("groups").addToSet("admins", "alice");
      b.kv("groups").addToSet("admins", "bob");

      await().atMost(Duration.ofSeconds(20)).until(() -> b.kv("svc").get("web/1").isPresent()
          && a.kv("stats").counter("hits") == 3 && b.kv("stats").counter("hits") == 3
          && a.kv("groups").members("admins").size() == 2 && b.kv("groups").members("admins").size() == 2);
      // The TTL'd value reaches b (seen by the watcher, whether or not it has expired by then) and
      // disappears everywhere at its expiry.
      await().atMost(Duration.ofSeconds(20)).until(() -> seen.stream().anyMatch(c -> c.key().equals("web/tmp")));
      await().atMost(Duration.ofSeconds(5)).until(() -> b.kv("svc").get("web/tmp").isEmpty());
      assertThat(b.kv("svc").scan("web/")).containsOnlyKeys("web/1");

      a.kv("svc").delete("web/1");
      await().atMost(Duration.ofSeconds(20)).until(() -> b.kv("svc").get("web/1").isEmpty());
      await().atMost(Duration.ofSeconds(5)).until(() -> seen.stream().anyMatch(c -> c.key().equals("web/1") && c.deleted()));
      assertThat(seen).allMatch(c -> c.key().startsWith("web/") && !c.local());
      watch.close();

      assertThatThrownBy(() -> a.kv("bad name")).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("may only contain");
      assertThatThrownBy(() -> svc.put("", new byte[0])).isInstanceOf(IllegalArgumentException.class)
          .hasMessage("key must not be empty");
      assertThatThrownBy(() -> svc.put("big", new byte[40_000])).isInstanceOf(IllegalArgumentException.class)
          .hasMessage("value is 40000 bytes, above valueMaxBytes 32768");
      svc.put("plain", new byte[] {1});
      assertThatThrownBy(() -> svc.increment("plain", 1)).isInstanceOf(IllegalStateException.class)
          .hasMessage("key 'plain' in map 'svc' holds a value, not a counter");
      assertThat(svc.stats().keysRepairedByRumor() + svc.stats().keysRepairedByAntiEntropy()).isGreaterThanOrEqualTo(0);
      assertThat(b.kv("svc").stats().keysRepairedByRumor() + b.kv("svc").stats().keysRepairedByAntiEntropy())
          .isPositive();
    }
  }
}
