// SPDX-License-Identifier: Apache-2.0
package io.grapevine.sim.overlay;

import io.grapevine.config.HyParViewConfig;
import io.grapevine.config.PlumtreeConfig;
import io.grapevine.sim.Chart;
import io.grapevine.sim.RunContext;
import io.grapevine.sim.Scenario;
import io.grapevine.sim.SimulationResult;
import java.util.List;

/**
 * Runs the overlay experiments from a {@link Scenario}: hyparview (mass crash and recovery), plumtree
 * (broadcast redundancy and latency), ring (sorted-ring convergence) and tree (exact SUM and COUNT
 * over the ring's tree). The overlay is built as in {@link OverlayExperiments} (joins over 10 rounds,
 * 20 rounds to settle; latency uniform 10..30 ms one-way, no loss).
 */
public final class OverlayScenarioRuns {
  private OverlayScenarioRuns() {}

  /** Runs the scenario's family (one of those listed above). */
  public static SimulationResult run(RunContext ctx) {
    return switch (ctx.scenario.protocol) {
      case HYPARVIEW -> hyparview(ctx);
      case PLUMTREE -> plumtree(ctx);
      case RING, TREE -> ring(ctx);
      default -> throw new IllegalArgumentException("not an overlay family: " + ctx.scenario.protocol);
    };
  }

  /** The scenario's HyParView settings if it set any, else those sized for the cluster. */
  private static HyParViewConfig hyparviewConfig(Scenario s) {
    boolean set = s.knobs.keySet().stream().anyMatch(k -> k.startsWith("hyparview."));
    return set ? s.hyparview : OverlayExperiments.hpvConfig(s.nodes);
  }

  private static String model() {
    return "overlay built over 30 rounds of " + OverlayExperiments.ROUND_MILLIS + " ms, latency uniform 10..30 ms"
        + " one-way, no loss";
  }

  static SimulationResult hyparview(RunContext ctx) {
    Scenario s = ctx.scenario;
    SimulationResult r = ctx.result;
    double crash = s.workloadDouble("crash");
    r.settings.put("model", model() + "; flooding over the active views");
    OverlayCluster c = OverlayExperiments.build(s.nodes, s.seed,
        PlumtreeConfig.defaults().toBuilder().floodOnly(true).build(), hyparviewConfig(s), 0);
    r.timeseriesColumns.addAll(List.of("round", "reliability", "largest_component_fraction", "mean_active"));
    int rounds = s.maxRounds;
    OverlayExperiments.CrashRecovery cr = OverlayExperiments.crashRecovery(c, crash, rounds, ctx::stop, row -> {
      r.timeseries.add(row.clone());
      ctx.progress(row[0] / rounds, "round " + (int) row[0] + " reliability " + row[1]);
    });
    r.metrics.put("crashed", cr.crashed());
    r.metrics.put("live", cr.live());
    r.metrics.put("componentsBefore", cr.before().components);
    r.metrics.put("meanActiveBefore", cr.before().meanActive);
    r.metrics.put("meanPassiveBefore", cr.before().meanPassive);
    r.metrics.put("reliabilityBeforeCrash", cr.reliabilityBefore());
    r.metrics.put("firstBroadcastReliability", cr.rounds().isEmpty() ? null : cr.rounds().get(0)[1]);
    r.metrics.put("roundsToFullReliability", cr.roundsToFull());
    r.headline = "roundsToFullReliability";
    r.converged = cr.roundsToFull() >= 0;
    r.convergedRound = cr.roundsToFull();
    r.roundsRun = cr.rounds().size();
    fill(r, c);
    r.chart = new Chart("HyParView, N = " + s.nodes + ": flooding reliability after " + Math.round(crash * 100)
        + "% crashed", "rounds after the crash", "fraction of live nodes reached").yRange(0, 1.02)
        .line("reliability", r.column("round"), r.column("reliability"), false)
        .line("largest component", r.column("round"), r.column("largest_component_fraction"), true);
    return ctx.finish(null);
  }

  static SimulationResult plumtree(RunContext ctx) {
    Scenario s = ctx.scenario;
    SimulationResult r = ctx.result;
    int broadcasts = (int) s.workloadLong("broadcasts");
    int steadyFrom = (int) s.workloadLong("steadyFrom");
    r.settings.put("model", model());
    OverlayCluster c = OverlayExperiments.build(s.nodes, s.seed, s.plumtree, hyparviewConfig(s), 0);
    r.timeseriesColumns.addAll(List.of("broadcast", "rmr", "last_delivery_ms", "max_hops", "reliability"));
    OverlayExperiments.BroadcastSeries bs = OverlayExperiments.broadcasts(c, broadcasts, steadyFrom, ctx::stop,
        row -> {
          r.timeseries.add(row.clone());
          ctx.progress(row[0] / broadcasts, "broadcast " + (int) row[0]);
        });
    r.metrics.put("floodOnly", s.plumtree.floodOnly);
    r.metrics.put("rmrFirst", bs.rows().isEmpty() ? null : bs.rows().get(0)[1]);
    r.metrics.put("rmrSteady", bs.rmrSteady());
    r.metrics.put("lastDeliverySteadyMillis", bs.lastDeliverySteadyMillis());
    r.metrics.put("maxHopsSteady", bs.hopsSteady());
    r.metrics.put("minReliabilitySteady", Double.isNaN(bs.minReliabilitySteady()) ? null
        : bs.minReliabilitySteady());
    r.metrics.put("ihavePerNodePerBroadcast", bs.ihavePerNodePerBroadcast());
    r.headline = "rmrSteady";
    r.converged = bs.minReliabilitySteady() == 1.0;
    r.roundsRun = bs.rows().size();
    fill(r, c);
    r.chart = new Chart("Plumtree" + (s.plumtree.floodOnly ? " (flood only)" : "") + ", N = " + s.nodes
        + ": relative message redundancy per broadcast", "broadcast", "RMR = m/(n-1) - 1")
        .line("RMR", r.column("broadcast"), r.column("rmr"), false)
        .line("reliability", r.column("broadcast"), r.column("reliability"), true);
    return ctx.finish(null);
  }

  static SimulationResult ring(RunContext ctx) {
    Scenario s = ctx.scenario;
    SimulationResult r = ctx.result;
    boolean tree = s.protocol == Scenario.Protocol.TREE;
    int n = s.nodes;
    int rounds = s.maxRounds;
    r.settings.put("model", "rounds of " + OverlayExperiments.ROUND_MILLIS + " ms, latency uniform 10..30 ms one-way,"
        + " uniform peers, no loss" + (tree ? "; node i's value is i mod 10" : ""));
    r.timeseriesColumns.addAll(List.of("round", "ring_correct_fraction", "exact_count_and_sum_fraction",
        "root_count_exact"));
    RingExperiment.SeedRun sr = RingExperiment.runSeed(n, s.seed, rounds, !tree, s.ring, true, ctx::stop, row -> {
      r.timeseries.add(row.clone());
      ctx.progress(row[0] / rounds, "round " + (int) row[0] + " ring " + row[1]);
    });
    r.metrics.put("ringRounds", sr.ringRound());
    r.metrics.put("twoLog2N", 2 * RingExperiment.log2(n));
    r.metrics.put("treeDepth", sr.treeDepth());
    if (tree) {
      r.metrics.put("rootCountExactRound", sr.rootRound());
      r.metrics.put("allExactRound", sr.allRound());
      r.metrics.put("trueSum", sr.trueSum());
    }
    r.headline = tree ? "allExactRound" : "ringRounds";
    r.convergedRound = tree ? sr.allRound() : sr.ringRound();
    r.converged = r.convergedRound >= 0;
    r.roundsRun = sr.rows().size();
    r.virtualMillis = sr.virtualMillis();
    r.theory.put("log2N", RingExperiment.log2(n));
    Chart chart = new Chart((tree ? "Tree aggregation" : "Sorted ring") + ", N = " + n
        + (tree ? ": nodes holding the exact COUNT and SUM" : ": nodes with their true neighbors"), "round",
        "fraction of nodes").yRange(0, 1.02)
        .line("true successor and predecessor", r.column("round"), r.column("ring_correct_fraction"), !tree);
    if (tree) {
      chart.line("exact COUNT and SUM", r.column("round"), r.column("exact_count_and_sum_fraction"), false);
    }
    r.chart = chart;
    return ctx.finish(sr.traceHash());
  }

  private static void fill(SimulationResult r, OverlayCluster c) {
    r.virtualMillis = c.engine.nowMillis();
    r.packetsSent = c.engine.packetsSent();
    r.bytesSent = c.engine.bytesSent();
  }
}
