// SPDX-License-Identifier: Apache-2.0
package io.grapevine.sim;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;

/**
 * The scenario parser on arbitrary text: it returns a scenario or throws {@link
 * ScenarioParser.ScenarioException} (every problem, one line each), never anything else, and never
 * hangs or runs out of memory on what a number in the file asks for.
 *
 * <p>Corpus: {@code src/test/resources/io/grapevine/sim/ScenarioFuzzTestInputs/fuzz/}, seeded with
 * the repository's scenarios and the documented example of docs/simulation.md.
 */
class ScenarioFuzzTest {
  @FuzzTest(maxDuration = "30m")
  void fuzz(byte[] input) {
    String text = new String(input, StandardCharsets.UTF_8);
    try {
      ScenarioParser.parse(text, "fuzz.yaml");
    } catch (ScenarioParser.ScenarioException expected) {
      if (expected.problems().isEmpty() || expected.problems().stream().anyMatch(p -> !p.startsWith("fuzz.yaml"))) {
        throw new AssertionError("every problem names the source: " + expected.problems(), expected);
      }
    }
  }
}
