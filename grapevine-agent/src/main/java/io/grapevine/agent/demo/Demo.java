// SPDX-License-Identifier: Apache-2.0
package io.grapevine.agent.demo;

import io.grapevine.Cluster;
import io.grapevine.config.AggregationConfig;
import io.grapevine.transport.FaultInjectingTransport;
import io.grapevine.api.Member;
import io.grapevine.api.MemberEvent;
import io.grapevine.api.MemberState;
import io.grapevine.config.MembershipConfig;
import io.grapevine.runtime.EventLoop;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToIntFunction;

/**
 * The demo's script. All nodes share one {@link EventLoop} (one thread) and talk over real UDP/TCP
 * sockets on 127.0.0.1. Each act starts a clock, then watches the nodes' member lists every 20 ms
 * until the act's condition holds everywhere (or a generous bound passes), drawing a progress bar.
 * Suspicion times come from membership listeners, so they are exact rather than polled.
 */
final class Demo {
  private static final long POLL_MILLIS = 20;

  private final int n;
  private final String profile;
  private final MembershipConfig config;
  private final PrintWriter out;
  private final boolean live;
  private final EventLoop loop = new EventLoop();
  private final Cluster[] nodes;
  private final String[] names;
  /** Watch for suspicions: the subject being watched and the first time anyone suspected it. */
  private volatile String watched;
  /** True while the demo's own partition is in place: suspicions then are not false ones. */
  private volatile boolean partitioned;
  /** Each node's fault injector, for the partition act. */
  private final FaultInjectingTransport[] faults;
  private final AtomicLong firstSuspectNanos = new AtomicLong();
  private final AtomicLong falseSuspicions = new AtomicLong();
  private final List<String[]> summary = new ArrayList<>();
  private boolean allConverged = true;

  Demo(int n, String profile, MembershipConfig config, PrintWriter out) {
    this.n = n;
    this.profile = profile;
    this.config = config;
    this.out = out;
    this.live = isTerminal();
    this.nodes = new Cluster[n];
    this.names = new String[n];
    this.faults = new FaultInjectingTransport[n];
    int width = String.valueOf(n).length();
    for (int i = 0; i < n; i++) {
      names[i] = String.format(Locale.ROOT, "node-%0" + width + "d", i + 1);
    }
  }

  boolean run() throws InterruptedException {
    Thread cleanup = new Thread(this::closeAll, "grapevine-demo-cleanup");
    Runtime.getRuntime().addShutdownHook(cleanup);
    try {
      intro();
      actJoin();
      int victim = n / 2;
      int leaver = n / 3;
      actCrash(victim);
      actLeave(leaver, victim);
      actRestart(victim, leaver);
      actEvent(leaver);
      actAggregates(leaver);
      actReplicatedData(leaver);
      actSteadyState(victim, leaver);
      printSummary();
      return allConverged;
    } finally {
      closeAll();
      try {
        Runtime.getRuntime().removeShutdownHook(cleanup);
      } catch (IllegalStateException e) {
        // already shutting down: the hook runs anyway
      }
    }
  }

  private void intro() {
    out.printf("Grapevine demo: %d nodes on 127.0.0.1, one process, one event loop, profile %s%n", n, profile);
    out.printf(
        "  probe every %s (timeout %s), suspicion timeout %.1f s shrinking to %.1f s with confirmations,%n"
            + "  gossip every %s to %d members, full-state push-pull every %s%n%n",
        fmt(config.probeInterval.toMillis()), fmt(config.probeTimeout.toMillis()),
        config.suspicionMaxMillis(n) / 1000.0, config.suspicionMinMillis(n) / 1000.0,
        fmt(config.gossipInterval.toMillis()), config.gossipNodes,
        fmt(config.pushPullIntervalMillis(n)));
    out.flush();
  }

  private void actJoin() throws InterruptedException {
    out.printf("Act 1  Join: %s starts the cluster, %d others join through it%n", names[0], n - 1);
    for (int i = 0; i < n; i++) {
      nodes[i] = start(i, 0);
    }
    String seed = nodes[0].endpoint().toString();
    long t0 = System.nanoTime();
    for (int i = 1; i < n; i++) {
      nodes[i].join(List.of(seed));
    }
    double s =
        await(
            "nodes see all " + n + " alive",
            n,
            () -> count(i -> true, c -> aliveCount(c) == n ? 1 : 0),
            t0,
            30_000);
    summary.add(new String[] {"join", "all " + n + " nodes see all " + n + " alive", secs(s)});
    out.println();
  }

  private void actCrash(int victim) throws InterruptedException {
    String name = names[victim];
    out.printf("Act 2  Crash: %s is killed (sockets closed, no goodbye)%n", name);
    firstSuspectNanos.set(0);
    watched = name;
    long t0 = System.nanoTime();
    nodes[victim].close();
    double dead =
        await(
            "survivors mark it dead",
            n - 1,
            () -> count(i -> i != victim, c -> stateOf(c, name) == MemberState.DEAD ? 1 : 0),
            t0,
            60_000,
            () -> {
              int suspecting = count(i -> i != victim, c -> stateOf(c, name) == MemberState.SUSPECT ? 1 : 0);
              return suspecting == 0 ? "" : "(" + suspecting + " suspect it)";
            });
    long first = firstSuspectNanos.get();
    double suspect = first == 0 ? Double.NaN : (first - t0) / 1e9;
    out.printf("  first suspected after %s; dead on every survivor after %s%n", secs(suspect), secs(dead));
    summary.add(new String[] {"crash of " + name, "first suspected", secs(suspect)});
    summary.add(new String[] {"", "dead on all " + (n - 1) + " survivors", secs(dead)});
    watched = null;
    out.println();
  }

  private void actLeave(int leaver, int victim) throws InterruptedException {
    String name = names[leaver];
    out.printf("Act 3  Graceful leave: %s announces its departure%n", name);
    long t0 = System.nanoTime();
    var leaving = nodes[leaver].leave();
    double left =
        await(
            "others show it left",
            n - 2,
            () -> count(i -> i != leaver && i != victim, c -> stateOf(c, name) == MemberState.LEFT ? 1 : 0),
            t0,
            30_000);
    try {
      leaving.get(30, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      out.println("  leave did not complete: " + e);
    }
    nodes[leaver].close();
    summary.add(new String[] {"graceful leave of " + name, "shown as left on all " + (n - 2) + " others", secs(left)});
    out.println();
  }

  private void actRestart(int victim, int leaver) throws InterruptedException {
    String name = names[victim];
    long oldIncarnation = nodes[0].member(name).map(Member::incarnation).orElse(0L);
    int port = nodes[victim].endpoint().port();
    out.printf("Act 4  Restart: %s comes back on port %d and rejoins%n", name, port);
    long t0 = System.nanoTime();
    nodes[victim] = start(victim, port);
    nodes[victim].join(List.of(nodes[0].endpoint().toString()));
    double back =
        await(
            "others see it alive again",
            n - 2,
            () ->
                count(
                    i -> i != victim && i != leaver,
                    c -> {
                      Optional<Member> m = c.member(name);
                      return m.isPresent() && m.get().state() == MemberState.ALIVE
                              && m.get().incarnation() > oldIncarnation ? 1 : 0;
                    }),
            t0,
            30_000);
    out.printf("  incarnation %d replaced the dead %d%n",
        nodes[victim].localMember().incarnation(), oldIncarnation);
    summary.add(new String[] {"restart of " + name, "alive again on all " + (n - 2) + " others", secs(back)});
    out.println();
  }

  /** The live nodes' indices (every node but the one that left). */
  private List<Integer> liveIndices(int leaver) {
    List<Integer> live = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      if (i != leaver) {
        live.add(i);
      }
    }
    return live;
  }

  private void actEvent(int leaver) throws InterruptedException {
    int origin = 0;
    List<Integer> live = liveIndices(leaver);
    out.printf("Act 5  User event: %s publishes \"deploy v42\"; gossip spreads it to every node%n", names[origin]);
    java.util.Set<String> delivered = java.util.concurrent.ConcurrentHashMap.newKeySet();
    AtomicLong lastNanos = new AtomicLong();
    List<AutoCloseable> subs = new ArrayList<>();
    for (int i : live) {
      String name = names[i];
      subs.add(nodes[i].events().subscribe("deploy", e -> {
        if (delivered.add(name)) {
          lastNanos.set(System.nanoTime());
        }
      }));
    }
    long t0 = System.nanoTime();
    var id = nodes[origin].events().publish("deploy", "v42".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    double all = await("nodes delivered it", live.size(), delivered::size, t0, 20_000);
    for (AutoCloseable sub : subs) {
      try {
        sub.close();
      } catch (Exception e) {
        // only removes a listener
      }
    }
    double last = lastNanos.get() == 0 ? Double.NaN : (lastNanos.get() - t0) / 1e9;
    out.printf("  event %s/%d/%d delivered once on each of %d nodes; the last got it after %s%n",
        id.origin(), id.epoch(), id.seq(), delivered.size(), secs(last));
    summary.add(new String[] {"user event", "delivered on all " + live.size() + " nodes", secs(Double.isNaN(all) ? all : last)});
    out.println();
  }

  private void actAggregates(int leaver) throws InterruptedException {
    List<Integer> live = liveIndices(leaver);
    out.printf("Act 6  Aggregates: each node publishes its load; every node estimates the cluster size and the average%n");
    java.util.SplittableRandom random = new java.util.SplittableRandom(42);
    double sum = 0;
    for (int i : live) {
      double load = Math.round((0.1 + 0.8 * random.nextDouble()) * 100) / 100.0;
      sum += load;
      nodes[i].aggregates().publish("load", load);
    }
    int truthCount = live.size();
    double truthAvg = sum / truthCount;
    out.printf(Locale.ROOT, "  truth: COUNT %d, AVG load %.3f%n", truthCount, truthAvg);
    int a = live.get(0);
    int b = live.get(live.size() - 1);
    long t0 = System.nanoTime();
    double within =
        await(
            "nodes within 1% on COUNT and AVG",
            live.size(),
            () -> {
              int k = 0;
              for (int i : live) {
                Optional<io.grapevine.api.AggregateEstimate> e = nodes[i].aggregates().estimate("load");
                if (e.isPresent() && close(e.get().count(), truthCount) && close(e.get().avg(), truthAvg)) {
                  k++;
                }
              }
              return k;
            },
            t0,
            30_000,
            () -> estimateText(a) + "  " + estimateText(b));
    out.printf("  %s%n  %s%n", estimateText(a), estimateText(b));
    double size = nodes[a].aggregates().clusterSize();
    out.printf(Locale.ROOT, "  estimated cluster size on %s: %.2f (truth %d)%n", names[a],
        size, truthCount);
    summary.add(new String[] {"aggregates", "COUNT and AVG within 1% on all " + truthCount, secs(within)});
    out.println();
  }

  private static boolean close(double estimate, double truth) {
    return Double.isFinite(estimate) && Math.abs(estimate - truth) <= 0.01 * Math.abs(truth);
  }

  private String estimateText(int i) {
    return nodes[i].aggregates().estimate("load")
        .map(e -> String.format(Locale.ROOT, "%s: COUNT %.2f AVG %.3f (epoch %d, round %d)",
            names[i], e.count(), e.avg(), e.epoch(), e.rounds()))
        .orElse(names[i] + ": no estimate yet");
  }

  private void actReplicatedData(int leaver) throws InterruptedException {
    List<Integer> live = liveIndices(leaver);
    int half = live.size() / 2;
    List<Integer> left = live.subList(0, half);
    List<Integer> right = live.subList(half, live.size());
    out.printf("Act 7  Replicated data: a partition splits the cluster %d / %d; both sides write; then it heals%n",
        left.size(), right.size());
    // Suspicions across the cut are the partition's doing, not false ones.
    partitioned = true;
    List<io.grapevine.node.Endpoint> leftEnds = left.stream().map(i -> nodes[i].endpoint()).toList();
    List<io.grapevine.node.Endpoint> rightEnds = right.stream().map(i -> nodes[i].endpoint()).toList();
    for (int i : left) {
      faults[i].partition(rightEnds);
    }
    for (int i : right) {
      faults[i].partition(leftEnds);
    }
    java.util.Set<String> keys = new java.util.TreeSet<>();
    for (int i : live) {
      String key = "config/" + names[i];
      nodes[i].kv("demo").put(key, ("written on " + names[i]).getBytes(java.nio.charset.StandardCharsets.UTF_8));
      keys.add(key);
    }
    // One key written on both sides: last writer wins, the same way everywhere.
    nodes[left.get(0)].kv("demo").put("leader", names[left.get(0)].getBytes(java.nio.charset.StandardCharsets.UTF_8));
    nodes[right.get(0)].kv("demo").put("leader", names[right.get(0)].getBytes(java.nio.charset.StandardCharsets.UTF_8));
    keys.add("leader");
    long tSplit = System.nanoTime();
    double sidesSpread =
        await("nodes hold their own side's writes", live.size(),
            () -> {
              int k = 0;
              for (int i : live) {
                List<Integer> side = left.contains(i) ? left : right;
                boolean all = true;
                for (int j : side) {
                  all &= nodes[i].kv("demo").get("config/" + names[j]).isPresent();
                }
                k += all ? 1 : 0;
              }
              return k;
            }, tSplit, 10_000);
    out.printf("  during the split each side has %d and %d of the %d keys%n",
        nodes[left.get(0)].kv("demo").scan("").size(), nodes[right.get(0)].kv("demo").scan("").size(), keys.size());
    for (int i : live) {
      faults[i].heal();
    }
    long tHeal = System.nanoTime();
    double healed =
        await("nodes hold every write, all equal", live.size(), () -> equalReplicas(live, keys), tHeal, 30_000);
    String leader = nodes[live.get(0)].kv("demo").get("leader")
        .map(v -> new String(v, java.nio.charset.StandardCharsets.UTF_8)).orElse("?");
    out.printf("  after the heal all %d nodes hold the same %d keys; the contested key resolved to %s everywhere%n",
        live.size(), keys.size(), leader);
    summary.add(new String[] {"replicated data", "writes spread within each side", secs(sidesSpread)});
    summary.add(new String[] {"", "heal -> all " + live.size() + " replicas equal", secs(healed)});
    // Let membership settle after the heal before suspicions count as false again.
    await("nodes see all " + live.size() + " alive", live.size(),
        () -> count(i -> i != leaver, c -> aliveCount(c) >= live.size() ? 1 : 0), System.nanoTime(), 30_000);
    partitioned = false;
    out.println();
  }

  /** Nodes holding every key, with the same content as the most common content among those. */
  private int equalReplicas(List<Integer> live, java.util.Set<String> keys) {
    java.util.Map<Integer, Integer> digests = new java.util.HashMap<>();
    List<Integer> complete = new ArrayList<>();
    for (int i : live) {
      java.util.SortedMap<String, byte[]> content = nodes[i].kv("demo").scan("");
      if (!content.keySet().containsAll(keys)) {
        continue;
      }
      int h = 1;
      for (var e : content.entrySet()) {
        h = 31 * h + e.getKey().hashCode();
        h = 31 * h + java.util.Arrays.hashCode(e.getValue());
      }
      complete.add(h);
    }
    int best = 0;
    for (int h : complete) {
      best = Math.max(best, digests.merge(h, 1, Integer::sum));
    }
    return best;
  }

  private void actSteadyState(int victim, int leaver) throws InterruptedException {
    long windowMillis = 5000;
    long settleMillis = 3000;
    out.printf("Act 8  Steady state: %d nodes gossiping quietly for %d s (after %d s for the restart's news to settle)%n",
        n - 1, windowMillis / 1000, settleMillis / 1000);
    TimeUnit.MILLISECONDS.sleep(settleMillis);
    long bytes0 = totalBytesOut(leaver);
    long udp0 = totalUdpBytesOut(leaver);
    long packets0 = totalPacketsOut(leaver);
    long t0 = System.nanoTime();
    long end = t0 + TimeUnit.MILLISECONDS.toNanos(windowMillis);
    int windowSeconds = (int) (windowMillis / 1000);
    while (System.nanoTime() < end) {
      bar("s of quiet gossip", (int) ((System.nanoTime() - t0) / 1_000_000_000L), windowSeconds, t0);
      TimeUnit.MILLISECONDS.sleep(Math.min(100, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    barDone("s of quiet gossip", windowSeconds, windowSeconds, seconds);
    double bytesPerNode = (totalBytesOut(leaver) - bytes0) / seconds / (n - 1);
    double packetsPerNode = (totalPacketsOut(leaver) - packets0) / seconds / (n - 1);
    double udpPerNode = (totalUdpBytesOut(leaver) - udp0) / seconds / (n - 1);
    out.printf("  each node sent %.0f B/s in %.1f datagrams and stream messages/s (%.0f B/s of it over UDP, the rest over TCP)%n",
        bytesPerNode, packetsPerNode, udpPerNode);
    summary.add(new String[] {"steady state", "bytes sent per node, UDP", String.format(Locale.ROOT, "%.0f B/s", udpPerNode)});
    summary.add(new String[] {"", "bytes sent per node, UDP + TCP", String.format(Locale.ROOT, "%.0f B/s", bytesPerNode)});
    out.println();
  }

  private void printSummary() {
    summary.add(new String[] {"false suspicions", "of live nodes, whole run", String.valueOf(falseSuspicions.get())});
    out.println("Summary (" + n + " nodes, profile " + profile + ")");
    int w0 = 0;
    int w1 = 0;
    for (String[] row : summary) {
      w0 = Math.max(w0, row[0].length());
      w1 = Math.max(w1, row[1].length());
    }
    for (String[] row : summary) {
      out.printf("  %-" + w0 + "s  %-" + w1 + "s  %8s%n", row[0], row[1], row[2]);
    }
    if (!allConverged) {
      out.println("Some acts did not complete within their bounds (see above).");
    }
    out.flush();
  }

  private Cluster start(int i, int port) {
    String bind = "127.0.0.1:" + port;
    Cluster c;
    try {
      c = builder(i).bind(bind).start();
    } catch (UncheckedIOException e) {
      if (port == 0) {
        throw e;
      }
      c = builder(i).bind("127.0.0.1:0").start();
    }
    String observer = names[i];
    c.addListener(e -> onEvent(observer, e));
    return c;
  }

  /**
   * A node's builder: a fault injector around its transport (passing everything until the
   * partition act) and aggregation rounds quick enough for estimates within seconds.
   */
  private io.grapevine.ClusterBuilder builder(int i) {
    return Cluster.builder()
        .name(names[i])
        .config(config)
        .eventLoop(loop)
        .aggregatesConfig(AGGREGATION)
        .transportDecorator(t -> faults[i] = new FaultInjectingTransport(t, loop, 1000L + i));
  }

  /** 100 ms rounds, a 4 s epoch reporting from its middle: a demo-sized clock, not a production one. */
  private static final AggregationConfig AGGREGATION =
      AggregationConfig.defaults().toBuilder()
          .roundInterval(java.time.Duration.ofMillis(100))
          .epochRounds(40)
          .reportAfterRounds(20)
          .build();

  private void onEvent(String observer, MemberEvent e) {
    if (e.type() != MemberEvent.Type.SUSPECTED) {
      return;
    }
    String subject = e.member().name();
    if (subject.equals(watched)) {
      firstSuspectNanos.compareAndSet(0, System.nanoTime());
    } else if (!subject.equals(observer) && !partitioned) {
      falseSuspicions.incrementAndGet();
    }
  }

  /** Waits until {@code done} reaches {@code total} or the bound passes; returns seconds since t0. */
  private double await(String what, int total, java.util.function.IntSupplier done, long t0, long boundMillis)
      throws InterruptedException {
    return await(what, total, done, t0, boundMillis, () -> "");
  }

  private double await(
      String what,
      int total,
      java.util.function.IntSupplier done,
      long t0,
      long boundMillis,
      java.util.function.Supplier<String> detail)
      throws InterruptedException {
    long deadline = t0 + TimeUnit.MILLISECONDS.toNanos(boundMillis);
    int k;
    while ((k = done.getAsInt()) < total && System.nanoTime() < deadline) {
      bar(what + (live ? " " + detail.get() : ""), k, total, t0);
      TimeUnit.MILLISECONDS.sleep(POLL_MILLIS);
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    barDone(what, k, total, seconds);
    if (k < total) {
      allConverged = false;
      out.printf("  only %d of %d after %d s: giving up on this act%n", k, total, boundMillis / 1000);
      return Double.NaN;
    }
    return seconds;
  }

  private long lastDraw;

  private void bar(String what, int k, int total, long t0) {
    if (!live) {
      return;
    }
    long now = System.nanoTime();
    if (now - lastDraw < 100_000_000L) {
      return;
    }
    lastDraw = now;
    out.print("\r" + barLine(what, k, total, (now - t0) / 1e9) + "\033[K");
    out.flush();
  }

  private void barDone(String what, int k, int total, double seconds) {
    out.print((live ? "\r" : "") + barLine(what, k, total, seconds) + (live ? "\033[K" : "") + "\n");
    out.flush();
  }

  private static String barLine(String what, int k, int total, double seconds) {
    int width = 30;
    int filled = total == 0 ? width : (int) ((long) k * width / total);
    return "  [" + "#".repeat(filled) + ".".repeat(width - filled) + "] "
        + String.format(Locale.ROOT, "%d/%d %s  %6.2f s ", k, total, what, seconds);
  }

  private int count(java.util.function.IntPredicate which, ToIntFunction<Cluster> score) {
    int sum = 0;
    for (int i = 0; i < n; i++) {
      if (which.test(i)) {
        sum += score.applyAsInt(nodes[i]);
      }
    }
    return sum;
  }

  private static int aliveCount(Cluster c) {
    int alive = 0;
    for (Member m : c.members()) {
      if (m.state() == MemberState.ALIVE) {
        alive++;
      }
    }
    return alive;
  }

  private static MemberState stateOf(Cluster c, String name) {
    return c.member(name).map(Member::state).orElse(null);
  }

  private long totalBytesOut(int skip) {
    long sum = 0;
    for (int i = 0; i < n; i++) {
      if (i != skip) {
        // The transport's count: everything on the wire, membership and any other protocol alike.
        sum += nodes[i].transportStats().bytesOut();
      }
    }
    return sum;
  }

  private long totalUdpBytesOut(int skip) {
    long sum = 0;
    for (int i = 0; i < n; i++) {
      if (i != skip) {
        sum += nodes[i].transportStats().datagramBytesOut();
      }
    }
    return sum;
  }

  private long totalPacketsOut(int skip) {
    long sum = 0;
    for (int i = 0; i < n; i++) {
      if (i != skip) {
        sum += nodes[i].transportStats().datagramsOut() + nodes[i].transportStats().streamMessagesOut();
      }
    }
    return sum;
  }

  private synchronized void closeAll() {
    for (Cluster c : nodes) {
      if (c != null) {
        c.close();
      }
    }
    loop.close();
  }

  private static String secs(double s) {
    return Double.isNaN(s) ? "n/a" : String.format(Locale.ROOT, "%.2f s", s);
  }

  private static String fmt(long millis) {
    return millis % 1000 == 0 ? millis / 1000 + " s" : millis + " ms";
  }

  /** True when stdout is an interactive terminal, so the progress bar can redraw in place. */
  private static boolean isTerminal() {
    java.io.Console console = System.console();
    if (console == null) {
      return false;
    }
    try {
      // Java 22+ returns a console even when redirected; ask it (absent before 22).
      Method m = java.io.Console.class.getMethod("isTerminal");
      return (Boolean) m.invoke(console);
    } catch (ReflectiveOperationException e) {
      return true;
    }
  }
}
