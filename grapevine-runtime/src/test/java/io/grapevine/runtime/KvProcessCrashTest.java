// SPDX-License-Identifier: Apache-2.0
package io.grapevine.runtime;

import static io.grapevine.runtime.TestNodes.countIn;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grapevine.Cluster;
import io.grapevine.config.AntiEntropyConfig;
import io.grapevine.api.MemberState;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node in its own process, writing to the replicated store, is killed with SIGKILL; restarted
 * from its data dir, it still has every write it acknowledged, and catches up with what the
 * cluster wrote while it was down.
 */
class KvProcessCrashTest {
  private static final AntiEntropyConfig KV = AntiEntropyConfig.builder().syncInterval(Duration.ofMillis(500)).build();

  @TempDir
  Path dir;

  @Test
  void nodeKilledDuringWritesRestartsFromItsDataDirAndCatchesUp() throws Exception {
    try (TestNodes cluster = new TestNodes("kv-kill", TestNodes.fastConfig(), 1, false)) {
      Cluster a = cluster.start("kill-a", "127.0.0.1:0", b -> b.kvConfig(KV));
      Cluster b = cluster.start("kill-b", "127.0.0.1:0", x -> x.kvConfig(KV));
      b.join(List.of(a.endpoint().toString())).get(20, TimeUnit.SECONDS);
      Path data = dir.resolve("victim");

      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), KvCrashNode.class.getName(),
          "kill-victim", data.toString(), "kv-kill", a.endpoint().toString()).redirectErrorStream(true).start();
      int lastAcked = -1;
      try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = out.readLine()) != null && lastAcked < 200) {
          if (line.startsWith("ACK ")) {
            lastAcked = Integer.parseInt(line.substring(4));
          }
        }
        p.destroyForcibly(); // SIGKILL mid-stream
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
      }
      assertThat(p.exitValue()).isEqualTo(137);
      assertThat(lastAcked).isEqualTo(200);
      await().atMost(Duration.ofSeconds(30)).until(() -> countIn(a, MemberState.DEAD) == 1);

      for (int i = 0; i < 30; i++) {
        a.kv("m").put("while-down-" + i, new byte[] {(byte) i});
      }
      Cluster back = cluster.start("kill-victim", "127.0.0.1:0", x -> x.kvConfig(KV).dataDir(data));
      // Every acknowledged write is there from disk, before the node talks to anyone.
      for (int i = 0; i <= lastAcked; i++) {
        assertThat(back.kv("m").get("crash-" + i)).as("acknowledged crash-%d", i)
            .hasValueSatisfying(v -> assertThat(v).isNotEmpty());
      }
      back.join(List.of(a.endpoint().toString())).get(20, TimeUnit.SECONDS);
      int acked = lastAcked;
      await().atMost(Duration.ofSeconds(30)).until(() -> back.kv("m").scan("while-down-").size() == 30
          && a.kv("m").scan("crash-").size() > acked && b.kv("m").scan("crash-").size() > acked);
      await().atMost(Duration.ofSeconds(30)).until(() -> countIn(a, MemberState.ALIVE) == 3);
    }
  }
}
