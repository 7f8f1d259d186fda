// SPDX-License-Identifier: Apache-2.0
package io.grapevine.config;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one duration grammar of every Grapevine setting: agent config files, scenario files and
 * command-line flags.
 *
 * <ul>
 *   <li>a decimal number and a unit, {@code ms}, {@code s}, {@code m} or {@code h}: {@code 250ms},
 *       {@code 1.5s}, {@code 0.5m}, {@code 2h};
 *   <li>or an ISO-8601 duration, in any letter case: {@code PT1.5S}, {@code pt2m}, {@code P1D}.
 * </ul>
 *
 * <p>The result must be a whole number of milliseconds ({@code 0.0005s} is an error) and must not be
 * negative. A bare number is an error: {@code 500} could mean milliseconds or seconds, so it must say.
 */
public final class Durations {
  /** The start of every "not a duration" message. */
  public static final String EXPECTED = "expected a duration like 250ms, 1.5s, 2m or PT1S";

  private static final Pattern WITH_UNIT = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h)");
  private static final Pattern BARE_NUMBER = Pattern.compile("\\d+(?:\\.\\d+)?");
  private static final String[] UNITS = {"h", "m", "s", "ms"};
  private static final long[] UNIT_MILLIS = {3_600_000, 60_000, 1000, 1};
  private static final BigDecimal MAX_MILLIS = BigDecimal.valueOf(Long.MAX_VALUE);

  private Durations() {}

  /**
   * Parses a duration of the grammar above.
   *
   * @param text the value as written; surrounding white space is ignored
   * @return a non-negative duration of whole milliseconds
   * @throws IllegalArgumentException whose message says what was expected and quotes {@code text}
   */
  public static Duration parse(String text) {
    Objects.requireNonNull(text, "text");
    String t = text.strip();
    Matcher m = WITH_UNIT.matcher(t);
    if (m.matches()) {
      BigDecimal millis = new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(unitMillis(m.group(2))));
      if (millis.compareTo(MAX_MILLIS) > 0) {
        throw new IllegalArgumentException("duration '" + text + "' is too long");
      }
      if (millis.stripTrailingZeros().scale() > 0) {
        throw notWholeMillis(text);
      }
      return Duration.ofMillis(millis.longValueExact());
    }
    if (t.startsWith("-")) {
      throw new IllegalArgumentException("a duration must not be negative, got '" + text + "'");
    }
    if (!t.isEmpty() && (t.charAt(0) == 'P' || t.charAt(0) == 'p')) {
      Duration d;
      try {
        d = Duration.parse(t);
      } catch (DateTimeParseException e) {
        throw new IllegalArgumentException(EXPECTED + ", got '" + text + "'");
      }
      if (d.isNegative()) {
        throw new IllegalArgumentException("a duration must not be negative, got '" + text + "'");
      }
      if (d.getSeconds() >= Long.MAX_VALUE / 1000) {
        throw new IllegalArgumentException("duration '" + text + "' is too long");
      }
      if (d.getNano() % 1_000_000 != 0) {
        throw notWholeMillis(text);
      }
      return d;
    }
    if (BARE_NUMBER.matcher(t).matches()) {
      throw new IllegalArgumentException(EXPECTED + ", got '" + text + "': add a unit, like " + t + "ms");
    }
    throw new IllegalArgumentException(EXPECTED + ", got '" + text + "'");
  }

  /**
   * The shortest text {@link #parse} reads back as exactly {@code d}, never starting with {@code 0.}:
   * {@code 0s}, {@code 250ms}, {@code 1.5s}, {@code 90s}, {@code 5m}, {@code 2h}. Of two forms of the
   * same length the one without a decimal point wins ({@code 150m}, not {@code 2.5h}). A negative
   * duration or one that is not a whole number of milliseconds has no such form and is written in
   * ISO-8601 ({@code PT0.0005S}).
   */
  public static String format(Duration d) {
    Objects.requireNonNull(d, "d");
    if (d.isNegative() || d.getNano() % 1_000_000 != 0 || d.getSeconds() >= Long.MAX_VALUE / 1000) {
      return d.toString();
    }
    long ms = d.toMillis();
    if (ms == 0) {
      return "0s";
    }
    String best = null;
    for (int i = 0; i < UNITS.length; i++) {
      BigDecimal value;
      try {
        value = BigDecimal.valueOf(ms).divide(BigDecimal.valueOf(UNIT_MILLIS[i]));
      } catch (ArithmeticException e) {
        continue; // no finite decimal in this unit (20 s is a third of a minute)
      }
      if (value.compareTo(BigDecimal.ONE) < 0) {
        continue;
      }
      String text = value.stripTrailingZeros().toPlainString() + UNITS[i];
      if (best == null || shorter(text, best)) {
        best = text;
      }
    }
    return best;
  }

  private static boolean shorter(String a, String b) {
    if (a.length() != b.length()) {
      return a.length() < b.length();
    }
    return a.indexOf('.') < 0 && b.indexOf('.') >= 0;
  }

  private static long unitMillis(String unit) {
    for (int i = 0; i < UNITS.length; i++) {
      if (UNITS[i].equals(unit)) {
        return UNIT_MILLIS[i];
      }
    }
    throw new AssertionError(unit);
  }

  private static IllegalArgumentException notWholeMillis(String text) {
    return new IllegalArgumentException(
        "'" + text + "' is not a whole number of milliseconds (the finest step is 1ms)");
  }
}
