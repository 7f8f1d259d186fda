// SPDX-License-Identifier: Apache-2.0
package io.grapevine.sim.overlay;

import io.grapevine.config.HyParViewConfig;
import io.grapevine.config.PlumtreeConfig;
import io.grapevine.sim.Chart;
import io.grapevine.sim.Latency;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The overlay experiments of docs/overlays.md, run by bench/overlays.sh (not part of the test
 * suite). Usage: {@code OverlayExperiments MODE N SEED OUTDIR [args]} with MODE one of
 * {@code hyparview} (connectivity, crash reliability and recovery), {@code plumtree} (RMR and
 * latency beside flooding), {@code ring} (sorted ring and tree COUNT; extra arg: seeds),
 * {@code scale} (HyParView + Plumtree build and one broadcast: wall time and peak heap),
 * {@code plumtree-crash} (Plumtree, flooding, then a 50% crash on the flooding run's overlay; CSV
 * rows appended as they finish), {@code crash} (extra arg: crash fractions, a fresh overlay each),
 * {@code charts} (charts from the appended CSV rows of size N).
 */
public final class OverlayExperiments {
  private OverlayExperiments() {}

  static final long ROUND_MILLIS = 1000;
  static final Latency LATENCY = Latency.uniform(10_000, 30_000);

  public static void main(String[] args) throws IOException {
    Locale.setDefault(Locale.ROOT);
    String mode = args[0];
    int n = Integer.parseInt(args[1]);
    long seed = Long.parseLong(args[2]);
    Path out = Path.of(args[3]);
    Files.createDirectories(out);
    switch (mode) {
      case "hyparview" -> hyparview(n, seed, out);
      case "plumtree" -> plumtree(n, seed, out);
      case "plumtree-opt" -> plumtreeOptimisation(n, seed, out);
      case "ring" -> {
        String opt = args.length > 6 ? args[6] : "";
        RingExperiment.RING_ONLY_ALL = opt.equals("ring-only");
        RingExperiment.run(n, seed, Integer.parseInt(args[4]), Integer.parseInt(args[5]),
            opt.equals("ring-only") || opt.equals("ring-only-after-first"), out);
      }
      case "plumtree-crash" -> plumtreeThenCrash(n, seed, out);
      case "charts" -> OverlayCharts.main(new String[] {out.toString(), String.valueOf(n)});
      case "crash" -> {
        for (String f : args[4].split(",")) {
          OverlayCluster c = build(n, seed, PlumtreeConfig.defaults().toBuilder().floodOnly(true).build());
          crashRun(c, Double.parseDouble(f), out, System.nanoTime(), "fresh overlay");
        }
      }
      case "rejoin" -> {
        // Mass crashes over an overlay built with 8 seed nodes (spared by the crash), stranded
        // fragments re-joining through them (rejoinAfter's default) or not ("off"): 40 rounds each.
        boolean off = args.length > 5 && args[5].equals("off");
        HyParViewConfig hpv = hpvConfig(n).toBuilder()
            .rejoinAfter(off ? java.time.Duration.ZERO : HyParViewConfig.defaults().rejoinAfter).build();
        for (String f : args[4].split(",")) {
          long wall = System.nanoTime();
          OverlayCluster c = build(n, seed, PlumtreeConfig.defaults().toBuilder().floodOnly(true).build(), hpv, 8);
          crashRun(c, Double.parseDouble(f), out, wall, off ? "rejoin off" : "rejoin after 5 s", "hyparview-rejoin", 40);
        }
      }
      case "scale" -> scale(n, seed, out);
      default -> throw new IllegalArgumentException("unknown mode " + mode);
    }
  }

  static HyParViewConfig hpvConfig(int n) {
    return HyParViewConfig.forClusterSize(n);
  }

  /** Builds an overlay: joins spaced so all are in after 10 rounds, then 20 rounds to settle. */
  static OverlayCluster build(int n, long seed, PlumtreeConfig pt) {
    return build(n, seed, pt, hpvConfig(n), 0);
  }

  /** As {@link #build(int, long, PlumtreeConfig)}, with a HyParView config and seed nodes. */
  static OverlayCluster build(int n, long seed, PlumtreeConfig pt, HyParViewConfig hpv, int seedNodes) {
    OverlayCluster c = new OverlayCluster(n, seed, hpv, pt, LATENCY);
    long spacingMicros = Math.max(1, 10_000_000L / n);
    c.scheduleJoins(spacingMicros, seedNodes);
    c.runUntilMillis(30 * ROUND_MILLIS);
    return c;
  }

  static void hyparview(int n, long seed, Path out) throws IOException {
    double[] fractions = {0.5, 0.8, 0.95};
    StringBuilder json = new StringBuilder("{\n  \"nodes\": " + n + ", \"seed\": " + seed + ",\n  \"runs\": [\n");
    Chart chart = new Chart("HyParView: reliability of flooding after a mass crash (N = " + n + ")",
        "rounds after the crash", "fraction of live nodes reached");
    StringBuilder csv = new StringBuilder("crash_fraction,round,reliability,largest_component_fraction\n");
    for (int f = 0; f < fractions.length; f++) {
      long wall = System.nanoTime();
      OverlayCluster c = build(n, seed, PlumtreeConfig.defaults().toBuilder().floodOnly(true).build());
      double fraction = fractions[f];
      CrashRecovery cr = crashRecovery(c, fraction, 15, () -> false, row -> {
        csv.append(fraction).append(',').append((int) row[0]).append(',').append(row[1]).append(',')
            .append(row[2]).append('\n');
        System.out.printf("crash %.2f round %d reliability %.5f largest %.5f active %.2f%n", fraction, (int) row[0],
            row[1], row[2], row[3]);
      });
      OverlayCluster.Connectivity before = cr.before();
      double baseReliability = cr.reliabilityBefore();
      int crashed = cr.crashed();
      int live = cr.live();
      int recovered = cr.roundsToFull();
      List<Double> rel = new ArrayList<>();
      for (double[] row : cr.rounds()) {
        rel.add(row[1]);
      }
      double[] x = new double[rel.size()];
      double[] y = new double[rel.size()];
      for (int i = 0; i < x.length; i++) {
        x[i] = i;
        y[i] = rel.get(i);
      }
      chart.line(String.format("%.0f%% crashed", fractions[f] * 100), x, y, false);
      json.append(String.format(
          "    {\"crashFraction\": %.2f, \"crashed\": %d, \"live\": %d, \"connectedBefore\": %b, \"componentsBefore\": %d,"
              + " \"meanActiveBefore\": %.3f, \"meanPassiveBefore\": %.3f, \"symmetricBefore\": %.5f,"
              + " \"reliabilityBeforeCrash\": %.6f, \"firstBroadcastReliability\": %.6f,"
              + " \"roundsToFullReliability\": %d, \"wallSeconds\": %.1f, \"peakHeapBytes\": %d}%s%n",
          fractions[f], crashed, live, before.components == 1, before.components, before.meanActive,
          before.meanPassive, before.symmetric, baseReliability, rel.get(0), recovered,
          (System.nanoTime() - wall) / 1e9, OverlayCluster.peakHeapBytes(), f < fractions.length - 1 ? "," : ""));
      System.out.println(json);
    }
    json.append("  ]\n}\n");
    chart.yRange(0, 1.02);
    chart.write(out, "hyparview-crash-" + n);
    Files.writeString(out.resolve("hyparview-" + n + ".json"), json);
    Files.writeString(out.resolve("hyparview-crash-" + n + ".csv"), csv);
  }

  /**
   * A mass crash on a built overlay and its recovery.
   *
   * @param rounds per round after the crash: round, reliability of that round's broadcast among the
   *     live nodes, largest connected component's share of them, mean active view size, number of components
   * @param roundsToFull first round whose broadcast reached every live node; -1 if none did
   */
  public record CrashRecovery(int crashed, int live, OverlayCluster.Connectivity before, double reliabilityBefore,
      List<double[]> rounds, int roundsToFull, boolean stopped) {}

  /**
   * Measures reliability before, crashes {@code fraction} of the nodes at once, then broadcasts once per
   * round from a random live node until two rounds after the first fully reliable one, or {@code maxRounds}.
   */
  static CrashRecovery crashRecovery(OverlayCluster c, double fraction, int maxRounds,
      java.util.function.BooleanSupplier stop, java.util.function.Consumer<double[]> each) {
    OverlayCluster.Connectivity before = c.connectivity();
    OverlayCluster.Broadcast base = c.broadcast(c.randomLive());
    c.runUntilMillis(c.engine.nowMillis() + 5 * ROUND_MILLIS);
    double baseReliability = base.delivered / (double) c.live();
    int crashed = c.crashFraction(fraction);
    int live = c.live();
    List<double[]> rows = new ArrayList<>();
    int recovered = -1;
    boolean stopped = false;
    for (int r = 0; r <= maxRounds; r++) {
      if (stop.getAsBoolean()) {
        stopped = true;
        break;
      }
      OverlayCluster.Connectivity k = c.connectivity();
      OverlayCluster.Broadcast b = c.broadcast(c.randomLive());
      c.runUntilMillis(c.engine.nowMillis() + ROUND_MILLIS);
      double reliability = b.delivered / (double) live;
      double[] row = {r, reliability, k.largestComponent / (double) live, k.meanActive, k.components};
      rows.add(row);
      each.accept(row);
      if (reliability == 1.0 && recovered < 0) {
        recovered = r;
      }
      if (recovered >= 0 && r >= recovered + 2) {
        break;
      }
    }
    return new CrashRecovery(crashed, live, before, baseReliability, rows, recovered, stopped);
  }

  /**
   * Broadcasts on a built overlay, one every two rounds from a random live node.
   *
   * @param rows per broadcast: number, RMR, last delivery (ms after the broadcast), max hops, reliability
   */
  public record BroadcastSeries(List<double[]> rows, double rmrSteady, double lastDeliverySteadyMillis,
      double hopsSteady, double minReliabilitySteady, double ihavePerNodePerBroadcast, boolean stopped) {}

  /** {@code broadcasts} broadcasts; the steady means average those from {@code steadyFrom} (0-based) on. */
  static BroadcastSeries broadcasts(OverlayCluster c, int broadcasts, int steadyFrom,
      java.util.function.BooleanSupplier stop, java.util.function.Consumer<double[]> each) {
    int n = c.n;
    double rmrSteady = 0;
    double latSteady = 0;
    double hopsSteady = 0;
    double relMin = 1;
    int steady = 0;
    long ihaveBefore = c.ihaveSent();
    List<double[]> rows = new ArrayList<>();
    boolean stopped = false;
    for (int b = 0; b < broadcasts; b++) {
      if (stop.getAsBoolean()) {
        stopped = true;
        break;
      }
      long before = c.gossipSent();
      OverlayCluster.Broadcast br = c.broadcast(c.randomLive());
      c.runUntilMillis(c.engine.nowMillis() + 2 * ROUND_MILLIS);
      long m = c.gossipSent() - before;
      double rmr = m / (double) (n - 1) - 1;
      double rel = br.delivered / (double) n;
      long latency = br.lastMillis - br.startMillis;
      double[] row = {b + 1, rmr, latency, br.maxHops, rel};
      rows.add(row);
      each.accept(row);
      if (b >= steadyFrom) {
        rmrSteady += rmr;
        latSteady += latency;
        hopsSteady += br.maxHops;
        relMin = Math.min(relMin, rel);
        steady++;
      }
    }
    int k = Math.max(1, steady);
    return new BroadcastSeries(rows, rmrSteady / k, latSteady / k, hopsSteady / k, steady == 0 ? Double.NaN : relMin,
        (c.ihaveSent() - ihaveBefore) / (double) n / Math.max(1, rows.size()), stopped);
  }

  static void plumtree(int n, long seed, Path out) throws IOException {
    plumtree(n, seed, out, new String[] {"plumtree", "flood"},
        new PlumtreeConfig[] {PlumtreeConfig.defaults(), PlumtreeConfig.defaults().toBuilder().floodOnly(true).build()},
        10, 4, "plumtree-");
  }

  /** Plumtree with and without the tree optimisation beside flooding: 30 broadcasts, the last 10 averaged. */
  static void plumtreeOptimisation(int n, long seed, Path out) throws IOException {
    plumtree(n, seed, out, new String[] {"plumtree-threshold-2", "plumtree-threshold-0", "flood"},
        new PlumtreeConfig[] {PlumtreeConfig.defaults().toBuilder().optimizationThreshold(2).build(),
            PlumtreeConfig.defaults().toBuilder().optimizationThreshold(0).build(),
            PlumtreeConfig.defaults().toBuilder().floodOnly(true).build()},
        30, 20, "plumtree-opt-");
  }

  static void plumtree(int n, long seed, Path out, String[] names, PlumtreeConfig[] configs, int broadcasts,
      int steadyFrom, String prefix) throws IOException {
    StringBuilder json = new StringBuilder("{\n  \"nodes\": " + n + ", \"seed\": " + seed + ",\n  \"runs\": [\n");
    StringBuilder csv = new StringBuilder("protocol,broadcast,rmr,last_delivery_ms,max_hops,reliability\n");
    Chart chart = new Chart("Relative message redundancy per broadcast (N = " + n + ")", "broadcast",
        "RMR = m/(n-1) - 1");
    for (int v = 0; v < names.length; v++) {
      long wall = System.nanoTime();
      OverlayCluster c = build(n, seed, configs[v]);
      String name = names[v];
      BroadcastSeries bs = broadcasts(c, broadcasts, steadyFrom, () -> false, row -> {
        csv.append(name).append(',').append((int) row[0]).append(',').append(row[1]).append(',')
            .append((long) row[2]).append(',').append((int) row[3]).append(',').append(row[4]).append('\n');
        System.out.printf("%s broadcast %d rmr %.4f last %d ms hops %d reliability %.6f%n", name, (int) row[0],
            row[1], (long) row[2], (int) row[3], row[4]);
      });
      double[] x = new double[broadcasts];
      double[] y = new double[broadcasts];
      for (int b = 0; b < broadcasts; b++) {
        x[b] = bs.rows().get(b)[0];
        y[b] = bs.rows().get(b)[1];
      }
      chart.line(names[v], x, y, configs[v].floodOnly);
      json.append(String.format(
          "    {\"protocol\": \"%s\", \"broadcasts\": %d, \"steadyFrom\": %d, \"rmrSteadyMean\": %.5f,"
              + " \"rmrFirst\": %.5f, \"lastDeliveryMsSteadyMean\": %.1f, \"maxHopsSteadyMean\": %.2f,"
              + " \"minReliabilitySteady\": %.6f, \"ihavePerNodePerBroadcast\": %.3f, \"wallSeconds\": %.1f,"
              + " \"peakHeapBytes\": %d}%s%n",
          names[v], broadcasts, steadyFrom + 1, bs.rmrSteady(), y[0], bs.lastDeliverySteadyMillis(), bs.hopsSteady(),
          bs.minReliabilitySteady(), bs.ihavePerNodePerBroadcast(), (System.nanoTime() - wall) / 1e9, OverlayCluster.peakHeapBytes(),
          v < names.length - 1 ? "," : ""));
      System.out.println(json);
    }
    json.append("  ]\n}\n");
    chart.write(out, prefix + "rmr-" + n);
    Files.writeString(out.resolve(prefix + n + ".json"), json);
    Files.writeString(out.resolve(prefix + n + ".csv"), csv);
  }

  private static void append(Path file, String header, String row) throws IOException {
    if (!Files.exists(file)) {
      Files.writeString(file, header);
    }
    Files.writeString(file, row, java.nio.file.StandardOpenOption.APPEND);
  }

  /**
   * Plumtree then flooding, 10 broadcasts each (one CSV row per broadcast as it finishes), then a
   * 50% crash on the flooding run's overlay (HyParView is the same whatever runs above it).
   */
  static void plumtreeThenCrash(int n, long seed, Path out) throws IOException {
    Path csv = out.resolve("plumtree-" + n + "-rows.csv");
    String header = "protocol,broadcast,rmr,last_delivery_ms,max_hops,reliability,ihave_per_node,wall_seconds\n";
    String[] names = {"plumtree", "flood"};
    OverlayCluster flood = null;
    for (int v = 0; v < 2; v++) {
      long wall = System.nanoTime();
      OverlayCluster c = build(n, seed, PlumtreeConfig.defaults().toBuilder().floodOnly(v == 1).build());
      OverlayCluster.Connectivity k = c.connectivity();
      append(out.resolve("overlay-build-" + n + ".csv"),
          "protocol,nodes,components,largest,mean_active,mean_passive,symmetric,build_wall_seconds,peak_heap_bytes\n",
          String.format("%s,%d,%d,%d,%.3f,%.3f,%.5f,%.1f,%d%n", names[v], n, k.components, k.largestComponent,
              k.meanActive, k.meanPassive, k.symmetric, (System.nanoTime() - wall) / 1e9,
              OverlayCluster.peakHeapBytes()));
      for (int b = 0; b < 10; b++) {
        long before = c.gossipSent();
        long ihaveBefore = c.ihaveSent();
        OverlayCluster.Broadcast br = c.broadcast(c.randomLive());
        c.runUntilMillis(c.engine.nowMillis() + 2 * ROUND_MILLIS);
        double rmr = (c.gossipSent() - before) / (double) (n - 1) - 1;
        String row = String.format("%s,%d,%.5f,%d,%d,%.6f,%.3f,%.1f%n", names[v], b + 1, rmr,
            br.lastMillis - br.startMillis, br.maxHops, br.delivered / (double) n,
            (c.ihaveSent() - ihaveBefore) / (double) n, (System.nanoTime() - wall) / 1e9);
        append(csv, header, row);
        System.out.print(row);
      }
      if (v == 1) {
        flood = c;
      }
    }
    crashRun(flood, 0.5, out, System.nanoTime(), "overlay of the flooding run");
  }

  /** Crashes a fraction at once, then one broadcast per round; rows appended as they finish. */
  static void crashRun(OverlayCluster c, double fraction, Path out, long wall, String note) throws IOException {
    crashRun(c, fraction, out, wall, note, "hyparview-crash", 20);
  }

  static void crashRun(OverlayCluster c, double fraction, Path out, long wall, String note, String filePrefix,
      int maxRounds) throws IOException {
    int n = c.n;
    Path csv = out.resolve(filePrefix + "-" + n + "-rows.csv");
    String header = "crash_fraction,round,reliability,largest_component_fraction,components,mean_active,wall_seconds\n";
    CrashRecovery cr = crashRecovery(c, fraction, maxRounds, () -> false, row -> {
      String line = String.format("%.2f,%d,%.6f,%.6f,%d,%.3f,%.1f%n", fraction, (int) row[0], row[1], row[2],
          (int) row[4], row[3], (System.nanoTime() - wall) / 1e9);
      try {
        append(csv, header, line);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      System.out.print(line);
    });
    OverlayCluster.Connectivity before = cr.before();
    double first = cr.rounds().isEmpty() ? -1 : cr.rounds().get(0)[1];
    append(out.resolve(filePrefix + "-" + n + "-summary.csv"),
        "crash_fraction,nodes,crashed,live,overlay,components_before,mean_active_before,mean_passive_before,"
            + "symmetric_before,reliability_before,first_broadcast_reliability,rounds_to_full_reliability,"
            + "wall_seconds,peak_heap_bytes\n",
        String.format("%.2f,%d,%d,%d,%s,%d,%.3f,%.3f,%.5f,%.6f,%.6f,%d,%.1f,%d%n", fraction, n, cr.crashed(), cr.live(),
            note, before.components, before.meanActive, before.meanPassive, before.symmetric, cr.reliabilityBefore(),
            first, cr.roundsToFull(), (System.nanoTime() - wall) / 1e9, OverlayCluster.peakHeapBytes()));
  }

  static void scale(int n, long seed, Path out) throws IOException {
    long wall = System.nanoTime();
    OverlayCluster c = build(n, seed, PlumtreeConfig.defaults());
    double buildSeconds = (System.nanoTime() - wall) / 1e9;
    // Heap that stays after a full collection: what each node's state costs (the engine's queue
    // and pools included), the figure to project larger N from.
    System.gc();
    Runtime rt = Runtime.getRuntime();
    long liveAfterBuild = rt.totalMemory() - rt.freeMemory();
    OverlayCluster.Connectivity k = c.connectivity();
    OverlayCluster.Broadcast b1 = c.broadcast(c.randomLive());
    c.runUntilMillis(c.engine.nowMillis() + 3 * ROUND_MILLIS);
    OverlayCluster.Broadcast b2 = c.broadcast(c.randomLive());
    long before = c.gossipSent();
    c.runUntilMillis(c.engine.nowMillis() + 3 * ROUND_MILLIS);
    double rmr2 = (c.gossipSent() - before) / (double) (n - 1) - 1;
    String json = String.format(
        "{\"nodes\": %d, \"seed\": %d, \"simulatedSeconds\": %d, \"buildWallSeconds\": %.1f, \"totalWallSeconds\": %.1f,"
            + " \"components\": %d, \"meanActive\": %.3f, \"meanPassive\": %.3f, \"symmetric\": %.5f,"
            + " \"firstBroadcastReliability\": %.6f, \"secondBroadcastReliability\": %.6f, \"secondBroadcastRmr\": %.4f,"
            + " \"packetsSent\": %d, \"nodeCalls\": %d, \"peakHeapBytes\": %d, \"liveHeapAfterBuildBytes\": %d,"
            + " \"maxHeapBytes\": %d}%n",
        n, seed, c.engine.nowMillis() / 1000, buildSeconds, (System.nanoTime() - wall) / 1e9, k.components,
        k.meanActive, k.meanPassive, k.symmetric, b1.delivered / (double) n, b2.delivered / (double) n, rmr2,
        c.engine.packetsSent(), c.engine.nodeCalls(), OverlayCluster.peakHeapBytes(), liveAfterBuild,
        Runtime.getRuntime().maxMemory());
    System.out.print(json);
    Files.writeString(out.resolve("scale-" + n + ".json"), json);
  }
}
