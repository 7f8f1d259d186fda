// SPDX-License-Identifier: Apache-2.0
package io.grapevine.config;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The knobs of one protocol config class under one name ({@code kv} for {@code AntiEntropyConfig}),
 * and the way to set them from text. The knobs are discovered: every public one-argument method of
 * the config's builder that returns the builder is a knob, named like the method, and its default is
 * the value of the config's public field of the same name in the default config. The builder stays
 * the one place that validates.
 *
 * <pre>{@code
 * AntiEntropyConfig kv = ConfigRegistry.KV.apply(
 *     AntiEntropyConfig.defaults(), Map.of("sync-interval", "500ms"), "--set");
 * }</pre>
 *
 * @param <C> the config class
 */
public final class Section<C> {
  private final String name;
  private final Class<C> configClass;
  private final Supplier<C> defaults;
  private final Function<C, Object> toBuilder;
  private final Function<Object, C> build;
  private final List<Knob> knobs;
  private final Map<String, Knob> byName;

  private Section(
      String name, Class<C> configClass, Class<?> builderClass, Supplier<C> defaults,
      Function<C, Object> toBuilder, Function<Object, C> build) {
    this.name = name;
    this.configClass = configClass;
    this.defaults = defaults;
    this.toBuilder = toBuilder;
    this.build = build;
    C defaultConfig = defaults.get();
    Map<String, Method> setters = new HashMap<>();
    for (Method m : builderClass.getMethods()) {
      if (m.getParameterCount() == 1 && m.getReturnType() == builderClass && !Modifier.isStatic(m.getModifiers())) {
        setters.put(m.getName(), m);
      }
    }
    // In the order the config declares its fields: the order its documentation reads in.
    List<Knob> list = new ArrayList<>();
    for (Field f : configClass.getFields()) {
      Method setter = setters.remove(f.getName());
      if (setter == null || Modifier.isStatic(f.getModifiers())) {
        continue;
      }
      if (!f.getType().equals(setter.getParameterTypes()[0])) {
        throw new IllegalStateException(name + "." + f.getName() + ": the builder takes "
            + setter.getParameterTypes()[0].getSimpleName() + " but the field is " + f.getType().getSimpleName());
      }
      try {
        list.add(new Knob(name, setter, f, f.get(defaultConfig)));
      } catch (IllegalAccessException e) {
        throw new IllegalStateException("public field " + f, e);
      }
    }
    if (!setters.isEmpty()) {
      throw new IllegalStateException(
          name + ": builder methods without a public config field of the same name: " + setters.keySet());
    }
    list.sort((a, b) -> Integer.compare(fieldIndex(configClass, a.name()), fieldIndex(configClass, b.name())));
    this.knobs = List.copyOf(list);
    Map<String, Knob> index = new LinkedHashMap<>();
    for (Knob k : knobs) {
      index.put(k.name(), k);
    }
    this.byName = Collections.unmodifiableMap(index);
  }

  /**
   * A section over a config class and its builder.
   *
   * @param name the section's name in settings
   * @param defaults the config knobs start from when nothing else is given
   * @param toBuilder a builder holding a config's values
   * @param build the builder's validating build method
   */
  @SuppressWarnings("unchecked")
  public static <C, B> Section<C> of(
      String name, Class<C> configClass, Class<B> builderClass, Supplier<C> defaults,
      Function<C, B> toBuilder, Function<B, C> build) {
    Objects.requireNonNull(name, "name");
    return new Section<>(name, configClass, builderClass, defaults,
        c -> toBuilder.apply(c), b -> build.apply((B) b));
  }

  private static int fieldIndex(Class<?> c, String field) {
    Field[] fields = c.getDeclaredFields();
    for (int i = 0; i < fields.length; i++) {
      if (fields[i].getName().equals(field)) {
        return i;
      }
    }
    return Integer.MAX_VALUE;
  }

  /** The section's name: {@code membership}, {@code kv}... */
  public String name() {
    return name;
  }

  /** The config class: {@code AntiEntropyConfig.class}. */
  public Class<C> configClass() {
    return configClass;
  }

  /** A config with every knob at its default. */
  public C defaults() {
    return defaults.get();
  }

  /** Every knob, in the order the config class declares them. */
  public List<Knob> knobs() {
    return knobs;
  }

  /**
   * The knob called {@code key}: its name ({@code syncInterval}), or the same in kebab-case ({@code
   * sync-interval}) or snake_case, in any letter case.
   */
  public Optional<Knob> knob(String key) {
    String camel = camel(key);
    Knob k = byName.get(camel);
    if (k != null) {
      return Optional.of(k);
    }
    for (Knob candidate : knobs) {
      if (candidate.name().equalsIgnoreCase(camel)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }

  /** The value of {@code knob} (one of this section's) in {@code config}. */
  public Object value(C config, Knob knob) {
    if (byName.get(knob.name()) != knob) {
      throw new IllegalArgumentException(knob.qualifiedName() + " is not a knob of section " + name);
    }
    return knob.valueIn(config);
  }

  /**
   * Applies knob settings that share one source.
   *
   * @param base the config to start from; null for {@link #defaults()}
   * @param values knob name (camelCase or kebab-case) to value text
   * @param source where the values came from, the start of every error: a file name, a flag
   * @return the built config
   * @throws ConfigException with a line per problem
   */
  public C apply(C base, Map<String, String> values, String source) {
    List<Setting> settings = new ArrayList<>();
    values.forEach((k, v) -> settings.add(new Setting(k, v, source)));
    return apply(base, settings);
  }

  /**
   * Applies knob settings, each with its own source, over {@code base} and builds the result, so the
   * builder checks every rule. Problems are collected, one line each: {@code SOURCE: unknown knob
   * 'kv.syncIntervall' (did you mean syncInterval?)}, {@code SOURCE: kv.syncInterval: expected a
   * duration like 250ms, 1.5s, 2m or PT1S, got 'soon'}, and for a rule the builder enforces, {@code
   * SOURCE: kv: syncInterval must be a positive duration, got PT0S} with the source of the first knob
   * the rule names.
   *
   * @param base the config to start from; null for {@link #defaults()}
   * @param settings keys are knob names of this section
   * @return the built config; {@code base} itself when there are no settings
   * @throws ConfigException with a line per problem
   */
  public C apply(C base, List<Setting> settings) {
    C start = base == null ? defaults() : base;
    if (settings.isEmpty()) {
      return start;
    }
    Object builder = toBuilder.apply(start);
    List<String> problems = new ArrayList<>();
    Map<Knob, Setting> given = new LinkedHashMap<>();
    for (Setting s : settings) {
      Optional<Knob> found = knob(s.key());
      if (found.isEmpty()) {
        problems.add(s.source() + ": " + unknownKnob(s.key()));
        continue;
      }
      Knob k = found.get();
      Setting earlier = given.putIfAbsent(k, s);
      if (earlier != null) {
        problems.add(s.source() + ": " + k.qualifiedName() + ": set twice (also at " + earlier.source() + ")");
        continue;
      }
      try {
        k.set(builder, k.parse(s.value()));
      } catch (IllegalArgumentException e) {
        problems.add(s.source() + ": " + k.qualifiedName() + ": " + e.getMessage());
      }
    }
    if (!problems.isEmpty()) {
      throw new ConfigException(problems);
    }
    try {
      return build.apply(builder);
    } catch (IllegalArgumentException e) {
      List<String> rules = e instanceof InvalidConfigException invalid ? invalid.problems() : List.of(e.getMessage());
      for (String rule : rules) {
        problems.add(sourceOf(rule, given, settings) + ": " + name + ": " + rule);
      }
      throw new ConfigException(problems);
    }
  }

  /** The message for a key that names no knob of this section, with the nearest knob if one is close. */
  public String unknownKnob(String key) {
    String camel = camel(key);
    Knob best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (Knob k : knobs) {
      int d = Spelling.editDistance(camel.toLowerCase(java.util.Locale.ROOT), k.name().toLowerCase(java.util.Locale.ROOT));
      if (d < bestDistance) {
        best = k;
        bestDistance = d;
      }
    }
    String hint = best != null && bestDistance <= Math.max(2, camel.length() / 5)
        ? "did you mean " + best.name() + "?"
        : "known: " + String.join(", ", byName.keySet());
    return "unknown knob '" + name + "." + key + "' (" + hint + ")";
  }

  /** The source of the first knob a builder rule names, else of the first setting. */
  private String sourceOf(String rule, Map<Knob, Setting> given, List<Setting> settings) {
    for (String word : rule.split("[^A-Za-z0-9_]+")) {
      Knob k = byName.get(word);
      if (k != null && given.containsKey(k)) {
        return given.get(k).source();
      }
    }
    return settings.get(0).source();
  }

  /** {@code probe-interval} and {@code probe_interval} to {@code probeInterval}. */
  static String camel(String key) {
    StringBuilder sb = new StringBuilder();
    boolean up = false;
    for (char c : key.strip().toCharArray()) {
      if (c == '-' || c == '_') {
        up = sb.length() > 0;
      } else {
        sb.append(up ? Character.toUpperCase(c) : c);
        up = false;
      }
    }
    return sb.toString();
  }

  @Override
  public String toString() {
    return name + " (" + configClass.getSimpleName() + ", " + knobs.size() + " knobs)";
  }
}
