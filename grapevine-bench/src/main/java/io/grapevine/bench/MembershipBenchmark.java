// SPDX-License-Identifier: Apache-2.0
package io.grapevine.bench;

import io.grapevine.Cluster;
import io.grapevine.api.MemberEvent;
import io.grapevine.api.MemberState;
import io.grapevine.config.MembershipConfig;
import io.grapevine.config.TransportConfig;
import io.grapevine.runtime.EventLoop;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/**
 * Membership on loopback: for each cluster size, the time until every node sees every node alive,
 * failure detection after one node is closed abruptly, steady-state bytes per node and heap per
 * node. All nodes run in this JVM on one shared event loop (one thread), with the LAN profile.
 *
 * <p>Usage: {@code MembershipBenchmark [sizes=10,50,100] [runs=3] [steadySeconds=60]
 * [transport=udp-and-tcp|tcp-only|both]}; see {@code bench/membership.sh}. With {@code both}, each
 * run is made in both transport modes, alternated, for a side-by-side table. Every wait is bounded;
 * the whole run takes a few minutes.
 */
public final class MembershipBenchmark {
  private static final long POLL_MILLIS = 5;

  /** One run's figures; NaN when a phase did not finish within its bound. */
  record Result(String mode, int n, double joinReturnedMs, double convergedMs, double firstSuspectMs, double allDeadMs,
      double bytesPerSecPerNode, double udpBytesPerSecPerNode, double pushPullModelBytesPerSecPerNode,
      double cpuPercentPerNode, double heapKiBPerNode, long falseSuspicions, long falseDeaths,
      double connectionsPerSecPerNode, long sendErrors) {}

  public static void main(String[] args) throws Exception {
    int[] sizes = args.length > 0 ? Arrays.stream(args[0].split(",")).mapToInt(Integer::parseInt).toArray()
        : new int[] {10, 50, 100};
    int runs = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    // 60 s: long enough to include push-pull at its real rate (every 30 s up to 32 nodes, 60 s above).
    int steadySeconds = args.length > 2 ? Integer.parseInt(args[2]) : 60;
    String transport = args.length > 3 ? args[3] : "udp-and-tcp";
    List<TransportConfig> modes = switch (transport) {
      case "udp-and-tcp" -> List.of(TransportConfig.defaults());
      case "tcp-only" -> List.of(tcpOnly());
      case "both" -> List.of(TransportConfig.defaults(), tcpOnly());
      default -> throw new IllegalArgumentException("transport must be udp-and-tcp, tcp-only or both, got " + transport);
    };
    // -Dgrapevine.bench.deflateLevel=0 measures plain push-pulls (the default deflates them).
    MembershipConfig config = MembershipConfig.lan().toBuilder().pushPullDeflateLevel(
        Integer.getInteger("grapevine.bench.deflateLevel", MembershipConfig.lan().pushPullDeflateLevel)).build();
    System.out.printf(Locale.ROOT, "Grapevine membership benchmark: LAN profile, loopback, all nodes in one JVM on"
        + " ONE shared event loop (one thread); %d run(s) per size, medians reported; steady window %d s;"
        + " transport %s%n", runs, steadySeconds, transport);
    System.out.printf(Locale.ROOT, "java %s (%s), %d cores visible%n", System.getProperty("java.version"),
        System.getProperty("java.vm.name"), Runtime.getRuntime().availableProcessors());

    // Warm-up: class loading and JIT, not counted.
    runOnce(10, config, TransportConfig.defaults(), 3, 999);

    List<Result> medians = new ArrayList<>();
    for (int n : sizes) {
      List<List<Result>> results = new ArrayList<>();
      modes.forEach(m -> results.add(new ArrayList<>()));
      for (int r = 0; r < runs; r++) {
        // Modes alternate run by run, so a slow spell of a shared machine hits both alike.
        for (int k = 0; k < modes.size(); k++) {
          Result res = runOnce(n, config, modes.get(k), steadySeconds, r);
          System.out.println("  " + res);
          results.get(k).add(res);
        }
      }
      results.forEach(rs -> medians.add(median(rs)));
    }
    System.out.println();
    System.out.println("| transport | N | all joins returned | all see N alive | crash: first suspect | crash: all"
        + " survivors mark dead | bytes/s out per node in window (UDP+TCP) | of which UDP | UDP + push-pull at its"
        + " steady interval | TCP connections/s per node | loop CPU per node | heap per node | false suspicions /"
        + " deaths (all runs) | send errors (whole runs) |");
    System.out.println("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for (int i = 0; i < medians.size(); i++) {
      Result m = medians.get(i);
      // The push-pull model divides stream bytes by stream messages: with every packet a stream
      // message that is no longer the size of a full state, so it is not shown for tcp-only.
      String model = m.mode.equals("tcp-only") ? "n/a"
          : String.format(Locale.ROOT, "%.0f B/s", m.udpBytesPerSecPerNode + m.pushPullModelBytesPerSecPerNode);
      System.out.printf(Locale.ROOT, "| %s | %d | %.0f ms | %.0f ms | %.2f s | %.2f s | %.0f B/s | %.0f B/s | %s |"
          + " %.1f | %.2f%% | %.0f KiB | %d / %d | %d |%n", m.mode, m.n, m.joinReturnedMs, m.convergedMs,
          m.firstSuspectMs / 1000, m.allDeadMs / 1000, m.bytesPerSecPerNode, m.udpBytesPerSecPerNode,
          model, m.connectionsPerSecPerNode,
          m.cpuPercentPerNode, m.heapKiBPerNode, m.falseSuspicions, m.falseDeaths, m.sendErrors);
    }
  }

  private static TransportConfig tcpOnly() {
    return new TransportConfig.Builder().mode(TransportConfig.Mode.TCP_ONLY).build();
  }

  private static Result runOnce(int n, MembershipConfig config, TransportConfig transport, int steadySeconds, int run)
      throws Exception {
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    EventLoop loop = new EventLoop();
    List<Cluster> nodes = new ArrayList<>(n);
    AtomicLong firstSuspectNanos = new AtomicLong();
    AtomicLong falseSuspicions = new AtomicLong();
    AtomicLong falseDeaths = new AtomicLong();
    String[] victim = {null};
    try {
      long heapBefore = usedHeapAfterGc(memory);
      for (int i = 0; i < n; i++) {
        String name = String.format("node-%03d", i);
        Cluster c = Cluster.builder().name(name).clusterName("bench-" + n + "-" + run).bind("127.0.0.1:0")
            .config(config).transportConfig(transport).eventLoop(loop).randomSeed(run * 1000L + i).start();
        c.addListener(e -> {
          String about = e.member().name();
          if (e.type() == MemberEvent.Type.SUSPECTED) {
            if (about.equals(victim[0])) {
              firstSuspectNanos.compareAndSet(0, System.nanoTime());
            } else {
              falseSuspicions.incrementAndGet();
            }
          } else if (e.type() == MemberEvent.Type.DEAD && !about.equals(victim[0])) {
            falseDeaths.incrementAndGet();
          }
        });
        nodes.add(c);
      }
      Cluster seed = nodes.get(0);
      String seedAddress = seed.endpoint().toString();

      // Join: every node asks the seed at once; converged when every node lists N alive.
      long t0 = System.nanoTime();
      List<CompletableFuture<Integer>> joins = new ArrayList<>();
      for (int i = 1; i < n; i++) {
        joins.add(nodes.get(i).join(List.of(seedAddress)));
      }
      CompletableFuture.allOf(joins.toArray(new CompletableFuture[0])).get(60, TimeUnit.SECONDS);
      double joinReturnedMs = (System.nanoTime() - t0) / 1e6;
      boolean converged = waitUntil(60_000, () -> nodes.stream().allMatch(c -> alive(c) == n));
      double convergedMs = converged ? (System.nanoTime() - t0) / 1e6 : Double.NaN;

      // Steady state: let join gossip die down, then count bytes over the window.
      waitFor(3_000);
      long heapAfter = usedHeapAfterGc(memory);
      long bytes0 = nodes.stream().mapToLong(c -> c.stats().bytesOut()).sum();
      long udp0 = nodes.stream().mapToLong(c -> c.transportStats().datagramBytesOut()).sum();
      long tcp0 = nodes.stream().mapToLong(c -> c.transportStats().streamBytesOut()).sum();
      long msg0 = nodes.stream().mapToLong(c -> c.transportStats().streamMessagesOut()).sum();
      long cpu0 = loop.cpuTimeNanos();
      long w0 = System.nanoTime();
      waitFor(steadySeconds * 1000L);
      double window = (System.nanoTime() - w0) / 1e9;
      long bytes1 = nodes.stream().mapToLong(c -> c.stats().bytesOut()).sum();
      long udp1 = nodes.stream().mapToLong(c -> c.transportStats().datagramBytesOut()).sum();
      long tcp1 = nodes.stream().mapToLong(c -> c.transportStats().streamBytesOut()).sum();
      long msg1 = nodes.stream().mapToLong(c -> c.transportStats().streamMessagesOut()).sum();
      double cpuPercent = (loop.cpuTimeNanos() - cpu0) / (window * 1e9) * 100 / n;
      // Every stream message is one TCP connection (the transport opens one per message).
      double connectionsPerSec = (msg1 - msg0) / window / n;
      double bytesPerSec = (bytes1 - bytes0) / window / n;
      double udpPerSec = (udp1 - udp0) / window / n;
      // Push-pull at its steady rate: each node sends two full states per interval (its own
      // exchange and its answer to one), of the size measured in the window. The window itself may
      // hold a different number of rounds: every node's first push-pull comes 30 s after start.
      double stateMessageBytes = msg1 > msg0 ? (tcp1 - tcp0) / (double) (msg1 - msg0) : Double.NaN;
      double pushPullModel = 2 * stateMessageBytes * 1000.0 / config.pushPullIntervalMillis(n);
      System.out.printf(Locale.ROOT, "  N=%d, push-pull deflate level %d: %.0f bytes per stream message in the window"
          + " (%d messages)%n", n, config.pushPullDeflateLevel, stateMessageBytes, msg1 - msg0);

      // Crash: close one node's sockets without a leave.
      Cluster dead = nodes.get(1 + new SplittableRandom(run).nextInt(n - 1));
      victim[0] = dead.localMember().name();
      List<Cluster> survivors = new ArrayList<>(nodes);
      survivors.remove(dead);
      long tc = System.nanoTime();
      dead.close();
      long bound = config.probeInterval.toMillis() * 10 + config.suspicionMaxMillis(n) + 30_000;
      boolean allDead = waitUntil(bound, () -> survivors.stream()
          .allMatch(c -> c.member(victim[0]).map(m -> m.state() == MemberState.DEAD).orElse(false)));
      double allDeadMs = allDead ? (System.nanoTime() - tc) / 1e6 : Double.NaN;
      long fs = firstSuspectNanos.get();
      double firstSuspectMs = fs == 0 ? Double.NaN : (fs - tc) / 1e6;

      double heapKiB = (heapAfter - heapBefore) / 1024.0 / n;
      long sendErrors = nodes.stream().mapToLong(c -> c.transportStats().sendErrors()).sum();
      return new Result(transport.tcpOnly() ? "tcp-only" : "udp-and-tcp", n, joinReturnedMs, convergedMs, firstSuspectMs, allDeadMs, bytesPerSec, udpPerSec,
          pushPullModel, cpuPercent, heapKiB, falseSuspicions.get(), falseDeaths.get(), connectionsPerSec, sendErrors);
    } finally {
      nodes.forEach(Cluster::close);
      loop.close();
    }
  }

  private static long alive(Cluster c) {
    return c.members().stream().filter(m -> m.state() == MemberState.ALIVE).count();
  }

  /** Polls {@code condition} until true or {@code boundMillis} passed; returns whether it held. */
  private static boolean waitUntil(long boundMillis, BooleanSupplier condition) throws InterruptedException {
    long end = System.nanoTime() + boundMillis * 1_000_000;
    while (System.nanoTime() < end) {
      if (condition.getAsBoolean()) {
        return true;
      }
      Thread.sleep(POLL_MILLIS);
    }
    return condition.getAsBoolean();
  }

  private static void waitFor(long millis) throws InterruptedException {
    Thread.sleep(millis);
  }

  private static long usedHeapAfterGc(MemoryMXBean memory) throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(50);
    }
    return memory.getHeapMemoryUsage().getUsed();
  }

  private static Result median(List<Result> rs) {
    return new Result(rs.get(0).mode, rs.get(0).n,
        med(rs.stream().mapToDouble(Result::joinReturnedMs).toArray()),
        med(rs.stream().mapToDouble(Result::convergedMs).toArray()),
        med(rs.stream().mapToDouble(Result::firstSuspectMs).toArray()),
        med(rs.stream().mapToDouble(Result::allDeadMs).toArray()),
        med(rs.stream().mapToDouble(Result::bytesPerSecPerNode).toArray()),
        med(rs.stream().mapToDouble(Result::udpBytesPerSecPerNode).toArray()),
        med(rs.stream().mapToDouble(Result::pushPullModelBytesPerSecPerNode).toArray()),
        med(rs.stream().mapToDouble(Result::cpuPercentPerNode).toArray()),
        med(rs.stream().mapToDouble(Result::heapKiBPerNode).toArray()),
        rs.stream().mapToLong(Result::falseSuspicions).sum(),
        rs.stream().mapToLong(Result::falseDeaths).sum(),
        med(rs.stream().mapToDouble(Result::connectionsPerSecPerNode).toArray()),
        rs.stream().mapToLong(Result::sendErrors).sum());
  }

  private static double med(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s[s.length / 2];
  }
}
