package io.grapevine.node;

import java.time.Duration;
import java.util.List;

/**
 * The validation rules shared by every protocol's config builder: each adds one message naming the
 * knob to {@code errors}, so a builder reports every bad knob at once.
 */
public final class ConfigChecks {
  private ConfigChecks() {}

  /** {@code d} must be above zero. */
  public static void positive(List<String> errors, String name, Duration d) {
    if (d == null || d.isNegative() || d.isZero()) {
      errors.add(name + " must be a positive duration, got " + d);
    }
  }

  /** {@code d} must be zero or above. */
  public static void nonNegative(List<String> errors, String name, Duration d) {
    if (d == null || d.isNegative()) {
      errors.add(name + " must be zero or positive, got " + d);
    }
  }

  /** {@code v} must lie in {@code lo..hi}. */
  public static void range(List<String> errors, String name, int v, int lo, int hi) {
    if (v < lo || v > hi) {
      errors.add(name + " must be in " + lo + ".." + hi + ", got " + v);
    }
  }
}
