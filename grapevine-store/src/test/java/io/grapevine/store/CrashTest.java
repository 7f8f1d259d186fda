// SPDX-License-Identifier: Apache-2.0
package io.grapevine.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.grapevine.config.AntiEntropyConfig;
import io.grapevine.antientropy.Entry;
import io.grapevine.antientropy.Replica;
import io.grapevine.antientropy.StoreKey;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real process writes to a real store and is killed with SIGKILL mid-stream; reopened, the store
 * holds every write the process acknowledged.
 */
class CrashTest {
  @TempDir
  Path dir;

  @Test
  void noAcknowledgedWriteIsLostWhenTheProcessIsKilled() throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), CrashWriter.class.getName(),
        dir.toString()).redirectErrorStream(true).start();
    int lastAcked = -1;
    long lastCounter = 0;
    try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = out.readLine()) != null) {
        if (line.startsWith("ACK ")) {
          String[] f = line.split(" ");
          lastAcked = Integer.parseInt(f[1]);
          lastCounter = Long.parseLong(f[2]);
          if (lastAcked >= 300) {
            break;
          }
        }
      }
      // SIGKILL: no shutdown hook, no close, no flush.
      p.destroyForcibly();
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }
    assertThat(p.exitValue()).isEqualTo(137);
    assertThat(lastAcked).isEqualTo(300);

    try (MvReplicaStore store = MvReplicaStore.open(dir, AntiEntropyConfig.defaults())) {
      Replica r = new Replica("reader", store, AntiEntropyConfig.defaults());
      for (int i = 0; i <= lastAcked; i++) {
        Entry e = r.get(new StoreKey("m", "k" + i));
        assertThat(e).as("acknowledged k%d", i).isNotNull();
        assertThat(new String(e.value(), StandardCharsets.UTF_8)).isEqualTo("v" + i);
      }
      assertThat(r.get(new StoreKey("m", "counter")).counter().value()).isGreaterThanOrEqualTo(lastCounter);
    }
  }
}
