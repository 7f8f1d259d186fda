// SPDX-License-Identifier: Apache-2.0
package io.grapevine.wire;

/**
 * Hands out shared {@link String} instances for encoded strings a driver already knows (member
 * names), so that decoding does not build a fresh string, and hash it again, per name field. A
 * driver that hosts very many nodes in one process (the simulator) installs one; nodes behave the
 * same with or without it, since strings compare by value.
 */
@FunctionalInterface
public interface StringResolver {
  /**
   * @param array the bytes, UTF-8 as on the wire (not yet validated)
   * @param from where the string starts in {@code array}
   * @param length its length in bytes, at least 1
   * @return the shared string whose UTF-8 encoding is exactly these bytes, or null to have the reader
   *     decode them
   */
  String resolve(byte[] array, int from, int length);
}
