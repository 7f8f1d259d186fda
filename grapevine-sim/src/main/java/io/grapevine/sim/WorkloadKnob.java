// SPDX-License-Identifier: Apache-2.0
package io.grapevine.sim;

import io.grapevine.config.Durations;
import java.util.List;
import java.util.Locale;

/**
 * A setting of a protocol family's experiment that is not a protocol knob (those live in the core's
 * {@link io.grapevine.config.ConfigRegistry} sections and are set under {@code protocol.config}): how
 * many writes, how large a crash, how many queries. Set in a scenario under {@code workload:}.
 *
 * @param name the key under {@code workload}
 * @param kind how the value is written
 * @param defaultValue the value when the scenario does not set it, written as a scenario would
 * @param choices the allowed values of a {@link Kind#CHOICE}
 * @param doc one line: what it does
 */
public record WorkloadKnob(String name, Kind kind, String defaultValue, List<String> choices, String doc) {

  /** Value grammars; durations follow {@link Durations}. */
  public enum Kind {
    COUNT,
    FRACTION,
    DURATION,
    BOOLEAN,
    CHOICE
  }

  static WorkloadKnob count(String name, long def, String doc) {
    return new WorkloadKnob(name, Kind.COUNT, Long.toString(def), List.of(), doc);
  }

  static WorkloadKnob fraction(String name, double def, String doc) {
    return new WorkloadKnob(name, Kind.FRACTION, Double.toString(def), List.of(), doc);
  }

  static WorkloadKnob duration(String name, String def, String doc) {
    return new WorkloadKnob(name, Kind.DURATION, def, List.of(), doc);
  }

  static WorkloadKnob bool(String name, boolean def, String doc) {
    return new WorkloadKnob(name, Kind.BOOLEAN, Boolean.toString(def), List.of(), doc);
  }

  static WorkloadKnob choice(String name, String def, List<String> choices, String doc) {
    return new WorkloadKnob(name, Kind.CHOICE, def, choices, doc);
  }

  /** The problem with {@code value} for this knob, or null if it is valid. */
  public String check(String value) {
    String v = value.trim();
    switch (kind) {
      case COUNT:
        try {
          long x = Long.parseLong(v);
          return x < 0 || x > 100_000_000 ? "must be in 0..100000000, got " + x : null;
        } catch (NumberFormatException e) {
          return "expected a whole number, got '" + v + "'";
        }
      case FRACTION:
        try {
          double x = Double.parseDouble(v);
          return x >= 0 && x <= 1 ? null : "must be in 0..1, got " + v;
        } catch (NumberFormatException e) {
          return "expected a number in 0..1, got '" + v + "'";
        }
      case DURATION:
        try {
          Durations.parse(v);
          return null;
        } catch (IllegalArgumentException e) {
          return e.getMessage();
        }
      case BOOLEAN:
        return v.equals("true") || v.equals("false") ? null : "expected true or false, got '" + v + "'";
      case CHOICE:
        return choices.contains(v.toLowerCase(Locale.ROOT)) ? null
            : "expected " + String.join(" or ", choices) + ", got '" + v + "'";
      default:
        throw new AssertionError(kind);
    }
  }
}
