// SPDX-License-Identifier: Apache-2.0
package io.grapevine.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class ScenarioParserTest {

  private static ScenarioParser.ScenarioException failure(String yaml) {
    return catchThrowableOfType(() -> ScenarioParser.parse(yaml, "bad.yaml"), ScenarioParser.ScenarioException.class);
  }

  @Test
  void readsEverySection() {
    Scenario s = ScenarioParser.parse("""
        name: full
        seed: 9
        nodes: 200
        protocol:
          type: membership
          profile: wan
          config:
            membership: {probeInterval: 6s, lifeguard: false}
            indirectChecks: 2                  # a bare knob is a membership knob
            dissemination: {mode: push, fanout: 2}
            kv.sync-interval: 1.5s
            aggregation: {epochRounds: 90}
            hyparview: {activeViewSize: 6}
            plumtree: {graftTimeout: PT0.3S}
            ring: {maxDescriptors: 12}
        join: {seeds: 3, over: 20s, reconnect: 45s}
        network:
          latency: {type: lognormal, median: 3ms, sigma: 0.4}
          loss: 5%
          duplicate: 0.01
          bandwidth: 125000
        faults:
          - {type: crash, at: 60s, nodes: [3, "10-12"]}
          - {type: restart, at: 90s, nodes: 3}
          - {type: slow, at: 0s, until: 100s, delay: 250ms, nodes: 1%}
          - {type: partition, at: 30s, heal: 50s, groups: ["0-99", "100-199"]}
          - {type: partition, at: 30s, heal: 50s, links: [[1, 2]]}
          - {type: churn, at: 10s, until: 20s, rate: 0.5, downtime: 5s}
          - {type: leave, at: 70s, nodes: {count: 2}}
        duration: 2m
        sampleEvery: 500ms
        """, "full.yaml");
    assertThat(s.nodes).isEqualTo(200);
    assertThat(s.seed).isEqualTo(9);
    assertThat(s.profile).isEqualTo("wan");
    assertThat(s.membership.probeInterval.toMillis()).isEqualTo(6000);
    assertThat(s.membership.lifeguard).isFalse();
    assertThat(s.membership.indirectChecks).isEqualTo(2);
    assertThat(s.membership.suspicionMult).isEqualTo(6); // from the wan profile
    assertThat(s.dissemination.mode).isEqualTo(io.grapevine.config.DisseminationConfig.Mode.PUSH);
    assertThat(s.dissemination.fanout).isEqualTo(2);
    assertThat(s.kv.syncInterval.toMillis()).isEqualTo(1500);
    assertThat(s.aggregation.epochRounds).isEqualTo(90);
    assertThat(s.hyparview.activeViewSize).isEqualTo(6);
    assertThat(s.plumtree.graftTimeout.toMillis()).isEqualTo(300);
    assertThat(s.ring.maxDescriptors).isEqualTo(12);
    assertThat(s.protocols().kv()).isSameAs(s.kv);
    // What was set, by canonical name and value, for results.json.
    assertThat(s.knobs).containsEntry("membership.probeInterval", "6s").containsEntry("membership.indirectChecks", "2")
        .containsEntry("kv.syncInterval", "1.5s").containsEntry("dissemination.mode", "push")
        .containsEntry("plumtree.graftTimeout", "300ms").hasSize(10);
    assertThat(s.seedNodes).isEqualTo(3);
    assertThat(s.joinOverMillis).isEqualTo(20_000);
    assertThat(s.reconnectEveryMillis).isEqualTo(45_000);
    assertThat(s.latencyType).isEqualTo(Scenario.LatencyType.LOGNORMAL);
    assertThat(s.latencyMicros).isEqualTo(3000);
    assertThat(s.loss).isEqualTo(0.05);
    assertThat(s.bandwidthBytesPerSecond).isEqualTo(125_000);
    assertThat(s.faults).hasSize(7);
    assertThat(s.faults.get(0).nodes().resolve(200, null, 0)).containsExactly(3, 10, 11, 12);
    assertThat(s.faults.get(2).delayMillis()).isEqualTo(250);
    assertThat(s.faults.get(3).untilMillis()).isEqualTo(50_000);
    assertThat(s.durationMillis).isEqualTo(120_000);
    assertThat(s.sampleEveryMillis).isEqualTo(500);
  }

  @Test
  void reportsEveryProblemOnItsOwnLineWithFileAndLine() {
    ScenarioParser.ScenarioException e = failure("""
        nodes: -5
        lossy: 0.1
        protocol: {type: membership, config: {probeIntervall: 1s, suspicionMult: 0}}
        network: {loss: 1.5, latency: {type: gaussian}}
        duration: soon
        faults:
          - {type: explode, at: 1s}
        sampleEvery: 500
        """);
    assertThat(e.problems()).containsExactlyInAnyOrder(
        "bad.yaml:1: nodes: must be in 1..16000000, got -5",
        "bad.yaml:2: lossy: unknown key (expected one of duration, faults, join, name, network, nodes, protocol, rounds,"
            + " sampleEvery, seed, workload)",
        "bad.yaml:3: unknown knob 'membership.probeIntervall' (did you mean probeInterval?)",
        "bad.yaml:4: network.loss: must be in 0..1, got 1.5",
        "bad.yaml:4: network.latency.type: expected constant, uniform or lognormal, got 'gaussian'",
        "bad.yaml:5: duration: expected a duration like 250ms, 1.5s, 2m or PT1S, got 'soon'",
        "bad.yaml:7: faults[0].type: expected crash, restart, leave, slow, flaky, oneway, partition or churn, got 'explode'",
        "bad.yaml:8: sampleEvery: expected a duration like 250ms, 1.5s, 2m or PT1S, got '500': add a unit, like 500ms");
    assertThat(e.getMessage().lines()).allMatch(l -> l.startsWith("bad.yaml:"));
  }

  @Test
  void transportSettingsAreRefusedBecauseTheSimulatorHasNoSockets() {
    ScenarioParser.ScenarioException e = failure("""
        nodes: 10
        protocol:
          type: membership
          config:
            transport.mode: tcp-only
        """);
    assertThat(e.problems()).singleElement().asString()
        .isEqualTo("bad.yaml:5: transport.mode: the simulator has no sockets; transport settings apply to socket nodes only");
  }

  @Test
  void knobsOfEverySectionAreCheckedLikeTheAgentsWithFileAndLine() {
    ScenarioParser.ScenarioException e = failure("""
        nodes: 10
        protocol:
          type: membership
          config:
            membership:
              suspicionMult: 0
            kv:
              syncInterval: soon
            gossipp: {fanout: 3}
            dissemination.mode: shout
            ring: 3
        """);
    assertThat(e.problems()).containsExactlyInAnyOrder(
        "bad.yaml:11: protocol.config.ring: expected the knobs of section ring, like ring: {roundInterval: ...}",
        // The list of known sections is the registry's; this test is about file and line, not the list.
        "bad.yaml:9: " + io.grapevine.config.ConfigRegistry.unknownSection("gossipp"),
        "bad.yaml:6: membership: suspicionMult must be in 1..100, got 0",
        "bad.yaml:8: kv.syncInterval: expected a duration like 250ms, 1.5s, 2m or PT1S, got 'soon'",
        "bad.yaml:10: dissemination.mode: expected one of push, pull, push-pull, piggyback, got 'shout'");
  }

  @Test
  void theFirstScenariosBareMembershipKnobsStillWork() {
    Scenario s = ScenarioParser.parse("nodes: 5\nprotocol: {type: membership, config: {maxQueuedBroadcasts: 2048}}\n",
        "old.yaml");
    assertThat(s.membership.maxQueuedBroadcasts).isEqualTo(2048);
    assertThat(s.knobs).containsExactly(java.util.Map.entry("membership.maxQueuedBroadcasts", "2048"));
  }

  @Test
  void checksNodesAgainstClusterSize() {
    ScenarioParser.ScenarioException e = failure("""
        nodes: 10
        faults: [{type: crash, at: 5s, nodes: [12]}]
        """);
    assertThat(e.problems()).containsExactly("bad.yaml:2: faults[0].nodes: node 12 does not exist (nodes are 0..9)");
  }

  @Test
  void requiresNodesAndRejectsBadYaml() {
    assertThat(failure("seed: 3\n").problems()).containsExactly("bad.yaml: nodes: required (the cluster size)");
    assertThat(failure("nodes: [1, 2\n").problems()).singleElement().asString()
        .matches("bad\\.yaml:\\d+: not valid YAML/JSON: .+");
    assertThat(failure("- just\n- a list\n").problems()).singleElement().asString().contains("must be a mapping");
  }

  @Test
  void readsJsonToo() {
    Scenario s = ScenarioParser.parse("{\"nodes\": 5, \"protocol\": \"rumor\", \"network\": {\"latency\": \"2ms\"}, \"rounds\": 30}",
        "s.json");
    assertThat(s.protocol).isEqualTo(Scenario.Protocol.RUMOR);
    assertThat(s.latencyType).isEqualTo(Scenario.LatencyType.CONSTANT);
    assertThat(s.latencyMicros).isEqualTo(2000);
    assertThat(s.maxRounds).isEqualTo(30);
  }

  @Test
  void everyShippedScenarioIsValid() throws IOException {
    Path dir = Path.of("..", "scenarios");
    try (Stream<Path> files = Files.list(dir)) {
      long count = files.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".json"))
          .peek(p -> {
            try {
              ScenarioParser.parse(p);
            } catch (IOException ex) {
              throw new AssertionError(ex);
            }
          })
          .count();
      assertThat(count).isGreaterThanOrEqualTo(4);
    }
  }
}
