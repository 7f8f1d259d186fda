// SPDX-License-Identifier: Apache-2.0
package io.grapevine.sim.experiments;

import io.grapevine.api.AggregateEstimate;
import io.grapevine.aggregate.Aggregation;
import io.grapevine.config.AggregationConfig;
import io.grapevine.config.AggregationConfig.Mode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The real {@link Aggregation} on N simulated nodes over uniform random peers: every node publishes a
 * value drawn uniformly from [0, 100); node 0 leads epoch 0 and all start together. After every round
 * the run records, over the live nodes, the variance of the AVG estimates, the largest relative error
 * of AVG and COUNT, the spread of COUNT and the "mass" left in the system (the sum over nodes of the
 * averaged leader indicator, 1 when conserved, and of the averaged value, relative to the true sum).
 * Optional datagram loss and churn (a fraction of the live nodes crashed each round and as many fresh
 * nodes started, each with its own value, joining whatever epoch they hear of).
 *
 * <pre>
 * AggregationRun --nodes 100000 --mode PUSH_PULL [--rounds 60] [--loss 0.05] [--churn 0.01]
 *                [--epoch-rounds 100000 --report-after 0] [--neighbors 6] [--neighbor-timeout-ms 2400]
 *                [--retries 2] [--retry-after-ms 50] [--stop-when-converged] [--budget-seconds 2400] [--seed 1]
 *                [--csv out/agg/run.csv]
 * </pre>
 *
 * <p>CSV rows are flushed as rounds finish, so a run cut short (budget, kill) keeps its data; the
 * summary line is appended at the end. Per round, stderr shows the engine's wall and CPU time.
 */
public final class AggregationRun {
  /** Round length. */
  public static final long ROUND_MILLIS = 200;
  /** Constant one-way latency. */
  public static final long LATENCY_MICROS = 5_000;
  static final String NAME = "v";
  private static final java.lang.management.ThreadMXBean CPU = java.lang.management.ManagementFactory.getThreadMXBean();

  /** Per-round measurements. */
  public record RoundRow(int round, int live, double truthAvg, double varAvg, double maxErrAvg, double maxErrCount,
      double medianCount, double p5Count, double p95Count, double massC, double massX, long epochMin,
      long epochMax, double medianErrAvg) {}

  /** Summary of a run. */
  public record Summary(int n, Mode mode, double loss, double churn, List<RoundRow> rows, double reductionFactor,
      int roundsAvg1pct, int roundsAvg001pct, int roundsCount1pct, int roundsCount001pct, double wallSeconds,
      long heapBytesAfterSetup, long peakHeapBytes, long exchanges, long refused, long neighborsTimedOut,
      long messages, long unanswered, long retries) {}

  private AggregationRun() {}

  /** Knobs beyond the model's: FLOW's table, the neighbor timeout, when to stop, where to write. */
  public static final class Options {
    /** FLOW neighbors (default: the config's). */
    public int neighbors = AggregationConfig.defaults().neighbors;
    /** FLOW neighbor timeout; 0 = the config's default. */
    public long neighborTimeoutMillis;
    /** FLOW request retries within a round (default: the config's). */
    public int requestRetries = AggregationConfig.defaults().requestRetries;
    /** FLOW: wait before a retry; 0 = the config's default. */
    public long retryAfterMillis;
    /** FLOW: the epoch's census, in rounds; negative = the config's default. */
    public int censusRounds = -1;
    /** Stop after the first round that ends past this wall time (a run cut short keeps its rows). */
    public double budgetSeconds = Double.POSITIVE_INFINITY;
    /** Stop once every node's AVG and COUNT have been within 0.01% for 3 rounds. */
    public boolean stopWhenConverged;
    /** Rows are appended here as rounds finish (null: none). */
    public Path csv;
    public boolean progress;
    /** Settings the run starts from before the fields above and the model's round are applied (null: defaults). */
    public AggregationConfig base;
    /** Asked after every round: true ends the run there. */
    public java.util.function.BooleanSupplier stop = () -> false;
  }

  public static void main(String[] args) throws IOException {
    int n = 100_000;
    Mode mode = Mode.PUSH_PULL;
    int rounds = 60;
    double loss = 0;
    double churn = 0;
    int epochRounds = 100_000;
    int reportAfter = 0;
    long seed = 1;
    Path csv = null;
    Options o = new Options();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--nodes" -> n = Integer.parseInt(args[++i]);
        case "--mode" -> mode = Mode.valueOf(args[++i].toUpperCase(Locale.ROOT));
        case "--rounds" -> rounds = Integer.parseInt(args[++i]);
        case "--loss" -> loss = Double.parseDouble(args[++i]);
        case "--churn" -> churn = Double.parseDouble(args[++i]);
        case "--epoch-rounds" -> epochRounds = Integer.parseInt(args[++i]);
        case "--report-after" -> reportAfter = Integer.parseInt(args[++i]);
        case "--seed" -> seed = Long.parseLong(args[++i]);
        case "--csv" -> csv = Path.of(args[++i]);
        case "--neighbors" -> o.neighbors = Integer.parseInt(args[++i]);
        case "--neighbor-timeout-ms" -> o.neighborTimeoutMillis = Long.parseLong(args[++i]);
        case "--budget-seconds" -> o.budgetSeconds = Double.parseDouble(args[++i]);
        case "--stop-when-converged" -> o.stopWhenConverged = true;
        case "--retries" -> o.requestRetries = Integer.parseInt(args[++i]);
        case "--retry-after-ms" -> o.retryAfterMillis = Long.parseLong(args[++i]);
        case "--census-rounds" -> o.censusRounds = Integer.parseInt(args[++i]);
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    o.csv = csv;
    o.progress = true;
    Summary s = run(n, mode, rounds, loss, churn, epochRounds, reportAfter, seed, o);
    System.out.println(describe(s));
  }

  public static String describe(Summary s) {
    RoundRow last = s.rows().get(s.rows().size() - 1);
    return String.format(Locale.ROOT,
        "%s N=%d loss=%.2f churn=%.3f: variance factor/round %.3f; rounds to every node within 1%%/0.01%%: AVG %s/%s,"
            + " COUNT %s/%s; final: max AVG err %.2e, max COUNT err %.2e, median COUNT %.1f (live %d), mass(c) %.4f,"
            + " mass(x) %.4f; %d rounds in %.1f s wall, heap after setup %.0f MiB (%.0f B/node), peak heap %.0f MiB;"
            + " refused %.2f%% of requests, %d neighbors timed out; %d retries, %d exchanges unanswered",
        s.mode(), s.n(), s.loss(), s.churn(), s.reductionFactor(), r(s.roundsAvg1pct()), r(s.roundsAvg001pct()),
        r(s.roundsCount1pct()), r(s.roundsCount001pct()), last.maxErrAvg(), last.maxErrCount(), last.medianCount(),
        last.live(), last.massC(), last.massX(), last.round(), s.wallSeconds(), s.heapBytesAfterSetup() / 1048576.0,
        s.heapBytesAfterSetup() / (double) s.n(), s.peakHeapBytes() / 1048576.0,
        100.0 * s.refused() / Math.max(1, s.refused() + s.exchanges() / 2), s.neighborsTimedOut(), s.retries(),
        s.unanswered());
  }

  private static String r(int v) {
    return v < 0 ? "never" : Integer.toString(v);
  }

  public static Summary run(int n, Mode mode, int rounds, double loss, double churn, int epochRounds, int reportAfter,
      long seed, boolean progress) {
    Options o = new Options();
    o.progress = progress;
    try {
      return run(n, mode, rounds, loss, churn, epochRounds, reportAfter, seed, o);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  public static Summary run(int n, Mode mode, int rounds, double loss, double churn, int epochRounds, int reportAfter,
      long seed, Options o) throws IOException {
    boolean progress = o.progress;
    long wallStart = System.nanoTime();
    AggregationConfig.Builder b = (o.base != null ? o.base : AggregationConfig.defaults()).toBuilder().mode(mode)
        .roundInterval(Duration.ofMillis(ROUND_MILLIS)).epochRounds(epochRounds).reportAfterRounds(reportAfter)
        .neighbors(o.neighbors).requestRetries(o.requestRetries);
    if (o.censusRounds >= 0) {
      b.censusRounds(o.censusRounds);
    }
    if (o.retryAfterMillis > 0) {
      b.retryAfter(Duration.ofMillis(o.retryAfterMillis));
    }
    b.neighborTimeout(o.neighborTimeoutMillis > 0 ? Duration.ofMillis(o.neighborTimeoutMillis)
        : Duration.ofMillis(Math.max(AggregationConfig.defaults().neighborTimeout.toMillis(),
            5L * o.neighbors * ROUND_MILLIS)));
    AggregationConfig config = b.build();
    int perRound = (int) Math.round(churn * n);
    int capacity = n + perRound * rounds;
    ExtensionCluster<Aggregation> c = new ExtensionCluster<>(capacity, seed, LATENCY_MICROS, loss, null);
    SplittableRandom random = new SplittableRandom(seed * 31 + 7);
    SplittableRandom churnRandom = random.split();
    double[] value = new double[capacity];
    double[] liveSum = {0};
    for (int i = 0; i < n; i++) {
      value[i] = random.nextDouble() * 100;
      liveSum[0] += value[i];
      Aggregation a = new Aggregation(config, random.split());
      c.add(i, a);
      int node = i;
      c.call(i, out -> {
        a.start(0, 0, "n0");
        a.publish(NAME, value[node]);
      });
    }
    long heap = usedHeap();
    List<RoundRow> rows = new ArrayList<>();
    PrintWriter w = null;
    if (o.csv != null) {
      if (o.csv.getParent() != null) {
        Files.createDirectories(o.csv.getParent());
      }
      w = new PrintWriter(Files.newBufferedWriter(o.csv));
      w.printf(Locale.ROOT, "# AggregationRun --nodes %d --mode %s --rounds %d --loss %s --churn %s --epoch-rounds %d"
          + " --report-after %d --seed %d --neighbors %d; neighborTimeout %d ms, requestRetries %d, retryAfter %d ms, censusRounds %d%n", n, mode, rounds, loss, churn, epochRounds, reportAfter, seed, o.neighbors,
          config.neighborTimeout.toMillis(), config.requestRetries, config.retryAfter.toMillis(), config.censusRounds);
      w.println(HEADER);
    }
    rows.add(measure(c, 0, value, liveSum[0]));
    writeRow(w, rows.get(0));
    int converged = 0;
    int next = n;
    if (progress) {
      System.err.printf(Locale.ROOT, "setup %.1f s%n", (System.nanoTime() - wallStart) / 1e9);
    }
    for (int r = 1; r <= rounds; r++) {
      long t0 = System.nanoTime();
      long cpu0 = CPU.getCurrentThreadCpuTime();
      c.engine.runUntil(r * ROUND_MILLIS * 1000, Long.MAX_VALUE);
      long t1 = System.nanoTime();
      long cpu1 = CPU.getCurrentThreadCpuTime();
      rows.add(measure(c, r, value, liveSum[0]));
      writeRow(w, rows.get(rows.size() - 1));
      long t2 = System.nanoTime();
      if (progress && (r % 10 == 0 || n >= 100_000)) {
        RoundRow row = rows.get(rows.size() - 1);
        System.err.printf(Locale.ROOT, "round %d: var %.3e maxErr avg %.2e count %.2e (engine %.2f s wall, %.2f s cpu; measure %.2f s; total %.0f s)%n", r, row.varAvg(),
            row.maxErrAvg(), row.maxErrCount(), (t1 - t0) / 1e9, (cpu1 - cpu0) / 1e9, (t2 - t1) / 1e9, (System.nanoTime() - wallStart) / 1e9);
      }
      for (int k = 0; k < perRound; k++) {
        int victim = c.randomLive(churnRandom);
        liveSum[0] -= value[victim];
        c.crash(victim);
        int fresh = next++;
        value[fresh] = churnRandom.nextDouble() * 100;
        liveSum[0] += value[fresh];
        Aggregation a = new Aggregation(config, random.split());
        c.add(fresh, a);
        long now = c.engine.nowMillis();
        c.call(fresh, out -> {
          a.start(now);
          a.publish(NAME, value[fresh]);
        });
      }
      RoundRow last = rows.get(rows.size() - 1);
      converged = last.maxErrAvg() <= 1e-4 && last.maxErrCount() <= 1e-4 ? converged + 1 : 0;
      if ((o.stopWhenConverged && converged >= 3) || (System.nanoTime() - wallStart) / 1e9 > o.budgetSeconds
          || o.stop.getAsBoolean()) {
        break;
      }
    }
    long[] counters = new long[6];
    for (int j = 0; j < c.liveCount(); j++) {
      var st = c.ext(c.live(j)).stats();
      counters[0] += st.exchanges();
      counters[1] += st.refused();
      counters[2] += st.neighborsTimedOut();
      counters[3] += st.messagesSent();
      counters[4] += st.unanswered();
      counters[5] += st.retries();
    }
    long peakHeap = 0;
    for (var pool : java.lang.management.ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == java.lang.management.MemoryType.HEAP && pool.getPeakUsage() != null) {
        peakHeap += pool.getPeakUsage().getUsed();
      }
    }
    double factor = reduction(rows);
    Summary s = new Summary(n, mode, loss, churn, rows, factor, first(rows, true, 0.01), first(rows, true, 1e-4),
        first(rows, false, 0.01), first(rows, false, 1e-4), (System.nanoTime() - wallStart) / 1e9, heap, peakHeap,
        counters[0], counters[1], counters[2], counters[3], counters[4], counters[5]);
    if (w != null) {
      w.println("# " + describe(s));
      w.close();
    }
    return s;
  }

  private static long usedHeap() {
    Runtime rt = Runtime.getRuntime();
    for (int i = 0; i < 2; i++) {
      System.gc();
    }
    return rt.totalMemory() - rt.freeMemory();
  }

  /** Geometric mean of var(r)/var(r-1) while the variance is above 1e-20 of its start (float noise). */
  static double reduction(List<RoundRow> rows) {
    double v0 = rows.get(0).varAvg();
    double logSum = 0;
    int count = 0;
    for (int i = 1; i < rows.size(); i++) {
      double a = rows.get(i - 1).varAvg();
      double b = rows.get(i).varAvg();
      if (b <= v0 * 1e-20 || !(a > 0) || !(b > 0)) {
        break;
      }
      logSum += Math.log(b / a);
      count++;
    }
    return count == 0 ? Double.NaN : Math.exp(logSum / count);
  }

  /** First round from which on the largest error stays within {@code tol}; -1 if never. */
  static int first(List<RoundRow> rows, boolean avg, double tol) {
    int from = -1;
    for (RoundRow r : rows) {
      double e = avg ? r.maxErrAvg() : r.maxErrCount();
      if (e <= tol) {
        if (from < 0) {
          from = r.round();
        }
      } else {
        from = -1;
      }
    }
    return from;
  }

  static RoundRow measure(ExtensionCluster<Aggregation> c, int round, double[] value, double liveSum) {
    int live = c.liveCount();
    double truth = liveSum / live;
    double mean = 0;
    double m2 = 0;
    int k = 0;
    double maxErrAvg = 0;
    double maxErrCount = 0;
    double massC = 0;
    double massX = 0;
    long eMin = Long.MAX_VALUE;
    long eMax = Long.MIN_VALUE;
    double[] counts = new double[live];
    double[] avgErrs = new double[live];
    for (int j = 0; j < live; j++) {
      Aggregation a = c.ext(c.live(j));
      AggregateEstimate e = a.estimate(NAME);
      eMin = Math.min(eMin, a.epoch());
      eMax = Math.max(eMax, a.epoch());
      double avg = e == null ? Double.NaN : e.avg();
      double count = e == null ? Double.NaN : e.count();
      counts[j] = Double.isFinite(count) ? count : Double.POSITIVE_INFINITY;
      avgErrs[j] = Double.isFinite(avg) ? Math.abs(avg - truth) / truth : Double.POSITIVE_INFINITY;
      if (Double.isFinite(avg)) {
        k++;
        double d = avg - mean;
        mean += d / k;
        m2 += d * (avg - mean);
        maxErrAvg = Math.max(maxErrAvg, Math.abs(avg - truth) / truth);
      } else {
        maxErrAvg = Double.POSITIVE_INFINITY;
      }
      if (Double.isFinite(count) && count > 0) {
        maxErrCount = Math.max(maxErrCount, Math.abs(count - live) / live);
        massC += 1 / count;
        massX += e.sum() / count;
      } else {
        maxErrCount = Double.POSITIVE_INFINITY;
      }
    }
    Arrays.sort(avgErrs);
    return new RoundRow(round, live, truth, k > 1 ? m2 / k : Double.NaN, maxErrAvg, maxErrCount, counts[live / 2],
        counts[live / 20], counts[live - 1 - live / 20], massC, massX / liveSum, eMin, eMax, avgErrs[live / 2]);
  }

  static final String HEADER = "round,live,truth_avg,var_avg,max_err_avg,max_err_count,median_count,p5_count,p95_count,"
      + "mass_c,mass_x,epoch_min,epoch_max,median_err_avg";

  static void writeRow(PrintWriter w, RoundRow r) {
    if (w == null) {
      return;
    }
    w.printf(Locale.ROOT, "%d,%d,%.6f,%.6e,%.6e,%.6e,%.3f,%.3f,%.3f,%.8f,%.8f,%d,%d,%.6e%n", r.round(), r.live(),
        r.truthAvg(), r.varAvg(), r.maxErrAvg(), r.maxErrCount(), r.medianCount(), r.p5Count(), r.p95Count(),
        r.massC(), r.massX(), r.epochMin(), r.epochMax(), r.medianErrAvg());
    w.flush();
  }
}
