// SPDX-License-Identifier: Apache-2.0
package io.grapevine.agent.client;

import com.fasterxml.jackson.databind.JsonNode;
import io.grapevine.agent.GrapevineCommand;
import io.grapevine.agent.api.Json;
import io.grapevine.agent.client.AgentClient.AgentException;
import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** Commands for the data a cluster shares: user events, aggregates, tree totals and replicated maps. */
public final class DataCommands {
  private DataCommands() {}

  /** One path segment, percent-encoded (a space as %20, never '+'). */
  static String segment(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  /** The text of a {@code field} or {@code fieldBase64} pair as written by {@link Json#putBytes}. */
  static String bytesText(JsonNode o, String field) {
    if (o.hasNonNull(field)) {
      return o.get(field).asText();
    }
    return o.hasNonNull(field + "Base64") ? "base64:" + o.get(field + "Base64").asText() : "";
  }

  /** Raw bytes of a {@code field} or {@code fieldBase64} pair, for printing a value alone. */
  static byte[] bytes(JsonNode o, String field) {
    if (o.hasNonNull(field)) {
      return o.get(field).asText().getBytes(StandardCharsets.UTF_8);
    }
    return o.hasNonNull(field + "Base64") ? Base64.getDecoder().decode(o.get(field + "Base64").asText()) : new byte[0];
  }

  /** A topic or aggregate name: 1..255 UTF-8 bytes, else a usage error naming {@code label}. */
  static void checkName(CommandSpec spec, String label, String name) {
    int bytes = name.getBytes(StandardCharsets.UTF_8).length;
    if (bytes < 1 || bytes > 255) {
      throw new ParameterException(spec.commandLine(), label + " must be 1..255 UTF-8 bytes, got " + bytes);
    }
  }

  /** A replicated map's name, checked before asking the agent. */
  static void checkMap(CommandSpec spec, String map) {
    String problem = io.grapevine.antientropy.Names.mapNameProblem(map);
    if (problem != null) {
      throw new ParameterException(spec.commandLine(), "MAP: " + problem);
    }
  }

  /** Keeps one event or change on one line. */
  static String oneLine(String s) {
    return s.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r");
  }

  // ---------------------------------------------------------------- events

  /** {@code grapevine event}: publish and watch user events. */
  @Command(
      name = "event",
      mixinStandardHelpOptions = true,
      versionProvider = GrapevineCommand.Version.class,
      description = "Publish user events to the whole cluster, or watch them arrive.",
      subcommands = {EventSend.class, EventWatch.class})
  public static final class Event implements Runnable {
    @Spec CommandSpec spec;

    @Override
    public void run() {
      throw new ParameterException(spec.commandLine(), "missing a subcommand (send or watch)");
    }
  }

  /** {@code grapevine event send TOPIC PAYLOAD}. */
  @Command(
      name = "send",
      mixinStandardHelpOptions = true,
      versionProvider = GrapevineCommand.Version.class,
      description = "Publish an event: every node delivers it once, by gossip. Prints the event id.")
  public static final class EventSend extends ClientCommands.Base {
    @Parameters(index = "0", paramLabel = "TOPIC", description = "1..255 UTF-8 bytes.")
    String topic;

    @Parameters(index = "1", paramLabel = "PAYLOAD", description = "The payload, as UTF-8 text (64 KiB at most by default).")
    String payload;

    @Option(names = "--coalesce", paramLabel = "KEY",
        description = "Only the newest event of this topic and KEY matters: a node that already delivered a newer one skips it.")
    String coalesce;

    @Option(names = "--json", description = "Print the agent's JSON answer.")
    boolean json;

    @Override
    void run(AgentClient client) throws AgentException {
      checkName(spec, "TOPIC", topic);
      if (coalesce != null) {
        checkName(spec, "--coalesce", coalesce);
      }
      String query = coalesce == null ? "" : "?coalesce=" + URLEncoder.encode(coalesce, StandardCharsets.UTF_8);
      JsonNode body = client.postBytes("/v1/events/" + segment(topic) + query, payload.getBytes(StandardCharsets.UTF_8));
      out().println(json ? Json.write(body) : body.path("id").asText());
    }
  }

  /** {@code grapevine event watch [TOPIC]}. */
  @Command(
      name = "watch",
      mixinStandardHelpOptions = true,
      versionProvider = GrapevineCommand.Version.class,
      description = "Print every event the agent delivers from now on, one line each, until Ctrl-C.")
  public static final class EventWatch extends ClientCommands.Base {
    @Parameters(index = "0", arity = "0..1", paramLabel = "TOPIC", description = "Only this topic (default: every topic).")
    String topic;

    @Option(names = "--json", description = "One JSON object per line.")
    boolean json;

    @Override
    void run(AgentClient client) throws AgentException {
      PrintWriter out = out();
      String path = "/v1/events/watch" + (topic == null ? "" : "?topic=" + URLEncoder.encode(topic, StandardCharsets.UTF_8));
      client.stream(path, () -> err("watching " + (topic == null ? "every topic" : "topic " + topic)
          + " on " + options.http + " (Ctrl-C to stop)"), e -> {
            if (json) {
              out.println(compact(e));
            } else {
              out.println(e.path("topic").asText() + " " + e.path("id").asText() + " " + oneLine(bytesText(e, "payload")));
            }
            out.flush();
          });
    }
  }

  // ---------------------------------------------------------------- aggregates

  /** {@code grapevine aggregate}: publish a value, show cluster-wide estimates. */
  @Command(
      name = "aggregate",
      mixinStandardHelpOptions = true,
      versionProvider = GrapevineCommand.Version.class,
      description = "Publish this node's value of a name, or show the cluster-wide AVG, SUM, COUNT, MIN, MAX.",
      subcommands = {AggregateSet.class, AggregateShow.class})
  public static final class Aggregate implements Runnable {
    @Spec CommandSpec spec;

    @Override
    public void run() {
      throw new ParameterException(spec.commandLine(), "missing a subcommand (set or show)");
    }
  }

  /** {@code grapevine aggregate set NAME VALUE}. */
  @Command(
      name = "set",
      mixinStandardHelpOptions = true,
      versionProvider = GrapevineCommand.Version.class,
      description = "Set this node's value for NAME; every node soon estimates the cluster-wide aggregates.")
  public static final class AggregateSet extends ClientCommands.Base {
    @Parameters(index = "0", paramLabel = "NAME", description = "1..255 UTF-8 bytes.")
    String name;

    @Parameters(index = "1", paramLabel = "VALUE", description = "A finite number, e.g. 0.7.")
    String value;

    @Option(names = "--json", description = "Print the agent's JSON answer.")
    boolean json;

    @Override
    void run(AgentClient client) throws AgentException {
      checkName(spec, "NAME", name);
      double v;
      try {
        v = Double.parseDouble(value.trim());
      } catch (NumberFormatException e) {
        v = Double.NaN;
      }
      if (!Double.isFinite(v)) {
        throw new ParameterException(spec.commandLine(), "VALUE must be a finite number like 0.7, got '" + value + "'");
      }
      JsonNode body = client.put("/v1/aggregates/" + segment(name), value.trim().getBytes(StandardCharsets.UTF_8));
      out().println(json ? Json.write(body) : "published " + name + " = " + body.path("value").asText());
    }
  }

  /** {@code grapevine aggregate show [NAME]}. */
  @Command(
      name = "show",
      mixinStandardHelpOptions = true,
      versionProvider = GrapevineCommand.Version.class,
      description = "Show the estimates this agent has: name, avg, sum, count, min, max, epoch, rounds, error.")
  public static final class AggregateShow extends ClientCommands.Base {
    @Parameters(index = "0", arity = "0..1", paramLabel = "NAME", description = "Only this name (default: all).")
    String name;

    @Option(names = "--json", description = "Print JSON instead of a table.")
    boolean json;

    @Override
    void run(AgentClient client) throws AgentException {
      JsonNode body = name == null ? client.get("/v1/aggregates") : client.get("/v1/aggregates/" + segment(name));
      if (json) {
        out().println(Json.write(body));
        return;
      }
      List<JsonNode> rows = new ArrayList<>();
      if (name == null) {
        body.path("aggregates").forEach(rows::add);
      } else {
        rows.add(body);
      }
      out().print(aggregatesTable(rows));
      if (name == null) {
        JsonNode size = body.path("clusterSize");
        out().println("estimated cluster size: " + (size.isNumber() ? number(size) : "-"));
      }
    }
  }

  /** The aggregates table. */
  public static String aggregatesTable(List<JsonNode> estimates) {
    List<List<String>> rows = new ArrayList<>();
    for (JsonNode e : estimates) {
      rows.add(List.of(e.path("name").asText(), number(e.path("avg")), number(e.path("sum")),
          number(e.path("count")), number(e.path("min")), number(e.path("max")),
          e.path("epoch").asText(), e.path("rounds").asText(), number(e.path("error"))));
    }
    return Table.format(List.of("NAME", "AVG", "SUM", "COUNT", "MIN", "MAX", "EPOCH", "ROUNDS", "ERROR"), rows);
  }

  private static String number(JsonNode n) {
    if (!n.isNumber()) {
      return "-";
    }
    double v = n.asDouble();
    if (v == Math.rint(v) && Math.abs(v) < 1e15) {
      return String.valueOf((long) v);
    }
    return String.format(Locale.ROOT, "%.4g", v);
  }

  // ---------------------------------------------------------------- tree aggregation

  /** {@code grapevine tree}: this node's place in the sorted ring's tree, and the exact totals. */
  @Command(
      name = "tree",
      mixinStandardHelpOptions = true,
      versionProvider = GrapevineCommand.Version.class,
      description = {
        "Set this node's value, or show the exact cluster-wide COUNT and SUM along the sorted ring's tree.",
        "Needs agents started with --tree on (or 'tree: on')."
      },
      subcommands = {TreeSet.class, TreeShow.class})
  public static final class Tree implements Runnable {
    @Spec CommandSpec spec;

    @Override
    public void run() {
      throw new ParameterException(spec.commandLine(), "missing a subcommand (set or show)");
    }
  }

  /** {@code grapevine tree set VALUE}. */
  @Command(
      name = "set",
      mixinStandardHelpOptions = true,
      versionProvider = GrapevineCommand.Version.class,
      description = "Set this node's contribution to the tree SUM (0 until set); every node soon has the new total.")
  public static final class TreeSet extends ClientCommands.Base {
    @Parameters(index = "0", paramLabel = "VALUE", description = "A finite number, e.g. 12 or 0.7.")
    String value;

    @Option(names = "--json", description = "Print the agent's JSON answer.")
    boolean json;

    @Override
    void run(AgentClient client) throws AgentException {
      double v;
      try {
        v = Double.parseDouble(value.trim());
      } catch (NumberFormatException e) {
        v = Double.NaN;
      }
      if (!Double.isFinite(v)) {
        throw new ParameterException(spec.commandLine(), "VALUE must be a finite number like 12 or 0.7, got '" + value + "'");
      }
      JsonNode body = client.put("/v1/tree/value", value.trim().getBytes(StandardCharsets.UTF_8));
      out().println(json ? Json.write(body) : "tree value = " + exact(body.path("value")));
    }
  }

  /** {@code grapevine tree show}. */
  @Command(
      name = "show",
      mixinStandardHelpOptions = true,
      versionProvider = GrapevineCommand.Version.class,
      description = "Show this node's ring neighbors, its place in the tree, and the cluster COUNT and SUM it knows.")
  public static final class TreeShow extends ClientCommands.Base {
    @Option(names = "--json", description = "Print JSON (that of GET /v1/tree).")
    boolean json;

    @Override
    void run(AgentClient client) throws AgentException {
      JsonNode body = client.get("/v1/tree");
      out().print(json ? Json.write(body) + "\n" : treeText(body));
    }
  }

  /** The human form of {@code GET /v1/tree}. */
  public static String treeText(JsonNode t) {
    if (!t.path("enabled").asBoolean()) {
      return "tree aggregation is off on this agent (start it with --tree on, or 'tree: on' in its config file)\n";
    }
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"node", "id " + t.path("nodeId").asText() + ", level " + t.path("level").asText()});
    rows.add(new String[] {"role", t.path("root").asBoolean() ? "root" : "child of " + neighborText(t.path("parent"))});
    rows.add(new String[] {"ring", "predecessor " + neighborText(t.path("predecessor")) + ", successor "
        + neighborText(t.path("successor"))});
    rows.add(new String[] {"children", t.path("children").asText() + " (subtree of " + t.path("subtreeCount").asText()
        + " nodes)"});
    rows.add(new String[] {"value", exact(t.path("value"))});
    boolean known = t.path("known").asBoolean();
    rows.add(new String[] {"count", known ? exact(t.path("count")) : "- (not known yet)"});
    rows.add(new String[] {"sum", known ? exact(t.path("sum")) : "- (not known yet)"});
    StringBuilder sb = new StringBuilder();
    for (String[] row : rows) {
      sb.append(String.format(Locale.ROOT, "%-9s %s%n", row[0], row[1]));
    }
    return sb.toString();
  }

  /** A number in full (tree totals are exact): whole numbers without a fraction. */
  private static String exact(JsonNode n) {
    if (!n.isNumber()) {
      return "-";
    }
    double v = n.asDouble();
    if (v == Math.rint(v) && Math.abs(v) < 1e15) {
      return String.valueOf((long) v);
    }
    return String.valueOf(v);
  }

  private static String neighborText(JsonNode n) {
    if (n == null || n.isNull() || n.isMissingNode()) {
      return "none yet";
    }
    String name = n.path("name").isTextual() ? n.path("name").asText() : "?";
    return name + " (" + n.path("address").asText() + ")";
  }

  // ---------------------------------------------------------------- replicated maps

  /** {@code grapevine kv}: the replicated maps. */
  @Command(
      name = "kv",
      mixinStandardHelpOptions = true,
      versionProvider = GrapevineCommand.Version.class,
      description = "Read and write replicated maps: every node holds every map; writes spread by gossip.",
      subcommands = {KvPut.class, KvGet.class, KvDelete.class, KvList.class, KvWatch.class, KvIncr.class,
          KvCounter.class, KvSetAdd.class, KvSetRemove.class, KvSetMembers.class})
  public static final class Kv implements Runnable {
    @Spec CommandSpec spec;

    @Override
    public void run() {
      throw new ParameterException(spec.commandLine(), "missing a subcommand (put, get, delete, list, watch, incr, counter,"
          + " set-add, set-remove or set-members)");
    }
  }

  /** {@code grapevine kv put MAP KEY VALUE}. */
  @Command(name = "put", mixinStandardHelpOptions = true, versionProvider = GrapevineCommand.Version.class,
      description = "Store VALUE under KEY in MAP; returns once durable on this agent's node.")
  public static final class KvPut extends ClientCommands.Base {
    @Parameters(index = "0", paramLabel = "MAP") String map;
    @Parameters(index = "1", paramLabel = "KEY") String key;
    @Parameters(index = "2", paramLabel = "VALUE", description = "UTF-8 text.") String value;

    @Option(names = "--ttl", paramLabel = "DURATION",
        description = "The value disappears on every node this long after now (wall clock), e.g. 30s or 10m.")
    String ttl;

    @Option(names = "--json", description = "Print the agent's JSON answer.")
    boolean json;

    @Override
    void run(AgentClient client) throws AgentException {
      checkMap(spec, map);
      String query = "";
      if (ttl != null) {
        java.time.Duration d;
        try {
          d = io.grapevine.config.Durations.parse(ttl);
        } catch (IllegalArgumentException e) {
          throw new ParameterException(spec.commandLine(), "--ttl: " + e.getMessage());
        }
        if (d.isZero()) {
          throw new ParameterException(spec.commandLine(), "--ttl must be above zero, like 30s; leave it out for a value that never expires");
        }
        query = "?ttl=" + d.toMillis() + "ms";
      }
      JsonNode body = client.put("/v1/kv/" + segment(map) + "/" + segment(key) + query, value.getBytes(StandardCharsets.UTF_8));
      out().println(json ? Json.write(body) : "stored " + map + "/" + key + " (" + body.path("bytes").asInt() + " bytes"
          + (ttl == null ? "" : ", expires in " + ttl.strip()) + ")");
    }
  }

  /** {@code grapevine kv get MAP KEY}: the value alone; exit 1 when absent. */
  @Command(name = "get", mixinStandardHelpOptions = true, versionProvider = GrapevineCommand.Version.class,
      description = "Print the value of KEY in MAP, alone (exit status 1 when it has none).")
  public static final class KvGet extends ClientCommands.Base {
    @Parameters(index = "0", paramLabel = "MAP") String map;
    @Parameters(index = "1", paramLabel = "KEY") String key;

    @Option(names = "--json", description = "Print the agent's JSON answer.")
    boolean json;

    @Override
    void run(AgentClient client) throws AgentException {
      checkMap(spec, map);
      JsonNode body = client.get("/v1/kv/" + segment(map) + "/" + segment(key));
      if (json) {
        out().println(Json.write(body));
      } else {
        out().println(bytesText(body, "value"));
      }
    }
  }

  /** {@code grapevine kv delete MAP KEY}. */
  @Command(name = "delete", mixinStandardHelpOptions = true, versionProvider = GrapevineCommand.Version.class,
      description = "Delete KEY from MAP on every node.")
  public static final class KvDelete extends ClientCommands.Base {
    @Parameters(index = "0", paramLabel = "MAP") String map;
    @Parameters(index = "1", paramLabel = "KEY") String key;

    @Option(names = "--json", description = "Print the agent's JSON answer.")
    boolean json;

    @Override
    void run(AgentClient client) throws AgentException {
      checkMap(spec, map);
      JsonNode body = client.delete("/v1/kv/" + segment(map) + "/" + segment(key));
      out().println(json ? Json.write(body) : "deleted " + map + "/" + key
          + (body.path("existed").asBoolean() ? "" : " (it had no value)"));
    }
  }

  /** {@code grapevine kv list MAP [PREFIX]}. */
  @Command(name = "list", mixinStandardHelpOptions = true, versionProvider = GrapevineCommand.Version.class,
      description = "List the keys and values of MAP (those starting with PREFIX), in key order.")
  public static final class KvList extends ClientCommands.Base {
    @Parameters(index = "0", paramLabel = "MAP") String map;
    @Parameters(index = "1", arity = "0..1", paramLabel = "PREFIX") String prefix;

    @Option(names = "--json", description = "Print JSON instead of a table.")
    boolean json;

    @Override
    void run(AgentClient client) throws AgentException {
      checkMap(spec, map);
      String p = prefix == null ? "" : "?prefix=" + URLEncoder.encode(prefix, StandardCharsets.UTF_8);
      JsonNode body = client.get("/v1/kv/" + segment(map) + p);
      if (json) {
        out().println(Json.write(body));
        return;
      }
      List<List<String>> rows = new ArrayList<>();
      body.path("entries").forEach(e -> rows.add(List.of(e.path("key").asText(), oneLine(bytesText(e, "value")))));
      out().print(Table.format(List.of("KEY", "VALUE"), rows));
    }
  }

  /** {@code grapevine kv watch MAP [PREFIX]}. */
  @Command(name = "watch", mixinStandardHelpOptions = true, versionProvider = GrapevineCommand.Version.class,
      description = "Print every change to MAP (keys starting with PREFIX), local or replicated, until Ctrl-C.")
  public static final class KvWatch extends ClientCommands.Base {
    @Parameters(index = "0", paramLabel = "MAP") String map;
    @Parameters(index = "1", arity = "0..1", paramLabel = "PREFIX") String prefix;

    @Option(names = "--json", description = "One JSON object per line.")
    boolean json;

    @Override
    void run(AgentClient client) throws AgentException {
      checkMap(spec, map);
      PrintWriter out = out();
      String p = "?watch=true" + (prefix == null ? "" : "&prefix=" + URLEncoder.encode(prefix, StandardCharsets.UTF_8));
      client.stream("/v1/kv/" + segment(map) + p, () -> err("watching map " + map
          + (prefix == null ? "" : " prefix " + prefix) + " on " + options.http + " (Ctrl-C to stop)"), c -> {
            if (json) {
              out.println(compact(c));
            } else if (c.path("deleted").asBoolean()) {
              out.println("delete " + c.path("key").asText());
            } else if (c.has("counter")) {
              out.println("counter " + c.path("key").asText() + " " + c.path("counter").asText());
            } else if (c.has("elements")) {
              List<String> els = new ArrayList<>();
              c.path("elements").forEach(e -> els.add(e.asText()));
              out.println("set " + c.path("key").asText() + " " + oneLine(String.join(",", els)));
            } else {
              out.println("put " + c.path("key").asText() + " " + oneLine(bytesText(c, "value")));
            }
            out.flush();
          });
    }
  }

  /** {@code grapevine kv incr MAP KEY [DELTA]}: prints the counter's new value here. */
  @Command(name = "incr", mixinStandardHelpOptions = true, versionProvider = GrapevineCommand.Version.class,
      description = {"Add DELTA (default 1; may be negative) to the counter KEY of MAP and print its new value on this node.",
          "Concurrent increments on different nodes all count (a PN-counter)."})
  public static final class KvIncr extends ClientCommands.Base {
    @Parameters(index = "0", paramLabel = "MAP") String map;
    @Parameters(index = "1", paramLabel = "KEY") String key;
    @Parameters(index = "2", arity = "0..1", paramLabel = "DELTA", description = "A whole number (default 1).")
    String delta;

    @Option(names = "--json", description = "Print the agent's JSON answer.")
    boolean json;

    @Override
    void run(AgentClient client) throws AgentException {
      checkMap(spec, map);
      long d = 1;
      if (delta != null) {
        try {
          d = Long.parseLong(delta.strip().startsWith("+") ? delta.strip().substring(1) : delta.strip());
        } catch (NumberFormatException e) {
          throw new ParameterException(spec.commandLine(), "DELTA must be a whole number like 1 or -3, got '" + delta + "'");
        }
      }
      JsonNode body = client.postBytes("/v1/counters/" + segment(map) + "/" + segment(key),
          Long.toString(d).getBytes(StandardCharsets.UTF_8));
      out().println(json ? Json.write(body) : body.path("value").asText());
    }
  }

  /** {@code grapevine kv counter MAP KEY}: the counter's value here. */
  @Command(name = "counter", mixinStandardHelpOptions = true, versionProvider = GrapevineCommand.Version.class,
      description = "Print the value of the counter KEY of MAP on this node (0 when it does not exist).")
  public static final class KvCounter extends ClientCommands.Base {
    @Parameters(index = "0", paramLabel = "MAP") String map;
    @Parameters(index = "1", paramLabel = "KEY") String key;

    @Option(names = "--json", description = "Print the agent's JSON answer.")
    boolean json;

    @Override
    void run(AgentClient client) throws AgentException {
      checkMap(spec, map);
      JsonNode body = client.get("/v1/counters/" + segment(map) + "/" + segment(key));
      out().println(json ? Json.write(body) : body.path("value").asText());
    }
  }

  /** Adds or removes set elements: {@code POST /v1/sets/{map}/{key}}. */
  abstract static class SetChange extends ClientCommands.Base {
    @Parameters(index = "0", paramLabel = "MAP") String map;
    @Parameters(index = "1", paramLabel = "KEY") String key;
    @Parameters(index = "2", arity = "1..*", paramLabel = "ELEMENT") List<String> elements;

    @Option(names = "--json", description = "Print the agent's JSON answer.")
    boolean json;

    abstract String field();

    @Override
    void run(AgentClient client) throws AgentException {
      checkMap(spec, map);
      JsonNode body = client.post("/v1/sets/" + segment(map) + "/" + segment(key),
          java.util.Map.of(field(), elements), java.time.Duration.ofSeconds(30));
      if (json) {
        out().println(Json.write(body));
        return;
      }
      int size = body.path("elements").size();
      out().println((field().equals("add") ? "added to " : "removed from ") + map + "/" + key + "; it has "
          + size + (size == 1 ? " element" : " elements"));
    }
  }

  /** {@code grapevine kv set-add MAP KEY ELEMENT...}. */
  @Command(name = "set-add", mixinStandardHelpOptions = true, versionProvider = GrapevineCommand.Version.class,
      description = {"Add the elements to the set KEY of MAP (an OR-set: an add wins over a concurrent remove elsewhere)."})
  public static final class KvSetAdd extends SetChange {
    @Override
    String field() {
      return "add";
    }
  }

  /** {@code grapevine kv set-remove MAP KEY ELEMENT...}. */
  @Command(name = "set-remove", mixinStandardHelpOptions = true, versionProvider = GrapevineCommand.Version.class,
      description = "Remove the elements from the set KEY of MAP (the adds this node has seen).")
  public static final class KvSetRemove extends SetChange {
    @Override
    String field() {
      return "remove";
    }
  }

  /** {@code grapevine kv set-members MAP KEY}: one element per line. */
  @Command(name = "set-members", mixinStandardHelpOptions = true, versionProvider = GrapevineCommand.Version.class,
      description = "Print the elements of the set KEY of MAP on this node, one per line, sorted (nothing when empty).")
  public static final class KvSetMembers extends ClientCommands.Base {
    @Parameters(index = "0", paramLabel = "MAP") String map;
    @Parameters(index = "1", paramLabel = "KEY") String key;

    @Option(names = "--json", description = "Print the agent's JSON answer.")
    boolean json;

    @Override
    void run(AgentClient client) throws AgentException {
      checkMap(spec, map);
      JsonNode body = client.get("/v1/sets/" + segment(map) + "/" + segment(key));
      if (json) {
        out().println(Json.write(body));
        return;
      }
      body.path("elements").forEach(e -> out().println(oneLine(e.asText())));
    }
  }

  static String compact(JsonNode n) {
    return n.toString();
  }
}
