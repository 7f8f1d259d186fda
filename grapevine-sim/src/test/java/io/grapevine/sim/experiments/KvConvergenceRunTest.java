// SPDX-License-Identifier: Apache-2.0
package io.grapevine.sim.experiments;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The replicated-store experiment at small N: it converges, and it is a pure function of its seed. */
class KvConvergenceRunTest {

  private static KvConvergenceRun.Params params(long seed) {
    // 50 replicas, 60 writes over 6 s on 15 keys, 5% loss, 5% of the nodes per second stopped for 2-10 s.
    return new KvConvergenceRun.Params(50, 60, 6_000, 15, 0.05, 0.05, 2, 2, seed, 120_000, true);
  }

  @Test
  void everyReplicaEndsWithTheSameRootUnderLossAndChurn() {
    List<KvConvergenceRun.Sample> samples = new ArrayList<>();
    KvConvergenceRun.Result r = KvConvergenceRun.run(params(11), samples::add, false);
    assertThat(r.converged()).as(KvConvergenceRun.describe(r)).isTrue();
    // The churn happened and was of every kind, and loss hit datagrams.
    assertThat(r.silences() + r.restarts() + r.wipes()).isGreaterThanOrEqualTo(5);
    assertThat(r.lost()).isPositive();
    assertThat(r.droppedDown()).isPositive();
    // Both paths repaired keys; the rumor path alone does not reach every replica.
    assertThat(r.repairsByRumor()).isPositive();
    assertThat(r.repairsByAntiEntropy()).isPositive();
    // The last sample is the converged one: all 50 agree on the final root, nobody stopped.
    KvConvergenceRun.Sample last = samples.get(samples.size() - 1);
    assertThat(last.agreeMajority()).isEqualTo(50);
    assertThat(last.majorityRoot()).isEqualTo(r.finalRoot());
    assertThat(last.stopped()).isZero();
    assertThat(r.ninetyNineMillis()).isBetween(0L, r.allMillis());
    assertThat(r.allMillis()).isGreaterThanOrEqualTo(r.lastBackMillis() - KvConvergenceRun.STEP_MILLIS);
  }

  @Test
  void sameSeedSameRunAnotherSeedAnotherRun() {
    KvConvergenceRun.Result a = KvConvergenceRun.run(params(5), s -> {}, false);
    KvConvergenceRun.Result b = KvConvergenceRun.run(params(5), s -> {}, false);
    KvConvergenceRun.Result other = KvConvergenceRun.run(params(6), s -> {}, false);
    assertThat(a.converged()).isTrue();
    assertThat(b.traceHash()).isEqualTo(a.traceHash());
    assertThat(b.finalRoot()).isEqualTo(a.finalRoot());
    assertThat(b.allMillis()).isEqualTo(a.allMillis());
    assertThat(b.packetsSent()).isEqualTo(a.packetsSent());
    assertThat(b.repairsByRumor()).isEqualTo(a.repairsByRumor());
    assertThat(b.repairsByAntiEntropy()).isEqualTo(a.repairsByAntiEntropy());
    assertThat(other.traceHash()).isNotEqualTo(a.traceHash());
  }
}
