package io.grapevine.sim;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.grapevine.membership.MembershipConfig;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a scenario from YAML or JSON (JSON is YAML, so one reader does both) and checks it, collecting
 * every problem as one line naming the key: {@code network.loss: must be in 0..1, got 1.5}.
 *
 * <p>Durations are written {@code 500ms}, {@code 2s}, {@code 1.5m}, {@code 1h} or a bare number of
 * milliseconds. Membership knobs are given by their {@link MembershipConfig.Builder} names.
 */
public final class ScenarioParser {
  private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(us|ms|s|m|h)?");
  private static final Pattern RANGE = Pattern.compile("(\\d+)\\s*-\\s*(\\d+)");
  private static final Pattern PERCENT = Pattern.compile("(\\d+(?:\\.\\d+)?)%");

  private final List<String> errors = new ArrayList<>();

  /** Thrown when a scenario is invalid; the message has one line per problem. */
  public static final class ScenarioException extends IllegalArgumentException {
    private final List<String> problems;

    public ScenarioException(String source, List<String> problems) {
      super(source + ": " + String.join("\n" + source + ": ", problems));
      this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
      return problems;
    }
  }

  private ScenarioParser() {}

  /** Reads and validates a scenario file. */
  public static Scenario parse(Path file) throws IOException {
    String text = Files.readString(file);
    return parse(text, file.getFileName().toString());
  }

  /**
   * Parses and validates scenario text.
   *
   * @param source named in error messages
   * @throws ScenarioException listing every problem
   */
  public static Scenario parse(String text, String source) {
    JsonNode root;
    try {
      root = new ObjectMapper(new YAMLFactory()).readTree(text);
    } catch (JsonProcessingException e) {
      String msg = e.getOriginalMessage().lines().findFirst().orElse("unreadable");
      String where = e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ")";
      throw new ScenarioException(source, List.of("not valid YAML/JSON" + where + ": " + msg));
    }
    ScenarioParser p = new ScenarioParser();
    Scenario s = p.read(root);
    if (p.errors.isEmpty()) {
      p.errors.addAll(s.validate());
    }
    if (!p.errors.isEmpty()) {
      throw new ScenarioException(source, p.errors);
    }
    return s;
  }

  private Scenario read(JsonNode root) {
    Scenario s = new Scenario();
    if (root == null || !root.isObject()) {
      errors.add("the scenario must be a mapping of keys (name, nodes, protocol, network, faults...)");
      return s;
    }
    keys(root, "", Set.of("name", "seed", "nodes", "protocol", "join", "network", "faults", "duration", "rounds",
        "sampleEvery"));
    if (root.has("name")) {
      s.name = root.get("name").asText();
    }
    if (root.has("seed")) {
      s.seed = longValue(root.get("seed"), "seed", Long.MIN_VALUE, Long.MAX_VALUE, s.seed);
    }
    if (root.has("nodes")) {
      s.nodes = (int) longValue(root.get("nodes"), "nodes", 1, 16_000_000, s.nodes);
    } else {
      errors.add("nodes: required (the cluster size)");
    }
    JsonNode proto = root.get("protocol");
    if (proto != null) {
      readProtocol(proto, s);
    }
    JsonNode join = root.get("join");
    if (join != null && object(join, "join")) {
      keys(join, "join.", Set.of("seeds", "over"));
      if (join.has("seeds")) {
        s.seedNodes = (int) longValue(join.get("seeds"), "join.seeds", 1, 1_000_000, s.seedNodes);
      }
      if (join.has("over")) {
        s.joinOverMillis = millis(join.get("over"), "join.over", s.joinOverMillis);
      }
    }
    JsonNode net = root.get("network");
    if (net != null && object(net, "network")) {
      readNetwork(net, s);
    }
    if (root.has("duration")) {
      s.durationMillis = millis(root.get("duration"), "duration", s.durationMillis);
    }
    if (root.has("rounds")) {
      s.maxRounds = (int) longValue(root.get("rounds"), "rounds", 1, 1_000_000, s.maxRounds);
    }
    if (root.has("sampleEvery")) {
      s.sampleEveryMillis = millis(root.get("sampleEvery"), "sampleEvery", s.sampleEveryMillis);
    }
    JsonNode faults = root.get("faults");
    if (faults != null) {
      if (!faults.isArray()) {
        errors.add("faults: must be a list");
      } else {
        for (int i = 0; i < faults.size(); i++) {
          Fault f = readFault(faults.get(i), "faults[" + i + "]");
          if (f != null) {
            s.faults.add(f);
          }
        }
      }
    }
    return s;
  }

  private void readProtocol(JsonNode proto, Scenario s) {
    if (proto.isTextual()) {
      s.protocol = protocol(proto.asText(), "protocol");
      return;
    }
    if (!object(proto, "protocol")) {
      return;
    }
    keys(proto, "protocol.", Set.of("type", "profile", "config", "period", "rounds"));
    if (proto.has("type")) {
      s.protocol = protocol(proto.get("type").asText(), "protocol.type");
    }
    MembershipConfig.Builder b = MembershipConfig.lan().toBuilder();
    if (proto.has("profile")) {
      String profile = proto.get("profile").asText();
      try {
        b = MembershipConfig.profile(profile).toBuilder();
        s.profile = profile.toLowerCase(Locale.ROOT);
      } catch (IllegalArgumentException e) {
        errors.add("protocol.profile: " + e.getMessage());
      }
    }
    JsonNode config = proto.get("config");
    if (config != null && object(config, "protocol.config")) {
      Iterator<Map.Entry<String, JsonNode>> it = config.fields();
      while (it.hasNext()) {
        Map.Entry<String, JsonNode> e = it.next();
        applyKnob(b, e.getKey(), e.getValue());
      }
    }
    try {
      s.membership = b.build();
    } catch (IllegalArgumentException e) {
      errors.add("protocol.config: " + e.getMessage());
    }
    if (proto.has("period")) {
      s.rumorPeriodMillis = millis(proto.get("period"), "protocol.period", s.rumorPeriodMillis);
    }
    if (proto.has("rounds")) {
      String mode = proto.get("rounds").asText().toLowerCase(Locale.ROOT);
      if (mode.equals("synchronous")) {
        s.rumorAlignedRounds = true;
      } else if (mode.equals("asynchronous")) {
        s.rumorAlignedRounds = false;
      } else {
        errors.add("protocol.rounds: expected synchronous or asynchronous, got '" + mode + "'");
      }
    }
  }

  /** Membership knob names: the public single-argument setters of {@link MembershipConfig.Builder}. */
  public static Map<String, Method> knobs() {
    Map<String, Method> m = new TreeMap<>();
    for (Method method : MembershipConfig.Builder.class.getMethods()) {
      if (method.getParameterCount() == 1 && method.getReturnType() == MembershipConfig.Builder.class) {
        m.put(method.getName(), method);
      }
    }
    return m;
  }

  private void applyKnob(MembershipConfig.Builder b, String name, JsonNode value) {
    Method m = knobs().get(name);
    String key = "protocol.config." + name;
    if (m == null) {
      errors.add(key + ": unknown membership knob (known: " + String.join(", ", knobs().keySet()) + ")");
      return;
    }
    Class<?> type = m.getParameterTypes()[0];
    Object arg;
    if (type == Duration.class) {
      long ms = millis(value, key, -1);
      if (ms < 0) {
        return;
      }
      arg = Duration.ofMillis(ms);
    } else if (type == int.class) {
      arg = (int) longValue(value, key, Integer.MIN_VALUE, Integer.MAX_VALUE, 0);
    } else if (type == boolean.class) {
      if (!value.isBoolean()) {
        errors.add(key + ": expected true or false, got '" + value.asText() + "'");
        return;
      }
      arg = value.asBoolean();
    } else {
      errors.add(key + ": unsupported knob type " + type.getSimpleName());
      return;
    }
    try {
      m.invoke(b, arg);
    } catch (IllegalAccessException | InvocationTargetException e) {
      errors.add(key + ": " + e.getMessage());
    }
  }

  private Scenario.Protocol protocol(String text, String key) {
    switch (text.toLowerCase(Locale.ROOT)) {
      case "membership":
      case "swim":
        return Scenario.Protocol.MEMBERSHIP;
      case "rumor":
      case "push-pull":
        return Scenario.Protocol.RUMOR;
      default:
        errors.add(key + ": unknown protocol '" + text + "' (expected membership or rumor)");
        return Scenario.Protocol.MEMBERSHIP;
    }
  }

  private void readNetwork(JsonNode net, Scenario s) {
    keys(net, "network.", Set.of("latency", "loss", "duplicate", "bandwidth", "streamExtra"));
    JsonNode lat = net.get("latency");
    if (lat != null) {
      readLatency(lat, s);
    }
    if (net.has("loss")) {
      s.loss = fraction(net.get("loss"), "network.loss");
    }
    if (net.has("duplicate")) {
      s.duplicate = fraction(net.get("duplicate"), "network.duplicate");
    }
    if (net.has("bandwidth")) {
      s.bandwidthBytesPerSecond = longValue(net.get("bandwidth"), "network.bandwidth", 0, Long.MAX_VALUE, 0);
    }
    if (net.has("streamExtra")) {
      s.streamExtraMillis = millis(net.get("streamExtra"), "network.streamExtra", s.streamExtraMillis);
    }
  }

  private void readLatency(JsonNode lat, Scenario s) {
    if (!lat.isObject()) {
      long us = micros(lat, "network.latency", -1);
      if (us >= 0) {
        s.latencyType = Scenario.LatencyType.CONSTANT;
        s.latencyMicros = us;
      }
      return;
    }
    keys(lat, "network.latency.", Set.of("type", "value", "min", "max", "median", "sigma"));
    String type = lat.has("type") ? lat.get("type").asText().toLowerCase(Locale.ROOT) : "";
    switch (type) {
      case "constant":
        s.latencyType = Scenario.LatencyType.CONSTANT;
        s.latencyMicros = micros(required(lat, "value", "network.latency"), "network.latency.value", 0);
        break;
      case "uniform":
        s.latencyType = Scenario.LatencyType.UNIFORM;
        s.latencyMicros = micros(required(lat, "min", "network.latency"), "network.latency.min", 0);
        s.latencyMaxMicros = micros(required(lat, "max", "network.latency"), "network.latency.max", 0);
        break;
      case "lognormal":
        s.latencyType = Scenario.LatencyType.LOGNORMAL;
        s.latencyMicros = micros(required(lat, "median", "network.latency"), "network.latency.median", 1);
        JsonNode sigma = required(lat, "sigma", "network.latency");
        if (sigma != null) {
          if (!sigma.isNumber()) {
            errors.add("network.latency.sigma: expected a number, got '" + sigma.asText() + "'");
          } else {
            s.latencySigma = sigma.asDouble();
          }
        }
        break;
      default:
        errors.add("network.latency.type: expected constant, uniform or lognormal, got '" + type + "'");
    }
  }

  private Fault readFault(JsonNode f, String at) {
    if (!object(f, at)) {
      return null;
    }
    keys(f, at + ".", Set.of("type", "at", "until", "heal", "nodes", "delay", "rate", "downtime", "groups", "links"));
    String type = f.has("type") ? f.get("type").asText().toLowerCase(Locale.ROOT) : "";
    long atMs = f.has("at") ? millis(f.get("at"), at + ".at", 0) : 0;
    long until = Long.MAX_VALUE;
    if (f.has("until")) {
      until = millis(f.get("until"), at + ".until", Long.MAX_VALUE);
    }
    if (f.has("heal")) {
      until = millis(f.get("heal"), at + ".heal", Long.MAX_VALUE);
    }
    switch (type) {
      case "crash":
      case "restart":
      case "leave": {
        NodeSet nodes = nodeSet(required(f, "nodes", at), at + ".nodes");
        if (nodes == null) {
          return null;
        }
        return type.equals("crash") ? Fault.crash(atMs, nodes)
            : type.equals("restart") ? Fault.restart(atMs, nodes) : Fault.leave(atMs, nodes);
      }
      case "slow": {
        NodeSet nodes = nodeSet(required(f, "nodes", at), at + ".nodes");
        long delay = f.has("delay") ? millis(f.get("delay"), at + ".delay", 0) : 0;
        return nodes == null ? null : Fault.slow(atMs, until, nodes, delay);
      }
      case "partition": {
        if (f.has("groups")) {
          JsonNode g = f.get("groups");
          if (!g.isArray() || g.size() < 1) {
            errors.add(at + ".groups: expected a list of node sets");
            return null;
          }
          List<NodeSet> groups = new ArrayList<>();
          for (int i = 0; i < g.size(); i++) {
            NodeSet ns = nodeSet(g.get(i), at + ".groups[" + i + "]");
            if (ns == null) {
              return null;
            }
            groups.add(ns);
          }
          return Fault.partition(atMs, until, groups);
        }
        if (f.has("links")) {
          JsonNode l = f.get("links");
          List<int[]> links = new ArrayList<>();
          for (int i = 0; l.isArray() && i < l.size(); i++) {
            JsonNode pair = l.get(i);
            if (!pair.isArray() || pair.size() != 2 || !pair.get(0).canConvertToInt() || !pair.get(1).canConvertToInt()) {
              errors.add(at + ".links[" + i + "]: expected a pair of node indices like [3, 7]");
              return null;
            }
            links.add(new int[] {pair.get(0).asInt(), pair.get(1).asInt()});
          }
          if (!l.isArray()) {
            errors.add(at + ".links: expected a list of pairs");
            return null;
          }
          return Fault.cutLinks(atMs, until, links);
        }
        errors.add(at + ": a partition needs groups or links");
        return null;
      }
      case "churn": {
        JsonNode rate = required(f, "rate", at);
        double r = 0;
        if (rate != null) {
          if (!rate.isNumber() || rate.asDouble() <= 0) {
            errors.add(at + ".rate: expected crashes per second > 0, got '" + rate.asText() + "'");
          } else {
            r = rate.asDouble();
          }
        }
        long downtime = f.has("downtime") ? millis(f.get("downtime"), at + ".downtime", 0) : 10_000;
        return Fault.churn(atMs, until, r, downtime);
      }
      default:
        errors.add(at + ".type: expected crash, restart, leave, slow, partition or churn, got '" + type + "'");
        return null;
    }
  }

  /** Node sets: 7, [1, 2, "10-19"], "0-49", "1%", {count: 3}, {fraction: 0.01}, {range: "0-9"}. */
  private NodeSet nodeSet(JsonNode v, String key) {
    if (v == null) {
      return null;
    }
    if (v.canConvertToInt() && v.isIntegralNumber()) {
      if (v.asInt() < 0) {
        errors.add(key + ": node indices are 0 or more, got " + v.asInt());
        return null;
      }
      return NodeSet.of(v.asInt());
    }
    if (v.isTextual()) {
      String t = v.asText().trim();
      Matcher r = RANGE.matcher(t);
      if (r.matches()) {
        int a = Integer.parseInt(r.group(1));
        int b = Integer.parseInt(r.group(2));
        if (b < a) {
          errors.add(key + ": range end before start in '" + t + "'");
          return null;
        }
        return NodeSet.range(a, b);
      }
      Matcher p = PERCENT.matcher(t);
      if (p.matches()) {
        double frac = Double.parseDouble(p.group(1)) / 100.0;
        if (frac > 1) {
          errors.add(key + ": more than 100% in '" + t + "'");
          return null;
        }
        return NodeSet.randomFraction(frac);
      }
      errors.add(key + ": expected a node index, a range like '0-49' or a percentage like '1%', got '" + t + "'");
      return null;
    }
    if (v.isArray()) {
      List<Integer> all = new ArrayList<>();
      for (int i = 0; i < v.size(); i++) {
        NodeSet part = nodeSet(v.get(i), key + "[" + i + "]");
        if (part == null) {
          return null;
        }
        if (part.isRandom()) {
          errors.add(key + "[" + i + "]: a list holds node indices and ranges only");
          return null;
        }
        int[] idx = part.resolve(Integer.MAX_VALUE, null, 0);
        for (int x : idx) {
          all.add(x);
        }
      }
      return NodeSet.of(all.stream().mapToInt(Integer::intValue).toArray());
    }
    if (v.isObject()) {
      keys(v, key + ".", Set.of("count", "fraction", "range"));
      if (v.has("count")) {
        return NodeSet.randomCount((int) longValue(v.get("count"), key + ".count", 0, 16_000_000, 0));
      }
      if (v.has("fraction")) {
        return NodeSet.randomFraction(fraction(v.get("fraction"), key + ".fraction"));
      }
      if (v.has("range")) {
        return nodeSet(v.get("range"), key + ".range");
      }
    }
    errors.add(key + ": expected a node index, a list, a range '0-49', a percentage '1%', {count: k} or {fraction: f}");
    return null;
  }

  // ------------------------------------------------------------------ value helpers

  private void keys(JsonNode obj, String prefix, Set<String> known) {
    Iterator<String> it = obj.fieldNames();
    while (it.hasNext()) {
      String k = it.next();
      if (!known.contains(k)) {
        errors.add(prefix + k + ": unknown key (expected one of " + String.join(", ", new java.util.TreeSet<>(known)) + ")");
      }
    }
  }

  private boolean object(JsonNode v, String key) {
    if (!v.isObject()) {
      errors.add(key + ": expected a mapping of keys, got '" + v.asText() + "'");
      return false;
    }
    return true;
  }

  private JsonNode required(JsonNode obj, String field, String where) {
    JsonNode v = obj.get(field);
    if (v == null) {
      errors.add(where + "." + field + ": required");
    }
    return v;
  }

  private long longValue(JsonNode v, String key, long min, long max, long fallback) {
    if (v == null) {
      return fallback;
    }
    if (!v.isIntegralNumber()) {
      errors.add(key + ": expected a whole number, got '" + v.asText() + "'");
      return fallback;
    }
    long x = v.asLong();
    if (x < min || x > max) {
      errors.add(key + ": must be in " + min + ".." + max + ", got " + x);
      return fallback;
    }
    return x;
  }

  private double fraction(JsonNode v, String key) {
    double x;
    if (v.isNumber()) {
      x = v.asDouble();
    } else if (v.isTextual() && PERCENT.matcher(v.asText().trim()).matches()) {
      Matcher m = PERCENT.matcher(v.asText().trim());
      m.matches();
      x = Double.parseDouble(m.group(1)) / 100.0;
    } else {
      errors.add(key + ": expected a probability 0..1 or a percentage like '5%', got '" + v.asText() + "'");
      return 0;
    }
    if (!(x >= 0 && x <= 1)) {
      errors.add(key + ": must be in 0..1, got " + x);
      return 0;
    }
    return x;
  }

  private long millis(JsonNode v, String key, long fallback) {
    long us = micros(v, key, -1);
    return us < 0 ? fallback : us / 1000;
  }

  private long micros(JsonNode v, String key, long fallback) {
    if (v == null) {
      return fallback;
    }
    try {
      return parseMicros(v.isNumber() ? v.asText() + "ms" : v.asText());
    } catch (IllegalArgumentException e) {
      errors.add(key + ": " + e.getMessage());
      return fallback;
    }
  }

  /** Parses {@code 250us}, {@code 500ms}, {@code 2s}, {@code 1.5m}, {@code 1h}; a bare number is milliseconds. */
  public static long parseMicros(String text) {
    Matcher m = DURATION.matcher(text.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException("expected a duration like 500ms, 2s or 1m, got '" + text + "'");
    }
    double x = Double.parseDouble(m.group(1));
    String unit = m.group(2) == null ? "ms" : m.group(2);
    double us;
    switch (unit) {
      case "us":
        us = x;
        break;
      case "ms":
        us = x * 1e3;
        break;
      case "s":
        us = x * 1e6;
        break;
      case "m":
        us = x * 60e6;
        break;
      default:
        us = x * 3600e6;
    }
    return Math.round(us);
  }
}
