// SPDX-License-Identifier: Apache-2.0
package io.grapevine.stack;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The stack fuzz targets' committed seeds reach the protocols: a seed made of real packets is
 * applied, not dropped at the envelope, so the fuzzer starts deep. (The targets themselves replay
 * every committed input, findings included.)
 */
class StackFuzzSeedsTest {
  @Test
  void rawSeedsAreAppliedByTheStack() throws Exception {
    checkSeeds("StackPacketFuzzTestInputs/fuzz", FuzzStack.RAW);
  }

  @Test
  void framedSeedsAreAppliedByTheStack() throws Exception {
    checkSeeds("StackMessageFuzzTestInputs/fuzz", FuzzStack.FRAMED);
  }

  @Test
  void framingMakesWhatARealNodeSent() {
    // The framed target's envelope is byte for byte what the real writer makes.
    StackFuzzCorpus.traffic().stream().limit(50).forEach(p ->
        assertThat(FuzzStack.frame(FuzzStack.unframe(p.bytes()))).isEqualTo(p.bytes()));
  }

  private static void checkSeeds(String dir, boolean framed) throws IOException, URISyntaxException {
    Path root = Path.of(StackFuzzSeedsTest.class.getResource(dir).toURI());
    List<Path> seeds;
    try (Stream<Path> s = Files.list(root)) {
      seeds = s.filter(p -> p.getFileName().toString().startsWith("seed-")).sorted().toList();
    }
    assertThat(seeds).hasSizeGreaterThan(20);
    for (Path seed : seeds) {
      ProtocolStack stack = FuzzStack.run(Files.readAllBytes(seed), framed).stack();
      long applied = stack.protocols().stream().mapToLong(p -> stack.stats().messagesIn(p.protocolName())).sum();
      assertThat(applied).as("messages of %s applied", seed.getFileName()).isPositive();
    }
  }
}
