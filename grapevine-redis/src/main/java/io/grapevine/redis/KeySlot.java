// SPDX-License-Identifier: Apache-2.0
package io.grapevine.redis;

/**
 * Redis Cluster's key-to-slot function: CRC16-CCITT (XMODEM: polynomial 0x1021, initial value 0,
 * no reflection) of the key, or of its hash tag, modulo {@value #SLOTS}.
 *
 * <p>A hash tag is the part between the first {@code {} and the first {@code }} after it, when that
 * part is not empty; keys with the same tag land in the same slot.
 */
public final class KeySlot {
  /** Number of hash slots of a Redis cluster. */
  public static final int SLOTS = 16384;

  private static final int[] TABLE = new int[256];

  static {
    for (int i = 0; i < 256; i++) {
      int crc = i << 8;
      for (int b = 0; b < 8; b++) {
        crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1;
      }
      TABLE[i] = crc & 0xFFFF;
    }
  }

  private KeySlot() {}

  /** CRC16-CCITT (XMODEM) of {@code len} bytes of {@code data} from {@code off}. */
  public static int crc16(byte[] data, int off, int len) {
    int crc = 0;
    for (int i = off; i < off + len; i++) {
      crc = ((crc << 8) ^ TABLE[((crc >>> 8) ^ data[i]) & 0xFF]) & 0xFFFF;
    }
    return crc;
  }

  /** CRC16-CCITT (XMODEM) of all of {@code data}. */
  public static int crc16(byte[] data) {
    return crc16(data, 0, data.length);
  }

  /** The hash slot of a key, honouring a non-empty hash tag as Redis's keyHashSlot does. */
  public static int slot(byte[] key) {
    int open = -1;
    for (int i = 0; i < key.length; i++) {
      if (key[i] == '{') {
        open = i;
        break;
      }
    }
    if (open >= 0) {
      for (int j = open + 1; j < key.length; j++) {
        if (key[j] == '}') {
          if (j > open + 1) {
            return crc16(key, open + 1, j - open - 1) & (SLOTS - 1);
          }
          break;
        }
      }
    }
    return crc16(key) & (SLOTS - 1);
  }

  /** The hash slot of a key given as ISO-8859-1 characters (one char per byte). */
  public static int slot(String key) {
    return slot(key.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
  }
}
