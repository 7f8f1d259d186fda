package io.grapevine.bench;

import io.grapevine.Cluster;
import io.grapevine.api.MemberEvent;
import io.grapevine.api.MemberState;
import io.grapevine.config.MembershipConfig;
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
 * <p>Usage: {@code MembershipBenchmark [sizes=10,50,100] [runs=3] [steadySeconds=60]}; see
 * {@code bench/membership.sh}. Every wait is bounded; the whole run takes a few minutes.
 */
public final class MembershipBenchmark {
  private static final long POLL_MILLIS = 5;

  /** One run's figures; NaN when a phase did not finish within its bound. */
  record Result(int n, double joinReturnedMs, double convergedMs, double firstSuspectMs, double allDeadMs,
      double bytesPerSecPerNode, double udpBytesPerSecPerNode, double pushPullModelBytesPerSecPerNode,
      double cpuPercentPerNode, double heapKiBPerNode, long falseSuspicions, long falseDeaths) {}

  public static void main(String[] args) throws Exception {
    int[] sizes = args.length > 0 ? Arrays.stream(args[0].split(",")).mapToInt(Integer::parseInt).toArray()
        : new int[] {10, 50, 100};
    int runs = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    // 60 s: long enough to include push-pull at its real rate (every 30 s up to 32 nodes, 60 s above).
    int steadySeconds = args.length > 2 ? Integer.parseInt(args[2]) : 60;
    MembershipConfig config = MembershipConfig.lan();
    System.out.printf(Locale.ROOT, "Grapevine membership benchmark: LAN profile, loopback, all nodes in one JVM on"
        + " ONE shared event loop (one thread); %d run(s) per size, medians reported; steady window %d s%n",
        runs, steadySeconds);
    System.out.printf(Locale.ROOT, "java %s (%s), %d cores visible%n", System.getProperty("java.version"),
        System.getProperty("java.vm.name"), Runtime.getRuntime().availableProcessors());

    // Warm-up: class loading and JIT, not counted.
    runOnce(10, config, 3, 999);

    List<Result> medians = new ArrayList<>();
    for (int n : sizes) {
      List<Result> results = new ArrayList<>();
      for (int r = 0; r < runs; r++) {
        Result res = runOnce(n, config, steadySeconds, r);
        System.out.println("  " + res);
        results.add(res);
      }
      medians.add(median(results));
    }
    System.out.println();
    System.out.println("| N | all joins returned | all see N alive | crash: first suspect | crash: all survivors"
        + " mark dead | bytes/s out per node in window (UDP+TCP) | of which UDP | UDP + push-pull at its steady"
        + " interval | loop CPU per node | heap per node | false suspicions / deaths (all runs) |");
    System.out.println("|---|---|---|---|---|---|---|---|---|---|---|");
    for (int i = 0; i < medians.size(); i++) {
      Result m = medians.get(i);
      System.out.printf(Locale.ROOT, "| %d | %.0f ms | %.0f ms | %.2f s | %.2f s | %.0f B/s | %.0f B/s | %.0f B/s |"
          + " %.2f%% | %.0f KiB | %d / %d |%n", m.n, m.joinReturnedMs, m.convergedMs, m.firstSuspectMs / 1000,
          m.allDeadMs / 1000, m.bytesPerSecPerNode, m.udpBytesPerSecPerNode,
          m.udpBytesPerSecPerNode + m.pushPullModelBytesPerSecPerNode, m.cpuPercentPerNode, m.heapKiBPerNode,
          m.falseSuspicions, m.falseDeaths);
    }
  }

  private static Result runOnce(int n, MembershipConfig config, int steadySeconds, int run) throws Exception {
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
            .config(config).eventLoop(loop).randomSeed(run * 1000L + i).start();
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
      double bytesPerSec = (bytes1 - bytes0) / window / n;
      double udpPerSec = (udp1 - udp0) / window / n;
      // Push-pull at its steady rate: each node sends two full states per interval (its own
      // exchange and its answer to one), of the size measured in the window. The window itself may
      // hold a different number of rounds: every node's first push-pull comes 30 s after start.
      double stateMessageBytes = msg1 > msg0 ? (tcp1 - tcp0) / (double) (msg1 - msg0) : Double.NaN;
      double pushPullModel = 2 * stateMessageBytes * 1000.0 / config.pushPullIntervalMillis(n);

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
      return new Result(n, joinReturnedMs, convergedMs, firstSuspectMs, allDeadMs, bytesPerSec, udpPerSec,
          pushPullModel, cpuPercent, heapKiB, falseSuspicions.get(), falseDeaths.get());
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
    return new Result(rs.get(0).n,
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
        rs.stream().mapToLong(Result::falseDeaths).sum());
  }

  private static double med(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s[s.length / 2];
  }
}
