// SPDX-License-Identifier: Apache-2.0
package io.grapevine.antientropy;

import java.nio.charset.StandardCharsets;

/** Validation of map names and keys, with one-line messages for users. */
public final class Names {
  /** Longest map name, bytes. */
  public static final int MAP_MAX_BYTES = 64;

  private Names() {}

  /** Null if {@code map} is a valid map name (1..64 of A-Z a-z 0-9 . _ -), else what is wrong. */
  public static String mapNameProblem(String map) {
    if (map == null || map.isEmpty()) {
      return "map name must not be empty";
    }
    if (map.length() > MAP_MAX_BYTES) {
      return "map name '" + map + "' is longer than " + MAP_MAX_BYTES + " characters";
    }
    for (int i = 0; i < map.length(); i++) {
      char c = map.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_'
          || c == '-';
      if (!ok) {
        return "map name '" + map + "' may only contain letters, digits, '.', '_' and '-'";
      }
    }
    return null;
  }

  /** Null if {@code key} is a valid key (1..maxBytes UTF-8 bytes, no unpaired surrogates), else what is wrong. */
  public static String keyProblem(String key, int maxBytes) {
    if (key == null || key.isEmpty()) {
      return "key must not be empty";
    }
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      if (Character.isHighSurrogate(c)) {
        if (i + 1 >= key.length() || !Character.isLowSurrogate(key.charAt(i + 1))) {
          return "key contains an unpaired surrogate (not valid UTF-8)";
        }
        i++;
      } else if (Character.isLowSurrogate(c)) {
        return "key contains an unpaired surrogate (not valid UTF-8)";
      }
    }
    int n = key.getBytes(StandardCharsets.UTF_8).length;
    if (n > maxBytes) {
      return "key is " + n + " bytes, longer than keyMaxBytes " + maxBytes;
    }
    return null;
  }

  static void checkMap(String map) {
    String p = mapNameProblem(map);
    if (p != null) {
      throw new IllegalArgumentException(p);
    }
  }

  static void checkKey(String key, int maxBytes) {
    String p = keyProblem(key, maxBytes);
    if (p != null) {
      throw new IllegalArgumentException(p);
    }
  }
}
