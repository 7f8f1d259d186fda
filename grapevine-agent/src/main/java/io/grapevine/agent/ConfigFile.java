package io.grapevine.agent;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * Reads an agent config file into flat settings: YAML ({@code .yaml}, {@code .yml}) or Java
 * properties (any other name). Nested YAML maps flatten to dotted keys ({@code meta: {role: web}} is
 * {@code meta.role}), so both formats name settings the same way; lists stay lists ({@code join}).
 * Which keys are allowed is decided by {@link AgentSettings}.
 */
public final class ConfigFile {
  private ConfigFile() {}

  /**
   * Loads {@code path}.
   *
   * @return flat settings, each value a String or a List of Strings, in file order
   * @throws SettingsException with one line saying why the file cannot be read or parsed
   */
  public static Map<String, Object> load(Path path) {
    String label = path.toString();
    if (!Files.exists(path)) {
      throw new SettingsException(label + ": no such file");
    }
    if (Files.isDirectory(path)) {
      throw new SettingsException(label + ": is a directory, not a config file");
    }
    try {
      if (isYaml(path)) {
        return loadYaml(path, label);
      }
      return loadProperties(path);
    } catch (NoSuchFileException e) {
      throw new SettingsException(label + ": no such file");
    } catch (JsonProcessingException e) {
      String where =
          e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr();
      throw new SettingsException(label + ": not valid YAML" + where + ": " + oneLine(e.getOriginalMessage()));
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

  private static Map<String, Object> loadYaml(Path path, String label) throws IOException {
    JsonNode root = new ObjectMapper(new YAMLFactory()).readTree(path.toFile());
    Map<String, Object> flat = new LinkedHashMap<>();
    if (root == null || root.isMissingNode() || root.isNull()) {
      return flat;
    }
    if (!root.isObject()) {
      throw new SettingsException(label + ": expected a map of settings at the top level");
    }
    List<String> errors = new ArrayList<>();
    flatten("", root, flat, errors, label);
    if (!errors.isEmpty()) {
      throw new SettingsException(errors);
    }
    return flat;
  }

  private static void flatten(
      String prefix, JsonNode node, Map<String, Object> out, List<String> errors, String label) {
    Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> f = fields.next();
      String key = prefix + f.getKey();
      JsonNode v = f.getValue();
      if (v.isObject()) {
        flatten(key + ".", v, out, errors, label);
      } else if (v.isArray()) {
        List<String> items = new ArrayList<>();
        for (JsonNode item : v) {
          if (!item.isValueNode() || item.isNull()) {
            errors.add(label + ": " + key + ": expected a list of plain values");
            break;
          }
          items.add(item.asText());
        }
        out.put(key, items);
      } else if (v.isNull()) {
        out.put(key, "");
      } else {
        out.put(key, v.asText());
      }
    }
  }

  private static Map<String, Object> loadProperties(Path path) throws IOException {
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
      p.load(r);
    }
    Map<String, Object> flat = new LinkedHashMap<>();
    p.stringPropertyNames().stream().sorted().forEach(k -> flat.put(k, p.getProperty(k).trim()));
    return flat;
  }
}
