// SPDX-License-Identifier: Apache-2.0
package io.grapevine.sim;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import picocli.CommandLine;

class OutputTest {

  @BeforeAll
  static void headless() {
    System.setProperty("java.awt.headless", "true");
  }

  private static void assertChartsWellFormed(Path dir) throws Exception {
    Path svg = dir.resolve("chart.svg");
    Path png = dir.resolve("chart.png");
    assertThat(Files.size(svg)).isGreaterThan(500);
    assertThat(Files.size(png)).isGreaterThan(1000);
    Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(svg.toFile());
    assertThat(doc.getDocumentElement().getTagName()).isEqualTo("svg");
    assertThat(doc.getElementsByTagName("path").getLength()).isGreaterThanOrEqualTo(2);
    BufferedImage img = ImageIO.read(png.toFile());
    assertThat(img).isNotNull();
    assertThat(img.getWidth()).isEqualTo(Chart.WIDTH);
    assertThat(img.getHeight()).isEqualTo(Chart.HEIGHT);
    // Something besides the white background was drawn.
    int nonWhite = 0;
    for (int x = 0; x < img.getWidth(); x += 3) {
      for (int y = 0; y < img.getHeight(); y += 3) {
        if ((img.getRGB(x, y) & 0xffffff) != 0xffffff) {
          nonWhite++;
        }
      }
    }
    assertThat(nonWhite).isGreaterThan(500);
  }

  @Test
  void rumorRunWritesResultsTimeseriesAndChartsBesideTheory(@TempDir Path dir) throws Exception {
    Scenario s = new Scenario();
    s.protocol = Scenario.Protocol.RUMOR;
    s.nodes = 5000;
    s.latencyType = Scenario.LatencyType.CONSTANT;
    s.latencyMicros = 1000;
    SimulationResult r = Simulation.run(s);
    List<Path> files = ResultWriter.write(r, dir);
    assertThat(files).hasSize(5).last().isEqualTo(dir.resolve("index.html"));
    assertChartsWellFormed(dir);
    JsonNode json = new ObjectMapper().readTree(dir.resolve("results.json").toFile());
    assertThat(json.get("converged").asBoolean()).isTrue();
    assertThat(json.get("convergedRound").asInt()).isEqualTo(r.convergedRound);
    assertThat(json.get("theory").get("log3N").asDouble()).isBetween(7.7, 7.8);
    assertThat(json.has("detectionLatency")).isTrue();
    assertThat(json.get("wallMillis").asLong()).isGreaterThanOrEqualTo(0);
    assertThat(json.has("timeseries")).isFalse();
    List<String> csv = Files.readAllLines(dir.resolve("timeseries.csv"));
    assertThat(csv.get(0)).isEqualTo("round,informed_fraction,theory_fraction,informed,packets,bytes");
    assertThat(csv).hasSize(r.convergedRound + 2);
    assertThat(csv.get(csv.size() - 1)).startsWith(r.convergedRound + ",1,");
  }

  @Test
  void commandRunsFromShortOptionsAndWritesMembershipCharts(@TempDir Path dir) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    CommandLine cli = new CommandLine(new SimulateCommand());
    cli.setOut(new PrintWriter(out, true));
    int code = cli.execute("--protocol", "membership", "--nodes", "30", "--loss", "0.02", "--latency", "1ms..3ms",
        "--seed", "4", "--duration", "30s", "--no-progress", "--out", dir.toString());
    assertThat(code).isZero();
    assertThat(out.toString()).contains("full view everywhere: true");
    assertChartsWellFormed(dir);
    JsonNode json = new ObjectMapper().readTree(dir.resolve("results.json").toFile());
    assertThat(json.get("nodes").asInt()).isEqualTo(30);
    assertThat(json.get("seed").asLong()).isEqualTo(4);
    assertThat(json.get("settings").get("loss").asDouble()).isEqualTo(0.02);
    assertThat(Files.readAllLines(dir.resolve("timeseries.csv"))).hasSize(31);
    assertThat(json.get("firstSuspicionLatency").get("count").asLong()).isZero();
    assertThat(json.get("firstSuspicionLatency").has("p99")).isTrue();
  }

  @Test
  void commandRejectsABadScenarioWithOneLinePerProblem(@TempDir Path dir) throws Exception {
    Path bad = dir.resolve("bad.yaml");
    Files.writeString(bad, "nodes: 0\nnetwork: {loss: 2}\n");
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    CommandLine cli = new CommandLine(new SimulateCommand());
    cli.setErr(new PrintWriter(err, true));
    int code = cli.execute("--scenario", bad.toString(), "--out", dir.resolve("o").toString());
    assertThat(code).isEqualTo(2);
    assertThat(err.toString().lines()).containsExactly(
        bad + ":1: nodes: must be in 1..16000000, got 0", bad + ":2: network.loss: must be in 0..1, got 2.0");
    assertThat(dir.resolve("o")).doesNotExist();
  }

  @Test
  void durationOptionsUseTheSharedGrammarAndNameTheOption(@TempDir Path dir) {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    CommandLine cli = new CommandLine(new SimulateCommand());
    cli.setErr(new PrintWriter(err, true));
    int code = cli.execute("--protocol", "membership", "--nodes", "3", "--duration", "90",
        "--out", dir.resolve("o").toString());
    assertThat(code).isEqualTo(2);
    assertThat(err.toString().lines()).containsExactly(
        "simulate: --duration: expected a duration like 250ms, 1.5s, 2m or PT1S, got '90': add a unit, like 90ms");
  }

  @Test
  void knobsTheScenarioSetAreRecordedInTheResults(@TempDir Path dir) throws Exception {
    Scenario s = ScenarioParser.parse("""
        nodes: 4
        protocol: {type: membership, profile: local, config: {membership: {gossipNodes: 2}, kv: {syncInterval: 1.5s}}}
        join: {seeds: 1, over: 1s}
        duration: 5s
        """, "knobs.yaml");
    SimulationResult r = Simulation.run(s);
    ResultWriter.write(r, dir);
    JsonNode knobs = new ObjectMapper().readTree(dir.resolve("results.json").toFile()).get("settings").get("knobs");
    assertThat(knobs.get("membership.gossipNodes").asText()).isEqualTo("2");
    assertThat(knobs.get("kv.syncInterval").asText()).isEqualTo("1.5s");
  }
}
