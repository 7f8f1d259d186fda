// SPDX-License-Identifier: Apache-2.0
package io.grapevine.agent;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The agent's metadata format: {@code key=value} pairs, one per line, UTF-8, keys sorted.
 *
 * <p>The protocol carries metadata as opaque bytes; the agent gives it this small text form so that
 * operators can set it with {@code --meta k=v} and read it as a map in JSON. Keys are 1..64 of
 * {@code [A-Za-z0-9_.-]}; values are any text without a line break. Applications using the Java API
 * may store other bytes; {@link #decode} then reports them as not in this format.
 */
public final class Metadata {
  private static final Pattern KEY = Pattern.compile("[A-Za-z0-9_.\\-]{1,64}");

  private Metadata() {}

  /** Checks one key; returns an error message or null. */
  public static String checkKey(String key) {
    return KEY.matcher(key).matches()
        ? null
        : "metadata key '" + key + "' must be 1..64 characters of A-Z a-z 0-9 _ . -";
  }

  /** Checks one value; returns an error message or null. */
  public static String checkValue(String key, String value) {
    return value.indexOf('\n') >= 0 || value.indexOf('\r') >= 0
        ? "metadata value of '" + key + "' must not contain a line break"
        : null;
  }

  /**
   * Parses {@code k=v} as given on the command line.
   *
   * @throws IllegalArgumentException naming the bad pair
   */
  public static Map.Entry<String, String> parsePair(String pair) {
    int eq = pair.indexOf('=');
    if (eq <= 0) {
      throw new IllegalArgumentException("expected KEY=VALUE for --meta, got '" + pair + "'");
    }
    String key = pair.substring(0, eq);
    String value = pair.substring(eq + 1);
    String error = checkKey(key);
    if (error == null) {
      error = checkValue(key, value);
    }
    if (error != null) {
      throw new IllegalArgumentException(error);
    }
    return Map.entry(key, value);
  }

  /** Encodes pairs, sorted by key, so equal maps give equal bytes. */
  public static byte[] encode(Map<String, String> pairs) {
    StringBuilder sb = new StringBuilder();
    for (Map.Entry<String, String> e : new TreeMap<>(pairs).entrySet()) {
      if (sb.length() > 0) {
        sb.append('\n');
      }
      sb.append(e.getKey()).append('=').append(e.getValue());
    }
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Decodes bytes written by {@link #encode}.
   *
   * @return the pairs, or null when the bytes are not in this format (not UTF-8, a line without
   *     {@code =}, or a bad key)
   */
  public static Map<String, String> decode(byte[] bytes) {
    Map<String, String> pairs = new TreeMap<>();
    if (bytes.length == 0) {
      return pairs;
    }
    String text;
    try {
      text =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(bytes))
              .toString();
    } catch (CharacterCodingException e) {
      return null;
    }
    for (String line : text.split("\n", -1)) {
      int eq = line.indexOf('=');
      if (eq <= 0 || checkKey(line.substring(0, eq)) != null) {
        return null;
      }
      pairs.put(line.substring(0, eq), line.substring(eq + 1));
    }
    return pairs;
  }
}
