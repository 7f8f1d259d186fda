// SPDX-License-Identifier: Apache-2.0
package io.grapevine.agent.client;

import com.fasterxml.jackson.databind.JsonNode;
import io.grapevine.agent.GrapevineCommand;
import io.grapevine.agent.api.Json;
import io.grapevine.agent.client.AgentClient.AgentException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

/**
 * {@code grapevine keys}: the encryption keyring of every member at once, through one agent. Each
 * operation reaches every member as a query; the answer says per node what happened. Exit status 1
 * when a node failed or did not answer, 2 for a key that is not one.
 */
public final class KeysCommands {
  private KeysCommands() {}

  /** {@code grapevine keys}: with no subcommand, as {@code keys list}. */
  @Command(
      name = "keys",
      mixinStandardHelpOptions = true,
      versionProvider = GrapevineCommand.Version.class,
      description = {
        "Manage the encryption keyring of every member at once: list, install, use, remove.",
        "install KEY, use KEY (make primary), remove KEY. Rotate with install, use, remove, each complete before",
        "the next. With no subcommand, lists."
      },
      subcommands = {KeysList.class, KeysInstall.class, KeysUse.class, KeysRemove.class})
  public static final class Keys extends ClientCommands.Base {
    @Option(names = "--json", description = "Print JSON (that of GET /v1/keys).")
    boolean json;

    @Override
    void run(AgentClient client) throws AgentException {
      report(this, client.get("/v1/keys"), json);
    }
  }

  /** {@code grapevine keys list}. */
  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      versionProvider = GrapevineCommand.Version.class,
      description = {"List the keys the members hold, by fingerprint.",
          "How many nodes hold each and how many seal with it (primary). The keys themselves only with --show-keys."})
  public static final class KeysList extends ClientCommands.Base {
    @Option(names = "--show-keys", description = "Also print each key, base64 (secret: mind where the output goes).")
    boolean showKeys;

    @Option(names = "--json", description = "Print JSON (that of GET /v1/keys).")
    boolean json;

    @Override
    void run(AgentClient client) throws AgentException {
      report(this, client.get("/v1/keys" + (showKeys ? "?showKeys=true" : "")), json);
    }
  }

  /** The shared body of install, use and remove. */
  abstract static class Change extends ClientCommands.Base {
    @Parameters(index = "0", paramLabel = "KEY", description = "The key, base64 of 16, 24 or 32 bytes (grapevine keygen).")
    String key;

    @Option(names = "--json", description = "Print the agent's JSON answer.")
    boolean json;

    abstract String operation();

    @Override
    void run(AgentClient client) throws AgentException {
      try {
        io.grapevine.security.Keys.decode(key);
      } catch (IllegalArgumentException e) {
        throw new ParameterException(spec.commandLine(), e.getMessage());
      }
      AgentClient.Reply r = client.postAny("/v1/keys/" + operation(), Map.of("key", key.strip()));
      String error = r.body() == null ? null : r.body().path("error").asText(null);
      if (r.status() == 400 && error != null) {
        // The agent refused the request itself (e.g. removing its primary key): a usage error.
        throw new ParameterException(spec.commandLine(), error);
      }
      if (r.status() / 100 != 2) {
        throw new AgentException(error != null ? error : "the agent answered HTTP " + r.status());
      }
      report(this, r.body(), json);
    }
  }

  /** {@code grapevine keys install KEY}. */
  @Command(
      name = "install",
      mixinStandardHelpOptions = true,
      versionProvider = GrapevineCommand.Version.class,
      description = "Install KEY on every member: they open packets sealed with it, and still seal with their primary.")
  public static final class KeysInstall extends Change {
    @Override
    String operation() {
      return "install";
    }
  }

  /** {@code grapevine keys use KEY}. */
  @Command(
      name = "use",
      mixinStandardHelpOptions = true,
      versionProvider = GrapevineCommand.Version.class,
      description = "Make KEY primary on every member: they seal with it from now on. Install it everywhere first.")
  public static final class KeysUse extends Change {
    @Override
    String operation() {
      return "use";
    }
  }

  /** {@code grapevine keys remove KEY}. */
  @Command(
      name = "remove",
      mixinStandardHelpOptions = true,
      versionProvider = GrapevineCommand.Version.class,
      description = "Remove KEY from every member. A primary key is not removed: use another key first.")
  public static final class KeysRemove extends Change {
    @Override
    String operation() {
      return "remove";
    }
  }

  /**
   * Prints an outcome: a table of keys, then failures and missing nodes on stderr; exit status 1 (an
   * {@link AgentException}) unless every asked node answered without failing.
   */
  static void report(ClientCommands.Base cmd, JsonNode body, boolean json) throws AgentException {
    if (json) {
      cmd.out().println(Json.write(body));
    } else {
      String op = body.path("operation").asText();
      String fp = body.path("fingerprint").asText(null);
      cmd.out().println(op + (fp == null ? "" : " " + fp) + ": " + body.path("nodesAnswered").asInt() + " of "
          + body.path("nodesAsked").asInt() + " nodes answered");
      boolean withKeys = false;
      for (JsonNode k : body.path("keys")) {
        withKeys |= k.has("key");
      }
      List<String> header = new ArrayList<>(List.of("FINGERPRINT", "BITS", "NODES", "PRIMARY"));
      if (withKeys) {
        header.add("KEY");
      }
      List<List<String>> rows = new ArrayList<>();
      for (JsonNode k : body.path("keys")) {
        List<String> row = new ArrayList<>(List.of(k.path("fingerprint").asText(), k.path("bits").asText(),
            k.path("nodes").asText(), k.path("primaryNodes").asText()));
        if (withKeys) {
          row.add(k.path("key").asText(""));
        }
        rows.add(row);
      }
      cmd.out().print(Table.format(header, rows));
    }
    cmd.out().flush();
    int failed = 0;
    Iterator<Map.Entry<String, JsonNode>> it = body.path("failed").fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      cmd.err("failed on " + e.getKey() + ": " + e.getValue().asText());
      failed++;
    }
    int missing = body.path("missing").size();
    if (missing > 0) {
      List<String> names = new ArrayList<>();
      body.path("missing").forEach(n -> names.add(n.asText()));
      cmd.err("no answer from " + String.join(", ", names));
    }
    if (failed > 0 || missing > 0) {
      throw new AgentException(body.path("operation").asText() + " incomplete: " + failed + " node(s) failed, "
          + missing + " did not answer");
    }
  }
}
