// SPDX-License-Identifier: Apache-2.0
package io.grapevine.redis;

import static org.awaitility.Awaitility.await;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * N grapevine-redis nodes as OS processes on 127.0.0.1 (the main class on this test's class path):
 * N/2 primaries with the slots split evenly, N/2 replicas, one per primary.
 */
final class ProcessCluster implements AutoCloseable {
  record Node(int index, String id, boolean primary, String primaryId, int respPort, int busPort,
      Process process) {}

  final List<Node> nodes = new ArrayList<>();
  final Path logDir;

  private ProcessCluster(Path logDir) {
    this.logDir = logDir;
  }

  static ProcessCluster start(String name, int n, int basePort, int busBase, String... opts)
      throws IOException {
    Path logs = Path.of("target", "redis-it", name);
    Files.createDirectories(logs);
    ProcessCluster c = new ProcessCluster(logs);
    SecureRandom r = new SecureRandom();
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      byte[] b = new byte[20];
      r.nextBytes(b);
      ids.add(HexFormat.of().formatHex(b));
    }
    int p = n / 2;
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    try {
      for (int i = 0; i < n; i++) {
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx96m", "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
            RedisNodeMain.class.getName(),
            "--port", String.valueOf(basePort + i), "--bus-port", String.valueOf(busBase + i),
            "--id", ids.get(i)));
        if (i > 0) {
          cmd.addAll(List.of("--seed", "127.0.0.1:" + busBase));
        }
        boolean primary = i < p;
        if (primary) {
          cmd.addAll(List.of("--slots", (i * 16384 / p) + "-" + ((i + 1) * 16384 / p - 1),
              "--config-epoch", String.valueOf(i + 1)));
        } else {
          cmd.addAll(List.of("--replica-of", ids.get(i - p)));
        }
        cmd.addAll(List.of(opts));
        File log = logs.resolve("node-" + (basePort + i) + ".log").toFile();
        Process proc = new ProcessBuilder(cmd).redirectErrorStream(true)
            .redirectOutput(log).start();
        c.nodes.add(new Node(i, ids.get(i), primary, primary ? null : ids.get(i - p),
            basePort + i, busBase + i, proc));
      }
      c.awaitHealthy(Duration.ofSeconds(90));
    } catch (RuntimeException | IOException e) {
      c.close();
      throw e;
    }
    return c;
  }

  /** Every live node sees every node and all slots served. */
  void awaitHealthy(Duration timeout) {
    await().atMost(timeout).pollInterval(Duration.ofMillis(250)).ignoreExceptions().until(() -> {
      for (Node node : nodes) {
        if (!node.process().isAlive()) {
          continue;
        }
        String info = (String) RespClient.call(node.respPort(), "CLUSTER", "INFO");
        if (!info.contains("cluster_state:ok") || !info.contains("cluster_known_nodes:" + nodes.size())) {
          return false;
        }
      }
      return true;
    });
  }

  /** CLUSTER NODES as seen by {@code node}. */
  static String clusterNodes(Node node) throws IOException {
    return (String) RespClient.call(node.respPort(), "CLUSTER", "NODES");
  }

  /** The CLUSTER NODES line of {@code id} as {@code viewer} sees it. */
  static String lineOf(Node viewer, String id) throws IOException {
    for (String l : clusterNodes(viewer).split("\n")) {
      if (l.startsWith(id + " ")) {
        return l;
      }
    }
    return "";
  }

  String logs() {
    StringBuilder sb = new StringBuilder();
    for (Node n : nodes) {
      try {
        List<String> lines = Files.readAllLines(logDir.resolve("node-" + n.respPort() + ".log"));
        sb.append("--- node ").append(n.respPort()).append('\n');
        lines.stream().filter(l -> l.contains("RedisNode")).skip(Math.max(0, lines.size() - 40))
            .forEach(l -> sb.append(l).append('\n'));
      } catch (IOException e) {
        sb.append(e).append('\n');
      }
    }
    return sb.toString();
  }

  @Override
  public void close() {
    for (Node n : nodes) {
      n.process().destroy();
    }
    for (Node n : nodes) {
      try {
        if (!n.process().waitFor(10, TimeUnit.SECONDS)) {
          n.process().destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
