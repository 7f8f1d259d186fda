package io.grapevine.agent.client;

import io.grapevine.agent.AgentSettings;
import picocli.CommandLine.Option;

/** Where the agent's HTTP API is, for every command that talks to one. */
public final class ClientOptions {
  @Option(
      names = "--http",
      paramLabel = "HOST:PORT",
      defaultValue = "${env:GRAPEVINE_HTTP:-" + AgentSettings.DEFAULT_HTTP + "}",
      description = "The agent's HTTP API (default: $GRAPEVINE_HTTP, else " + AgentSettings.DEFAULT_HTTP + ").")
  String http;

  @Option(
      names = "--token",
      paramLabel = "TOKEN",
      defaultValue = "${env:GRAPEVINE_HTTP_TOKEN}",
      description = "Bearer token, needed when the agent's API is not on loopback (default: $GRAPEVINE_HTTP_TOKEN).")
  String token;

  AgentClient client() {
    return new AgentClient(http, token);
  }
}
