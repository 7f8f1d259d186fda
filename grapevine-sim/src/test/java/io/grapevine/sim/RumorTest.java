// SPDX-License-Identifier: Apache-2.0
package io.grapevine.sim;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RumorTest {

  @Test
  void synchronousPushPullFollowsTheTheory() {
    Scenario s = new Scenario();
    s.protocol = Scenario.Protocol.RUMOR;
    s.nodes = 20_000;
    s.latencyType = Scenario.LatencyType.CONSTANT;
    s.latencyMicros = 1000;
    SimulationResult r = Simulation.run(s);
    assertThat(r.converged).isTrue();
    int theory = RumorRun.meanFieldRounds(20_000);
    // log3 N = 9.0; Karp et al. (FOCS 2000): log3 N + O(log log N); the simulator needs 11 rounds at N = 1e4 (docs/simulation.md).
    assertThat(theory).isBetween(10, 14);
    assertThat(r.convergedRound).isBetween(theory - 2, theory + 2);
    // Each round, every node sends one request: N packets per round plus the pull answers.
    assertThat(r.packetsSent).isBetween((long) r.convergedRound * 20_000, (long) r.convergedRound * 40_000);
    // Mid-run, the measured curve is close to the mean-field curve.
    double[] measured = r.column("informed_fraction");
    double[] theoryCurve = r.column("theory_fraction");
    for (int i = 0; i < measured.length; i++) {
      if (theoryCurve[i] > 0.05 && theoryCurve[i] < 0.95) {
        assertThat(Math.abs(measured[i] - theoryCurve[i])).as("round %d", i).isLessThan(0.15);
      }
    }
  }

  @Test
  void crashedNodesAreNotWaitedFor() {
    Scenario s = new Scenario();
    s.protocol = Scenario.Protocol.RUMOR;
    s.nodes = 2000;
    s.rumorAlignedRounds = false;
    s.loss = 0.1;
    s.faults.add(Fault.crash(0, NodeSet.randomFraction(0.1)));
    SimulationResult r = Simulation.run(s);
    assertThat(r.converged).isTrue();
    assertThat(r.packetsDroppedNodeDown).isGreaterThan(0);
    assertThat(r.packetsLost).isGreaterThan(0);
  }
}
