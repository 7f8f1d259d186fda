// SPDX-License-Identifier: Apache-2.0
package io.grapevine.runtime;

import io.grapevine.Cluster;
import io.grapevine.ReplicatedMap;
import io.grapevine.config.AntiEntropyConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Child process of {@link KvProcessCrashTest}: a cluster node with a data dir that joins a seed
 * and writes as fast as it can, printing {@code ACK i} after each write is acknowledged, until it
 * is killed. Arguments: name, data dir, cluster name, seed HOST:PORT.
 */
public final class KvCrashNode {
  private KvCrashNode() {}

  public static void main(String[] args) throws Exception {
    Cluster c = Cluster.builder().name(args[0]).dataDir(Path.of(args[1])).clusterName(args[2])
        .bind("127.0.0.1:0").config(TestNodes.fastConfig())
        .kvConfig(AntiEntropyConfig.builder().syncInterval(Duration.ofMillis(500)).build()).start();
    c.join(List.of(args[3])).get(20, TimeUnit.SECONDS);
    System.out.println("JOINED");
    ReplicatedMap m = c.kv("m");
    for (int i = 0; i < 1_000_000; i++) {
      m.put("crash-" + i, ("v" + i).getBytes(StandardCharsets.UTF_8));
      System.out.println("ACK " + i);
      System.out.flush();
    }
  }
}
