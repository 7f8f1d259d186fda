// SPDX-License-Identifier: Apache-2.0
package io.grapevine.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import picocli.CommandLine;

/** The families beside membership and rumor: determinism, the command's list and its errors. */
class FamiliesTest {

  /** A small scenario of each family, quick enough to run three times. */
  static Scenario small(Scenario.Protocol family, long seed) {
    Scenario s = new Scenario();
    s.name = "det-" + family.cliName();
    s.protocol = family;
    s.seed = seed;
    s.nodes = 60;
    s.maxRounds = 40;
    switch (family) {
      case KV -> {
        s.loss = 0.05;
        s.workload.put("writes", "40");
        s.workload.put("window", "2s");
        s.workload.put("churn", "0.02");
      }
      case AGGREGATE -> s.loss = 0.05;
      case QUERY -> s.workload.put("queries", "3");
      case COORDINATES -> {
        s.durationMillis = 30_000;
        s.sampleEveryMillis = 5_000;
        s.workload.put("pairs", "300");
      }
      case PLUMTREE -> s.workload.put("broadcasts", "5");
      default -> { }
    }
    return s;
  }

  @ParameterizedTest
  @EnumSource(value = Scenario.Protocol.class, names = {"MEMBERSHIP", "RUMOR"}, mode = EnumSource.Mode.EXCLUDE)
  void sameScenarioAndSeedGiveTheSameTraceHash(Scenario.Protocol family) {
    SimulationResult a = Simulation.run(small(family, 11));
    SimulationResult b = Simulation.run(small(family, 11));
    SimulationResult c = Simulation.run(small(family, 12));
    assertThat(a.finished).isTrue();
    assertThat(a.timeseries).isNotEmpty();
    assertThat(b.traceHash).isEqualTo(a.traceHash);
    assertThat(b.metrics).isEqualTo(a.metrics);
    assertThat(c.traceHash).as("another seed").isNotEqualTo(a.traceHash);
  }

  @Test
  void dissemimationPiggybackIsDeterministicToo() {
    Scenario s = small(Scenario.Protocol.DISSEMINATION, 3);
    s.dissemination = s.dissemination.toBuilder().mode(io.grapevine.config.DisseminationConfig.Mode.PIGGYBACK)
        .build();
    String h1 = Simulation.run(s).traceHash;
    assertThat(Simulation.run(s).traceHash).isEqualTo(h1);
    s.seed = 4;
    assertThat(Simulation.run(s).traceHash).isNotEqualTo(h1);
  }

  @Test
  void listPrintsEveryFamilyOnOneLine() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    CommandLine cli = new CommandLine(new SimulateCommand());
    cli.setOut(new PrintWriter(out, true));
    assertThat(cli.execute("--list")).isZero();
    assertThat(out.toString().lines()).hasSize(Scenario.Protocol.values().length);
    for (Scenario.Protocol p : Scenario.Protocol.values()) {
      assertThat(out.toString()).containsPattern("(?m)^" + p.cliName() + " +\\S");
    }
  }

  @Test
  void anUnknownFamilyIsOneLineNamingTheKnownOnes(@TempDir Path dir) {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    CommandLine cli = new CommandLine(new SimulateCommand());
    cli.setErr(new PrintWriter(err, true));
    assertThat(cli.execute("--protocol", "gossip", "--out", dir.resolve("o").toString())).isEqualTo(2);
    assertThat(err.toString().lines()).containsExactly("simulate: --protocol: unknown protocol 'gossip' (known: "
        + "membership, rumor, dissemination, kv, aggregate, hyparview, plumtree, ring, tree, query, coordinates)");
  }

  @Test
  void anUnknownWorkloadSettingIsOneLineNamingTheKnownOnes(@TempDir Path dir) {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    CommandLine cli = new CommandLine(new SimulateCommand());
    cli.setErr(new PrintWriter(err, true));
    assertThat(cli.execute("--protocol", "kv", "--set", "writez=5", "--out", dir.resolve("o").toString()))
        .isEqualTo(2);
    assertThat(err.toString().lines()).containsExactly("simulate: --set: unknown workload setting 'writez' of the kv "
        + "family (known: churn, keys, maxAfter, window, writes)");
    assertThat(dir.resolve("o")).doesNotExist();
  }

  @Test
  void aScenarioFileGetsOneLineWithItsLineNumberPerProblem() {
    String text = """
        name: bad
        nodes: 50
        protocol:
          type: kv
          config:
            kv: {merkleDepth: 2}
        network: {latency: 2ms}
        workload:
          writes: many
          writez: 3
        faults:
          - {type: crash, at: 1s, nodes: [1]}
        """;
    assertThatThrownBy(() -> ScenarioParser.parse(text, "bad.yaml"))
        .isInstanceOfSatisfying(ScenarioParser.ScenarioException.class, e -> assertThat(e.problems()).containsExactly(
            "bad.yaml:7: network.latency: the kv family uses its own latency model; remove it",
            "bad.yaml:11: faults: the kv family takes no fault schedule (crashes and churn are workload settings)",
            "bad.yaml:9: workload.writes: expected a whole number, got 'many'",
            "bad.yaml:10: workload.writez: unknown workload setting 'writez' of the kv family (known: churn, keys, "
                + "maxAfter, window, writes)"));
    assertThatThrownBy(() -> ScenarioParser.parse("nodes: 5\nprotocol: {type: gossip}\n", "p.yaml"))
        .hasMessage("p.yaml:2: protocol.type: unknown protocol 'gossip' (known: membership, rumor, dissemination, kv, "
            + "aggregate, hyparview, plumtree, ring, tree, query, coordinates)");
  }
}
