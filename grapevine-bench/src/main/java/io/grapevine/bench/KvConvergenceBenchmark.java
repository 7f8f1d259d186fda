// SPDX-License-Identifier: Apache-2.0
package io.grapevine.bench;

import io.grapevine.Cluster;
import io.grapevine.config.AntiEntropyConfig;
import io.grapevine.api.MemberState;
import io.grapevine.config.MembershipConfig;
import io.grapevine.runtime.EventLoop;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Time for one write to reach every node of an N-node cluster on loopback (LAN membership profile,
 * one shared event loop), for the default replicated-store settings and with rumor pushes off
 * (piggybacking on membership gossip only). Each write is made on a random node; its arrival on
 * every other node is observed by a watcher. Not a test: run {@code bench/kv-convergence.sh [n] [writes]}.
 */
public final class KvConvergenceBenchmark {
  private KvConvergenceBenchmark() {}

  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 50;
    int writes = args.length > 1 ? Integer.parseInt(args[1]) : 20;
    System.out.printf("One write to all %d nodes on loopback, %d writes per setting, JVM %s, %d cores%n%n", n,
        writes, System.getProperty("java.version"), Runtime.getRuntime().availableProcessors());
    System.out.println("| setting | median to all | p90 to all | max to all | median to half |");
    System.out.println("|---|---|---|---|---|");
    run(n, writes, "rumorFanout 2 + piggyback (default)", AntiEntropyConfig.defaults());
    run(n, writes, "piggyback only (rumorFanout 0)", AntiEntropyConfig.builder().rumorFanout(0).build());
  }

  private static void run(int n, int writes, String label, AntiEntropyConfig kv) throws Exception {
    EventLoop loop = new EventLoop();
    List<Cluster> nodes = new ArrayList<>();
    try {
      for (int i = 0; i < n; i++) {
        nodes.add(Cluster.builder().name(String.format("kv-%03d", i)).clusterName("kvbench-" + label.length())
            .bind("127.0.0.1:0").config(MembershipConfig.lan()).kvConfig(kv).eventLoop(loop).randomSeed(i).start());
      }
      String seed = nodes.get(0).endpoint().toString();
      List<CompletableFuture<Integer>> joins = new ArrayList<>();
      for (Cluster c : nodes.subList(1, n)) {
        joins.add(c.join(List.of(seed)));
      }
      CompletableFuture.allOf(joins.toArray(new CompletableFuture[0])).get(60, TimeUnit.SECONDS);
      long deadline = System.nanoTime() + 60_000_000_000L;
      while (!nodes.stream().allMatch(c -> c.members().stream().filter(m -> m.state() == MemberState.ALIVE).count() == n)) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("cluster did not form within 60 s");
        }
        Thread.sleep(50);
      }
      Thread.sleep(3000); // let join gossip settle so it does not share the piggyback budget

      ConcurrentHashMap<String, long[]> arrivals = new ConcurrentHashMap<>();
      ConcurrentHashMap<String, CountDownLatch> latches = new ConcurrentHashMap<>();
      for (Cluster c : nodes) {
        c.kv("bench").watch("w", change -> {
          if (!change.local()) {
            long[] a = arrivals.get(change.key());
            if (a != null) {
              synchronized (a) {
                a[(int) a[0]++ + 1] = System.nanoTime();
              }
              latches.get(change.key()).countDown();
            }
          }
        });
      }
      SplittableRandom r = new SplittableRandom(7);
      double[] all = new double[writes];
      double[] half = new double[writes];
      for (int w = 0; w < writes; w++) {
        String key = "w" + w;
        arrivals.put(key, new long[n]);
        latches.put(key, new CountDownLatch(n - 1));
        Cluster writer = nodes.get(r.nextInt(n));
        long t0 = System.nanoTime();
        writer.kv("bench").put(key, ("value " + w).getBytes(StandardCharsets.UTF_8));
        if (!latches.get(key).await(30, TimeUnit.SECONDS)) {
          throw new IllegalStateException("write " + key + " did not reach every node within 30 s");
        }
        long[] a = arrivals.get(key);
        long[] times = Arrays.copyOfRange(a, 1, n);
        Arrays.sort(times);
        all[w] = (times[n - 2] - t0) / 1e6;
        half[w] = (times[(n - 1) / 2] - t0) / 1e6;
        Thread.sleep(300);
      }
      Arrays.sort(all);
      Arrays.sort(half);
      System.out.printf("| %s | %.0f ms | %.0f ms | %.0f ms | %.0f ms |%n", label, all[writes / 2],
          all[(int) Math.ceil(writes * 0.9) - 1], all[writes - 1], half[writes / 2]);
    } finally {
      nodes.forEach(Cluster::close);
      loop.close();
    }
  }
}
