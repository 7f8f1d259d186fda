// SPDX-License-Identifier: Apache-2.0
package io.grapevine.sim.overlay;

import static org.assertj.core.api.Assertions.assertThat;

import io.grapevine.config.PlumtreeConfig;
import io.grapevine.config.SortedRingConfig;
import org.junit.jupiter.api.Test;

/** The overlay experiments at small N with fixed seeds: HyParView, Plumtree, the ring and its tree. */
class OverlayRunsTest {

  @Test
  void hyparviewBuildsOneSymmetricComponentAndHealsAfterHalfCrash() {
    OverlayCluster c = OverlayExperiments.build(300, 4, PlumtreeConfig.defaults().toBuilder().floodOnly(true).build());
    OverlayCluster.Connectivity k = c.connectivity();
    assertThat(k.components).isEqualTo(1);
    assertThat(k.largestComponent).isEqualTo(300);
    assertThat(k.symmetric).isGreaterThan(0.95);
    OverlayExperiments.CrashRecovery cr = OverlayExperiments.crashRecovery(c, 0.5, 15, () -> false, row -> { });
    assertThat(cr.reliabilityBefore()).isEqualTo(1.0);
    assertThat(cr.crashed()).isEqualTo(150);
    assertThat(cr.roundsToFull()).as("rounds to reach every survivor again").isBetween(0, 15);
    double[] lastRow = cr.rounds().get(cr.rounds().size() - 1);
    assertThat(lastRow[1]).isEqualTo(1.0);
    assertThat(lastRow[2]).as("largest component").isEqualTo(1.0);
  }

  @Test
  void plumtreePrunesToATreeWhileFloodingSendsEveryLink() {
    int n = 300;
    OverlayExperiments.BroadcastSeries tree = OverlayExperiments.broadcasts(
        OverlayExperiments.build(n, 6, PlumtreeConfig.defaults()), 8, 3, () -> false, row -> { });
    OverlayExperiments.BroadcastSeries flood = OverlayExperiments.broadcasts(
        OverlayExperiments.build(n, 6, PlumtreeConfig.defaults().toBuilder().floodOnly(true).build()), 4, 1,
        () -> false, row -> { });
    assertThat(tree.minReliabilitySteady()).isEqualTo(1.0);
    assertThat(flood.minReliabilitySteady()).isEqualTo(1.0);
    // A spanning tree sends n - 1 payloads (RMR 0); flooding about one per active link direction.
    assertThat(tree.rmrSteady()).isLessThan(0.1);
    assertThat(flood.rmrSteady()).isGreaterThan(1.0);
    assertThat(tree.rows().get(0)[1]).as("the first broadcast floods").isGreaterThan(1.0);
  }

  @Test
  void theRingSortsEveryNodeBetweenItsTrueNeighbors() {
    int n = 1000;
    RingExperiment.SeedRun r = RingExperiment.runSeed(n, 3, 100, true, SortedRingConfig.defaults(), true,
        () -> false, row -> { });
    assertThat(r.ringRound()).as("rounds until sorted").isBetween(1, 3 * RingExperiment.log2(n));
    double[] last = r.rows().get(r.rows().size() - 1);
    assertThat(last[1]).isEqualTo(1.0);
  }

  @Test
  void theTreeGivesEveryNodeTheExactSumAndCount() {
    int n = 300;
    RingExperiment.SeedRun r = RingExperiment.runSeed(n, 8, 100, false, SortedRingConfig.defaults(), true,
        () -> false, row -> { });
    int sum = 0;
    for (int i = 0; i < n; i++) {
      sum += i % 10;
    }
    assertThat(r.trueSum()).isEqualTo(sum);
    assertThat(r.allRound()).as("round every node holds COUNT = N and the exact SUM").isPositive();
    assertThat(r.rootRound()).isBetween(1, r.allRound());
    assertThat(r.treeDepth()).isBetween(1, n - 1);
    double[] last = r.rows().get(r.rows().size() - 1);
    assertThat(last[2]).isEqualTo(1.0);
  }
}
