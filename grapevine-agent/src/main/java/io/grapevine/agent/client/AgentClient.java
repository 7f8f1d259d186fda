// SPDX-License-Identifier: Apache-2.0
package io.grapevine.agent.client;

import com.fasterxml.jackson.databind.JsonNode;
import io.grapevine.agent.api.Json;
import io.grapevine.config.HostPort;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import io.grapevine.agent.api.HttpTls;
import java.time.Duration;

/**
 * Talks to a running agent's HTTP API, over HTTPS when asked ({@code https://HOST:PORT} or a CA
 * file); every failure becomes one readable {@link AgentException}.
 */
public final class AgentClient {
  private final String hostPort;
  private final String token;
  private final boolean https;
  private final HttpClient http;

  /** A status and its parsed JSON body. */
  public record Reply(int status, JsonNode body) {}

  /** Why a command could not get its answer. */
  public static class AgentException extends Exception {
    private static final long serialVersionUID = 1L;

    private final int status;

    public AgentException(String message) {
      this(message, 0);
    }

    /** A failure the agent answered with HTTP {@code status}. */
    public AgentException(String message, int status) {
      super(message);
      this.status = status;
    }

    /** The agent's HTTP status, or 0 when the failure was not an answer (no connection, a bad stream). */
    public int status() {
      return status;
    }
  }

  /**
   * The agent refused the request as malformed (HTTP 400): what the command was given is wrong, so
   * the command exits with the usage status.
   */
  public static final class BadRequestException extends AgentException {
    private static final long serialVersionUID = 1L;

    public BadRequestException(String message) {
      super(message);
    }
  }

  public AgentClient(String hostPort, String token) {
    this.hostPort = hostPort;
    this.token = token == null || token.isEmpty() ? null : token;
    this.https = false;
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
  }

  /**
   * A client of the agent at {@code address}: {@code HOST:PORT}, {@code http://HOST:PORT} or
   * {@code https://HOST:PORT}.
   *
   * @param token the bearer token, or null
   * @param caFile PEM certificates to trust for HTTPS instead of the JDK's default trust store; giving
   *     one implies HTTPS. Null for none
   * @throws IllegalArgumentException with one line when the CA file cannot be used
   */
  public static AgentClient of(String address, String token, Path caFile) {
    String a = address == null ? "" : address.strip();
    boolean https = caFile != null;
    if (a.regionMatches(true, 0, "https://", 0, 8)) {
      https = true;
      a = a.substring(8);
    } else if (a.regionMatches(true, 0, "http://", 0, 7)) {
      if (caFile != null) {
        throw new IllegalArgumentException("--ca-file is for HTTPS, but --http says http://");
      }
      a = a.substring(7);
    }
    if (a.endsWith("/")) {
      a = a.substring(0, a.length() - 1);
    }
    String error = HostPort.error(a, 1);
    if (error != null) {
      throw new IllegalArgumentException("--http: " + error);
    }
    HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3));
    if (caFile != null) {
      try {
        b.sslContext(HttpTls.clientTrusting(caFile));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("--ca-file " + e.getMessage());
      }
    }
    return new AgentClient(a, token, https, b.build());
  }

  private AgentClient(String hostPort, String token, boolean https, HttpClient http) {
    this.hostPort = hostPort;
    this.token = token == null || token.isEmpty() ? null : token;
    this.https = https;
    this.http = http;
  }

  /** GET, requiring a 2xx answer. */
  public JsonNode get(String path) throws AgentException {
    return ok(send(request(path).GET()));
  }

  /** GET, returning any status the agent answers with. */
  public Reply getAny(String path) throws AgentException {
    return send(request(path).GET());
  }

  /** POST a JSON body (or none), requiring a 2xx answer. */
  public JsonNode post(String path, Object body, Duration timeout) throws AgentException {
    HttpRequest.BodyPublisher publisher =
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(Json.write(body), StandardCharsets.UTF_8);
    return ok(send(request(path).timeout(timeout).header("Content-Type", "application/json").POST(publisher)));
  }

  /** POST a JSON body, returning any status the agent answers with. */
  public Reply postAny(String path, Object body) throws AgentException {
    return send(request(path).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(Json.write(body), StandardCharsets.UTF_8)));
  }

  /** POST raw bytes, requiring a 2xx answer. */
  public JsonNode postBytes(String path, byte[] body) throws AgentException {
    return ok(send(request(path).header("Content-Type", "application/octet-stream")
        .POST(HttpRequest.BodyPublishers.ofByteArray(body))));
  }

  /** PUT raw bytes, requiring a 2xx answer. */
  public JsonNode put(String path, byte[] body) throws AgentException {
    return ok(send(request(path).header("Content-Type", "application/octet-stream")
        .PUT(HttpRequest.BodyPublishers.ofByteArray(body))));
  }

  /** DELETE, requiring a 2xx answer. */
  public JsonNode delete(String path) throws AgentException {
    return ok(send(request(path).DELETE()));
  }

  /**
   * Follows a server-sent event stream: calls {@code onOpen} once the agent accepted it, then
   * {@code onData} with the JSON of every {@code data:} line, until the agent closes the stream.
   */
  public void stream(String path, Runnable onOpen, java.util.function.Consumer<JsonNode> onData)
      throws AgentException {
    HttpResponse<java.util.stream.Stream<String>> response;
    try {
      response = http.send(request(path).header("Accept", "text/event-stream").GET().build(),
          HttpResponse.BodyHandlers.ofLines());
    } catch (IOException | InterruptedException e) {
      send(request(path).GET()); // the same failure, worded as for every other command
      throw new AgentException("cannot open the stream at " + hostPort + path + ": " + e);
    }
    if (response.statusCode() / 100 != 2) {
      String text = response.body().collect(java.util.stream.Collectors.joining("\n"));
      JsonNode error = null;
      try {
        error = Json.mapper().readTree(text).get("error");
      } catch (IOException notJson) {
        // fall through to the status
      }
      String message = error != null ? error.asText() : "the agent answered HTTP " + response.statusCode();
      throw response.statusCode() == 400 ? new BadRequestException(message) : new AgentException(message);
    }
    onOpen.run();
    readEvents(response.body(), (event, data) -> {
      if ("overflow".equals(event)) {
        throw new AgentException(data.path("error").asText("the agent ended the stream"));
      }
      onData.accept(data);
    });
    throw new AgentException("the agent at " + hostPort + " closed the stream");
  }

  /**
   * POSTs {@code body} and follows the server-sent event stream of the answer: {@code onEvent} gets
   * each event's name (null when it has none) and the JSON of its {@code data:} line, until the
   * agent ends the stream. A refusal before the stream starts is an {@link AgentException} carrying
   * the agent's status and error.
   */
  public void postStream(String path, byte[] body, java.util.function.BiConsumer<String, JsonNode> onEvent)
      throws AgentException {
    HttpRequest.Builder request = request(path).timeout(Duration.ofDays(1))
        .header("Accept", "text/event-stream").header("Content-Type", "application/octet-stream")
        .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    HttpResponse<java.util.stream.Stream<String>> response;
    try {
      response = http.send(request.build(), HttpResponse.BodyHandlers.ofLines());
    } catch (ConnectException e) {
      throw new AgentException(
          "cannot reach an agent at " + hostPort + " (is 'grapevine agent' running with --http " + hostPort + "?)");
    } catch (IOException e) {
      throw new AgentException("cannot talk to the agent at " + hostPort + ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AgentException("interrupted");
    }
    if (response.statusCode() / 100 != 2) {
      String text = response.body().collect(java.util.stream.Collectors.joining("\n"));
      JsonNode error = null;
      try {
        error = Json.mapper().readTree(text).get("error");
      } catch (IOException notJson) {
        // fall through to the status
      }
      throw new AgentException(error != null ? error.asText() : "the agent answered HTTP " + response.statusCode(),
          response.statusCode());
    }
    readEvents(response.body(), onEvent::accept);
  }

  /** One server-sent event: its name (null when it has none) and the JSON of its data line. */
  private interface EventSink {
    void accept(String event, JsonNode data) throws AgentException;
  }

  /** Reads a server-sent event stream to its end, handing each event to {@code sink}. */
  private void readEvents(java.util.stream.Stream<String> body, EventSink sink) throws AgentException {
    try (java.util.stream.Stream<String> lines = body) {
      java.util.Iterator<String> it = lines.iterator();
      String event = null;
      while (it.hasNext()) {
        String line = it.next();
        if (line.startsWith("event: ")) {
          event = line.substring("event: ".length());
        } else if (line.startsWith("data: ")) {
          JsonNode data;
          try {
            data = Json.mapper().readTree(line.substring("data: ".length()));
          } catch (IOException e) {
            throw new AgentException("the agent sent a stream line that is not JSON");
          }
          sink.accept(event, data);
        } else if (line.isEmpty()) {
          event = null;
        }
      }
    } catch (java.io.UncheckedIOException e) {
      throw new AgentException("lost the stream from the agent at " + hostPort + ": " + e.getCause().getMessage());
    }
  }

  private HttpRequest.Builder request(String path) throws AgentException {
    String error = HostPort.error(hostPort, 1);
    if (error != null) {
      throw new AgentException("bad --http address: " + error);
    }
    URI uri;
    try {
      uri = URI.create((https ? "https://" : "http://") + hostPort.strip() + path);
    } catch (IllegalArgumentException e) {
      throw new AgentException("bad --http address '" + hostPort + "': expected HOST:PORT");
    }
    HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return b;
  }

  private Reply send(HttpRequest.Builder request) throws AgentException {
    HttpResponse<String> response;
    try {
      response = http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    } catch (ConnectException e) {
      throw new AgentException(
          "cannot reach an agent at " + hostPort + " (is 'grapevine agent' running with --http "
              + hostPort + "?)");
    } catch (HttpTimeoutException e) {
      throw new AgentException("the agent at " + hostPort + " did not answer in time");
    } catch (javax.net.ssl.SSLException e) {
      throw new AgentException("TLS with the agent at " + hostPort + " failed: " + e.getMessage()
          + (https ? " (is its certificate signed by --ca-file, and for this address?)" : ""));
    } catch (IOException e) {
      throw new AgentException("cannot talk to the agent at " + hostPort + ": " + e.getMessage()
          + (https ? "" : " (if its API uses TLS, use --http https://" + hostPort + " or --ca-file)"));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AgentException("interrupted");
    }
    JsonNode body;
    try {
      body = Json.mapper().readTree(response.body());
    } catch (IOException e) {
      throw new AgentException(
          "the agent at " + hostPort + " answered " + response.statusCode() + " with a body that is not JSON");
    }
    return new Reply(response.statusCode(), body);
  }

  private JsonNode ok(Reply r) throws AgentException {
    if (r.status() / 100 != 2) {
      JsonNode error = r.body() == null ? null : r.body().get("error");
      String message = error != null ? error.asText() : "the agent answered HTTP " + r.status();
      throw r.status() == 400 ? new BadRequestException(message) : new AgentException(message);
    }
    return r.body();
  }
}
