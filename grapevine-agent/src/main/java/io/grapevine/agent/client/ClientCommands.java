// SPDX-License-Identifier: Apache-2.0
package io.grapevine.agent.client;

import com.fasterxml.jackson.databind.JsonNode;
import io.grapevine.agent.api.Json;
import io.grapevine.agent.client.AgentClient.AgentException;
import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** The commands that drive a running agent over its HTTP API. */
public final class ClientCommands {
  private ClientCommands() {}

  /** Shared plumbing: the client options and the output writer. */
  abstract static class Base implements Callable<Integer> {
    @Mixin ClientOptions options;
    @Spec CommandSpec spec;

    PrintWriter out() {
      return spec.commandLine().getOut();
    }

    /** A status line on stderr, so that stdout carries only the data. */
    void err(String line) {
      PrintWriter err = spec.commandLine().getErr();
      err.println(line);
      err.flush();
    }

    @Override
    public Integer call() throws AgentException {
      AgentClient client;
      try {
        client = options.client();
      } catch (IllegalArgumentException e) {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), e.getMessage());
      }
      run(client);
      out().flush();
      return 0;
    }

    abstract void run(AgentClient client) throws AgentException;
  }

  /** {@code grapevine members}: the member list as a table or JSON. */
  @Command(
      name = "members",
      mixinStandardHelpOptions = true,
      versionProvider = io.grapevine.agent.GrapevineCommand.Version.class,
      description = {"List the members a running agent knows: name, address, state, incarnation, tags.",
          "Filters combine (all must match); a regular expression must match the whole value."})
  public static final class Members extends Base {
    @Option(names = "--json", description = "Print JSON instead of a table.")
    boolean json;

    @Option(names = "--status", paramLabel = "STATE", split = ",",
        description = "Only members in these states: alive, suspect, dead, left (comma-separated or repeated).")
    List<String> status = new ArrayList<>();

    @Option(names = "--name", paramLabel = "REGEX", description = "Only members whose name matches.")
    String name;

    @Option(names = "--tag", paramLabel = "KEY=REGEX",
        description = "Only members with tag KEY matching REGEX (repeatable; all must match).")
    List<String> tags = new ArrayList<>();

    @Option(names = "--detailed", description = "Also show protocol versions and how long ago the state last changed.")
    boolean detailed;

    @Override
    void run(AgentClient client) throws AgentException {
      MemberFilter filter;
      try {
        filter = MemberFilter.parse(status, name, tags);
      } catch (IllegalArgumentException e) {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), e.getMessage());
      }
      JsonNode body = client.get("/v1/members");
      com.fasterxml.jackson.databind.node.ArrayNode kept = Json.mapper().createArrayNode();
      for (JsonNode m : body.path("members")) {
        if (filter.matches(m)) {
          kept.add(m);
        }
      }
      if (json) {
        ((com.fasterxml.jackson.databind.node.ObjectNode) body).set("members", kept);
        out().println(Json.write(body));
        return;
      }
      out().print(detailed ? detailedTable(kept) : membersTable(kept));
    }
  }

  /** The detailed members table: protocol versions and the age of the current state too. */
  public static String detailedTable(JsonNode members) {
    List<List<String>> rows = new ArrayList<>();
    for (JsonNode m : members) {
      rows.add(
          List.of(
              m.path("name").asText(),
              m.path("address").asText(),
              m.path("state").asText(),
              m.path("incarnation").asText(),
              m.path("protocolMin").asText() + ".." + m.path("protocolMax").asText(),
              m.has("stateAgeMs") ? age(m.path("stateAgeMs").asLong()) : "-",
              metadataCell(m)));
    }
    return Table.format(List.of("NAME", "ADDRESS", "STATE", "INCARNATION", "PROTOCOL", "SINCE", "TAGS"), rows);
  }

  private static String age(long millis) {
    long s = millis / 1000;
    if (s < 120) {
      return s + "s ago";
    }
    if (s < 7200) {
      return (s / 60) + "m ago";
    }
    return (s / 3600) + "h ago";
  }

  /** The members table: one row per member, sorted as the agent sent them (by name). */
  public static String membersTable(JsonNode members) {
    List<List<String>> rows = new ArrayList<>();
    for (JsonNode m : members) {
      rows.add(
          List.of(
              m.path("name").asText(),
              m.path("address").asText(),
              m.path("state").asText(),
              m.path("incarnation").asText(),
              metadataCell(m)));
    }
    return Table.format(List.of("NAME", "ADDRESS", "STATE", "INCARNATION", "TAGS"), rows);
  }

  private static String metadataCell(JsonNode m) {
    if (m.hasNonNull("metadataBase64")) {
      return "base64:" + m.get("metadataBase64").asText();
    }
    List<String> pairs = new ArrayList<>();
    Iterator<Map.Entry<String, JsonNode>> it = m.path("metadata").fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      pairs.add(e.getKey() + "=" + e.getValue().asText());
    }
    return String.join(",", pairs);
  }

  /** {@code grapevine join SEED...}: asks the agent to join through seeds. */
  @Command(
      name = "join",
      mixinStandardHelpOptions = true,
      versionProvider = io.grapevine.agent.GrapevineCommand.Version.class,
      description = "Ask a running agent to join a cluster through one or more seeds.")
  public static final class Join extends Base {
    @Parameters(
        arity = "1..*",
        paramLabel = "SEED",
        description = "HOST:PORT of a member, or dns:NAME[:PORT] for every address a DNS name has.")
    List<String> seeds;

    @Option(names = "--json", description = "Print the agent's JSON answer.")
    boolean json;

    @Override
    void run(AgentClient client) throws AgentException {
      for (String seed : seeds) {
        String error = io.grapevine.runtime.Seeds.syntaxError(seed);
        if (error != null) {
          throw new picocli.CommandLine.ParameterException(spec.commandLine(), "SEED: " + error);
        }
      }
      JsonNode body = client.post("/v1/join", Map.of("seeds", seeds), Duration.ofSeconds(60));
      if (json) {
        out().println(Json.write(body));
      } else {
        out().println("joined: " + body.path("seedsAnswered").asInt() + " of " + seeds.size() + " seeds answered");
      }
    }
  }

  /** {@code grapevine leave}: the agent leaves gracefully and exits. */
  @Command(
      name = "leave",
      mixinStandardHelpOptions = true,
      versionProvider = io.grapevine.agent.GrapevineCommand.Version.class,
      description = "Make a running agent leave the cluster gracefully (others see it as left), then exit.")
  public static final class Leave extends Base {
    @Option(names = "--json", description = "Print the agent's JSON answer.")
    boolean json;

    @Override
    void run(AgentClient client) throws AgentException {
      JsonNode body = client.post("/v1/leave", null, Duration.ofSeconds(60));
      out().println(json ? Json.write(body) : body.path("name").asText() + " left the cluster; the agent is shutting down");
    }
  }

  /** {@code grapevine force-leave NAME}: removes a failed member for good. */
  @Command(
      name = "force-leave",
      mixinStandardHelpOptions = true,
      versionProvider = io.grapevine.agent.GrapevineCommand.Version.class,
      description = "Remove a failed (suspect, dead or left) member for good; only a restart of it brings it back.")
  public static final class ForceLeave extends Base {
    @Parameters(paramLabel = "NAME", description = "The member to remove.")
    String name;

    @Option(names = "--json", description = "Print the agent's JSON answer.")
    boolean json;

    @Override
    void run(AgentClient client) throws AgentException {
      String path = "/v1/force-leave/" + URLEncoder.encode(name, StandardCharsets.UTF_8).replace("+", "%20");
      JsonNode body = client.post(path, null, Duration.ofSeconds(30));
      out().println(json ? Json.write(body) : "removed " + name);
    }
  }

  /** {@code grapevine info}: local node, settings and counters. */
  @Command(
      name = "info",
      mixinStandardHelpOptions = true,
      versionProvider = io.grapevine.agent.GrapevineCommand.Version.class,
      description = "Show a running agent's local node, settings and protocol counters.")
  public static final class Info extends Base {
    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    @Override
    void run(AgentClient client) throws AgentException {
      JsonNode body = client.get("/v1/info");
      if (json) {
        out().println(Json.write(body));
      } else {
        out().print(infoText(body));
      }
    }
  }

  /** The human form of {@code /v1/info}. */
  public static String infoText(JsonNode info) {
    JsonNode local = info.path("local");
    JsonNode agent = info.path("agent");
    List<List<String>> rows = new ArrayList<>();
    rows.add(List.of("node", local.path("name").asText() + " at " + local.path("address").asText()
        + ", incarnation " + local.path("incarnation").asText()));
    rows.add(List.of("cluster", info.path("cluster").asText()
        + (info.path("joined").asBoolean() ? ", joined" : ", not joined")
        + ", health score " + info.path("healthScore").asText()
        + ", up " + info.path("uptimeSeconds").asText() + " s"));
    rows.add(List.of("members", pairs(info.path("members"), " ", ", ")));
    rows.add(List.of("agent", pairs(agent, "=", " ")));
    rows.add(List.of("config", pairs(info.path("config"), "=", " ")));
    JsonNode stats = info.path("stats");
    rows.add(List.of("counters", pairs(stats, "=", " ", "packetsDropped")));
    rows.add(List.of("dropped", pairs(stats.path("packetsDropped"), "=", " ")));
    rows.add(List.of("transport", pairs(info.path("transport"), "=", " ")));
    if (info.has("events")) {
      rows.add(List.of("events", pairs(info.path("events"), "=", " ")));
    }
    JsonNode enc = info.path("encryption");
    if (!enc.isMissingNode()) {
      rows.add(List.of("encryption", pairs(enc, "=", " ", "keys")));
      List<String> keys = new ArrayList<>();
      for (JsonNode k : enc.path("keys")) {
        keys.add(k.path("fingerprint").asText() + " (" + k.path("bits").asText() + " bits"
            + (k.path("primary").asBoolean() ? ", primary" : "") + ", opened " + k.path("opened").asText() + ")");
      }
      rows.add(List.of("keys", keys.isEmpty() ? "none: packets are plaintext" : String.join(", ", keys)));
    }
    StringBuilder sb = new StringBuilder();
    for (List<String> row : rows) {
      sb.append(String.format("%-10s %s%n", row.get(0), row.get(1)));
    }
    return sb.toString();
  }

  private static String pairs(JsonNode object, String join, String separator, String... skip) {
    List<String> out = new ArrayList<>();
    Iterator<Map.Entry<String, JsonNode>> it = object.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      if (List.of(skip).contains(e.getKey())) {
        continue;
      }
      JsonNode v = e.getValue();
      String text = v.isNull() ? "-" : v.isValueNode() ? v.asText() : Json.write(v).replaceAll("\\s+", "");
      out.add(join.equals(" ") ? text + join + e.getKey() : e.getKey() + join + text);
    }
    return String.join(separator, out);
  }
}
