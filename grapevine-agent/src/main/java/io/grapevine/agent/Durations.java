package io.grapevine.agent;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Human durations for config files and output: {@code 250ms}, {@code 2s}, {@code 5m}, {@code 1h}. */
public final class Durations {
  private static final Pattern FORMAT = Pattern.compile("(\\d{1,12})(ms|s|m|h)");

  private Durations() {}

  /**
   * Parses a number with a unit (ms, s, m, h), or an ISO-8601 duration ({@code PT1.5S}).
   *
   * @throws IllegalArgumentException saying what was expected
   */
  public static Duration parse(String text) {
    String t = text.trim();
    Matcher m = FORMAT.matcher(t);
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      switch (m.group(2)) {
        case "ms":
          return Duration.ofMillis(n);
        case "s":
          return Duration.ofSeconds(n);
        case "m":
          return Duration.ofMinutes(n);
        default:
          return Duration.ofHours(n);
      }
    }
    if (t.startsWith("PT") || t.startsWith("pt")) {
      try {
        return Duration.parse(t);
      } catch (RuntimeException e) {
        // fall through to the message below
      }
    }
    throw new IllegalArgumentException(
        "expected a duration with a unit like 500ms, 2s, 5m or 1h, got '" + text + "'");
  }

  /** The shortest exact form: {@code 1s}, {@code 1500ms}, {@code 5m}. */
  public static String format(Duration d) {
    long ms = d.toMillis();
    if (ms != 0 && ms % 3_600_000 == 0) {
      return ms / 3_600_000 + "h";
    }
    if (ms != 0 && ms % 60_000 == 0) {
      return ms / 60_000 + "m";
    }
    if (ms != 0 && ms % 1000 == 0) {
      return ms / 1000 + "s";
    }
    return ms + "ms";
  }
}
