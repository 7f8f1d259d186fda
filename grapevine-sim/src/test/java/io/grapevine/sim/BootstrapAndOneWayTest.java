// SPDX-License-Identifier: Apache-2.0
package io.grapevine.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.grapevine.node.Delivery;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bootstrap metrics (distinct cluster sizes, time to a complete view everywhere) and the one-way
 * link fault.
 */
class BootstrapAndOneWayTest {

  private static Scenario bootstrap(int n, int seeds, long overMillis, long durationMillis, long seed) {
    Scenario s = new Scenario();
    s.name = "bootstrap-test";
    s.nodes = n;
    s.seed = seed;
    s.seedNodes = seeds;
    s.joinOverMillis = overMillis;
    s.durationMillis = durationMillis;
    s.latencyType = Scenario.LatencyType.CONSTANT;
    s.latencyMicros = 1000;
    s.workload.put("viewSizes", "true");
    return s;
  }

  /**
   * Two nodes, by hand: each starts seeing 1 (itself), and sees 2 once the join's push-pull has gone
   * to the seed and back; nothing else happens. Sizes {1, 2}, four changes (two per node), and the
   * joiner starts at 1 s, so the last complete view comes a few milliseconds of latency after it.
   */
  @Test
  void twoNodesReportTwoSizesAndCompleteJustAfterTheJoin() {
    SimulationResult r = Simulation.run(bootstrap(2, 1, 1000, 10_000, 1));
    assertThat(r.distinctClusterSizes).isEqualTo(2);
    assertThat(r.clusterSizes).containsExactly(1, 2);
    assertThat(r.viewSizeChanges).isEqualTo(4);
    assertThat(r.distinctClusterSizesPerMilli).isEqualTo(2);
    assertThat(r.sizesPerNodePerMilli.count()).isEqualTo(2);
    assertThat(r.sizesPerNodePerMilli.min()).isEqualTo(2);
    assertThat(r.sizesPerNodePerMilli.max()).isEqualTo(2);
    assertThat(r.completeViewNodes).isEqualTo(2);
    // Join request and answer: two one-way trips of 1 ms plus the stream's extra delay each.
    assertThat(r.completeViewSeconds).isGreaterThan(1.0).isLessThan(1.02);
    assertThat(r.completeViewAt.count()).isEqualTo(2);
    assertThat(r.completeViewAt.max()).isEqualTo(Math.round(r.completeViewSeconds * 1000));
  }

  /**
   * Three nodes joining one at a time, a second apart: a node can only report 1, 2 or 3, and must
   * report each of them at some point (the seed sees 1, then 2, then 3).
   */
  @Test
  void threeNodesJoiningOneByOneReportEverySizeOnce() {
    SimulationResult r = Simulation.run(bootstrap(3, 1, 2000, 20_000, 2));
    assertThat(r.clusterSizes).containsExactly(1, 2, 3);
    assertThat(r.distinctClusterSizes).isEqualTo(3);
    assertThat(r.distinctClusterSizesPerMilli).isEqualTo(3);
    // Seed: 1, 2, 3; node 1: 1, 2, 3; node 2 (joins last, gets the full state): 1, 3 (or 1, 2, 3).
    assertThat(r.viewSizeChanges).isBetween(8L, 9L);
    // The last node starts at 2 s: nobody can see all three before then.
    assertThat(r.completeViewSeconds).isGreaterThan(2.0).isLessThan(4.0);
  }

  /** At N = 150 through one seed: the per-event metric agrees with the sampled convergence. */
  @Test
  void aSeededBootstrapOf150AgreesWithTheSampledConvergence() {
    Scenario s = bootstrap(150, 1, 5000, 40_000, 7);
    s.latencyType = Scenario.LatencyType.UNIFORM;
    s.latencyMicros = 1000;
    s.latencyMaxMicros = 5000;
    SimulationResult r = Simulation.run(s);
    assertThat(r.converged).isTrue();
    assertThat(r.completeViewNodes).isEqualTo(150);
    // Each node's first complete view is at or before the sample that found every view full, and
    // after the last node started.
    assertThat(r.completeViewSeconds * 1000).isLessThanOrEqualTo(r.convergedAtMillis)
        .isGreaterThan(5000);
    // Gossip reports sizes one join event at a time: many distinct ones, none beyond 1..N.
    assertThat(r.distinctClusterSizes).isGreaterThan(2).isLessThanOrEqualTo(150);
    if (r.clusterSizes != null) {
      assertThat(r.clusterSizes).contains(1, 150).allSatisfy(size -> assertThat(size).isBetween(1, 150));
    }
    // Polled once per millisecond, a merge of many members in one step shows once: no more sizes.
    assertThat(r.distinctClusterSizesPerMilli).isGreaterThanOrEqualTo(2).isLessThanOrEqualTo(r.distinctClusterSizes);
    // The last joiner gets the seed's whole view in one push-pull: few sizes at a millisecond's grain.
    assertThat(r.sizesPerNodePerMilli.count()).isEqualTo(150);
    assertThat(r.sizesPerNodePerMilli.min()).isGreaterThanOrEqualTo(2).isLessThan(150);
    assertThat(r.sizesPerNodePerMilli.max()).isLessThanOrEqualTo(150);
    // Every node changed size at least twice (1, then more); none reported more sizes than exist.
    assertThat(r.viewSizeChanges).isGreaterThanOrEqualTo(2L * 150);
    SimulationResult again = Simulation.run(s);
    assertThat(again.distinctClusterSizes).isEqualTo(r.distinctClusterSizes);
    assertThat(again.completeViewSeconds).isEqualTo(r.completeViewSeconds);
  }

  @Test
  void withoutTheKnobResultsJsonHasNoBootstrapKeys(@TempDir Path dir) throws Exception {
    Scenario s = bootstrap(2, 1, 1000, 5000, 1);
    s.workload.clear();
    SimulationResult r = Simulation.run(s);
    assertThat(r.distinctClusterSizes).isNull();
    ResultWriter.write(r, dir);
    assertThat(Files.readString(dir.resolve("results.json"))).doesNotContain("distinct_cluster_sizes");
    ResultWriter.write(Simulation.run(bootstrap(2, 1, 1000, 5000, 1)), dir);
    assertThat(Files.readString(dir.resolve("results.json")))
        .contains("\"distinct_cluster_sizes\" : 2", "\"complete_view_s\" : 1.0");
  }

  /** A directed cut drops packets from 0 to 1 only: 1 to 0 and 0 to 2 still arrive; healing ends it. */
  @Test
  void aOneWayCutDropsOnlyTheIntendedDirection() {
    EngineTest.Probe a = new EngineTest.Probe();
    EngineTest.Probe b = new EngineTest.Probe();
    EngineTest.Probe c = new EngineTest.Probe();
    NetworkModel net = new NetworkModel(Latency.constant(500), 0, 0, 0, 0);
    net.addDirectedCut(0, 50_000, new int[] {0}, new int[] {1});
    Engine e = new Engine(3, net, 1, (n, ev, now) -> 0, true);
    e.install(0, a);
    e.install(1, b);
    e.install(2, c);
    net.refresh(0);
    for (Delivery d : List.of(Delivery.DATAGRAM, Delivery.STREAM)) {
      send(e, 0, 1, (byte) 1, d);
      send(e, 1, 0, (byte) 2, d);
      send(e, 0, 2, (byte) 3, d);
    }
    e.runUntil(10_000, Long.MAX_VALUE);
    assertThat(b.received).isEmpty();
    assertThat(a.received).extracting(x -> x[1]).containsExactly(2L, 2L);
    assertThat(c.received).extracting(x -> x[1]).containsExactly(3L, 3L);
    assertThat(net.droppedOneWay()).isEqualTo(2);
    assertThat(e.droppedPartition()).isEqualTo(2);
    e.schedule(50_000, () -> net.refresh(e.nowMicros()));
    e.runUntil(60_000, Long.MAX_VALUE);
    send(e, 0, 1, (byte) 4, Delivery.DATAGRAM);
    e.runUntil(70_000, Long.MAX_VALUE);
    assertThat(b.received).extracting(x -> x[1]).containsExactly(4L);
  }

  private static void send(Engine e, int from, int to, byte tag, Delivery d) {
    e.call(from, out -> {
      java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(8);
      buf.put(0, tag);
      out.send(e.endpoint(to), buf, d);
    });
  }

  /**
   * Through the scenario file: an outbound fault cuts node 9's packets to 0-4, an inbound one the
   * packets of 0-4 to node 9. Either way node 9 is left out of the healthy observers and reported on.
   */
  @Test
  void oneWayFaultsParseRunAndAreReported() {
    String yaml = "name: ow\nseed: 23\nnodes: 10\nprotocol: {type: membership}\njoin: {seeds: 2, over: 5s}\n"
        + "faults:\n  - {type: oneway, direction: DIR, at: 30s, until: 90s, nodes: [9], peers: \"0-4\"}\n"
        + "duration: 120s\n";
    Scenario out = ScenarioParser.parse(yaml.replace("DIR", "outbound"), "ow.yaml");
    assertThat(out.faults.get(0).inbound()).isFalse();
    SimulationResult ro = Simulation.run(out);
    Scenario in = ScenarioParser.parse(yaml.replace("DIR", "inbound"), "ow.yaml");
    assertThat(in.faults.get(0).inbound()).isTrue();
    SimulationResult ri = Simulation.run(in);
    for (SimulationResult r : List.of(ro, ri)) {
      assertThat(r.flaky).isNotNull();
      assertThat(r.flaky.nodes).containsExactly(9);
      assertThat(r.flaky.observers).isEqualTo(9);
      assertThat(r.flaky.packetsDroppedOneWay).isPositive();
      assertThat(r.falseDead).isZero();
    }
    assertThat(ro.flaky.kinds).containsExactly("oneway-outbound");
    assertThat(ri.flaky.kinds).containsExactly("oneway-inbound");
    assertThat(ro.traceHash).isNotEqualTo(ri.traceHash);
  }

  @Test
  void peersOutsideTheClusterAreOneLine() {
    String yaml = "name: ow\nnodes: 10\nfaults:\n  - {type: oneway, nodes: [9], peers: [3, 12]}\n";
    assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> ScenarioParser.parse(yaml, "ow.yaml")))
        .hasMessageContaining("faults[0].peers: node 12 does not exist (nodes are 0..9)");
  }

  @Test
  void aBadDirectionIsOneLine() {
    String yaml = "name: ow\nnodes: 10\nfaults:\n  - {type: oneway, direction: sideways, nodes: [9]}\n";
    assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> ScenarioParser.parse(yaml, "ow.yaml")))
        .hasMessageContaining("ow.yaml:4: faults[0].direction: expected outbound or inbound, got 'sideways'");
  }
}
