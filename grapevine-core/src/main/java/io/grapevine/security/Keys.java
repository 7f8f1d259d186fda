// SPDX-License-Identifier: Apache-2.0
package io.grapevine.security;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.random.RandomGenerator;

/**
 * Encryption keys as operators write them: base64 of 16, 24 or 32 bytes (AES-128, -192, -256).
 * Every problem is reported as one line naming it, never the key itself.
 */
public final class Keys {
  private Keys() {}

  /**
   * Decodes a base64 key.
   *
   * @throws IllegalArgumentException with one line: not base64, or not 16, 24 or 32 bytes
   */
  public static byte[] decode(String base64) {
    if (base64 == null || base64.isBlank()) {
      throw new IllegalArgumentException("encryption key is empty; expected base64 of 16, 24 or 32 bytes");
    }
    byte[] key;
    try {
      key = Base64.getDecoder().decode(base64.strip());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("encryption key is not valid base64; expected base64 of 16, 24 or 32 bytes"
          + " (make one with: grapevine keygen)");
    }
    check(key);
    return key;
  }

  /**
   * Checks a raw key's length.
   *
   * @throws IllegalArgumentException unless it is 16, 24 or 32 bytes
   */
  public static void check(byte[] key) {
    if (key == null || (key.length != 16 && key.length != 24 && key.length != 32)) {
      throw new IllegalArgumentException("encryption key must be 16, 24 or 32 bytes (AES-128, -192 or -256), got "
          + (key == null ? 0 : key.length) + " bytes");
    }
  }

  /** The base64 text of {@code key}. */
  public static String encode(byte[] key) {
    return Base64.getEncoder().encodeToString(key);
  }

  /**
   * A new key of {@code bits} (128, 192 or 256) drawn from {@code random}; callers pass a {@code
   * SecureRandom}.
   */
  public static byte[] generate(int bits, RandomGenerator random) {
    if (bits != 128 && bits != 192 && bits != 256) {
      throw new IllegalArgumentException("key size must be 128, 192 or 256 bits, got " + bits);
    }
    byte[] key = new byte[bits / 8];
    random.nextBytes(key);
    return key;
  }

  /**
   * A short name of a key that does not reveal it: the first 8 hex digits of SHA-256 over a fixed
   * prefix and the key. Safe for logs and metric labels.
   */
  public static String fingerprint(byte[] key) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update("grapevine-key-id".getBytes(StandardCharsets.US_ASCII));
      return HexFormat.of().formatHex(sha.digest(key), 0, 4);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JDK", e);
    }
  }
}
