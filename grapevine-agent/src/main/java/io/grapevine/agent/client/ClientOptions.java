// SPDX-License-Identifier: Apache-2.0
package io.grapevine.agent.client;

import io.grapevine.agent.AgentSettings;
import picocli.CommandLine.Option;

/** Where the agent's HTTP API is, for every command that talks to one. */
public final class ClientOptions {
  @Option(
      names = "--http",
      paramLabel = "HOST:PORT",
      defaultValue = "${env:GRAPEVINE_HTTP:-" + AgentSettings.DEFAULT_HTTP + "}",
      description = "The agent's HTTP API: HOST:PORT, or https://HOST:PORT for TLS (default: $GRAPEVINE_HTTP, else "
          + AgentSettings.DEFAULT_HTTP + ").")
  String http;

  @Option(
      names = "--token",
      paramLabel = "TOKEN",
      defaultValue = "${env:GRAPEVINE_HTTP_TOKEN}",
      description = "Bearer token, needed when the agent's API is not on loopback (default: $GRAPEVINE_HTTP_TOKEN).")
  String token;

  @Option(
      names = "--ca-file",
      paramLabel = "FILE",
      defaultValue = "${env:GRAPEVINE_HTTP_CA}",
      description = "PEM certificate(s) to trust for the agent's TLS certificate; implies HTTPS (default: $GRAPEVINE_HTTP_CA).")
  java.nio.file.Path caFile;

  /** The client these options describe; a bad CA file is an {@link IllegalArgumentException} of one line. */
  AgentClient client() {
    return AgentClient.of(http, token, caFile);
  }
}
