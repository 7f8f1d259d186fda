// SPDX-License-Identifier: Apache-2.0
package io.grapevine.sim;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class DeterminismTest {

  static Scenario membership(long seed) {
    Scenario s = new Scenario();
    s.name = "determinism";
    s.seed = seed;
    s.nodes = 60;
    s.seedNodes = 2;
    s.joinOverMillis = 5000;
    s.latencyType = Scenario.LatencyType.LOGNORMAL;
    s.latencyMicros = 2000;
    s.latencySigma = 0.6;
    s.loss = 0.03;
    s.duplicate = 0.01;
    s.durationMillis = 40_000;
    s.faults.add(Fault.crash(15_000, NodeSet.randomCount(2)));
    s.faults.add(Fault.slow(5_000, 30_000, NodeSet.of(7), 300));
    return s;
  }

  @Test
  void sameScenarioAndSeedGiveTheSameTrace() {
    SimulationResult a = Simulation.run(membership(11));
    SimulationResult b = Simulation.run(membership(11));
    assertThat(a.packetsDelivered).isGreaterThan(1000);
    assertThat(b.traceHash).isEqualTo(a.traceHash);
    assertThat(b.packetsSent).isEqualTo(a.packetsSent);
    assertThat(b.bytesSent).isEqualTo(a.bytesSent);
    assertThat(b.detectionLatency).isEqualTo(a.detectionLatency);
  }

  @Test
  void anotherSeedGivesAnotherTrace() {
    SimulationResult a = Simulation.run(membership(11));
    SimulationResult c = Simulation.run(membership(12));
    assertThat(c.traceHash).isNotEqualTo(a.traceHash);
  }

  @Test
  void rumorRunsAreDeterministicToo() {
    Scenario s = new Scenario();
    s.protocol = Scenario.Protocol.RUMOR;
    s.nodes = 3000;
    s.latencyType = Scenario.LatencyType.CONSTANT;
    s.latencyMicros = 1000;
    s.seed = 5;
    String h1 = Simulation.run(s).traceHash;
    String h2 = Simulation.run(s).traceHash;
    s.seed = 6;
    String h3 = Simulation.run(s).traceHash;
    assertThat(h2).isEqualTo(h1);
    assertThat(h3).isNotEqualTo(h1);
  }
}
