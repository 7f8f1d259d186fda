// SPDX-License-Identifier: Apache-2.0
package io.grapevine.wire;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Strict UTF-8 decoding of names and keys read from packets: malformed input is an error, never a
 * replacement character. Names are nearly always ASCII, so those are copied straight into a string
 * without a decoder and its buffers (a decoder per name was a tenth of a large simulation's CPU).
 */
public final class StrictUtf8 {
  private StrictUtf8() {}

  /** Decodes {@code length} bytes of {@code array} from {@code offset}. */
  public static String decode(byte[] array, int offset, int length) throws CharacterCodingException {
    for (int i = offset; i < offset + length; i++) {
      if (array[i] < 0) {
        return StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT)
            .decode(ByteBuffer.wrap(array, offset, length))
            .toString();
      }
    }
    return new String(array, offset, length, StandardCharsets.ISO_8859_1);
  }
}
