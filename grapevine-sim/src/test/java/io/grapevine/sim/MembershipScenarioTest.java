// SPDX-License-Identifier: Apache-2.0
package io.grapevine.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.grapevine.config.MembershipConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The real SWIM + Lifeguard class at small N in the simulator: properties that must hold. */
class MembershipScenarioTest {

  private static Scenario base(int n, long seed) {
    Scenario s = new Scenario();
    s.name = "t";
    s.nodes = n;
    s.seed = seed;
    s.seedNodes = 2;
    s.joinOverMillis = 10_000;
    s.latencyType = Scenario.LatencyType.UNIFORM;
    s.latencyMicros = 1000;
    s.latencyMaxMicros = 5000;
    return s;
  }

  @Test
  void aCrashIsDetectedEverywhereWellBeforeTheMaximumSuspicionTimeout() {
    // Three seeds: when the first prober reaches the crashed node is chance (each of 99 probes it
    // once per round of 99), so one seed alone says little about the first suspicion.
    long[] firstSuspicion = new long[3];
    for (int k = 0; k < 3; k++) {
      Scenario s = base(100, 3 + k);
      s.durationMillis = 90_000;
      s.faults.add(Fault.crash(40_000, NodeSet.of(57)));
      SimulationResult r = Simulation.run(s);
      assertThat(r.converged).isTrue();
      assertThat(r.convergedAfterLastJoinMillis).isLessThan(10_000);
      assertThat(r.crashes).hasSize(1);
      SimulationResult.CrashReport c = r.crashes.get(0);
      assertThat(c.observers).isEqualTo(99);
      assertThat(c.detectedBy).isEqualTo(99);
      assertThat(r.allCrashesDetectedEverywhere).isTrue();
      assertThat(c.dead.count()).isEqualTo(99);
      long min = s.membership.suspicionMinMillis(100);
      long max = s.membership.suspicionMaxMillis(100);
      // Confirmations from other probers must bring the timeout near its minimum (Lifeguard).
      assertThat(c.dead.p50()).isGreaterThanOrEqualTo(min).isLessThan(min + (max - min) / 4);
      assertThat(r.falseDead).isZero();
      firstSuspicion[k] = c.firstSuspicion.min();
    }
    java.util.Arrays.sort(firstSuspicion);
    assertThat(firstSuspicion[1]).as("median first suspicion of three seeds, ms")
        .isLessThan(3 * MembershipConfig.lan().probeInterval.toMillis());
  }

  @Test
  void fivePercentLossCausesNoFalseDead() {
    Scenario s = base(150, 8);
    s.loss = 0.05;
    s.durationMillis = 120_000;
    SimulationResult r = Simulation.run(s);
    assertThat(r.packetsLost).isGreaterThan(1000);
    assertThat(r.converged).isTrue();
    assertThat(r.falseDead).isZero();
    assertThat(r.deadDeclared).isZero();
  }

  @Test
  void aPartitionSplitsTheClusterAndHealingMergesItAgain() {
    Scenario s = base(60, 5);
    s.joinOverMillis = 5_000;
    s.durationMillis = 180_000;
    s.faults.add(Fault.partition(30_000, 55_000, List.of(NodeSet.range(0, 29), NodeSet.range(30, 59))));
    SimulationResult r = Simulation.run(s);
    assertThat(r.packetsDroppedByPartition).isGreaterThan(100);
    // During the cut each side declares the other dead ...
    double[] time = r.column("time_s");
    double[] full = r.column("full_view_fraction");
    int duringCut = (int) (52_000 / s.sampleEveryMillis) - 1;
    assertThat(time[duringCut]).isEqualTo(52.0);
    assertThat(full[duringCut]).isZero();
    assertThat(r.falseDead).isGreaterThan(0);
    // ... and after the heal every node sees all 60 alive again.
    assertThat(full[full.length - 1]).isEqualTo(1.0);
  }

  @Test
  void aRestartedNodeRejoinsEverywhere() {
    Scenario s = base(40, 9);
    s.durationMillis = 150_000;
    s.faults.add(Fault.crash(20_000, NodeSet.of(11)));
    s.faults.add(Fault.restart(80_000, NodeSet.of(11)));
    SimulationResult r = Simulation.run(s);
    assertThat(r.crashes.get(0).dead.count()).isEqualTo(39);
    double[] full = r.column("full_view_fraction");
    double[] up = r.column("up");
    assertThat(up[up.length - 1]).isEqualTo(40);
    assertThat(full[full.length - 1]).isEqualTo(1.0);
    assertThat(r.falseDead).isZero();
  }

  @Test
  void aGracefulLeaveIsNotADeath() {
    Scenario s = base(30, 2);
    s.durationMillis = 60_000;
    s.faults.add(Fault.leave(30_000, NodeSet.of(4)));
    SimulationResult r = Simulation.run(s);
    assertThat(r.deadDeclared).isZero();
    double[] up = r.column("up");
    double[] full = r.column("full_view_fraction");
    assertThat(up[up.length - 1]).isEqualTo(29);
    assertThat(full[full.length - 1]).isEqualTo(1.0);
  }

  @Test
  void lifeguardCutsFalseSuspicionsOfHealthyMembersCausedBySlowNodes() {
    SimulationResult[] r = new SimulationResult[2];
    for (int i = 0; i < 2; i++) {
      Scenario s = base(100, 21);
      s.joinOverMillis = 5_000;
      s.durationMillis = 70_000;
      s.membership = s.membership.toBuilder().lifeguard(i == 0).build();
      s.faults.add(Fault.slow(10_000, 70_000, NodeSet.randomCount(2), 1500));
      r[i] = Simulation.run(s);
    }
    SimulationResult on = r[0];
    SimulationResult off = r[1];
    assertThat(off.falseSuspicionEpisodesOfHealthy).isGreaterThan(20);
    assertThat(on.falseSuspicionEpisodesOfHealthy * 10).isLessThan(off.falseSuspicionEpisodesOfHealthy);
    assertThat(on.falseDead).isZero();
  }

  @Test
  void churnedNodesComeBackAndNoLiveNodeIsDeclaredDead() {
    Scenario s = base(60, 13);
    s.joinOverMillis = 5_000;
    s.durationMillis = 130_000;
    s.loss = 0.02;
    s.faults.add(Fault.churn(20_000, 70_000, 0.2, 10_000));
    SimulationResult r = Simulation.run(s);
    assertThat(r.crashes.size()).isGreaterThanOrEqualTo(4);
    assertThat(r.falseDead).isZero();
    double[] up = r.column("up");
    double[] full = r.column("full_view_fraction");
    assertThat(up[up.length - 1]).isEqualTo(60);
    assertThat(full[full.length - 1]).isEqualTo(1.0);
  }
}
