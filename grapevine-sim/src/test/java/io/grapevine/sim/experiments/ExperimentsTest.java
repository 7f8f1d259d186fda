// SPDX-License-Identifier: Apache-2.0
package io.grapevine.sim.experiments;

import static org.assertj.core.api.Assertions.assertThat;

import io.grapevine.config.AggregationConfig;
import io.grapevine.config.DisseminationConfig;
import io.grapevine.config.DisseminationConfig.Mode;
import io.grapevine.config.DisseminationConfig.Stop;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The experiment drivers end to end at small N: the numbers they report must be sane. */
class ExperimentsTest {

  @Test
  void pushWithFeedbackAndCounterLeavesTheDemersResidue() {
    // Demers et al.: push, feedback, counter k = 1 leaves about 18% uninformed (s = e^{-m}).
    List<DisseminationRun.Result> rs = new ArrayList<>();
    DisseminationConfig v = DisseminationConfig.demers(Mode.PUSH, true, Stop.COUNTER, 1);
    for (long seed = 1; seed <= 5; seed++) {
      DisseminationRun.Result r = DisseminationRun.run(400, seed, v, 0, 200);
      assertThat(r.finished()).isTrue();
      assertThat(r.informed()).isLessThan(400);
      rs.add(r);
    }
    DemersTable.Row row = DemersTable.summarize(v, rs);
    assertThat(row.residue()).isBetween(0.08, 0.35);
    assertThat(Math.exp(-row.rumors())).isBetween(row.residue() * 0.5, row.residue() * 2);
    assertThat(row.roundsToLast()).isBetween(2.0, 20.0);
  }

  @Test
  void antiEntropyBackupLeavesNoResidue() {
    DisseminationConfig v = DisseminationConfig.demers(Mode.PUSH, false, Stop.COIN, 1);
    DisseminationRun.Result r = DisseminationRun.run(300, 7, v, 5, 2000);
    assertThat(r.finished()).isTrue();
    assertThat(r.residue()).isZero();
    assertThat(r.informed()).isEqualTo(300);
    // Blind coin k = 1 alone reaches almost nobody: anti-entropy did most of the work.
    assertThat(r.repaired()).isGreaterThan(200);
  }

  @Test
  void pushPullSpeedIsLogarithmic() {
    DisseminationConfig v = DisseminationConfig.demers(Mode.PUSH_PULL, true, Stop.COUNTER, 8);
    DisseminationRun.Result r = DisseminationRun.run(500, 3, v, 0, 200);
    assertThat(r.informed()).isEqualTo(500);
    // log3(500) = 5.7; unsynchronised rounds add a little.
    assertThat(r.roundsToLast()).isBetween(4.0, 14.0);
  }

  @Test
  void flowUpdatingAveragesWithinOnePercentAndCountsTheNodes() {
    AggregationRun.Summary s = AggregationRun.run(300, AggregationConfig.Mode.FLOW, 40, 0, 0, 100_000, 0, 1, false);
    AggregationRun.RoundRow last = s.rows().get(s.rows().size() - 1);
    assertThat(last.maxErrAvg()).isLessThan(0.01);
    assertThat(last.maxErrCount()).isLessThan(0.01);
    assertThat(s.roundsAvg1pct()).isBetween(1, 40);
    assertThat(last.massC()).isBetween(0.99, 1.01);
  }

  @Test
  void pushPullAveragingShrinksTheVarianceAboutAsTheTheorySays() {
    AggregationRun.Summary s =
        AggregationRun.run(500, AggregationConfig.Mode.PUSH_PULL, 25, 0, 0, 100_000, 0, 2, false);
    // Jelasity et al.: × 1/(2√e) ≈ 0.303 per round over uniform peers.
    assertThat(s.reductionFactor()).isBetween(0.2, 0.4);
    assertThat(s.rows().get(25).maxErrAvg()).isLessThan(0.01);
  }

  @Test
  void churnReplacesNodesAndCountStaysNearTheLiveCount() throws Exception {
    // 1% of 200 nodes replaced every round. An epoch counts the nodes it began with (census 0): a
    // node gone in mid-epoch stays counted and its replacement only reads, so the count stays near
    // the live count, which does not change.
    AggregationRun.Options o = new AggregationRun.Options();
    o.neighborTimeoutMillis = 2_400; // 12 rounds: the least allowed with 6 neighbors
    o.censusRounds = 0;
    AggregationRun.Summary s = AggregationRun.run(200, AggregationConfig.Mode.FLOW, 80, 0, 0.01, 20, 10, 3, o);
    assertThat(s.rows().get(80).live()).isEqualTo(200);
    double sum = 0;
    for (int r = 20; r <= 80; r++) {
      sum += Math.abs(s.rows().get(r).medianCount() - 200) / 200;
    }
    System.out.printf("churn, N = 200: mean |median COUNT error| %.3f over rounds 20-80%n", sum / 61);
    assertThat(sum / 61).as("mean |median COUNT error|").isLessThan(0.08);
    assertThat(s.neighborsTimedOut()).isGreaterThan(0);
  }
}
