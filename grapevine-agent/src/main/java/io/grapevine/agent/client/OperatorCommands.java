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
        "Show, set or delete a running agent's tags (its key=value metadata); changes spread to every member",
        "like any metadata update. With no subcommand, shows them."
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
        "Estimate the round-trip time between two members from their network coordinates (B defaults to",
        "the agent's own node). Needs agents started with --coordinates on."
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
}
