// SPDX-License-Identifier: Apache-2.0
package io.grapevine.agent;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * Reads an agent config file into flat settings, each with the line it is on: YAML ({@code .yaml},
 * {@code .yml}), JSON ({@code .json}) or Java properties (any other name). Nested YAML maps flatten to dotted keys ({@code
 * meta: {role: web}} is {@code meta.role}, {@code kv: {sync-interval: 1s}} is {@code
 * kv.sync-interval}), so both formats name settings the same way; lists stay lists ({@code join}). A
 * key given twice is an error. Which keys are allowed is decided by {@link AgentSettings}.
 */
public final class ConfigFile {
  private ConfigFile() {}

  /**
   * One setting of a file.
   *
   * @param value a String, or a List of Strings for a YAML or JSON list
   * @param line the line the key is on, from 1
   * @param file the file it comes from, for messages
   */
  public record Entry(Object value, int line, String file) {
    public Entry(Object value, int line) {
      this(value, line, null);
    }
  }

  /** The names {@link #loadDir} reads. */
  static boolean isConfigName(Path path) {
    String n = path.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
    return n.endsWith(".yaml") || n.endsWith(".yml") || n.endsWith(".json") || n.endsWith(".properties");
  }

  /**
   * Merges settings: {@code later}'s keys over {@code earlier}'s, except {@code appended} keys, whose
   * lists are joined (event handlers add up, as Serf's do across files).
   */
  static Map<String, Entry> merge(Map<String, Entry> earlier, Map<String, Entry> later, java.util.Set<String> appended) {
    Map<String, Entry> out = new LinkedHashMap<>(earlier);
    later.forEach((k, e) -> {
      Entry before = out.get(k);
      if (before != null && appended.contains(k)) {
        List<Object> joined = new ArrayList<>(before.value() instanceof List<?> l ? l : List.of(before.value()));
        joined.addAll(e.value() instanceof List<?> l ? l : List.of(e.value()));
        out.put(k, new Entry(List.copyOf(joined), e.line(), e.file()));
      } else {
        out.remove(k);
        out.put(k, e);
      }
    });
    return out;
  }

  /**
   * Loads every {@code *.yaml}, {@code *.yml}, {@code *.json} and {@code *.properties} file of
   * {@code dir} in file-name order, later files over earlier ones ({@link #merge}); other files are
   * skipped.
   *
   * @throws SettingsException naming the directory or the file and line of each problem
   */
  public static Map<String, Entry> loadDir(Path dir, java.util.Set<String> appended) {
    if (!Files.isDirectory(dir)) {
      throw new SettingsException(dir + ": " + (Files.exists(dir) ? "is not a directory" : "no such directory")
          + " (--config-dir)");
    }
    List<Path> files;
    try (java.util.stream.Stream<Path> list = Files.list(dir)) {
      files = list.filter(Files::isRegularFile).filter(ConfigFile::isConfigName)
          .sorted(Comparator.comparing(f -> f.getFileName().toString())).toList();
    } catch (IOException e) {
      throw new SettingsException(dir + ": cannot list: " + e.getMessage());
    }
    Map<String, Entry> merged = new LinkedHashMap<>();
    List<String> problems = new ArrayList<>();
    for (Path f : files) {
      try {
        merged = merge(merged, load(f), appended);
      } catch (SettingsException e) {
        problems.addAll(e.problems());
      }
    }
    if (!problems.isEmpty()) {
      throw new SettingsException(problems);
    }
    return merged;
  }

  /**
   * Loads {@code path}.
   *
   * @return flat settings in file order
   * @throws SettingsException with one line per problem, each naming the file (and line when known)
   */
  public static Map<String, Entry> load(Path path) {
    String label = path.toString();
    if (!Files.exists(path)) {
      throw new SettingsException(label + ": no such file");
    }
    if (Files.isDirectory(path)) {
      throw new SettingsException(label + ": is a directory, not a config file");
    }
    try {
      String text = Files.readString(path, StandardCharsets.UTF_8);
      Map<String, Entry> flat = isYaml(path) ? loadTree(new YAMLFactory(), text, label)
          : isJson(path) ? loadTree(new com.fasterxml.jackson.core.JsonFactory(), text, label)
          : loadProperties(text, label);
      Map<String, Entry> labelled = new LinkedHashMap<>();
      flat.forEach((k, e) -> labelled.put(k, new Entry(e.value(), e.line(), label)));
      return labelled;
    } catch (NoSuchFileException e) {
      throw new SettingsException(label + ": no such file");
    } catch (JsonProcessingException e) {
      String where = e.getLocation() == null ? "" : ":" + e.getLocation().getLineNr();
      throw new SettingsException(label + where + ": not valid " + (isJson(path) ? "JSON" : "YAML") + ": "
          + oneLine(e.getOriginalMessage()));
    } catch (IOException | IllegalArgumentException e) {
      throw new SettingsException(label + ": cannot read: " + e.getMessage());
    }
  }

  /** The parser's multi-line message (with a source excerpt) as one line: its unindented lines. */
  static String oneLine(String message) {
    if (message == null) {
      return "parse error";
    }
    return message.lines()
        .filter(l -> !l.isBlank() && !Character.isWhitespace(l.charAt(0)))
        .map(String::strip)
        .reduce((x, y) -> x + "; " + y)
        .orElse(message.strip());
  }

  static boolean isYaml(Path path) {
    String n = path.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
    return n.endsWith(".yaml") || n.endsWith(".yml");
  }

  static boolean isJson(Path path) {
    return path.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".json");
  }

  /** YAML or JSON: the same tree of maps, lists and scalars, read with the factory's parser. */
  private static Map<String, Entry> loadTree(com.fasterxml.jackson.core.JsonFactory factory, String text, String label)
      throws IOException {
    Map<String, Entry> flat = new LinkedHashMap<>();
    List<String> errors = new ArrayList<>();
    try (JsonParser p = factory.createParser(text)) {
      JsonToken first = p.nextToken();
      if (first == null || first == JsonToken.VALUE_NULL) {
        return flat;
      }
      if (first != JsonToken.START_OBJECT) {
        throw new SettingsException(label + ": expected a map of settings at the top level");
      }
      flatten(p, "", flat, errors, label);
    }
    if (!errors.isEmpty()) {
      throw new SettingsException(errors);
    }
    return flat;
  }

  /** Reads the fields of the object the parser has just entered, up to its end. */
  private static void flatten(JsonParser p, String prefix, Map<String, Entry> out, List<String> errors, String label)
      throws IOException {
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String key = prefix + p.currentName();
      int line = p.currentTokenLocation().getLineNr();
      JsonToken v = p.nextToken();
      if (v == JsonToken.START_OBJECT) {
        flatten(p, key + ".", out, errors, label);
      } else if (v == JsonToken.START_ARRAY) {
        List<String> items = new ArrayList<>();
        boolean plain = true;
        for (JsonToken item = p.nextToken(); item != JsonToken.END_ARRAY; item = p.nextToken()) {
          if (item.isScalarValue() && item != JsonToken.VALUE_NULL) {
            items.add(p.getText());
          } else {
            plain = false;
            p.skipChildren();
          }
        }
        if (plain) {
          put(out, key, new Entry(items, line), errors, label);
        } else {
          errors.add(label + ":" + line + ": " + key + ": expected a list of plain values");
        }
      } else {
        put(out, key, new Entry(v == JsonToken.VALUE_NULL ? "" : p.getText(), line), errors, label);
      }
    }
  }

  private static void put(Map<String, Entry> out, String key, Entry e, List<String> errors, String label) {
    Entry earlier = out.putIfAbsent(key, e);
    if (earlier != null) {
      errors.add(label + ":" + e.line() + ": " + key + ": given twice (also on line " + earlier.line() + ")");
    }
  }

  private static Map<String, Entry> loadProperties(String text, String label) throws IOException {
    Properties p = new Properties();
    p.load(new StringReader(text));
    // Properties keep no lines: find each key's line by reading the file's logical lines one by one.
    Map<String, Integer> lines = new HashMap<>();
    List<String> errors = new ArrayList<>();
    List<String> physical = text.lines().toList();
    for (int i = 0; i < physical.size(); i++) {
      int start = i;
      StringBuilder logical = new StringBuilder(physical.get(i));
      while (endsInContinuation(physical.get(i)) && i + 1 < physical.size()) {
        i++;
        logical.append('\n').append(physical.get(i));
      }
      String l = logical.toString().stripLeading();
      if (l.isEmpty() || l.startsWith("#") || l.startsWith("!")) {
        continue;
      }
      Properties one = new Properties();
      one.load(new StringReader(l));
      for (String key : one.stringPropertyNames()) {
        Integer earlier = lines.put(key, start + 1);
        if (earlier != null) {
          errors.add(label + ":" + (start + 1) + ": " + key + ": given twice (also on line " + earlier + ")");
        }
      }
    }
    if (!errors.isEmpty()) {
      throw new SettingsException(errors);
    }
    Map<String, Entry> flat = new LinkedHashMap<>();
    p.stringPropertyNames().stream()
        .sorted(Comparator.comparing((String k) -> lines.getOrDefault(k, 0)).thenComparing(k -> k))
        .forEach(k -> flat.put(k, new Entry(p.getProperty(k).trim(), lines.getOrDefault(k, 0))));
    return flat;
  }

  /** A properties line continues on the next when it ends in an odd number of backslashes. */
  private static boolean endsInContinuation(String line) {
    int n = 0;
    for (int i = line.length() - 1; i >= 0 && line.charAt(i) == '\\'; i--) {
      n++;
    }
    return n % 2 == 1;
  }
}
