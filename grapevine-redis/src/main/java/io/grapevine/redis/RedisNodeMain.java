// SPDX-License-Identifier: Apache-2.0
package io.grapevine.redis;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/**
 * Runs one node as a process:
 *
 * <pre>
 * java -cp ... io.grapevine.redis.RedisNodeMain --port 7000 --bus-port 17000 [--host 127.0.0.1]
 *     [--id HEX40] [--seed HOST:PORT]... [--slots FROM-TO]... [--config-epoch N]
 *     [--replica-of ID] [--node-timeout-ms 2000] [--failover-delay-scale 0.5] [--max-clients 512]
 *     [--probe-interval-ms 300] [--suspicion-mult 1] [--max-keys 1000000] [--cluster-name NAME]
 * </pre>
 *
 * <p>A bad argument prints one line naming it and exits with status 2. SIGTERM leaves the Grapevine
 * cluster gracefully; SIGKILL is a crash.
 */
public final class RedisNodeMain {
  private RedisNodeMain() {}

  /** Entry point. */
  public static void main(String[] args) throws InterruptedException {
    RedisNodeConfig config;
    try {
      config = parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("grapevine-redis: " + e.getMessage());
      System.exit(2);
      return;
    }
    RedisNode node;
    try {
      node = RedisNode.start(config);
    } catch (IOException | RuntimeException e) {
      System.err.println("grapevine-redis: cannot start: " + e.getMessage());
      System.exit(1);
      return;
    }
    System.out.println("grapevine-redis node " + node.nodeId() + " RESP 127.0.0.1:" + node.respPort()
        + " bus " + node.busPort() + " " + (node.claim().primary() ? "primary" : "replica"));
    CountDownLatch done = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      node.shutdown(Duration.ofSeconds(2));
      done.countDown();
    }, "redis-shutdown"));
    done.await();
  }

  /**
   * Parses the command line.
   *
   * @throws IllegalArgumentException naming the bad argument
   */
  static RedisNodeConfig parse(String[] args) {
    RedisNodeConfig.Builder b = RedisNodeConfig.builder();
    boolean port = false;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException("missing value after " + a);
      }
      String v = args[++i];
      try {
        switch (a) {
          case "--host" -> b.host(v);
          case "--port" -> {
            b.respPort(Integer.parseInt(v));
            port = true;
          }
          case "--bus-port" -> b.busPort(Integer.parseInt(v));
          case "--id" -> b.nodeId(v);
          case "--seed" -> b.seed(v);
          case "--replica-of" -> b.replicaOf(v);
          case "--config-epoch" -> b.configEpoch(Long.parseLong(v));
          case "--slots" -> {
            String[] r = v.split("-");
            int from = Integer.parseInt(r[0]);
            int to = r.length > 1 ? Integer.parseInt(r[1]) : from;
            if (r.length > 2 || from < 0 || to >= KeySlot.SLOTS || from > to) {
              throw new IllegalArgumentException("--slots must be FROM-TO within 0-16383: " + v);
            }
            b.slots(from, to);
          }
          case "--node-timeout-ms" -> b.nodeTimeout(Duration.ofMillis(Long.parseLong(v)));
          case "--failover-delay-scale" -> b.failoverDelayScale(Double.parseDouble(v));
          case "--probe-interval-ms" -> b.probeInterval(Duration.ofMillis(Long.parseLong(v)));
          case "--suspicion-mult" -> b.suspicionMult(Integer.parseInt(v));
          case "--max-clients" -> b.maxConnections(Integer.parseInt(v));
          case "--max-keys" -> b.maxKeys(Integer.parseInt(v));
          case "--cluster-name" -> b.clusterName(v);
          default -> throw new IllegalArgumentException("unknown option " + a);
        }
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(a + " needs a number, got " + v);
      }
    }
    if (!port) {
      throw new IllegalArgumentException("--port is required");
    }
    return b.build();
  }
}
