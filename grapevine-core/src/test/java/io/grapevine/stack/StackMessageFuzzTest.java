// SPDX-License-Identifier: Apache-2.0
package io.grapevine.stack;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Messages of every registered protocol, framed in a valid header and checksum so that mutations
 * reach each protocol's decoder, shape check and handlers: nothing may escape the stack, and every
 * answer the node sends must be well-formed. Input format: {@link FuzzStack} (framed).
 *
 * <p>Corpus: {@code src/test/resources/io/grapevine/stack/StackMessageFuzzTestInputs/fuzz/}, seeded
 * by {@link StackFuzzCorpus} with the messages real nodes exchanged.
 */
class StackMessageFuzzTest {
  @FuzzTest(maxDuration = "30m")
  void fuzz(byte[] input) {
    FuzzStack.run(input, FuzzStack.FRAMED);
  }
}
