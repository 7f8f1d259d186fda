// SPDX-License-Identifier: Apache-2.0
package io.grapevine.agent;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The agent's config file, YAML or properties, through {@link AgentSettings#resolve} (the file's
 * parser, then every setting's validation over the defaults): it yields settings or throws {@link
 * SettingsException} with one line per problem, never anything else.
 *
 * <p>Input: the first byte's low bit picks the format (0 YAML, 1 properties), the rest is the file.
 * Corpus: {@code src/test/resources/io/grapevine/agent/ConfigFuzzTestInputs/fuzz/}, seeded with
 * docs/examples. Names in the file are not looked up: the fuzz executions give the JVM an
 * empty hosts file ({@code jdk.net.hosts.file}); without one, a token is given on the command line
 * so the HTTP address's loopback check needs no lookup.
 */
class ConfigFuzzTest {
  private static final Path DIR = tempDir();
  private static final boolean NO_DNS = System.getProperty("jdk.net.hosts.file") != null;

  private static Path tempDir() {
    try {
      Path dir = Files.createTempDirectory("grapevine-config-fuzz");
      dir.toFile().deleteOnExit();
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @FuzzTest(maxDuration = "30m")
  void fuzz(byte[] input) throws IOException {
    if (input.length == 0) {
      return;
    }
    Path file = DIR.resolve((input[0] & 1) == 0 ? "agent.yaml" : "agent.properties");
    Files.write(file, Arrays.copyOfRange(input, 1, input.length));
    AgentSettings.Flags flags = new AgentSettings.Flags();
    flags.config = file;
    if (!NO_DNS) {
      flags.httpToken = "fuzz";
    }
    try {
      AgentSettings.resolve(flags);
    } catch (SettingsException expected) {
      if (expected.problems().isEmpty() || expected.problems().stream().anyMatch(p -> p.isBlank() || p.contains("\n"))) {
        throw new AssertionError("problems must be single non-empty lines: " + expected.problems(), expected);
      }
    }
  }
}
