// SPDX-License-Identifier: Apache-2.0
package io.grapevine.sim;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/**
 * Every scenario in scenarios/ marked {@code # size: small} run through the command's entry point:
 * exit 0, results.json with the family's headline metric, and an index.html that names the scenario
 * and links chart files that exist.
 */
class ScenariosTest {
  private static final Path DIR = Path.of("..", "scenarios");

  static Stream<String> smallScenarios() throws IOException {
    try (Stream<Path> files = Files.list(DIR)) {
      List<String> small = files.filter(f -> f.toString().endsWith(".yaml")).filter(ScenariosTest::isSmall)
          .map(f -> f.getFileName().toString()).sorted().toList();
      return small.stream();
    }
  }

  private static boolean isSmall(Path f) {
    try {
      return Files.readAllLines(f).stream().anyMatch(l -> l.trim().equals("# size: small"));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void everyFamilyHasASmallScenario() throws IOException {
    List<String> families = smallScenarios().map(f -> {
      try {
        return ScenarioParser.parse(DIR.resolve(f)).protocol.cliName();
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }).distinct().toList();
    assertThat(families).containsExactlyInAnyOrder("membership", "dissemination", "kv", "aggregate", "hyparview",
        "plumtree", "ring", "tree", "query", "coordinates");
  }

  @ParameterizedTest
  @MethodSource("smallScenarios")
  void runsThroughTheCommandAndReportsItsHeadline(String file, @TempDir Path out) throws Exception {
    ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    CommandLine cli = new CommandLine(new SimulateCommand());
    cli.setOut(new PrintWriter(stdout, true));
    cli.setErr(new PrintWriter(stderr, true));
    int code = cli.execute("--scenario", DIR.resolve(file).toString(), "--no-progress", "--out", out.toString());
    assertThat(code).as(stderr.toString()).isZero();
    Scenario s = ScenarioParser.parse(DIR.resolve(file));

    JsonNode json = new ObjectMapper().readTree(out.resolve("results.json").toFile());
    assertThat(json.get("scenario").asText()).isEqualTo(s.name);
    assertThat(json.get("protocol").asText()).isEqualTo(s.protocol.cliName());
    assertThat(json.get("finished").asBoolean()).isTrue();
    assertThat(json.get("partial").asBoolean()).isFalse();
    assertThat(json.get("traceHash").asText()).matches("[0-9a-f]{16}");
    if (s.protocol.fullNetworkModel()) {
      assertThat(json.get("convergedAtMillis")).isNotNull();
    } else {
      String headline = json.get("headline").asText();
      assertThat(json.get("metrics").get(headline)).as("headline " + headline).isNotNull();
      assertThat(json.get("metrics").get(headline).isNull()).isFalse();
      // The small scenarios are chosen to succeed; query's shows the queries that missed a node.
      if (s.protocol != Scenario.Protocol.QUERY) {
        assertThat(json.get("converged").asBoolean()).as(file + " converged").isTrue();
      }
    }
    assertThat(Files.readAllLines(out.resolve("timeseries.csv")).size()).isGreaterThan(2);

    String html = Files.readString(out.resolve("index.html"));
    assertThat(html).startsWith("<!DOCTYPE html>").contains("<h1>" + s.name + "</h1>").contains("<svg");
    // Self-contained: nothing fetched from elsewhere.
    assertThat(html).doesNotContain("<script", "<link", "<img", "<iframe", "url(", "href=\"http", "src=");
    Matcher m = Pattern.compile("href=\"([^\"]+)\"").matcher(html);
    int links = 0;
    while (m.find()) {
      assertThat(out.resolve(m.group(1))).as("linked " + m.group(1)).isRegularFile();
      links++;
    }
    assertThat(links).isGreaterThanOrEqualTo(2);
    assertThat(html).contains("href=\"chart.svg\"", "href=\"chart.png\"");
    // The scenario text is shown (escaped).
    assertThat(html).contains("name: " + s.name);
  }
}
