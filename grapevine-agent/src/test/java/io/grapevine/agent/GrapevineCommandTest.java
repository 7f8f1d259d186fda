// SPDX-License-Identifier: Apache-2.0
package io.grapevine.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
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
  void keygenPrintsABase64KeyOfTheSizeAsked() {
    assertThat(run("keygen")).isZero();
    assertThat(java.util.Base64.getDecoder().decode(out.toString().strip())).hasSize(32);
    out.getBuffer().setLength(0);
    assertThat(run("keygen", "--bits", "128")).isZero();
    assertThat(java.util.Base64.getDecoder().decode(out.toString().strip())).hasSize(16);
    assertThat(run("keygen", "--bits", "100")).isEqualTo(2);
    assertThat(err.toString().lines().toList()).singleElement().asString()
        .startsWith("error: --bits must be 128, 192 or 256, got 100");
  }

  @Test
  void aBadEncryptionKeyIsOneLineAndExit2(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    assertThat(run("agent", "--name", "n", "--encrypt", "not-a-key!")).isEqualTo(2);
    assertThat(err.toString().lines().toList()).containsExactly(
        "error: --encrypt: encryption key is not valid base64; expected base64 of 16, 24 or 32 bytes"
            + " (make one with: grapevine keygen)");
    err.getBuffer().setLength(0);
    String twentyBytes = java.util.Base64.getEncoder().encodeToString(new byte[20]);
    assertThat(run("agent", "--name", "n", "--encrypt", twentyBytes)).isEqualTo(2);
    assertThat(err.toString().lines().toList()).containsExactly(
        "error: --encrypt: encryption key must be 16, 24 or 32 bytes (AES-128, -192 or -256), got 20 bytes");
    err.getBuffer().setLength(0);
    java.nio.file.Path ring = dir.resolve("ring");
    java.nio.file.Files.writeString(ring, "# keys\n" + java.util.Base64.getEncoder().encodeToString(new byte[16])
        + "\nshort\n");
    assertThat(run("agent", "--name", "n", "--keyring-file", ring.toString())).isEqualTo(2);
    assertThat(err.toString().lines().toList()).singleElement().asString()
        .startsWith("error: --keyring-file: keyring file " + ring + " line 3: ");
  }

  @Test
  void everyCommandsFirstDescriptionLineIsAWholeSentence() {
    // The command listing of --help shows only the first line: a sentence cut there reads as a bug.
    List<String> cut = new java.util.ArrayList<>();
    java.util.Deque<CommandLine> todo = new java.util.ArrayDeque<>(List.of(GrapevineCommand.newCommandLine()));
    while (!todo.isEmpty()) {
      CommandLine c = todo.pop();
      String[] description = c.getCommandSpec().usageMessage().description();
      if (description.length > 0 && !description[0].strip().endsWith(".")) {
        cut.add(c.getCommandSpec().qualifiedName() + ": " + description[0]);
      }
      todo.addAll(c.getSubcommands().values());
    }
    assertThat(cut).isEmpty();
  }

  @Test
  void twoHandlersForOneQueryAreOneLineAndExit2BeforeAnythingStarts() {
    assertThat(run("agent", "--name", "n", "--bind", "127.0.0.1:0", "--http", "127.0.0.1:0",
        "--event-handler", "query:load=true", "--event-handler", "query:load,user=false")).isEqualTo(2);
    assertThat(err.toString().lines().toList())
        .containsExactly("error: event-handler: query 'load' has two handlers; give it one");
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
  void badKnobsInTheConfigFileAreOneLineEachNamingFileAndLine(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws Exception {
    java.nio.file.Path yaml = dir.resolve("agent.yaml");
    java.nio.file.Files.writeString(yaml, "name: n\nkv:\n  sync-interval: soon\nmembership.probeIntervall: 1s\n");
    assertThat(run("agent", "--config", yaml.toString())).isEqualTo(2);
    assertThat(err.toString().lines().toList()).containsExactly(
        "error: " + yaml + ":3: kv.syncInterval: expected a duration like 250ms, 1.5s, 2m or PT1S, got 'soon'",
        "error: " + yaml + ":4: unknown knob 'membership.probeIntervall' (did you mean probeInterval?)");
    assertThat(out.toString()).isEmpty();
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

  /** What {@code args} print and return through the full command tree and through the agent-only one. */
  private List<String> bothWays(String... args) {
    int full = run(args);
    String fullOut = out.toString();
    String fullErr = err.toString();
    out.getBuffer().setLength(0);
    err.getBuffer().setLength(0);
    CommandLine agent = GrapevineCommand.agentCommandLine();
    agent.setOut(new PrintWriter(out, true));
    agent.setErr(new PrintWriter(err, true));
    int alone = agent.execute(args);
    return List.of(full + "\n" + fullOut + "\n" + fullErr, alone + "\n" + out + "\n" + err);
  }

  @Test
  void theAgentAloneParsesAndAnswersExactlyAsTheFullCommand() {
    for (String[] args : List.of(
        new String[] {"agent", "--help"},
        new String[] {"agent", "--version"},
        new String[] {"agent", "--nmae", "x"},
        new String[] {"agent", "--name", "n", "--bind", "x", "--meta", "novalue"},
        new String[] {"agent", "--name", "n", "--log-level", "loud"},
        new String[] {"agent", "stray"})) {
      List<String> both = bothWays(args);
      assertThat(both.get(1)).as(String.join(" ", args)).isEqualTo(both.get(0));
      out.getBuffer().setLength(0);
      err.getBuffer().setLength(0);
    }
  }

  @Test
  void demoRejectsATooSmallCluster() {
    assertThat(run("demo", "--nodes", "2")).isEqualTo(2);
    assertThat(err.toString().lines().toList()).singleElement().asString().contains("--nodes must be 4..200");
  }

  @Test
  void simulateIsASubcommandThatRunsAShippedScenario(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws Exception {
    java.nio.file.Path scenario = java.nio.file.Path.of("..", "scenarios", "membership-crash.yaml");
    assertThat(scenario).exists();
    // Cut from the file's 90 s to 45 s (virtual) so the test stays quick; the crash at 40 s stays.
    int code = run("simulate", "--scenario", scenario.toString(), "--duration", "45s",
        "--out", dir.toString(), "--no-progress");
    assertThat(code).as(err.toString()).isZero();
    java.nio.file.Path results = dir.resolve("results.json");
    assertThat(results).exists();
    assertThat(io.grapevine.agent.api.Json.mapper().readTree(results.toFile())).isNotEmpty();
  }

  @Test
  void dataCommandsAreListedWithTheirSubcommands() {
    assertThat(run("--help")).isZero();
    assertThat(out.toString()).contains("event").contains("aggregate").contains("kv").contains("simulate");
    out.getBuffer().setLength(0);
    assertThat(run("kv", "--help")).isZero();
    assertThat(out.toString()).contains("put").contains("get").contains("delete").contains("list").contains("watch");
  }

  @Test
  void treeCommandsAreListedAndABadValueIsOneLine() {
    assertThat(run("--help")).isZero();
    assertThat(out.toString()).contains("tree");
    assertThat(run("tree", "set", "lots")).isEqualTo(2);
    assertThat(err.toString().lines().toList()).singleElement().asString()
        .isEqualTo("error: VALUE must be a finite number like 12 or 0.7, got 'lots'; see 'grapevine tree set --help'");
    err.getBuffer().setLength(0);
    assertThat(run("tree")).isEqualTo(2);
    assertThat(err.toString()).contains("missing a subcommand (set or show)");
  }

  @Test
  void dataCommandWithoutSubcommandIsAUsageError() {
    assertThat(run("event")).isEqualTo(2);
    assertThat(err.toString()).contains("missing a subcommand (send or watch)");
  }
}
