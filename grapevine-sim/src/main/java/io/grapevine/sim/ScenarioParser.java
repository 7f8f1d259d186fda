// SPDX-License-Identifier: Apache-2.0
package io.grapevine.sim;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.grapevine.assembly.ProtocolRegistry;
import io.grapevine.config.ConfigException;
import io.grapevine.config.ConfigRegistry;
import io.grapevine.config.Durations;
import io.grapevine.config.Knob;
import io.grapevine.config.ProtocolConfigs;
import io.grapevine.config.Setting;
import io.grapevine.config.MembershipConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a scenario from YAML or JSON (JSON is YAML, so one reader does both) and checks it, collecting
 * every problem as one line naming the file, the line and the key: {@code bad.yaml:4: network.loss:
 * must be in 0..1, got 1.5}.
 *
 * <p>Durations follow {@link Durations}: {@code 500ms}, {@code 1.5s}, {@code 2m}, {@code 1h} or
 * ISO-8601, in whole milliseconds; a bare number is an error. Protocol knobs are set under {@code
 * protocol.config} by {@link ConfigRegistry} section, like the agent's config file: {@code kv:
 * {syncInterval: 1s}} or {@code kv.syncInterval: 1s}; a knob name without a section is a membership
 * knob ({@code maxQueuedBroadcasts: 2048}), the form the first scenarios used.
 */
public final class ScenarioParser {
  private static final Pattern RANGE = Pattern.compile("(\\d{1,9})\\s*-\\s*(\\d{1,9})");
  private static final Pattern PERCENT = Pattern.compile("(\\d+(?:\\.\\d+)?)%");

  private static final Pattern KEY_PATH = Pattern.compile("[A-Za-z0-9_.\\[\\]-]+");

  /** Problems still to be given their line: each starts with the key it is about. */
  private final List<String> errors = new ArrayList<>();
  /**
   * Node indices a range or list may reach (the scenario's node count once read): ranges and lists
   * are expanded to arrays, so their size is checked before anything is allocated.
   */
  private int nodeLimit = 16_000_000;
  /** Problems that already name their source and line (from the knob registry). */
  private final List<String> located = new ArrayList<>();
  private final String source;
  private final Map<String, Integer> lines;

  /** Thrown when a scenario is invalid; the message has one line per problem. */
  public static final class ScenarioException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;
    private final List<String> problems;

    /**
     * @param source what the problems are about, put in front of each: a file name, a scenario name
     * @param problems one line each, naming the key
     */
    public ScenarioException(String source, List<String> problems) {
      this(problems.stream().map(p -> source + ": " + p).toList());
    }

    /** @param lines one problem each, already naming its source: {@code bad.yaml:3: nodes: ...} */
    public ScenarioException(List<String> lines) {
      super(String.join("\n", lines));
      this.problems = List.copyOf(lines);
    }

    /** One line per problem, each starting with its source (the file and line, when read from a file). */
    public List<String> problems() {
      return problems;
    }
  }

  private ScenarioParser(String source, Map<String, Integer> lines) {
    this.source = source;
    this.lines = lines;
  }

  /** Reads and validates a scenario file; problems name the file as given and the line. */
  public static Scenario parse(Path file) throws IOException {
    String text = Files.readString(file);
    return parse(text, file.toString());
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
      String where = e.getLocation() == null ? "" : ":" + e.getLocation().getLineNr();
      throw new ScenarioException(List.of(source + where + ": not valid YAML/JSON: " + msg));
    }
    ScenarioParser p = new ScenarioParser(source, keyLines(text));
    Scenario s = p.read(root);
    s.sourceText = text;
    if (p.errors.isEmpty() && p.located.isEmpty()) {
      p.errors.addAll(s.validate());
    }
    if (!p.errors.isEmpty() || !p.located.isEmpty()) {
      List<String> all = new ArrayList<>();
      p.errors.forEach(e -> all.add(p.locate(e)));
      all.addAll(p.located);
      throw new ScenarioException(all);
    }
    return s;
  }

  /** {@code source:LINE: problem}, the line being that of the key the problem starts with (or its parent's). */
  private String locate(String problem) {
    int colon = problem.indexOf(": ");
    if (colon > 0 && KEY_PATH.matcher(problem.substring(0, colon)).matches()) {
      String key = problem.substring(0, colon);
      while (!key.isEmpty()) {
        Integer line = lines.get(key);
        if (line != null) {
          return source + ":" + line + ": " + problem;
        }
        int cut = Math.max(key.lastIndexOf('.'), key.lastIndexOf('['));
        key = cut < 0 ? "" : key.substring(0, cut);
      }
    }
    return source + ": " + problem;
  }

  private String at(String key) {
    Integer line = lines.get(key);
    return line == null ? source : source + ":" + line;
  }

  /** The line of every key and list item, by its path as problems name it: {@code faults[0].nodes}. */
  static Map<String, Integer> keyLines(String text) {
    Map<String, Integer> out = new HashMap<>();
    try (JsonParser p = new YAMLFactory().createParser(text)) {
      JsonToken t = p.nextToken();
      if (t == JsonToken.START_OBJECT) {
        walk(p, t, "", out);
      }
    } catch (IOException e) {
      // The tree was read, so this does not happen; without lines, problems name the file only.
    }
    return out;
  }

  private static void walk(JsonParser p, JsonToken t, String path, Map<String, Integer> out) throws IOException {
    if (t == JsonToken.START_OBJECT) {
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String key = path.isEmpty() ? p.currentName() : path + "." + p.currentName();
        out.putIfAbsent(key, p.currentTokenLocation().getLineNr());
        walk(p, p.nextToken(), key, out);
      }
    } else if (t == JsonToken.START_ARRAY) {
      int i = 0;
      for (JsonToken item = p.nextToken(); item != JsonToken.END_ARRAY; item = p.nextToken(), i++) {
        String key = path + "[" + i + "]";
        out.putIfAbsent(key, p.currentTokenLocation().getLineNr());
        walk(p, item, key, out);
      }
    }
  }

  private Scenario read(JsonNode root) {
    Scenario s = new Scenario();
    if (root == null || !root.isObject()) {
      errors.add("the scenario must be a mapping of keys (name, nodes, protocol, network, faults...)");
      return s;
    }
    keys(root, "", Set.of("name", "seed", "nodes", "protocol", "join", "network", "faults", "duration", "rounds",
        "sampleEvery", "workload"));
    if (root.has("name")) {
      s.name = root.get("name").asText();
    }
    if (root.has("seed")) {
      s.seed = longValue(root.get("seed"), "seed", Long.MIN_VALUE, Long.MAX_VALUE, s.seed);
    }
    if (root.has("nodes")) {
      s.nodes = (int) longValue(root.get("nodes"), "nodes", 1, 16_000_000, s.nodes);
      nodeLimit = s.nodes;
    } else {
      errors.add("nodes: required (the cluster size)");
    }
    JsonNode proto = root.get("protocol");
    if (proto != null) {
      readProtocol(proto, s);
    }
    JsonNode join = root.get("join");
    if (join != null && object(join, "join")) {
      keys(join, "join.", Set.of("seeds", "over", "reconnect"));
      if (join.has("seeds")) {
        s.seedNodes = (int) longValue(join.get("seeds"), "join.seeds", 1, 1_000_000, s.seedNodes);
      }
      if (join.has("over")) {
        s.joinOverMillis = millis(join.get("over"), "join.over", s.joinOverMillis);
      }
      if (join.has("reconnect")) {
        s.reconnectEveryMillis = millis(join.get("reconnect"), "join.reconnect", s.reconnectEveryMillis);
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
    JsonNode workload = root.get("workload");
    if (workload != null && object(workload, "workload")) {
      Iterator<Map.Entry<String, JsonNode>> it = workload.fields();
      while (it.hasNext()) {
        Map.Entry<String, JsonNode> e = it.next();
        if (e.getValue().isContainerNode()) {
          errors.add("workload." + e.getKey() + ": expected a single value");
        } else {
          s.workload.put(e.getKey(), e.getValue().asText());
        }
      }
    }
    if (join != null && !s.protocol.fullNetworkModel()) {
      errors.add("join: the " + s.protocol.cliName() + " family joins its nodes itself; remove it");
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
    keys(proto, "protocol.", Set.of("type", "profile", "config", "period", "rounds", "stack"));
    if (proto.has("type")) {
      s.protocol = protocol(proto.get("type").asText(), "protocol.type");
    }
    MembershipConfig base = MembershipConfig.lan();
    if (proto.has("profile")) {
      String profile = proto.get("profile").asText();
      try {
        base = MembershipConfig.profile(profile);
        s.profile = profile.toLowerCase(Locale.ROOT);
      } catch (IllegalArgumentException e) {
        errors.add("protocol.profile: " + e.getMessage());
      }
    }
    List<Setting> knobs = new ArrayList<>();
    JsonNode config = proto.get("config");
    if (config != null && object(config, "protocol.config")) {
      readKnobs(config, "", knobs);
    }
    // The simulator models datagrams and streams itself: a transport setting would be ignored.
    for (java.util.Iterator<Setting> it = knobs.iterator(); it.hasNext(); ) {
      Setting k = it.next();
      if (k.key().startsWith(ConfigRegistry.TRANSPORT.name() + ".")) {
        located.add(k.source() + ": " + k.key() + ": the simulator has no sockets; transport settings apply to socket nodes only");
        it.remove();
      }
    }
    try {
      ProtocolConfigs c = ProtocolConfigs.defaults().withMembership(base).apply(knobs);
      s.membership = c.membership();
      s.dissemination = c.dissemination();
      s.kv = c.kv();
      s.aggregation = c.aggregation();
      s.hyparview = c.hyparview();
      s.plumtree = c.plumtree();
      s.ring = c.ring();
      s.coordinates = c.coordinates();
      s.query = c.query();
      for (Setting k : knobs) {
        String section = k.key().substring(0, k.key().indexOf('.'));
        Knob knob = ConfigRegistry.section(section).knob(k.key().substring(section.length() + 1)).orElseThrow();
        s.knobs.put(knob.qualifiedName(), knob.format(knob.parse(k.value())));
      }
    } catch (ConfigException e) {
      located.addAll(e.problems());
    }
    if (proto.has("stack")) {
      readStack(proto.get("stack"), s);
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

  /**
   * {@code protocol.stack}: the registered protocols each node runs beside membership, checked
   * against the registry (known, not twice, each after those it runs on).
   */
  private void readStack(JsonNode list, Scenario s) {
    if (!list.isArray()) {
      errors.add("protocol.stack: expected a list of protocol names, like [dissemination, aggregation]");
      return;
    }
    ProtocolRegistry registry = ProtocolRegistry.builtIn();
    for (JsonNode n : list) {
      String name = n.asText();
      String problem = null;
      if (name.equals(ConfigRegistry.MEMBERSHIP.name())) {
        problem = "membership always runs; list the protocols beside it";
      } else if (registry.find(name).isEmpty()) {
        problem = registry.unknown(name);
      } else if (s.stack.contains(name)) {
        problem = "protocol '" + name + "' is listed twice";
      } else {
        for (String r : registry.find(name).get().requires()) {
          if (!s.stack.contains(r)) {
            problem = "protocol '" + name + "' runs on '" + r + "': list '" + r + "' before it";
          }
        }
      }
      if (problem != null) {
        errors.add("protocol.stack: " + problem);
      } else {
        s.stack.add(name);
      }
    }
  }

  /**
   * The knobs under {@code protocol.config}: {@code SECTION: {KNOB: VALUE}} or {@code SECTION.KNOB:
   * VALUE}, and a bare {@code KNOB: VALUE} for a membership knob.
   */
  private void readKnobs(JsonNode node, String prefix, List<Setting> out) {
    Iterator<Map.Entry<String, JsonNode>> it = node.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      String key = prefix + e.getKey();
      String path = "protocol.config." + key;
      JsonNode v = e.getValue();
      if (v.isObject()) {
        readKnobs(v, key + ".", out);
      } else if (v.isArray()) {
        errors.add(path + ": expected a single value, not a list");
      } else if (key.indexOf('.') < 0 && ConfigRegistry.find(key).isPresent()) {
        errors.add(path + ": expected the knobs of section " + key + ", like " + key + ": {"
            + ConfigRegistry.section(key).knobs().get(0).name() + ": ...}");
      } else {
        String qualified = key.indexOf('.') < 0 ? ConfigRegistry.MEMBERSHIP.name() + "." + key : key;
        out.add(new Setting(qualified, v.isNull() ? "" : v.asText(), at(path)));
      }
    }
  }

  private Scenario.Protocol protocol(String text, String key) {
    java.util.Optional<Scenario.Protocol> p = Scenario.Protocol.find(text);
    if (p.isEmpty()) {
      errors.add(key + ": unknown protocol '" + text + "' (known: " + Scenario.Protocol.names() + ")");
      return Scenario.Protocol.MEMBERSHIP;
    }
    return p.get();
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
    keys(f, at + ".", Set.of("type", "at", "until", "heal", "nodes", "delay", "rate", "downtime", "groups", "links",
        "loss", "peers", "direction"));
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
      case "flaky": {
        NodeSet nodes = nodeSet(required(f, "nodes", at), at + ".nodes");
        JsonNode loss = required(f, "loss", at);
        double p = loss == null ? 0 : fraction(loss, at + ".loss");
        return nodes == null ? null : Fault.flaky(atMs, until, nodes, p);
      }
      case "oneway": {
        NodeSet nodes = nodeSet(required(f, "nodes", at), at + ".nodes");
        NodeSet peers = f.has("peers") ? nodeSet(f.get("peers"), at + ".peers") : null;
        String dir = f.has("direction") ? f.get("direction").asText().toLowerCase(Locale.ROOT) : "outbound";
        if (!dir.equals("outbound") && !dir.equals("inbound")) {
          errors.add(at + ".direction: expected outbound or inbound, got '" + dir + "'");
          return null;
        }
        if (f.has("peers") && peers == null) {
          return null;
        }
        return nodes == null ? null : Fault.oneWay(atMs, until, nodes, peers, dir.equals("inbound"));
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
        errors.add(at + ".type: expected crash, restart, leave, slow, flaky, oneway, partition or churn, got '" + type + "'");
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
        if (b >= nodeLimit) {
          errors.add(key + ": range '" + t + "' goes past the last node (" + (nodeLimit - 1) + ")");
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
      int[] all = new int[Math.min(v.size(), nodeLimit)];
      int size = 0;
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
        if ((long) size + idx.length > nodeLimit) {
          errors.add(key + ": more entries than nodes (" + nodeLimit + ")");
          return null;
        }
        if (size + idx.length > all.length) {
          all = Arrays.copyOf(all, (int) Math.min(nodeLimit, Math.max(2L * all.length, size + idx.length)));
        }
        System.arraycopy(idx, 0, all, size, idx.length);
        size += idx.length;
      }
      return NodeSet.of(Arrays.copyOf(all, size));
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
    if (v == null) {
      return fallback;
    }
    try {
      return Durations.parse(v.asText()).toMillis();
    } catch (IllegalArgumentException e) {
      errors.add(key + ": " + e.getMessage());
      return fallback;
    }
  }

  /** A duration as virtual microseconds, the engine's time unit; written in whole milliseconds. */
  private long micros(JsonNode v, String key, long fallback) {
    long ms = millis(v, key, -1);
    return ms < 0 ? fallback : ms * 1000;
  }
}
