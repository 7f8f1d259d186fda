// SPDX-License-Identifier: Apache-2.0
package io.grapevine.sim.experiments;

import io.grapevine.config.AggregationConfig;
import io.grapevine.config.DisseminationConfig;
import io.grapevine.sim.Chart;
import io.grapevine.sim.RunContext;
import io.grapevine.sim.Scenario;
import io.grapevine.sim.ScenarioParser;
import io.grapevine.sim.SimulationResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Locale;

/**
 * Runs the experiments of this package from a {@link Scenario}: dissemination, kv, aggregate,
 * query and coordinates. Each maps the scenario (size, seed, protocol knobs, {@code rounds},
 * {@code workload}, loss where modelled) onto its experiment, records one timeseries row per round
 * or sample, and names its headline metric. {@code grapevine simulate} reaches them through
 * {@link io.grapevine.sim.Simulation#run}.
 */
public final class ScenarioRuns {
  private ScenarioRuns() {}

  /** Runs the scenario's family (one of those listed above). */
  public static SimulationResult run(RunContext ctx) {
    return switch (ctx.scenario.protocol) {
      case DISSEMINATION -> dissemination(ctx);
      case KV -> kv(ctx);
      case AGGREGATE -> aggregate(ctx);
      case QUERY -> query(ctx);
      case COORDINATES -> coordinates(ctx);
      default -> throw new IllegalArgumentException("not a family of this package: " + ctx.scenario.protocol);
    };
  }

  static SimulationResult dissemination(RunContext ctx) {
    Scenario s = ctx.scenario;
    SimulationResult r = ctx.result;
    DisseminationConfig c = s.dissemination;
    int n = s.nodes;
    int maxRounds = s.maxRounds;
    boolean piggyback = c.mode == DisseminationConfig.Mode.PIGGYBACK;
    r.timeseriesColumns.addAll(List.of("round", "informed", "informed_fraction"));
    r.timeseries.add(new double[] {0, 1, 1.0 / n});
    DisseminationRun.Hooks hooks = new DisseminationRun.Hooks() {
      @Override
      public void afterRound(int round, int informed) {
        r.timeseries.add(new double[] {round, informed, informed / (double) n});
        ctx.progress(round / (double) maxRounds, "round " + round + ": " + informed + " informed");
      }

      @Override
      public boolean stop() {
        return ctx.stop();
      }
    };
    DisseminationRun.Result res;
    long roundMillis;
    int aeRounds = 0;
    String driver = s.workloadValue("driver");
    if (piggyback) {
      roundMillis = s.membership.gossipInterval.toMillis();
      res = DisseminationRun.runPiggyback(n, s.seed, c, s.membership, maxRounds, hooks);
      r.settings.put("model", "membership (" + s.profile + ") gossip datagrams, latency uniform 1..5 ms one-way");
    } else {
      roundMillis = DisseminationRun.ROUND_MILLIS;
      long ae = c.antiEntropyInterval.toMillis();
      aeRounds = ae == 0 ? 0 : (int) Math.max(1, Math.round(ae / (double) c.roundInterval.toMillis()));
      if (driver.equals("events")) {
        res = DisseminationRun.run(n, s.seed, c, aeRounds, maxRounds, false, hooks);
        r.settings.put("model", "unsynchronised rounds of " + roundMillis + " ms, latency "
            + DisseminationRun.LATENCY_MICROS / 1000 + " ms one-way, uniform peers");
      } else {
        res = DisseminationRun.runRounds(n, s.seed, c, aeRounds, maxRounds, false, s.workloadBoolean("sequential"),
            hooks);
        r.settings.put("model", "synchronous rounds (Demers' cycles), uniform peers, no loss");
      }
    }
    r.metrics.put("variant", res.variant());
    r.metrics.put("antiEntropyRounds", aeRounds);
    r.metrics.put("informed", res.informed());
    r.metrics.put("residue", res.residue());
    r.metrics.put("roundsToLastInformed", res.roundsToLast());
    r.metrics.put("roundsUntilQuiet", res.roundsToQuiet());
    r.metrics.put("rumorsPerNode", res.rumorsPerNode());
    r.metrics.put("messagesPerNode", res.messagesPerNode());
    r.metrics.put("repairedByAntiEntropy", res.repaired());
    r.headline = "residue";
    r.converged = res.informed() == n;
    r.convergedRound = r.converged ? (int) Math.ceil(res.roundsToLast()) : -1;
    r.roundsRun = r.timeseries.size() - 1;
    r.virtualMillis = r.roundsRun * roundMillis;
    r.theory.put("log2N", Math.log(n) / Math.log(2));
    r.theory.put("log3N", Math.log(n) / Math.log(3));
    r.chart = new Chart("Dissemination (" + res.variant() + "), N = " + n + ": fraction informed per round",
        "round", "fraction informed").yRange(0, 1)
        .line("informed", r.column("round"), r.column("informed_fraction"), false);
    return ctx.finish(null);
  }

  static SimulationResult kv(RunContext ctx) {
    Scenario s = ctx.scenario;
    SimulationResult r = ctx.result;
    int writes = (int) s.workloadLong("writes");
    int keys = (int) s.workloadLong("keys");
    KvConvergenceRun.Params p;
    try {
      p = new KvConvergenceRun.Params(s.nodes, writes, s.workloadMillis("window"), keys == 0 ? Math.max(1, writes / 4)
          : keys, s.loss, s.workloadDouble("churn"), s.kv.merkleDepth, s.kv.rumorFanout, s.seed,
          s.workloadMillis("maxAfter"), true);
    } catch (IllegalArgumentException e) {
      throw new ScenarioParser.ScenarioException(s.name, List.of("workload: " + e.getMessage().replace("--", "")));
    }
    r.settings.put("model", "latency uniform 1..20 ms one-way, streams reliable but lost to stopped nodes");
    r.timeseriesColumns.addAll(List.of("time_after_last_write_s", "stopped", "agree_fraction", "repairs_by_rumor",
        "repairs_by_anti_entropy", "packets"));
    long span = p.maxAfterMillis();
    KvConvergenceRun.Result res = KvConvergenceRun.run(p, s.kv, sample -> {
      r.timeseries.add(new double[] {sample.tMillis() / 1000.0, sample.stopped(),
          sample.agreeMajority() / (double) s.nodes, sample.repairsByRumor(), sample.repairsByAntiEntropy(),
          sample.packetsSent()});
      ctx.progress(sample.tMillis() / (double) span, String.format(Locale.ROOT, "%.1fs after the last write: %d agree",
          sample.tMillis() / 1000.0, sample.agreeMajority()));
    }, false, ctx::stop);
    r.metrics.put("allAgreeAfterMillis", res.allMillis());
    r.metrics.put("ninetyNinePercentAgreeAfterMillis", res.ninetyNineMillis());
    r.metrics.put("finalIsJoinOfWrites", res.finalIsJoinOfWrites());
    r.metrics.put("lastStoppedNodeBackAfterMillis", res.lastBackMillis());
    r.metrics.put("silences", res.silences());
    r.metrics.put("restarts", res.restarts());
    r.metrics.put("wipes", res.wipes());
    r.metrics.put("repairsByRumor", res.repairsByRumor());
    r.metrics.put("repairsByAntiEntropy", res.repairsByAntiEntropy());
    r.metrics.put("syncsStarted", res.syncsStarted());
    r.metrics.put("syncsAlreadyEqual", res.syncsAlreadyEqual());
    r.headline = "allAgreeAfterMillis";
    r.converged = res.converged() && res.finalIsJoinOfWrites();
    r.convergedAtMillis = res.allMillis();
    r.virtualMillis = res.simMillis();
    r.packetsSent = res.packetsSent();
    r.bytesSent = res.bytesSent();
    r.packetsLost = res.lost();
    r.packetsDroppedNodeDown = res.droppedDown();
    r.chart = new Chart("Replicated store, N = " + s.nodes + ": replicas holding the majority state after the last "
        + "write", "time after the last write (s)", "fraction of replicas").yRange(0, 1)
        .line("agree", r.column("time_after_last_write_s"), r.column("agree_fraction"), false);
    return ctx.finish(res.traceHash());
  }

  static SimulationResult aggregate(RunContext ctx) {
    Scenario s = ctx.scenario;
    SimulationResult r = ctx.result;
    AggregationConfig a = s.aggregation;
    AggregationRun.Options o = new AggregationRun.Options();
    o.base = a;
    o.neighbors = a.neighbors;
    o.neighborTimeoutMillis = a.neighborTimeout.toMillis();
    o.requestRetries = a.requestRetries;
    o.retryAfterMillis = a.retryAfter.toMillis();
    o.censusRounds = a.censusRounds;
    o.stopWhenConverged = s.workloadBoolean("stopWhenConverged");
    int rounds = s.maxRounds;
    o.stop = () -> ctx.stop();
    AggregationRun.Summary sum;
    try {
      sum = AggregationRun.run(s.nodes, a.mode, rounds, s.loss, s.workloadDouble("churn"), a.epochRounds,
          a.reportAfterRounds, s.seed, o);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    r.settings.put("model", "rounds of " + AggregationRun.ROUND_MILLIS + " ms, latency "
        + AggregationRun.LATENCY_MICROS / 1000 + " ms one-way, uniform peers; values uniform in [0, 100)");
    r.timeseriesColumns.addAll(List.of("round", "live", "true_average", "max_rel_error_avg", "median_rel_error_avg",
        "max_rel_error_count", "median_count", "log10_max_rel_error_avg"));
    for (AggregationRun.RoundRow row : sum.rows()) {
      r.timeseries.add(new double[] {row.round(), row.live(), row.truthAvg(), row.maxErrAvg(), row.medianErrAvg(),
          row.maxErrCount(), row.medianCount(), Math.log10(Math.max(1e-12, row.maxErrAvg()))});
    }
    AggregationRun.RoundRow last = sum.rows().get(sum.rows().size() - 1);
    r.metrics.put("mode", a.mode.toString());
    r.metrics.put("maxAvgErrorFinal", last.maxErrAvg());
    r.metrics.put("maxCountErrorFinal", last.maxErrCount());
    r.metrics.put("trueAverageFinal", last.truthAvg());
    r.metrics.put("medianCountFinal", last.medianCount());
    r.metrics.put("varianceReductionPerRound", sum.reductionFactor());
    r.metrics.put("roundsToAvgWithin1Percent", sum.roundsAvg1pct());
    r.metrics.put("roundsToAvgWithin0.01Percent", sum.roundsAvg001pct());
    r.metrics.put("roundsToCountWithin1Percent", sum.roundsCount1pct());
    r.metrics.put("massConserved", last.massC());
    r.metrics.put("exchanges", sum.exchanges());
    r.metrics.put("messages", sum.messages());
    r.headline = "maxAvgErrorFinal";
    r.converged = last.maxErrAvg() <= 0.01;
    r.convergedRound = sum.roundsAvg1pct();
    r.roundsRun = last.round();
    r.virtualMillis = last.round() * AggregationRun.ROUND_MILLIS;
    r.theory.put("pushPullVarianceFactorPerRound", 1 / (2 * Math.sqrt(Math.E)));
    r.chart = new Chart("Aggregation (" + a.mode + "), N = " + s.nodes + ": largest relative error of AVG",
        "round", "log10 of the largest relative error").yRange(-12, 1)
        .line("AVG", r.column("round"), r.column("log10_max_rel_error_avg"), false);
    return ctx.finish(null);
  }

  static SimulationResult query(RunContext ctx) {
    Scenario s = ctx.scenario;
    SimulationResult r = ctx.result;
    int queries = (int) s.workloadLong("queries");
    boolean membership = s.workloadValue("mode").equals("membership");
    r.settings.put("model", "test-kit network, latency uniform 1..5 ms one-way"
        + (membership ? ", membership joined and settled first" : ", uniform peers"));
    r.timeseriesColumns.addAll(List.of("query", "origin", "last_ack_ms", "last_answer_ms", "acks", "answers",
        "bytes"));
    QueryRun.Result res = QueryRun.run(s.nodes, membership, queries, s.seed, s.workloadMillis("timeout"), s.query,
        s.membership, new QueryRun.Hooks() {
          @Override
          public void afterQuery(QueryRun.QueryRow q) {
            r.timeseries.add(new double[] {q.query(), q.origin(), q.lastAckMillis(), q.lastAnswerMillis(), q.acks(),
                q.answers(), q.bytes()});
            ctx.progress((q.query() + 1) / (double) queries, "query " + (q.query() + 1) + " of " + queries);
          }

          @Override
          public boolean stop() {
            return ctx.stop();
          }
        });
    r.metrics.put("queries", res.rows().size());
    r.metrics.put("reachedEveryNode", res.complete());
    r.metrics.put("lastAnswerP50Millis", res.rows().isEmpty() ? -1 : res.lastAnswerPercentile(50));
    r.metrics.put("lastAnswerP99Millis", res.rows().isEmpty() ? -1 : res.lastAnswerPercentile(99));
    r.metrics.put("lastAckP50Millis", res.rows().isEmpty() ? -1 : res.lastAckPercentile(50));
    r.metrics.put("duplicatesPerNodePerQuery", res.duplicatesPerNodePerQuery());
    r.metrics.put("membershipSettled", res.settled());
    r.headline = "lastAnswerP50Millis";
    r.converged = res.complete() == queries;
    r.roundsRun = res.rows().size();
    r.virtualMillis = res.virtualMillis();
    r.bytesSent = res.bytesSent();
    r.chart = new Chart("Queries, N = " + s.nodes + " (" + res.mode() + "): time to the last ack and answer",
        "query", "ms after issue")
        .line("last answer", r.column("query"), r.column("last_answer_ms"), false)
        .line("last ack", r.column("query"), r.column("last_ack_ms"), true);
    return ctx.finish(null);
  }

  static SimulationResult coordinates(RunContext ctx) {
    Scenario s = ctx.scenario;
    SimulationResult r = ctx.result;
    long jitter = s.workloadMillis("jitter");
    double plane = s.workloadMillis("plane");
    r.settings.put("model", "hosts on a " + (long) plane + " ms plane plus access links 1..10 ms, jitter 0.."
        + jitter + " ms; membership (" + s.profile + ") all joined through node 0");
    r.settings.put("duration", s.durationMillis);
    r.settings.put("sampleEvery", s.sampleEveryMillis);
    r.timeseriesColumns.addAll(List.of("time_s", "median_rel_error", "p90_rel_error", "estimable_share"));
    long duration = s.durationMillis;
    CoordinatesRun.Result res = CoordinatesRun.run(s.nodes, duration, s.sampleEveryMillis,
        (int) s.workloadLong("pairs"), plane, jitter, s.seed, s.coordinates, s.membership, new CoordinatesRun.Hooks() {
          @Override
          public void sample(CoordinatesRun.Sample x) {
            r.timeseries.add(new double[] {x.tMillis() / 1000.0, x.medianRelError(), x.p90RelError(), x.estimable()});
            ctx.progress(x.tMillis() / (double) duration, String.format(Locale.ROOT, "t=%ds median error %.3f",
                x.tMillis() / 1000, x.medianRelError()));
          }

          @Override
          public boolean stop() {
            return ctx.stop();
          }
        });
    CoordinatesRun.Sample last = res.samples().isEmpty() ? null : res.samples().get(res.samples().size() - 1);
    double median = last == null ? Double.NaN : last.medianRelError();
    r.metrics.put("medianRelErrorFinal", Double.isNaN(median) ? null : median);
    r.metrics.put("p90RelErrorFinal", last == null || Double.isNaN(last.p90RelError()) ? null : last.p90RelError());
    r.metrics.put("estimableShareFinal", last == null ? 0 : last.estimable());
    r.metrics.put("resets", res.resets());
    r.headline = "medianRelErrorFinal";
    r.converged = median < 0.25;
    r.virtualMillis = res.virtualMillis();
    r.chart = new Chart("Network coordinates, N = " + s.nodes + ": relative RTT estimate error", "time (s)",
        "|estimate - RTT| / RTT").yRange(0, 1)
        .line("median", r.column("time_s"), r.column("median_rel_error"), false)
        .line("90th percentile", r.column("time_s"), r.column("p90_rel_error"), true)
        .line("share of pairs estimable", r.column("time_s"), r.column("estimable_share"), false);
    return ctx.finish(null);
  }
}
