// SPDX-License-Identifier: Apache-2.0
package io.grapevine.node;

import io.grapevine.config.InvalidConfigException;
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

  /**
   * The exception a builder throws when {@code errors} is not empty: its message is {@code invalid
   * <what> config: } and the errors joined by {@code ; }, and it keeps them apart for callers that
   * report one line per rule.
   */
  public static InvalidConfigException invalid(String what, List<String> errors) {
    return new InvalidConfigException(what, errors);
  }

  /** {@code v} must lie in {@code lo..hi}. */
  public static void range(List<String> errors, String name, int v, int lo, int hi) {
    if (v < lo || v > hi) {
      errors.add(name + " must be in " + lo + ".." + hi + ", got " + v);
    }
  }
}
