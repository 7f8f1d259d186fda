// SPDX-License-Identifier: Apache-2.0
package io.grapevine.sim.overlay;

import io.grapevine.stack.ProtocolStack;
import io.grapevine.overlay.SortedRing;
import io.grapevine.config.SortedRingConfig;
import io.grapevine.overlay.TreeAggregation;
import io.grapevine.sim.Chart;
import io.grapevine.sim.Engine;
import io.grapevine.sim.NetworkModel;
import io.grapevine.sim.Seeds;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Sorted ring and tree aggregation at N nodes over several seeds: rounds until every node has its
 * true successor and predecessor, then rounds until the root's COUNT is exact and until every node
 * holds the exact COUNT. Peers are sampled uniformly (the sampler abstraction; HyParView would do).
 */
final class RingExperiment {
  private RingExperiment() {}

  /** Set by the {@code ring-only} option: every seed stops at ring convergence. */
  static boolean RING_ONLY_ALL;

  static void run(int n, long firstSeed, int seeds, int maxRounds, Path out) throws IOException {
    run(n, firstSeed, seeds, maxRounds, false, out);
  }

  /**
   * @param ringOnlyAfterFirst stop every seed but the first at ring convergence (skips the tree
   *     COUNT rounds, which at 2^20 nodes cost as much as the ring itself)
   */
  static void run(int n, long firstSeed, int seeds, int maxRounds, boolean ringOnlyAfterFirst, Path out)
      throws IOException {
    StringBuilder json = new StringBuilder("{\n  \"nodes\": " + n + ", \"twoLog2N\": " + 2 * log2(n)
        + ", \"runs\": [\n");
    StringBuilder csv = new StringBuilder("seed,round,fraction_correct\n");
    // Rows are appended as they finish, so a run cut short still leaves its data.
    Path roundsCsv = out.resolve("ring-" + n + "-rounds.csv");
    Path seedsCsv = out.resolve("ring-" + n + "-seeds.csv");
    if (!Files.exists(roundsCsv)) {
      Files.writeString(roundsCsv, "seed,round,fraction_correct,fraction_count_exact,root_exact,wall_seconds\n");
    }
    if (!Files.exists(seedsCsv)) {
      Files.writeString(seedsCsv, "nodes,seed,ring_rounds,two_log2_n,root_count_exact_round,all_count_exact_round,"
          + "tree_depth,stalled,wall_seconds,peak_heap_bytes\n");
    }
    Chart chart = new Chart("Sorted ring: nodes with true successor and predecessor (N = " + n + ")", "round",
        "fraction correct");
    for (int s = 0; s < seeds; s++) {
      long seed = firstSeed + s;
      long wall = System.nanoTime();
      // Ring-only seeds run the ring alone: the tree's REPORT/RESULT traffic is not what they measure.
      boolean ringOnly = ringOnlyAfterFirst && (s > 0 || RING_ONLY_ALL);
      SeedRun sr = runSeed(n, seed, maxRounds, ringOnly, SortedRingConfig.defaults(), false, () -> false, row -> {
        int r = (int) row[0];
        csv.append(seed).append(',').append(r).append(',').append(row[1]).append('\n');
        try {
          Files.writeString(roundsCsv, String.format("%d,%d,%.6f,%.6f,%b,%.1f%n", seed, r, row[1], row[2],
              row[3] > 0, (System.nanoTime() - wall) / 1e9), java.nio.file.StandardOpenOption.APPEND);
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
        System.out.printf("seed %d round %d ring %.6f exactCount %.6f root %b%n", seed, r, row[1], row[2], row[3] > 0);
      });
      int ringRound = sr.ringRound();
      int rootRound = sr.rootRound();
      int allRound = sr.allRound();
      int last = sr.rows().size();
      double[] xs = new double[last + 1];
      double[] ys = new double[last + 1];
      for (int k = 0; k < last; k++) {
        xs[k + 1] = sr.rows().get(k)[0];
        ys[k + 1] = sr.rows().get(k)[1];
      }
      int depth = sr.treeDepth();
      chart.line("seed " + seed, Arrays.copyOfRange(xs, 1, last + 1), Arrays.copyOfRange(ys, 1, last + 1), false);
      json.append(String.format(
          "    {\"seed\": %d, \"ringRounds\": %d, \"rootCountExactRound\": %d, \"allCountExactRound\": %d,"
              + " \"treeDepth\": %d, \"stalled\": %b, \"wallSeconds\": %.1f, \"peakHeapBytes\": %d}%s%n",
          seed, ringRound, rootRound, allRound, depth, ringRound < 0, (System.nanoTime() - wall) / 1e9,
          OverlayCluster.peakHeapBytes(), s < seeds - 1 ? "," : ""));
      Files.writeString(seedsCsv, String.format("%d,%d,%d,%d,%d,%d,%d,%b,%.1f,%d%n", n, seed, ringRound, 2 * log2(n),
          rootRound, allRound, depth, ringRound < 0, (System.nanoTime() - wall) / 1e9, OverlayCluster.peakHeapBytes()),
          java.nio.file.StandardOpenOption.APPEND);
      System.out.print(json);
    }
    json.append("  ]\n}\n");
    chart.yRange(0, 1.02);
    chart.write(out, "ring-" + n);
    Files.writeString(out.resolve("ring-" + n + ".json"), json);
    Files.writeString(out.resolve("ring-" + n + ".csv"), csv);
  }

  /**
   * One seed's run.
   *
   * @param rows per round: round, fraction of nodes with their true successor and predecessor, fraction
   *     holding the exact COUNT and SUM (NaN when ring-only), 1 if the root's COUNT was exact else 0
   * @param ringRound first round every node had its true neighbors; -1 if none within the limit
   * @param rootRound first round the root's COUNT was exact; -1 if never (or ring-only)
   * @param allRound first round every node held the exact COUNT and SUM; -1 if never (or ring-only)
   * @param treeDepth longest parent chain at the end (-1 if a cycle)
   */
  record SeedRun(java.util.List<double[]> rows, int ringRound, int rootRound, int allRound, int treeDepth,
      double trueSum, long virtualMillis, long traceHash, boolean stopped) {}

  /**
   * Sorted ring (and, unless {@code ringOnly}, tree aggregation of the values {@code i % 10}) on {@code n}
   * nodes over uniform peers, until the ring is exact and (unless ring-only) every node holds the exact
   * COUNT and SUM, or {@code maxRounds}.
   *
   * @param trace hash every delivery into the engine's trace (for determinism checks)
   */
  static SeedRun runSeed(int n, long seed, int maxRounds, boolean ringOnly, SortedRingConfig ringConfig,
      boolean trace, java.util.function.BooleanSupplier stop, java.util.function.Consumer<double[]> each) {
    Engine engine = new Engine(n, new NetworkModel(OverlayExperiments.LATENCY, 0, 0, 0, 0), seed,
        (node, event, now) -> 0, trace);
    SortedRing[] ring = new SortedRing[n];
    TreeAggregation[] agg = new TreeAggregation[n];
    long[] ids = new long[n];
    SplittableRandom idRandom = new SplittableRandom(Seeds.derive(seed, Seeds.TOPOLOGY, 3));
    double trueSum = 0;
    for (int i = 0; i < n; i++) {
      ids[i] = idRandom.nextLong();
      SplittableRandom r = new SplittableRandom(Seeds.derive(seed, i, 2));
      ring[i] = new SortedRing(ringConfig, ids[i], r);
      ProtocolStack.Builder host = ProtocolStack.builder("n" + i, engine.endpoint(i), "sim")
          .peers(OverlayCluster.uniform(engine, i, r)).add(ring[i]);
      if (!ringOnly) {
        agg[i] = new TreeAggregation(ring[i], Duration.ofMillis(OverlayExperiments.ROUND_MILLIS), i % 10);
        host.add(agg[i]);
      }
      trueSum += i % 10;
      engine.install(i, host.build());
      final int node = i;
      engine.call(i, o -> {
        ring[node].start(0);
        if (agg[node] != null) {
          agg[node].start(0);
        }
      });
    }
    long[] sorted = ids.clone();
    Arrays.sort(sorted); // signed sort; convert to unsigned order below
    long[] unsigned = new long[n];
    for (int i = 0; i < n; i++) {
      unsigned[i] = sorted[i] ^ Long.MIN_VALUE;
    }
    Arrays.sort(unsigned);
    for (int i = 0; i < n; i++) {
      unsigned[i] ^= Long.MIN_VALUE; // ids in unsigned ascending order
    }
    // True neighbors once, then an incremental check: level-0 entries only ever move closer, so
    // a node that has its true successor and predecessor keeps them.
    long[] trueSucc = new long[n];
    long[] truePred = new long[n];
    for (int i = 0; i < n; i++) {
      int pos = unsignedIndex(unsigned, ids[i]);
      trueSucc[i] = unsigned[(pos + 1) % n];
      truePred[i] = unsigned[(pos - 1 + n) % n];
    }
    boolean[] done = new boolean[n];
    int correct = 0;
    int ringRound = -1;
    int rootRound = -1;
    int allRound = -1;
    java.util.List<double[]> rows = new java.util.ArrayList<>();
    boolean stopped = false;
    for (int r = 1; r <= maxRounds; r++) {
      if (stop.getAsBoolean()) {
        stopped = true;
        break;
      }
      engine.runUntil(r * OverlayExperiments.ROUND_MILLIS * 1000, Long.MAX_VALUE);
      int exactAll = 0;
      boolean rootExact = false;
      for (int i = 0; i < n; i++) {
        SortedRing x = ring[i];
        if (!done[i] && x.hasSuccessor() && x.hasPredecessor() && x.successorId() == trueSucc[i]
            && x.predecessorId() == truePred[i]) {
          done[i] = true;
          correct++;
        }
        if (ringOnly) {
          continue;
        }
        if (agg[i].known() && agg[i].count() == n && Math.abs(agg[i].sum() - trueSum) < 1e-6) {
          exactAll++;
        }
        if (x.isRoot() && agg[i].known() && agg[i].count() == n) {
          rootExact = true;
        }
      }
      double frac = correct / (double) n;
      double[] row = {r, frac, ringOnly ? Double.NaN : exactAll / (double) n, rootExact ? 1 : 0};
      rows.add(row);
      each.accept(row);
      if (correct == n && ringRound < 0) {
        ringRound = r;
      }
      if (rootExact && rootRound < 0) {
        rootRound = r;
      }
      if (exactAll == n && allRound < 0) {
        allRound = r;
      }
      if (ringRound >= 0 && (allRound >= 0 || ringOnly)) {
        break;
      }
    }
    return new SeedRun(rows, ringRound, rootRound, allRound, treeDepth(ring, engine, n), trueSum, engine.nowMillis(),
        engine.traceHash(), stopped);
  }

  static int log2(int n) {
    return 31 - Integer.numberOfLeadingZeros(n);
  }

  private static int unsignedIndex(long[] unsignedSorted, long id) {
    int lo = 0;
    int hi = unsignedSorted.length - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      int c = Long.compareUnsigned(unsignedSorted[mid], id);
      if (c < 0) {
        lo = mid + 1;
      } else if (c > 0) {
        hi = mid - 1;
      } else {
        return mid;
      }
    }
    throw new IllegalStateException("id not found");
  }

  /** Longest parent chain (bounded by N; -1 if a cycle is found). */
  static int treeDepth(SortedRing[] ring, Engine engine, int n) {
    int[] depth = new int[n];
    Arrays.fill(depth, -2);
    int max = 0;
    for (int i = 0; i < n; i++) {
      int d = 0;
      int cur = i;
      while (d <= n) {
        SortedRing.Descriptor p = ring[cur].parent();
        if (p == null) {
          break;
        }
        cur = engine.indexOf(p.endpoint());
        d++;
        if (depth[cur] >= 0) {
          d += depth[cur];
          break;
        }
      }
      if (d > n) {
        return -1;
      }
      depth[i] = d;
      max = Math.max(max, d);
    }
    return max;
  }
}
