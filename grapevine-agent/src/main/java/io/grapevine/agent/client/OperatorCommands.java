// SPDX-License-Identifier: Apache-2.0
package io.grapevine.agent.client;

import com.fasterxml.jackson.databind.JsonNode;
import io.grapevine.agent.GrapevineCommand;
import io.grapevine.agent.Metadata;
import io.grapevine.agent.api.Json;
import io.grapevine.agent.client.AgentClient.AgentException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

/** Operator commands: a node's tags and the round-trip times its coordinates estimate. */
public final class OperatorCommands {
  private OperatorCommands() {}

  /** {@code grapevine tags}: show, set or delete this node's tags (its key=value metadata). */
  @Command(
      name = "tags",
      mixinStandardHelpOptions = true,
      versionProvider = GrapevineCommand.Version.class,
      description = {
        "Show, set or delete a running agent's tags (its key=value metadata).",
        "Changes spread to every member like any metadata update. With no subcommand, shows them."
      },
      subcommands = {TagsSet.class, TagsDelete.class})
  public static final class Tags extends ClientCommands.Base {
    @Option(names = "--json", description = "Print JSON (that of GET /v1/tags).")
    boolean json;

    @Override
    void run(AgentClient client) throws AgentException {
      print(this, client.get("/v1/tags"), json);
    }
  }

  static void print(ClientCommands.Base cmd, JsonNode body, boolean json) {
    if (json) {
      cmd.out().println(Json.write(body));
      return;
    }
    Iterator<Map.Entry<String, JsonNode>> it = body.path("tags").fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      cmd.out().println(e.getKey() + "=" + e.getValue().asText());
    }
  }

  /** {@code grapevine tags set KEY=VALUE...}. */
  @Command(
      name = "set",
      mixinStandardHelpOptions = true,
      versionProvider = GrapevineCommand.Version.class,
      description = "Set tags (adding or replacing); prints the node's tags afterwards.")
  public static final class TagsSet extends ClientCommands.Base {
    @Parameters(arity = "1..*", paramLabel = "KEY=VALUE", description = "Tags to set.")
    List<String> pairs;

    @Option(names = "--json", description = "Print the agent's JSON answer.")
    boolean json;

    @Override
    void run(AgentClient client) throws AgentException {
      Map<String, String> set = new LinkedHashMap<>();
      for (String p : pairs) {
        try {
          Map.Entry<String, String> e = Metadata.parsePair(p);
          set.put(e.getKey(), e.getValue());
        } catch (IllegalArgumentException e) {
          throw new ParameterException(spec.commandLine(), e.getMessage().replace("for --meta", "for a tag"));
        }
      }
      byte[] body = Json.write(Map.of("set", set)).getBytes(StandardCharsets.UTF_8);
      print(this, client.put("/v1/tags", body), json);
    }
  }

  /** {@code grapevine tags delete KEY...}. */
  @Command(
      name = "delete",
      mixinStandardHelpOptions = true,
      versionProvider = GrapevineCommand.Version.class,
      description = "Delete tags; prints the node's tags afterwards.")
  public static final class TagsDelete extends ClientCommands.Base {
    @Parameters(arity = "1..*", paramLabel = "KEY", description = "Tags to delete.")
    List<String> keys;

    @Option(names = "--json", description = "Print the agent's JSON answer.")
    boolean json;

    @Override
    void run(AgentClient client) throws AgentException {
      for (String k : keys) {
        String error = Metadata.checkKey(k);
        if (error != null) {
          throw new ParameterException(spec.commandLine(), error.replace("metadata key", "tag"));
        }
      }
      byte[] body = Json.write(Map.of("delete", keys)).getBytes(StandardCharsets.UTF_8);
      print(this, client.put("/v1/tags", body), json);
    }
  }

  /** {@code grapevine rtt A [B]}: the round trip between two members, from their coordinates. */
  @Command(
      name = "rtt",
      mixinStandardHelpOptions = true,
      versionProvider = GrapevineCommand.Version.class,
      description = {
        "Estimate the round-trip time between two members from their network coordinates.",
        "B defaults to the agent's own node. Needs agents started with --coordinates on."
      })
  public static final class Rtt extends ClientCommands.Base {
    @Parameters(index = "0", paramLabel = "A", description = "A member name.")
    String a;

    @Parameters(index = "1", arity = "0..1", paramLabel = "B", description = "Another member (default: this agent's node).")
    String b;

    @Option(names = "--json", description = "Print the agent's JSON answer.")
    boolean json;

    @Override
    void run(AgentClient client) throws AgentException {
      String path = "/v1/rtt?a=" + enc(a) + (b == null ? "" : "&b=" + enc(b));
      JsonNode body = client.get(path);
      if (json) {
        out().println(Json.write(body));
        return;
      }
      out().println(String.format(Locale.ROOT, "estimated %s <-> %s rtt: %.3f ms", body.path("a").asText(),
          body.path("b").asText(), body.path("rttMs").asDouble()));
    }

    private static String enc(String s) {
      return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }
  }

  /** {@code grapevine monitor}: follows a running agent's log lines and member events. */
  @Command(
      name = "monitor",
      mixinStandardHelpOptions = true,
      versionProvider = GrapevineCommand.Version.class,
      description = {
        "Stream a running agent's log lines and membership events as they happen.",
        "Log lines at or above --log-level, until interrupted (Ctrl-C). Does not change the agent's own log level."
      })
  public static final class Monitor extends ClientCommands.Base {
    @Option(names = "--log-level", paramLabel = "LEVEL", defaultValue = "info",
        description = "Lowest level of the log lines to show: trace, debug, info, warn, error (default: info).")
    String level;

    @Option(names = "--json", description = "Print each line as the agent's JSON (one object a line).")
    boolean json;

    @Override
    void run(AgentClient client) throws AgentException {
      String l;
      try {
        l = io.grapevine.agent.Logging.checkLevel(level);
      } catch (IllegalArgumentException e) {
        throw new ParameterException(spec.commandLine(), "--log-level " + e.getMessage().replace("log level ", ""));
      }
      java.io.PrintWriter out = out();
      client.stream("/v1/monitor?level=" + l, () -> err("monitoring " + options.http + " at level " + l
          + " (Ctrl-C to stop)"), line -> {
            out.println(json ? line.toString() : monitorLine(line));
            out.flush();
          });
    }
  }

  /**
   * The human form of one monitor line: {@code TIME LEVEL logger: message} for a log line,
   * {@code TIME EVENT member-join NAME ADDRESS} for a member event (events named as Serf names them).
   */
  public static String monitorLine(JsonNode line) {
    String time = line.path("time").asText();
    if ("member-event".equals(line.path("type").asText())) {
      JsonNode m = line.path("member");
      return time + " EVENT " + memberEventName(line.path("event").asText()) + " " + m.path("name").asText() + " "
          + m.path("address").asText() + " " + m.path("state").asText();
    }
    String logger = line.path("logger").asText();
    int dot = logger.lastIndexOf('.');
    return time + " " + String.format(Locale.ROOT, "%-5s", line.path("level").asText().toUpperCase(Locale.ROOT))
        + " " + (dot < 0 ? logger : logger.substring(dot + 1)) + ": " + line.path("message").asText();
  }

  /** The operator's name of a member event type: member-join, member-leave, member-failed, ... */
  public static String memberEventName(String type) {
    return switch (type.toLowerCase(Locale.ROOT)) {
      case "joined" -> "member-join";
      case "left" -> "member-leave";
      case "dead" -> "member-failed";
      case "updated" -> "member-update";
      case "suspected" -> "member-suspect";
      case "alive" -> "member-alive";
      case "reaped" -> "member-reap";
      default -> "member-" + type.toLowerCase(Locale.ROOT);
    };
  }

  /** {@code grapevine log-level [LEVEL]}: shows or changes a running agent's log level. */
  @Command(
      name = "log-level",
      mixinStandardHelpOptions = true,
      versionProvider = GrapevineCommand.Version.class,
      description = "Show a running agent's log level, or change it (until it restarts) when LEVEL is given.")
  public static final class LogLevel extends ClientCommands.Base {
    @Parameters(arity = "0..1", paramLabel = "LEVEL", description = "trace, debug, info, warn or error.")
    String level;

    @Option(names = "--json", description = "Print the agent's JSON answer.")
    boolean json;

    @Override
    void run(AgentClient client) throws AgentException {
      JsonNode body;
      if (level == null) {
        body = client.get("/v1/log-level");
      } else {
        String l;
        try {
          l = io.grapevine.agent.Logging.checkLevel(level);
        } catch (IllegalArgumentException e) {
          throw new ParameterException(spec.commandLine(), "LEVEL must be trace, debug, info, warn or error, got '"
              + level + "'");
        }
        body = client.put("/v1/log-level", Json.write(Map.of("level", l)).getBytes(StandardCharsets.UTF_8));
      }
      out().println(json ? Json.write(body) : body.path("level").asText());
    }
  }
}
