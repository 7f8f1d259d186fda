// SPDX-License-Identifier: Apache-2.0
package io.grapevine.bench;

import io.grapevine.Cluster;
import io.grapevine.api.RumorId;
import io.grapevine.api.MemberState;
import io.grapevine.config.MembershipConfig;
import io.grapevine.runtime.EventLoop;
import io.grapevine.transport.FaultInjectingTransport;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * User-event latency on loopback: a cluster of N real nodes (LAN profile, default event settings:
 * piggybacked on membership traffic plus digest anti-entropy), one event published at a time on a
 * rotating node; time from publish until the last node delivered it, and deliveries per node (must
 * be exactly 1). Optionally with datagram loss injected on every node. Not part of the test suite.
 *
 * <p>Usage: {@code EventsBenchmark [sizes=10,50] [events=10] [lossPercents=0,10]}
 */
public final class EventsBenchmark {
  private EventsBenchmark() {}

  public static void main(String[] args) throws Exception {
    int[] sizes = Arrays.stream((args.length > 0 ? args[0] : "10,50").split(",")).mapToInt(Integer::parseInt)
        .toArray();
    int events = args.length > 1 ? Integer.parseInt(args[1]) : 10;
    int[] losses = Arrays.stream((args.length > 2 ? args[2] : "0,10").split(",")).mapToInt(Integer::parseInt)
        .toArray();
    System.out.println("All nodes of a run in one JVM on one shared event loop; LAN profile; "
        + "events piggybacked on membership traffic (retransmitMult 4) with anti-entropy every 10 s.");
    System.out.println("| N | datagram loss | events | to last node: median | p90 | max | deliveries per node |");
    System.out.println("|---|---|---|---|---|---|---|");
    for (int n : sizes) {
      for (int loss : losses) {
        run(n, events, loss);
      }
    }
  }

  private static void run(int n, int events, int lossPercent) throws Exception {
    EventLoop loop = new EventLoop();
    List<Cluster> nodes = new ArrayList<>();
    List<FaultInjectingTransport> faults = new ArrayList<>();
    Map<RumorId, Map<String, Integer>> deliveries = new ConcurrentHashMap<>();
    Map<RumorId, Long> lastAt = new ConcurrentHashMap<>();
    try {
      for (int i = 0; i < n; i++) {
        String name = String.format("ev-%03d", i);
        long seed = i;
        Cluster c = Cluster.builder().name(name).clusterName("events-bench").bind("127.0.0.1:0")
            .config(MembershipConfig.lan()).eventLoop(loop).randomSeed(seed)
            .transportDecorator(t -> {
              FaultInjectingTransport f = new FaultInjectingTransport(t, loop, seed);
              faults.add(f);
              return f;
            }).start();
        c.events().subscribe("bench", e -> {
          deliveries.computeIfAbsent(e.id(), k -> new ConcurrentHashMap<>()).merge(name, 1, Integer::sum);
          lastAt.put(e.id(), System.nanoTime());
        });
        nodes.add(c);
      }
      String seedAddress = nodes.get(0).endpoint().toString();
      for (int i = 1; i < n; i++) {
        nodes.get(i).join(List.of(seedAddress)).get(30, TimeUnit.SECONDS);
      }
      waitUntil(60_000, () -> nodes.stream().allMatch(c -> c.members().stream()
          .filter(m -> m.state() == MemberState.ALIVE).count() == n));
      faults.forEach(f -> f.drop(lossPercent / 100.0));
      double[] latencies = new double[events];
      int exactlyOnce = 0;
      for (int e = 0; e < events; e++) {
        Cluster origin = nodes.get((e * 7) % n);
        long start = System.nanoTime();
        RumorId id = origin.events().publish("bench", ("event-" + e).getBytes());
        boolean all = waitUntil(60_000, () -> deliveries.getOrDefault(id, Map.of()).size() == n);
        latencies[e] = all ? (lastAt.get(id) - start) / 1e6 : Double.NaN;
        Thread.sleep(500); // let duplicates, if any, arrive before counting
        if (deliveries.get(id).values().stream().allMatch(v -> v == 1)) {
          exactlyOnce++;
        }
      }
      double[] sorted = latencies.clone();
      Arrays.sort(sorted);
      System.out.printf(Locale.ROOT, "| %d | %d%% | %d | %.0f ms | %.0f ms | %.0f ms | exactly 1 for %d of %d events |%n",
          n, lossPercent, events, sorted[events / 2], sorted[(int) Math.min(events - 1, Math.floor(events * 0.9))],
          sorted[events - 1], exactlyOnce, events);
    } finally {
      nodes.forEach(Cluster::close);
      loop.close();
    }
  }

  private static boolean waitUntil(long boundMillis, java.util.function.BooleanSupplier condition)
      throws InterruptedException {
    long end = System.nanoTime() + boundMillis * 1_000_000;
    while (System.nanoTime() < end) {
      if (condition.getAsBoolean()) {
        return true;
      }
      Thread.sleep(5);
    }
    return condition.getAsBoolean();
  }
}
