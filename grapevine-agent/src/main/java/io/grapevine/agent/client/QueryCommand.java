// SPDX-License-Identifier: Apache-2.0
package io.grapevine.agent.client;

import com.fasterxml.jackson.databind.JsonNode;
import io.grapevine.agent.GrapevineCommand;
import io.grapevine.agent.Metadata;
import io.grapevine.agent.client.AgentClient.AgentException;
import io.grapevine.config.Durations;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

/**
 * {@code grapevine query NAME [PAYLOAD]}: asks the cluster through an agent and prints each ack and
 * answer as it arrives, then a summary.
 */
@Command(
    name = "query",
    mixinStandardHelpOptions = true,
    versionProvider = GrapevineCommand.Version.class,
    description = {
      "Ask the cluster a question and print the answers as they arrive.",
      "The query spreads by gossip to every node that passes the filters; each acknowledges",
      "and its handler for NAME answers. Prints acks and answers as they arrive, then 'acks n/m, responses n/m'",
      "(m: the nodes the agent knew that pass the filters). Ends at the timeout, or once every node answered."
    })
public final class QueryCommand extends ClientCommands.Base {
  @Parameters(index = "0", paramLabel = "NAME", description = "What is asked: 1..255 UTF-8 bytes.")
  String name;

  @Parameters(index = "1", arity = "0..1", paramLabel = "PAYLOAD",
      description = "The question, as UTF-8 text (default: empty; 1 KiB at most by default).")
  String payload;

  @Option(names = "--node", paramLabel = "NAME", description = "Only this node answers; repeat for several (default: any).")
  List<String> nodes = new ArrayList<>();

  @Option(names = "--tag", paramLabel = "KEY=REGEX",
      description = "Only nodes whose tag KEY has a value the regular expression matches whole; repeat: all must match.")
  List<String> tags = new ArrayList<>();

  @Option(names = "--timeout", paramLabel = "DURATION",
      description = "How long to collect answers, like 2s (default: the cluster's, which grows with log N).")
  String timeout;

  @Option(names = "--no-ack", description = "Do not ask nodes to acknowledge receipt.")
  boolean noAck;

  @Option(names = "--relay-factor", paramLabel = "K", defaultValue = "0",
      description = "Also send each ack and answer through K random other nodes, against loss (0..5, default 0).")
  int relayFactor;

  @Option(names = "--json", description = "One JSON object per line: the query, each ack and answer, and the result.")
  boolean json;

  @Override
  void run(AgentClient client) throws AgentException {
    StringBuilder path = new StringBuilder("/v1/query/").append(DataCommands.segment(checkName()));
    List<String> params = new ArrayList<>();
    for (String n : nodes) {
      if (n.isBlank()) {
        throw usage("--node needs a node name");
      }
      params.add("node=" + DataCommands.segment(n.strip()));
    }
    for (String t : tags) {
      params.add("tag=" + DataCommands.segment(checkTag(t)));
    }
    if (timeout != null) {
      Duration d;
      try {
        d = Durations.parse(timeout);
      } catch (IllegalArgumentException e) {
        throw usage("--timeout: " + e.getMessage());
      }
      if (d.isZero()) {
        throw usage("--timeout must be positive, got '" + timeout + "'");
      }
      params.add("timeout=" + d.toMillis() + "ms");
    }
    if (relayFactor < 0 || relayFactor > 5) {
      throw usage("--relay-factor must be 0..5, got " + relayFactor);
    }
    params.add("ack=" + !noAck);
    if (relayFactor > 0) {
      params.add("relay=" + relayFactor);
    }
    path.append('?').append(String.join("&", params));

    PrintWriter out = out();
    boolean[] done = {false};
    String[] error = {null};
    try {
      client.postStream(path.toString(), payload == null ? new byte[0] : payload.getBytes(StandardCharsets.UTF_8),
          (event, data) -> {
            String type = event != null ? event : data.path("type").asText();
            if (json) {
              out.println(DataCommands.compact(data));
            } else {
              print(out, type, data);
            }
            out.flush();
            if (type.equals("done")) {
              done[0] = true;
            } else if (type.equals("error")) {
              error[0] = data.path("error").asText("the query failed");
            }
          });
    } catch (AgentException e) {
      if (e.status() == 400) {
        // The agent found the arguments wrong (a limit it knows, such as the payload size): usage.
        throw usage(e.getMessage());
      }
      throw e;
    }
    if (error[0] != null) {
      throw new AgentException(error[0]);
    }
    if (!done[0]) {
      throw new AgentException("the agent at " + options.http + " closed the stream before the query finished");
    }
  }

  private void print(PrintWriter out, String type, JsonNode d) {
    switch (type) {
      case "query" -> err("query '" + d.path("name").asText() + "' issued as " + d.path("id").asText()
          + "; waiting for " + (d.path("ackRequested").asBoolean() ? "acks and " : "") + "responses");
      case "ack" -> out.println("ack from " + d.path("from").asText() + " (" + d.path("elapsedMs").asLong() + " ms)");
      case "response" -> out.println("response from " + d.path("from").asText() + " (" + d.path("elapsedMs").asLong()
          + " ms): " + DataCommands.oneLine(DataCommands.bytesText(d, "payload")));
      case "done" -> {
        int expected = d.path("expected").size();
        StringBuilder s = new StringBuilder();
        if (d.path("ackRequested").asBoolean()) {
          s.append("acks ").append(d.path("acks").asInt()).append('/').append(expected).append(", ");
        }
        s.append("responses ").append(d.path("responses").asInt()).append('/').append(expected)
            .append(" in ").append(d.path("elapsedMs").asLong()).append(" ms")
            .append(d.path("timedOut").asBoolean() ? " (timed out)" : "");
        out.println(s);
        if (!d.path("missingAcks").isEmpty()) {
          out.println("no ack from: " + names(d.path("missingAcks")));
        }
        if (!d.path("missingResponses").isEmpty()) {
          out.println("no response from: " + names(d.path("missingResponses")));
        }
      }
      default -> {
        // An event this client does not know: newer agents may add some.
      }
    }
  }

  private static String names(JsonNode list) {
    List<String> out = new ArrayList<>();
    list.forEach(n -> out.add(n.asText()));
    return String.join(", ", out);
  }

  private String checkName() {
    int len = name.getBytes(StandardCharsets.UTF_8).length;
    if (len < 1 || len > 255) {
      throw usage("query name must be 1..255 UTF-8 bytes, got " + len);
    }
    return name;
  }

  private String checkTag(String t) {
    int eq = t.indexOf('=');
    if (eq <= 0) {
      throw usage("--tag must be KEY=REGEX, got '" + t + "'");
    }
    String error = Metadata.checkKey(t.substring(0, eq));
    if (error != null) {
      throw usage("--tag: " + error.replace("metadata key", "tag"));
    }
    try {
      Pattern.compile(t.substring(eq + 1));
    } catch (PatternSyntaxException e) {
      throw usage("--tag " + t.substring(0, eq) + ": regular expression does not compile: " + e.getDescription());
    }
    return t;
  }

  private ParameterException usage(String message) {
    return new ParameterException(spec.commandLine(), message);
  }
}
