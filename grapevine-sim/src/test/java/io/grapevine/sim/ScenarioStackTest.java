// SPDX-License-Identifier: Apache-2.0
package io.grapevine.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.grapevine.config.SortedRingConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A scenario names registered protocols beside membership; they run on every node's stack. */
class ScenarioStackTest {
  private static Scenario scenario(List<String> stack) {
    Scenario s = new Scenario();
    s.name = "stack";
    s.nodes = 40;
    s.seed = 3;
    s.seedNodes = 1;
    s.joinOverMillis = 5_000;
    s.durationMillis = 30_000;
    s.latencyType = Scenario.LatencyType.CONSTANT;
    s.latencyMicros = 1000;
    s.stack.addAll(stack);
    return s;
  }

  @Test
  void theNamedProtocolsRunBesideMembershipWithoutChangingIt() {
    SimulationResult alone = Simulation.run(scenario(List.of()));
    SimulationResult overlay = Simulation.run(scenario(List.of("dissemination", "hyparview", "plumtree")));
    SimulationResult again = Simulation.run(scenario(List.of("dissemination", "hyparview", "plumtree")));
    assertThat(overlay.converged).isTrue();
    // HyParView built its views over the same seeds: its messages were applied on the nodes.
    assertThat(overlay.messagesByProtocol).containsOnlyKeys("membership", "dissemination", "hyparview", "plumtree");
    assertThat(overlay.messagesByProtocol.get("hyparview")).isGreaterThan(40L * 5);
    assertThat(overlay.packetsSent).isGreaterThan(alone.packetsSent);
    // Deterministic for a seed.
    assertThat(again.traceHash).isEqualTo(overlay.traceHash);
    assertThat(again.messagesByProtocol).isEqualTo(overlay.messagesByProtocol);
    // Membership's own randomness is untouched by the added protocols: same detection of the same
    // joins, and the same number of membership messages applied, as membership alone.
    assertThat(overlay.messagesByProtocol.get("membership")).isGreaterThan(0L);
    assertThat(alone.messagesByProtocol).isEmpty();
    assertThat(overlay.convergedAtMillis).isEqualTo(alone.convergedAtMillis);
  }

  @Test
  void aProtocolsSectionConfiguresIt() {
    Scenario slow = scenario(List.of("ring"));
    Scenario fast = scenario(List.of("ring"));
    fast.ring = SortedRingConfig.defaults().toBuilder()
        .roundInterval(SortedRingConfig.defaults().roundInterval.dividedBy(2)).build();
    SimulationResult r1 = Simulation.run(slow);
    SimulationResult r2 = Simulation.run(fast);
    assertThat(r1.settings.get("stack")).isEqualTo(List.of("ring"));
    long ringSlow = r1.messagesByProtocol.get("ring");
    long ringFast = r2.messagesByProtocol.get("ring");
    assertThat(ringSlow).isGreaterThan(0);
    // Rounds twice as often: about twice the ring's exchanges.
    assertThat((double) ringFast / ringSlow).isBetween(1.6, 2.4);
  }

  @Test
  void aScenarioNamesTheQueryProtocolAndConfiguresIt() {
    Scenario s = ScenarioParser.parse("""
        name: queries
        nodes: 20
        seed: 5
        protocol:
          stack: [query]
          config:
            query: {maxPayloadBytes: 512, dedupeWindow: 256}
        join: {seeds: 1, over: 2s}
        network: {latency: 1ms}
        duration: 10s
        """, "queries.yaml");
    assertThat(s.query.maxPayloadBytes).isEqualTo(512);
    assertThat(s.query.dedupeWindow).isEqualTo(256);
    SimulationResult r = Simulation.run(s);
    assertThat(r.converged).isTrue();
    // No workload: the protocol runs on every stack, silent until a query is issued.
    assertThat(r.messagesByProtocol).containsEntry("query", 0L);
    assertThat(r.settings.get("stack")).isEqualTo(List.of("query"));
  }
}
