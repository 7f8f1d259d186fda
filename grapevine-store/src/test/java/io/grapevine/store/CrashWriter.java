// SPDX-License-Identifier: Apache-2.0
package io.grapevine.store;

import io.grapevine.config.AntiEntropyConfig;
import io.grapevine.antientropy.Replica;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Child process of {@link CrashTest}: writes values and counter increments as fast as it can and
 * prints {@code ACK} after each write returns (is acknowledged), until it is killed.
 */
public final class CrashWriter {
  private CrashWriter() {}

  public static void main(String[] args) {
    Path dir = Path.of(args[0]);
    MvReplicaStore store = MvReplicaStore.open(dir, AntiEntropyConfig.defaults());
    Replica r = new Replica("writer", store, AntiEntropyConfig.defaults());
    for (int i = 0; i < 1_000_000; i++) {
      long now = System.currentTimeMillis();
      r.put(now, "m", "k" + i, ("v" + i).getBytes(StandardCharsets.UTF_8), 0);
      long c = r.increment(now, "m", "counter", 1).counter().value();
      System.out.println("ACK " + i + " " + c);
      System.out.flush();
    }
  }
}
