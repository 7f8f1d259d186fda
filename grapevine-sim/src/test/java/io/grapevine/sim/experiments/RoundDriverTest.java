// SPDX-License-Identifier: Apache-2.0
package io.grapevine.sim.experiments;

import static org.assertj.core.api.Assertions.assertThat;

import io.grapevine.config.DisseminationConfig;
import io.grapevine.config.DisseminationConfig.Mode;
import io.grapevine.config.DisseminationConfig.Stop;
import org.junit.jupiter.api.Test;

/** The synchronous-round driver with the real {@code Dissemination} at small N. */
class RoundDriverTest {

  private static double mean(int n, DisseminationConfig v, boolean sequential, java.util.function.ToDoubleFunction<DisseminationRun.Result> f) {
    double sum = 0;
    for (long seed = 1; seed <= 5; seed++) {
      DisseminationRun.Result r = DisseminationRun.runRounds(n, seed, v, 0, 500, false, sequential);
      assertThat(r.finished()).as("seed %d ends quiet", seed).isTrue();
      sum += f.applyAsDouble(r);
    }
    return sum / 5;
  }

  @Test
  void pushWithFeedbackAndCounterTakesDemersCycles() {
    // Demers et al. (Table 1, n = 1000): t_last 16.8 cycles at k = 1; s = e^-m for push. The
    // unsynchronised event-engine model reaches the last node in about 7 rounds instead.
    DisseminationConfig v = DisseminationConfig.demers(Mode.PUSH, true, Stop.COUNTER, 1);
    double residue = mean(1000, v, false, DisseminationRun.Result::residue);
    double copies = mean(1000, v, false, DisseminationRun.Result::rumorsPerNode);
    double last = mean(1000, v, false, DisseminationRun.Result::roundsToLast);
    assertThat(residue).isBetween(0.15, 0.26);
    assertThat(Math.exp(-copies)).isBetween(residue * 0.8, residue * 1.25);
    assertThat(last).isBetween(14.0, 21.0);
  }

  @Test
  void skippingPullRequestsToIdleNodesChangesNothing() {
    for (Mode mode : new Mode[] {Mode.PULL, Mode.PUSH_PULL}) {
      DisseminationConfig v = DisseminationConfig.demers(mode, true, Stop.COIN, 2);
      for (long seed = 1; seed <= 3; seed++) {
        DisseminationRun.Result skipped = DisseminationRun.runRounds(300, seed, v, 0, 500, false, false, true);
        DisseminationRun.Result full = DisseminationRun.runRounds(300, seed, v, 0, 500, false, false, false);
        assertThat(skipped).isEqualTo(full);
        assertThat(full.informed()).isGreaterThan(150);
      }
    }
  }

  @Test
  void antiEntropyInRoundsLeavesNoResidue() {
    DisseminationConfig v = DisseminationConfig.demers(Mode.PUSH, false, Stop.COIN, 1);
    DisseminationRun.Result r = DisseminationRun.runRounds(300, 7, v, 5, 2000, false);
    assertThat(r.finished()).isTrue();
    assertThat(r.residue()).isZero();
    assertThat(r.repaired()).isGreaterThan(200);
  }

  @Test
  void pullLosesMoreWhenContactsOfARoundComeOneAfterAnother() {
    // A hot node that learns a contact was useless before the next request of the round stops
    // answering (k = 1); answering the whole round from its state at the start reaches more.
    DisseminationConfig v = DisseminationConfig.demers(Mode.PULL, true, Stop.COUNTER, 1);
    double simultaneous = mean(1000, v, false, DisseminationRun.Result::residue);
    double sequential = mean(1000, v, true, DisseminationRun.Result::residue);
    assertThat(simultaneous).isBetween(0.03, 0.12);
    assertThat(sequential).isGreaterThan(simultaneous * 1.3);
  }
}
