// SPDX-License-Identifier: Apache-2.0
package io.grapevine.stack;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Whole packets, as a socket would deliver them, on both deliveries, into a node running every
 * registered protocol: nothing may escape the stack (malformed input is dropped and counted), and
 * every answer the node sends must be well-formed. Mutations of whole packets mostly break the
 * checksum; {@link StackMessageFuzzTest} gets past it. Input format: {@link FuzzStack}.
 *
 * <p>Corpus: {@code src/test/resources/io/grapevine/stack/StackPacketFuzzTestInputs/fuzz/}, seeded
 * by {@link StackFuzzCorpus} with packets real nodes exchanged.
 */
class StackPacketFuzzTest {
  @FuzzTest(maxDuration = "30m")
  void fuzz(byte[] input) {
    FuzzStack.run(input, FuzzStack.RAW);
  }
}
