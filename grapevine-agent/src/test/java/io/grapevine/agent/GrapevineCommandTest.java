package io.grapevine.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class GrapevineCommandTest {
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    CommandLine cl = GrapevineCommand.newCommandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    return cl.execute(args);
  }

  @Test
  void unknownOptionIsOneLineWithAHint() {
    assertThat(run("agent", "--nmae", "x")).isEqualTo(2);
    assertThat(err.toString().lines().toList()).singleElement().asString()
        .startsWith("error: Unknown options: '--nmae', 'x'")
        .contains("did you mean --name")
        .endsWith("see 'grapevine agent --help'");
    assertThat(out.toString()).isEmpty();
  }

  @Test
  void unknownCommandSuggestsTheNearestOne() {
    assertThat(run("membres")).isEqualTo(2);
    assertThat(err.toString().lines().toList()).singleElement().asString().contains("did you mean members");
  }

  @Test
  void noCommandIsAUsageError() {
    assertThat(run()).isEqualTo(2);
    assertThat(err.toString()).isEqualTo("error: missing a command; see 'grapevine --help'\n");
  }

  @Test
  void badSettingsAreOneLineEachWithUsageExit() {
    assertThat(run("agent", "--name", "n", "--bind", "x", "--meta", "novalue")).isEqualTo(2);
    assertThat(err.toString().lines().toList()).containsExactly(
        "error: --bind: expected HOST:PORT, got 'x'",
        "error: --meta: expected KEY=VALUE for --meta, got 'novalue'");
  }

  @Test
  void badLogLevel() {
    assertThat(run("agent", "--name", "n", "--log-level", "loud")).isEqualTo(2);
    assertThat(err.toString().lines().toList()).singleElement().asString().contains("--log-level");
  }

  @Test
  void helpListsEveryCommandAndTheAgentFlags() {
    assertThat(run("--help")).isZero();
    assertThat(out.toString()).contains("agent", "members", "join", "leave", "force-leave", "info", "demo");
    out.getBuffer().setLength(0);
    assertThat(run("agent", "--help")).isZero();
    assertThat(out.toString()).contains("--name", "--bind", "--advertise", "--join", "--http", "--profile",
        "--meta", "--data-dir", "--config", "--cluster", "Directory for the replicated maps");
  }

  @Test
  void demoRejectsATooSmallCluster() {
    assertThat(run("demo", "--nodes", "2")).isEqualTo(2);
    assertThat(err.toString().lines().toList()).singleElement().asString().contains("--nodes must be 4..200");
  }
}
