// SPDX-License-Identifier: Apache-2.0
package io.grapevine.config;

import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * One knob of a protocol config: a setter of the config's builder and the public field of the config
 * it fills, with the field's {@link KnobDoc}. Knobs are found by {@link Section}, not made directly.
 *
 * <p>Values are text in one grammar per type: durations as {@link Durations} reads them, whole
 * numbers, decimal numbers, {@code true}/{@code false}, and enum constants in any case with {@code -}
 * or {@code _} between words ({@code push-pull}).
 */
public final class Knob {
  private final String section;
  private final String name;
  private final Class<?> type;
  private final Object defaultValue;
  private final KnobDoc doc;
  private final Method setter;
  private final Field field;

  Knob(String section, Method setter, Field field, Object defaultValue) {
    this.section = section;
    this.name = setter.getName();
    this.type = setter.getParameterTypes()[0];
    this.setter = setter;
    this.field = field;
    this.doc = field.getAnnotation(KnobDoc.class);
    this.defaultValue = defaultValue;
  }

  /** The section this knob belongs to: {@code kv}. */
  public String section() {
    return section;
  }

  /** The knob's name, the builder method's: {@code syncInterval}. */
  public String name() {
    return name;
  }

  /** Section and name: {@code kv.syncInterval}. */
  public String qualifiedName() {
    return section + "." + name;
  }

  /** The kebab-case spelling config files may use: {@code sync-interval}. */
  public String kebabName() {
    StringBuilder b = new StringBuilder();
    for (char c : name.toCharArray()) {
      if (Character.isUpperCase(c)) {
        b.append('-').append(Character.toLowerCase(c));
      } else {
        b.append(c);
      }
    }
    return b.toString();
  }

  /** The value type: {@code Duration.class}, {@code int.class}, an enum class... */
  public Class<?> type() {
    return type;
  }

  /** What the type accepts, for messages and docs: {@code duration}, {@code integer}, {@code one of a, b}. */
  public String typeName() {
    if (type == Duration.class) {
      return "duration";
    }
    if (type == int.class || type == long.class) {
      return "integer";
    }
    if (type == double.class) {
      return "number";
    }
    if (type == boolean.class) {
      return "true or false";
    }
    if (type.isEnum()) {
      return "one of " + choices();
    }
    return type.getSimpleName();
  }

  /** The value in the section's default config. */
  public Object defaultValue() {
    return defaultValue;
  }

  /** {@link #defaultValue()} as a setting would write it. */
  public String defaultText() {
    return format(defaultValue);
  }

  /** Why the knob exists and why its default, in one line; empty when undocumented. */
  public String doc() {
    return doc == null ? "" : doc.value();
  }

  /** The unit of a number knob ({@code bytes}, {@code peers}); {@code duration} for durations; else empty. */
  public String unit() {
    if (type == Duration.class) {
      return "duration";
    }
    return doc == null ? "" : doc.unit();
  }

  /** The values the builder accepts, as documented ({@code 1..64}); empty when not documented. */
  public String valid() {
    return doc == null ? "" : doc.valid();
  }

  /**
   * Reads a value of this knob's type; ranges and relations between knobs are the builder's to check.
   *
   * @throws IllegalArgumentException saying what was expected and quoting {@code text}
   */
  public Object parse(String text) {
    String t = text.strip();
    if (type == Duration.class) {
      return Durations.parse(t);
    }
    if (type == int.class || type == long.class) {
      try {
        return type == int.class ? (Object) Integer.parseInt(t) : (Object) Long.parseLong(t);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("expected a whole number, got '" + text + "'");
      }
    }
    if (type == double.class) {
      try {
        double d = Double.parseDouble(t);
        if (Double.isFinite(d) && !t.endsWith("d") && !t.endsWith("D") && !t.endsWith("f") && !t.endsWith("F")) {
          return d;
        }
      } catch (NumberFormatException e) {
        // below
      }
      throw new IllegalArgumentException("expected a number, got '" + text + "'");
    }
    if (type == boolean.class) {
      if (t.equalsIgnoreCase("true") || t.equalsIgnoreCase("false")) {
        return Boolean.parseBoolean(t);
      }
      throw new IllegalArgumentException("expected true or false, got '" + text + "'");
    }
    if (type.isEnum()) {
      String wanted = t.toUpperCase(Locale.ROOT).replace('-', '_');
      for (Object c : type.getEnumConstants()) {
        if (((Enum<?>) c).name().equals(wanted)) {
          return c;
        }
      }
      throw new IllegalArgumentException("expected one of " + choices() + ", got '" + text + "'");
    }
    throw new IllegalArgumentException("knob type " + type.getSimpleName() + " cannot be set from text");
  }

  /** A value of this knob as text {@link #parse} reads back: {@code 2s}, {@code 512}, {@code push-pull}. */
  public String format(Object value) {
    if (value == null) {
      return "";
    }
    if (value instanceof Duration d) {
      return Durations.format(d);
    }
    if (value instanceof Enum<?> e) {
      return constant(e);
    }
    return String.valueOf(value);
  }

  /** The value of this knob in {@code config}. */
  Object valueIn(Object config) {
    try {
      return field.get(config);
    } catch (IllegalAccessException e) {
      throw new IllegalStateException("public field " + field, e);
    }
  }

  /** Calls the builder's setter. */
  void set(Object builder, Object value) {
    try {
      setter.invoke(builder, value);
    } catch (IllegalAccessException e) {
      throw new IllegalStateException("public setter " + setter, e);
    } catch (InvocationTargetException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      throw new IllegalStateException(cause);
    }
  }

  private String choices() {
    return Arrays.stream(type.getEnumConstants()).map(c -> constant((Enum<?>) c)).collect(Collectors.joining(", "));
  }

  private static String constant(Enum<?> e) {
    return e.name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  @Override
  public String toString() {
    return qualifiedName() + " (" + typeName() + ", default " + defaultText() + ")";
  }
}
