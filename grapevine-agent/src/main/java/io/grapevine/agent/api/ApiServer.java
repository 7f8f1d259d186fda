// SPDX-License-Identifier: Apache-2.0
package io.grapevine.agent.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.grapevine.Cluster;
import io.grapevine.ReplicatedMap;
import io.grapevine.api.RumorId;
import io.grapevine.runtime.Seeds;
import io.grapevine.api.Member;
import io.grapevine.api.MemberState;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import io.grapevine.agent.Metadata;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;

/**
 * The agent's HTTP API: JSON under {@code /v1/}, Prometheus text at {@code /metrics}, the dashboard at
 * {@code /ui/} (docs/ui.md). Endpoints and examples are in docs/http-api.md. Every error is
 * {@code {"error": "..."}} with a fitting status.
 *
 * <p>Runs on the JDK's built-in server with a small pool of its own threads: handlers only read
 * thread-safe {@link Cluster} state or wait on its futures, so they never hold up the event loop.
 */
public final class ApiServer implements AutoCloseable {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(ApiServer.class);
  private static final int MAX_BODY_BYTES = 64 * 1024;
  /**
   * Event payloads and values are checked by the runtime against its own limits (a 400 naming the
   * limit); this cap only keeps a runaway upload out of memory.
   */
  private static final int MAX_DATA_BODY_BYTES = 1024 * 1024;
  /** How much of an oversize body is read and discarded before answering 413. */
  private static final long DRAIN_BYTES = 16L * 1024 * 1024;
  /** Concurrent streaming watches; each holds a thread of the pool while open. */
  static final int MAX_WATCHES = 16;
  /** A comment line is written this often on an idle stream, so a departed client is noticed. */
  private static final long HEARTBEAT_MILLIS = 5_000;
  /** Changes queued for a slow watcher before its stream is ended (it would only fall further behind). */
  private static final int WATCH_QUEUE = 4096;

  private final Cluster cluster;
  private final Supplier<PrometheusMeterRegistry> registry;
  private final byte[] token;
  private final Supplier<Map<String, Object>> agentInfo;
  private final Runnable afterLeave;
  private final Duration joinTimeout;
  private final long startedNanos = System.nanoTime();
  private final HttpServer server;
  private final ExecutorService executor;
  /**
   * Request timings, once the registry exists (built at the first scrape: timings from before it
   * would be part of no rate Prometheus computes).
   */
  private volatile HttpMetrics httpMetrics;

  /**
   * Binds and starts serving.
   *
   * @param address where to listen
   * @param cluster the node to serve
   * @param registry metrics to scrape (see {@link ClusterMetrics}); asked for at the first scrape
   * @param token bearer token every request must carry, or null for none
   * @param agentInfo the agent's own settings for {@code /v1/info}
   * @param joinTimeout how long {@code POST /v1/join} waits
   * @param afterLeave run once a {@code POST /v1/leave} has completed (the agent exits)
   */
  public ApiServer(
      InetSocketAddress address,
      Cluster cluster,
      Supplier<PrometheusMeterRegistry> registry,
      String token,
      Supplier<Map<String, Object>> agentInfo,
      Duration joinTimeout,
      Runnable afterLeave)
      throws IOException {
    this(HttpServer.create(address, 64), cluster, registry, token, agentInfo, joinTimeout, afterLeave);
  }

  /**
   * Serves on a server socket already bound with {@link #bind}, so that an agent can claim its
   * HTTP port before it starts its node.
   */
  public ApiServer(
      HttpServer server,
      Cluster cluster,
      Supplier<PrometheusMeterRegistry> registry,
      String token,
      Supplier<Map<String, Object>> agentInfo,
      Duration joinTimeout,
      Runnable afterLeave) {
    this.cluster = cluster;
    this.registry = registry;
    this.token = token == null ? null : ("Bearer " + token).getBytes(StandardCharsets.UTF_8);
    this.agentInfo = agentInfo;
    this.joinTimeout = joinTimeout;
    this.afterLeave = afterLeave;
    AtomicInteger threads = new AtomicInteger();
    // Up to 4 requests plus every open watch at once; a thread that has had nothing to do for
    // 30 s ends, so an agent that is asked something now and then keeps no idle threads (each
    // holds a stack and a malloc arena) between the questions.
    ThreadPoolExecutor pool =
        new ThreadPoolExecutor(
            4 + MAX_WATCHES,
            4 + MAX_WATCHES,
            30,
            TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(),
            r -> {
              Thread t = new Thread(r, "grapevine-http-" + threads.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    pool.allowCoreThreadTimeOut(true);
    this.executor = pool;
    this.server = server;
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    server.start();
  }

  /** Binds the HTTP port without serving yet. */
  public static HttpServer bind(InetSocketAddress address) throws IOException {
    return HttpServer.create(address, 64);
  }

  /**
   * Binds the port without serving yet: HTTPS with {@code tls} (see {@link HttpTls}), plain HTTP
   * when it is null.
   */
  public static HttpServer bind(InetSocketAddress address, SSLContext tls) throws IOException {
    if (tls == null) {
      return bind(address);
    }
    HttpsServer server = HttpsServer.create(address, 64);
    server.setHttpsConfigurator(new HttpsConfigurator(tls));
    return server;
  }

  /** True when the API is served over TLS. */
  public boolean tls() {
    return server instanceof HttpsServer;
  }

  /** The bound address (the real port when 0 was asked for). */
  public InetSocketAddress address() {
    return server.getAddress();
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }

  /** Writes a server-sent event stream until the client goes away or the server stops. */
  interface Streamer {
    void stream(HttpExchange ex) throws IOException;
  }

  /** A response: status and JSON (or text) body, or a stream. */
  record Response(int status, Object body, String contentType, Runnable afterSend, Streamer streamer) {
    Response(int status, Object body, String contentType) {
      this(status, body, contentType, null, null);
    }

    Response(int status, Object body, String contentType, Runnable afterSend) {
      this(status, body, contentType, afterSend, null);
    }

    static Response stream(Streamer s) {
      return new Response(200, null, "text/event-stream", null, s);
    }

    static Response json(int status, Object body) {
      return new Response(status, body, "application/json");
    }

    static Response error(int status, String message) {
      return json(status, Json.error(message));
    }
  }

  /**
   * Answers one request: what the HTTP server calls for each. Package-private so the fuzz target
   * drives the real handling in process, without a socket per request.
   */
  void handle(HttpExchange ex) throws IOException {
    long started = System.nanoTime();
    Response r = null;
    try {
      r = safeRoute(ex);
      boolean head = ex.getRequestMethod().equals("HEAD");
      if (r.streamer != null && head) {
        // The stream's headers only: no subscription is opened for a HEAD request.
        ex.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
        ex.sendResponseHeaders(200, -1);
        return;
      }
      if (r.streamer != null) {
        try {
          r.streamer.stream(ex);
        } catch (IOException gone) {
          // The client went away: the stream is over, the subscription already closed.
        }
        return;
      }
      send(ex, r);
    } finally {
      ex.close();
      HttpMetrics m = httpMetrics;
      if (m != null) {
        // A response that was never built is an exception on its way out: the client sees a 500.
        m.record(ex.getRequestMethod(), ex.getRequestURI().getRawPath(), r == null ? 500 : r.status,
            System.nanoTime() - started);
      }
    }
    if (r.afterSend != null) {
      // After the response is written, so the caller hears the result before the agent exits.
      new Thread(r.afterSend, "grapevine-after-leave").start();
    }
  }

  private Response safeRoute(HttpExchange ex) {
    Response r;
    try {
      r = route(ex);
    } catch (BodyTooLargeException e) {
      r = Response.error(413, "request body larger than " + e.limit + " bytes");
    } catch (IOException | RuntimeException e) {
      r = Response.error(500, "internal error: " + e);
    }
    return r;
  }

  private static final class BodyTooLargeException extends IOException {
    private static final long serialVersionUID = 1L;
    final int limit;

    BodyTooLargeException(int limit) {
      this.limit = limit;
    }
  }

  private Response route(HttpExchange ex) throws IOException {
    String rawPath = ex.getRequestURI().getRawPath();
    if (rawPath != null && UiFiles.owns(rawPath)) {
      // Before the token check: the page carries no data and asks for the token itself (docs/ui.md).
      return ui(ex, rawPath);
    }
    if (token != null && !authorized(ex)) {
      ex.getResponseHeaders().add("WWW-Authenticate", "Bearer");
      return Response.error(401, "missing or wrong bearer token (send 'Authorization: Bearer TOKEN')");
    }
    String path = ex.getRequestURI().getRawPath();
    String method = ex.getRequestMethod();
    if (path.length() > 1 && path.endsWith("/")) {
      path = path.substring(0, path.length() - 1);
    }
    switch (path) {
      case "/v1/members":
        return only(ex, "GET", () -> members());
      case "/v1/health":
        return only(ex, "GET", this::health);
      case "/v1/info":
        return only(ex, "GET", this::info);
      case "/metrics", "/v1/metrics":
        return only(ex, "GET", () -> new Response(200, scrape(), "text/plain; version=0.0.4; charset=utf-8"));
      case "/v1/join":
        return only(ex, "POST", () -> join(readBody(ex)));
      case "/v1/leave":
        return only(ex, "POST", this::leave);
      case "/v1/events/watch":
        return only(ex, "GET", () -> watchEvents(query(ex).get("topic")));
      case "/v1/events":
        return Response.error(400, "missing topic: POST /v1/events/{topic} with the payload as the body");
      case "/v1/aggregates":
        return only(ex, "GET", this::aggregates);
      case "/v1/kv":
        return Response.error(400, "missing map: use /v1/kv/{map} or /v1/kv/{map}/{key}");
      case "/v1/tree":
        return only(ex, "GET", () -> Response.json(200, Json.tree(cluster.tree().snapshot())));
      case "/v1/tree/value":
        return only(ex, "PUT", () -> setTreeValue(readBody(ex, MAX_BODY_BYTES)));
      case "/v1/tags":
        return method.equals("PUT") ? updateTags(readBody(ex, MAX_DATA_BODY_BYTES)) : only(ex, "GET", this::tags);
      case "/v1/monitor":
        return only(ex, "GET", () -> monitor(query(ex).getOrDefault("level", "info")));
      case "/v1/log-level":
        return method.equals("PUT") ? setLogLevel(readBody(ex, MAX_BODY_BYTES)) : only(ex, "GET", this::logLevel);
      case "/v1/coordinates":
        return only(ex, "GET", this::coordinates);
      case "/v1/rtt":
        return only(ex, "GET", () -> rtt(query(ex)));
      case "/v1/keys":
        return only(ex, "GET", () -> listKeys(query(ex)));
      case "/v1/keys/install":
      case "/v1/keys/use":
      case "/v1/keys/remove":
        String operation = path.substring("/v1/keys/".length());
        return only(ex, "POST", () -> changeKeys(operation, readBody(ex, MAX_BODY_BYTES)));
      default:
        break;
    }
    if (path.startsWith("/v1/members/")) {
      String name = decode(path.substring("/v1/members/".length()));
      return only(ex, "GET", () -> member(name));
    }
    if (path.startsWith("/v1/force-leave/")) {
      String name = decode(path.substring("/v1/force-leave/".length()));
      return only(ex, "POST", () -> forceLeave(name));
    }
    if (path.startsWith("/v1/events/")) {
      String topic = decode(path.substring("/v1/events/".length()));
      return only(ex, "POST", () -> publishEvent(topic, query(ex), readBody(ex, MAX_DATA_BODY_BYTES)));
    }
    if (path.startsWith("/v1/aggregates/")) {
      String name = decode(path.substring("/v1/aggregates/".length()));
      switch (method) {
        case "GET":
        case "HEAD":
          return aggregate(name);
        case "PUT":
          return publishAggregate(name, readBody(ex, MAX_BODY_BYTES));
        case "DELETE":
          return unpublishAggregate(name);
        default:
          ex.getResponseHeaders().add("Allow", "GET, HEAD, PUT, DELETE");
          return Response.error(405, method + " not allowed here; use GET, PUT or DELETE");
      }
    }
    if (path.startsWith("/v1/kv/")) {
      return kv(ex, path.substring("/v1/kv/".length()));
    }
    if (path.equals("/v1/counters") || path.equals("/v1/sets")) {
      return Response.error(400, "missing map and key: use " + path + "/{map}/{key}");
    }
    if (path.startsWith("/v1/counters/")) {
      return counter(ex, path.substring("/v1/counters/".length()));
    }
    if (path.startsWith("/v1/sets/")) {
      return set(ex, path.substring("/v1/sets/".length()));
    }
    if (path.equals("/v1/query")) {
      return Response.error(400, "missing query name: POST /v1/query/{name} with the payload as the body");
    }
    if (path.startsWith("/v1/query/")) {
      String name = decode(path.substring("/v1/query/".length()));
      return only(ex, "POST", () -> query(name, queryAll(ex), readBody(ex, MAX_BODY_BYTES)));
    }
    return Response.error(404, "no such endpoint: " + method + " " + path + " (see docs/http-api.md)");
  }

  /**
   * The dashboard: {@code /} and {@code /ui} redirect to {@code /ui/}; under it, only the fixed files
   * of {@link UiFiles}, with a strict Content-Security-Policy.
   */
  private static Response ui(HttpExchange ex, String rawPath) {
    String method = ex.getRequestMethod();
    if (!method.equals("GET") && !method.equals("HEAD")) {
      ex.getResponseHeaders().add("Allow", "GET, HEAD");
      return Response.error(405, method + " not allowed here; use GET");
    }
    if (rawPath.equals("/") || rawPath.equals("/ui")) {
      ex.getResponseHeaders().set("Location", "/ui/");
      return new Response(302, "the dashboard is at /ui/\n", "text/plain; charset=utf-8");
    }
    UiFiles.File file = UiFiles.lookup(rawPath);
    if (file == null) {
      return Response.error(404, "no such file of the dashboard: " + abbreviate(rawPath) + " (it is at /ui/)");
    }
    var h = ex.getResponseHeaders();
    h.set("Content-Security-Policy", UiFiles.CONTENT_SECURITY_POLICY);
    h.set("X-Content-Type-Options", "nosniff");
    h.set("X-Frame-Options", "DENY");
    h.set("Referrer-Policy", "no-referrer");
    // A new agent version serves new files: the browser revalidates instead of keeping old ones.
    h.set("Cache-Control", "no-cache");
    return new Response(200, UiFiles.bytes(file), file.contentType());
  }

  private String scrape() {
    PrometheusMeterRegistry r = registry.get();
    if (httpMetrics == null) {
      synchronized (this) {
        if (httpMetrics == null) {
          httpMetrics = new HttpMetrics(r);
        }
      }
    }
    return r.scrape();
  }

  /** A handler that may fail reading the request body. */
  private interface Handler {
    Response get() throws IOException;
  }

  private static Response only(HttpExchange ex, String method, Handler h) throws IOException {
    // HEAD is GET without the body, wherever GET is allowed (load balancers and probes use it).
    boolean head = method.equals("GET") && ex.getRequestMethod().equals("HEAD");
    if (!ex.getRequestMethod().equals(method) && !head) {
      ex.getResponseHeaders().add("Allow", method.equals("GET") ? "GET, HEAD" : method);
      return Response.error(405, ex.getRequestMethod() + " not allowed here; use " + method);
    }
    return h.get();
  }

  private boolean authorized(HttpExchange ex) {
    String header = ex.getRequestHeaders().getFirst("Authorization");
    // Constant-time comparison: the token is a secret.
    return header != null && MessageDigest.isEqual(header.getBytes(StandardCharsets.UTF_8), token);
  }

  private Response members() {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("local", cluster.localMember().name());
    body.put("members", Json.members(cluster.members(), cluster.clockMillis()));
    return Response.json(200, body);
  }

  private Response member(String name) {
    Optional<Member> m = cluster.member(name);
    return m.map(member -> Response.json(200, Json.member(member, cluster.clockMillis())))
        .orElseGet(() -> Response.error(404, "no member named '" + name + "'"));
  }

  private Response health() {
    Map<String, Object> body = new LinkedHashMap<>();
    boolean joined = cluster.isJoined();
    body.put("status", joined ? "ok" : "not joined");
    body.put("joined", joined);
    body.put("healthScore", cluster.healthScore());
    body.put("members", Json.countByState(cluster.members()));
    return Response.json(joined ? 200 : 503, body);
  }

  private Response info() {
    List<Member> members = cluster.members();
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("local", Json.member(cluster.localMember()));
    body.put("cluster", cluster.clusterName());
    body.put("joined", cluster.isJoined());
    body.put("healthScore", cluster.healthScore());
    body.put("uptimeSeconds", TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - startedNanos));
    body.put("members", Json.countByState(members));
    body.put("agent", agentInfo.get());
    body.put("config", Json.config(cluster.config()));
    body.put("stats", Json.stats(cluster.stats()));
    body.put("transport", Json.transport(cluster.transportStats()));
    body.put("events", Json.eventStats(cluster.events().stats()));
    body.put("encryption", Json.encryption(cluster.encryption()));
    return Response.json(200, body);
  }

  private Response join(byte[] body) {
    List<String> seeds = new ArrayList<>();
    try {
      JsonNode root = Json.mapper().readTree(body);
      JsonNode list = root == null ? null : root.get("seeds");
      if (list == null || !list.isArray() || list.isEmpty()) {
        return Response.error(400, "expected a body like {\"seeds\": [\"127.0.0.1:7946\"]}");
      }
      for (JsonNode s : list) {
        if (!s.isTextual()) {
          return Response.error(400, "every seed must be a string HOST:PORT or dns:NAME");
        }
        String seed = s.asText().trim();
        String error = Seeds.syntaxError(seed);
        if (error != null) {
          return Response.error(400, "bad seed: " + error);
        }
        seeds.add(seed);
      }
    } catch (IOException e) {
      return Response.error(400, "body is not valid JSON: " + firstLine(e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()));
    }
    try {
      CompletableFuture<Integer> joining;
      try {
        joining = cluster.join(seeds);
      } catch (IllegalArgumentException e) {
        // Seeds are resolved first: a name that does not resolve is the caller's to fix.
        return Response.error(400, "bad seed: " + firstLine(e.getMessage()));
      }
      int answered = joining.get(joinTimeout.toMillis() + 2000, TimeUnit.MILLISECONDS);
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("joined", true);
      out.put("seedsAnswered", answered);
      return Response.json(200, out);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      if (cause instanceof IllegalArgumentException) {
        return Response.error(400, "bad seed: " + cause.getMessage());
      }
      return Response.error(503, "join failed: " + cause.getMessage());
    } catch (TimeoutException e) {
      return Response.error(503, "join failed: no seed answered within " + joinTimeout.toMillis() + " ms");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Response.error(503, "interrupted");
    }
  }

  private Response leave() {
    try {
      cluster.leave().get(cluster.config().leavePropagateTime.toMillis() + 10_000, TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException e) {
      return Response.error(503, "leave failed: " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Response.error(503, "interrupted");
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("left", true);
    out.put("name", cluster.localMember().name());
    return new Response(200, out, "application/json", afterLeave);
  }

  private Response forceLeave(String name) {
    Optional<Member> m = cluster.member(name);
    if (m.isEmpty()) {
      return Response.error(404, "no member named '" + name + "'");
    }
    if (name.equals(cluster.localMember().name())) {
      return Response.error(409, "'" + name + "' is this node; use leave instead");
    }
    if (m.get().state() == MemberState.ALIVE) {
      return Response.error(409, "'" + name + "' is alive; force-leave removes only failed members");
    }
    if (!cluster.forceLeave(name)) {
      return Response.error(409, "'" + name + "' could not be removed (state " + Json.state(m.get().state()) + ")");
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("removed", name);
    return Response.json(200, out);
  }

  // ---- events ----

  /** {@code ?coalesce=KEY}: only the newest event per (topic, KEY) is delivered (see Events#publish). */
  private Response publishEvent(String topic, Map<String, String> params, byte[] payload) {
    for (String p : params.keySet()) {
      if (!p.equals("coalesce")) {
        return Response.error(400, "unknown query parameter '" + abbreviate(p) + "' (use coalesce)");
      }
    }
    String coalesceKey = params.get("coalesce");
    if (coalesceKey != null && coalesceKey.isEmpty()) {
      return Response.error(400, "empty coalesce key: leave out ?coalesce= for an event without one");
    }
    RumorId id;
    try {
      id = coalesceKey == null ? cluster.events().publish(topic, payload)
          : cluster.events().publish(topic, payload, coalesceKey);
    } catch (IllegalArgumentException e) {
      return Response.error(400, firstLine(e.getMessage()));
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("id", Json.eventId(id));
    out.put("topic", topic);
    if (coalesceKey != null) {
      out.put("coalesceKey", coalesceKey);
    }
    out.put("bytes", payload.length);
    return Response.json(200, out);
  }

  private Response watchEvents(String topic) {
    if (topic != null && topic.isEmpty()) {
      return Response.error(400, "empty topic: leave out ?topic= to watch every topic");
    }
    return watch(queue -> cluster.events().subscribe(topic, e -> queue.offer(Json.event(e))));
  }

  // ---- aggregates ----

  private Response aggregates() {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("clusterSize", Json.finite(cluster.aggregates().clusterSize()));
    List<Map<String, Object>> list = new ArrayList<>();
    new TreeMap<>(cluster.aggregates().estimates()).values().forEach(e -> list.add(Json.aggregate(e)));
    out.put("aggregates", list);
    return Response.json(200, out);
  }

  private Response aggregate(String name) {
    return cluster.aggregates().estimate(name)
        .map(e -> Response.json(200, Json.aggregate(e)))
        .orElseGet(() -> Response.error(404, "no estimate for '" + name + "' yet (no node publishes it, or it has not arrived)"));
  }

  private Response publishAggregate(String name, byte[] body) {
    return withNumberBody(body, value -> {
      cluster.aggregates().publish(name, value);
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("name", name);
      out.put("value", value);
      return Response.json(200, out);
    });
  }

  /**
   * Parses the body as a number and hands it to {@code action}: 400 with the reason if the body is
   * not a number or the action refuses the value (IllegalArgumentException).
   */
  private static Response withNumberBody(byte[] body, java.util.function.DoubleFunction<Response> action) {
    String text = new String(body, StandardCharsets.UTF_8).trim();
    double value;
    try {
      value = Double.parseDouble(text);
    } catch (NumberFormatException e) {
      return Response.error(400, "expected a number as the body, got '" + abbreviate(text) + "'");
    }
    try {
      return action.apply(value);
    } catch (IllegalArgumentException e) {
      return Response.error(400, firstLine(e.getMessage()));
    }
  }

  private Response unpublishAggregate(String name) {
    try {
      cluster.aggregates().unpublish(name);
    } catch (IllegalArgumentException e) {
      return Response.error(400, firstLine(e.getMessage()));
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("name", name);
    out.put("unpublished", true);
    return Response.json(200, out);
  }

  // ---- tree aggregation ----

  private Response setTreeValue(byte[] body) {
    if (!cluster.tree().enabled()) {
      return Response.error(409, "tree aggregation is off on this agent: start it with --tree on (or 'tree: on'"
          + " in its config file)");
    }
    return withNumberBody(body, value -> {
      cluster.tree().setValue(value);
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("value", value);
      return Response.json(200, out);
    });
  }

  // ---- keyring (cluster-wide, over internal queries) ----

  /** Longest wait for a keyring operation's answers: below the client's 30 s request timeout. */
  private static final long KEYS_WAIT_MILLIS = 25_000;

  private Response listKeys(Map<String, String> q) {
    String show = q.getOrDefault("showKeys", "false");
    if (!show.equals("true") && !show.equals("false")) {
      return Response.error(400, "showKeys must be true or false, got '" + show + "'");
    }
    return keys(() -> show.equals("true") ? cluster.keys().listWithKeys() : cluster.keys().list());
  }

  /** {@code {"key": "BASE64"}} to install, use or remove on every member. */
  private Response changeKeys(String operation, byte[] body) {
    String key;
    try {
      JsonNode root = Json.mapper().readTree(body);
      JsonNode k = root == null ? null : root.get("key");
      if (k == null || !k.isTextual()) {
        return Response.error(400, "expected a body like {\"key\": \"BASE64\"} (make a key with: grapevine keygen)");
      }
      key = k.asText();
    } catch (IOException e) {
      return Response.error(400, "body is not valid JSON: " + firstLine(e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()));
    }
    return keys(() -> switch (operation) {
      case "install" -> cluster.keys().install(key);
      case "use" -> cluster.keys().use(key);
      default -> cluster.keys().remove(key);
    });
  }

  private Response keys(Supplier<java.util.concurrent.CompletableFuture<io.grapevine.KeyResponse>> operation) {
    java.util.concurrent.CompletableFuture<io.grapevine.KeyResponse> f;
    try {
      f = operation.get();
    } catch (IllegalArgumentException e) {
      return Response.error(400, e.getMessage());
    } catch (IllegalStateException e) {
      return Response.error(409, e.getMessage());
    }
    try {
      io.grapevine.KeyResponse r = f.get(KEYS_WAIT_MILLIS, TimeUnit.MILLISECONDS);
      log.info("keyring {}{}: {} of {} nodes answered, {} failed, {} missing", r.operation(),
          r.fingerprint() == null ? "" : " " + r.fingerprint(), r.nodesAnswered(), r.nodesAsked(), r.failed().size(),
          r.missing().size());
      return Response.json(200, Json.keys(r));
    } catch (ExecutionException e) {
      return Response.error(503, "keyring operation failed: " + (e.getCause() == null ? e : e.getCause()).getMessage());
    } catch (TimeoutException e) {
      return Response.error(503, "keyring operation: no result within " + KEYS_WAIT_MILLIS + " ms");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Response.error(503, "interrupted");
    }
  }

  // ---- monitor and log level ----

  /**
   * Streams (SSE) the agent's log lines at or above {@code level} and every membership event, as they
   * happen: {@code grapevine monitor}.
   */
  private Response monitor(String level) {
    String threshold;
    try {
      threshold = io.grapevine.agent.Logging.checkLevel(level);
    } catch (IllegalArgumentException e) {
      return Response.error(400, e.getMessage());
    }
    return watch(queue -> {
      AutoCloseable logs = io.grapevine.agent.Logging.tap(line -> {
        if (io.grapevine.agent.Logging.atLeast((String) line.get("level"), threshold)) {
          queue.offer(line);
        }
      });
      AutoCloseable members = cluster.addListener(e -> {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("type", "member-event");
        // Milliseconds, like the log lines around it.
        o.put("time", io.grapevine.agent.Logging.time(System.currentTimeMillis()));
        o.put("event", e.type().name().toLowerCase(java.util.Locale.ROOT));
        o.put("member", Json.member(e.member()));
        queue.offer(o);
      });
      return () -> {
        logs.close();
        members.close();
      };
    });
  }

  private Response logLevel() {
    return Response.json(200, Map.of("level", io.grapevine.agent.Logging.level()));
  }

  private Response setLogLevel(byte[] body) {
    String text = new String(body, StandardCharsets.UTF_8).strip();
    try {
      if (text.startsWith("{")) {
        text = Json.mapper().readTree(text).path("level").asText();
      }
      io.grapevine.agent.Logging.setLevel(text);
    } catch (IOException | IllegalArgumentException e) {
      return Response.error(400, e instanceof IllegalArgumentException ? e.getMessage()
          : "expected a level (debug) or {\"level\": \"debug\"}");
    }
    log.info("log level set to {}", io.grapevine.agent.Logging.level());
    return logLevel();
  }

  // ---- tags (the agent's key=value metadata) ----

  private Response tags() {
    Map<String, String> tags = Metadata.decode(cluster.localMember().metadata());
    if (tags == null) {
      return Response.error(409, "this node's metadata is not key=value tags");
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("tags", tags);
    return Response.json(200, out);
  }

  /** {@code {"set": {"k": "v"}, "delete": ["k2"]}}: one metadata update, spread like any other. */
  private Response updateTags(byte[] body) {
    Map<String, String> tags = Metadata.decode(cluster.localMember().metadata());
    if (tags == null) {
      return Response.error(409, "this node's metadata is not key=value tags");
    }
    tags = new java.util.TreeMap<>(tags);
    JsonNode root;
    try {
      root = Json.mapper().readTree(body);
    } catch (IOException e) {
      return Response.error(400, "expected JSON like {\"set\": {\"role\": \"web\"}, \"delete\": [\"old\"]}");
    }
    if (root == null || !root.isObject()) {
      return Response.error(400, "expected a JSON object with 'set' and/or 'delete'");
    }
    JsonNode set = root.path("set");
    if (!set.isMissingNode() && !set.isObject()) {
      return Response.error(400, "'set' must be an object of tag names to string values");
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = set.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!e.getValue().isTextual()) {
        return Response.error(400, "tag '" + e.getKey() + "': value must be a string");
      }
      String error = Metadata.checkKey(e.getKey());
      if (error == null) {
        error = Metadata.checkValue(e.getKey(), e.getValue().asText());
      }
      if (error != null) {
        return Response.error(400, error);
      }
      tags.put(e.getKey(), e.getValue().asText());
    }
    JsonNode delete = root.path("delete");
    if (!delete.isMissingNode() && !delete.isArray()) {
      return Response.error(400, "'delete' must be an array of tag names");
    }
    for (JsonNode k : delete) {
      tags.remove(k.asText());
    }
    try {
      cluster.updateMetadata(Metadata.encode(tags));
    } catch (IllegalArgumentException e) {
      return Response.error(400, firstLine(e.getMessage()));
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("tags", tags);
    return Response.json(200, out);
  }

  // ---- network coordinates ----

  private Response coordinates() {
    if (cluster.coordinate().isEmpty()) {
      return Response.error(409, "network coordinates are off on this agent: start it with --coordinates on");
    }
    Map<String, Object> all = new java.util.TreeMap<>();
    for (Member m : cluster.members()) {
      cluster.coordinate(m.name()).ifPresent(c -> all.put(m.name(), Json.coordinate(c)));
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("local", cluster.localMember().name());
    out.put("coordinates", all);
    return Response.json(200, out);
  }

  /** {@code ?a=NODE&b=NODE}: the RTT estimated between two members; b defaults to this node. */
  private Response rtt(Map<String, String> q) {
    if (cluster.coordinate().isEmpty()) {
      return Response.error(409, "network coordinates are off on this agent: start it with --coordinates on");
    }
    String a = q.get("a");
    if (a == null || a.isEmpty()) {
      return Response.error(400, "missing query parameter a (a member name)");
    }
    String b = q.getOrDefault("b", cluster.localMember().name());
    for (String n : List.of(a, b)) {
      if (cluster.member(n).isEmpty()) {
        return Response.error(404, "no member named '" + n + "'");
      }
    }
    Optional<java.time.Duration> d = cluster.estimateRtt(a, b);
    if (d.isEmpty()) {
      return Response.error(404, "no coordinate known yet for " + (cluster.coordinate(a).isEmpty() ? a : b)
          + " (coordinates arrive on probe acks: every member is probed within about N probe intervals)");
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("a", a);
    out.put("b", b);
    out.put("rttMs", d.get().toNanos() / 1e6);
    return Response.json(200, out);
  }

  // ---- queries ----

  /**
   * {@code POST /v1/query/{name}?node=N&tag=K=RE&timeout=D&ack=true&relay=K}: issues a query with the
   * body as payload and streams (SSE) each ack and answer as it arrives, then the result, and ends.
   * Bad arguments are a 400 before any stream starts.
   */
  private Response query(String name, Map<String, List<String>> params, byte[] payload) {
    for (String p : params.keySet()) {
      if (!List.of("node", "tag", "timeout", "ack", "relay").contains(p)) {
        return Response.error(400, "unknown query parameter '" + p + "' (use node, tag, timeout, ack, relay)");
      }
    }
    io.grapevine.query.QueryOptions options = io.grapevine.query.QueryOptions.defaults();
    List<String> nodes = new ArrayList<>();
    for (String n : params.getOrDefault("node", List.of())) {
      for (String one : n.split(",")) {
        if (!one.isBlank()) {
          nodes.add(one.strip());
        }
      }
    }
    if (!nodes.isEmpty()) {
      options = options.nodes(nodes);
    }
    for (String t : params.getOrDefault("tag", List.of())) {
      int eq = t.indexOf('=');
      if (eq <= 0) {
        return Response.error(400, "tag filter must be KEY=REGEX, got '" + abbreviate(t) + "'");
      }
      String error = Metadata.checkKey(t.substring(0, eq));
      if (error != null) {
        return Response.error(400, "tag filter: " + error);
      }
      options = options.tag(t.substring(0, eq), t.substring(eq + 1));
    }
    String timeout = last(params, "timeout");
    if (timeout != null) {
      try {
        options = options.timeout(io.grapevine.config.Durations.parse(timeout));
      } catch (IllegalArgumentException e) {
        return Response.error(400, "timeout: " + e.getMessage());
      }
    }
    String ack = last(params, "ack");
    if (ack != null) {
      if (!ack.equals("true") && !ack.equals("false") && !ack.isEmpty()) {
        return Response.error(400, "ack must be true or false, got '" + abbreviate(ack) + "'");
      }
      options = options.requestAck(!ack.equals("false"));
    }
    String relay = last(params, "relay");
    if (relay != null) {
      try {
        options = options.relayFactor(Integer.parseInt(relay));
      } catch (NumberFormatException e) {
        return Response.error(400, "relay must be a whole number 0.." + io.grapevine.query.Query.MAX_RELAY_FACTOR
            + ", got '" + abbreviate(relay) + "'");
      }
    }
    // A query's stream holds a pool thread until its deadline, like a watch.
    if (!watchSlots.tryAcquire()) {
      return Response.error(503, "too many open streams (at most " + MAX_WATCHES + "); retry when one ends");
    }
    io.grapevine.QueryHandle handle;
    long start = System.nanoTime();
    try {
      handle = cluster.query(name, payload, options);
    } catch (IllegalArgumentException e) {
      watchSlots.release();
      return Response.error(400, firstLine(e.getMessage()));
    } catch (IllegalStateException e) {
      watchSlots.release();
      return Response.error(503, firstLine(e.getMessage()));
    } catch (RuntimeException e) {
      watchSlots.release();
      throw e;
    }
    boolean ackRequested = options.requestAck();
    return Response.stream(ex -> {
      // Items are bounded by the protocol: at most one ack and one answer per node, then the end.
      BlockingQueue<Map<String, Object>> queue = new LinkedBlockingQueue<>();
      try {
        handle.onAck(a -> queue.offer(queryItem("ack", a.from(), null, start)));
        handle.onResponse(r -> queue.offer(queryItem("response", r.from(), r.payload(), start)));
        handle.result().whenComplete((result, failure) -> {
          Map<String, Object> end = new LinkedHashMap<>();
          if (failure != null) {
            end.put("type", "error");
            end.put("error", firstLine(String.valueOf(failure.getMessage())));
          } else {
            end.put("type", "done");
            end.putAll(Json.queryResult(result));
            end.put("elapsedMs", (System.nanoTime() - start) / 1_000_000);
          }
          queue.offer(end);
        });
        ex.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
        ex.getResponseHeaders().set("Cache-Control", "no-cache");
        ex.sendResponseHeaders(200, 0);
        OutputStream out = ex.getResponseBody();
        Map<String, Object> opened = new LinkedHashMap<>();
        opened.put("type", "query");
        opened.put("id", handle.id().toString());
        opened.put("name", name);
        opened.put("ackRequested", ackRequested);
        out.write(("event: query\ndata: " + compact(opened) + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
        while (true) {
          Map<String, Object> item = queue.poll(HEARTBEAT_MILLIS, TimeUnit.MILLISECONDS);
          if (item == null) {
            out.write(": heartbeat\n\n".getBytes(StandardCharsets.UTF_8));
          } else {
            out.write(("event: " + item.get("type") + "\ndata: " + compact(item) + "\n\n")
                .getBytes(StandardCharsets.UTF_8));
          }
          out.flush();
          if (item != null && ("done".equals(item.get("type")) || "error".equals(item.get("type")))) {
            return;
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        watchSlots.release();
      }
    });
  }

  private static Map<String, Object> queryItem(String type, String from, byte[] payload, long startNanos) {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("type", type);
    o.put("from", from);
    o.put("elapsedMs", (System.nanoTime() - startNanos) / 1_000_000);
    if (payload != null) {
      Json.putBytes(o, "payload", payload);
    }
    return o;
  }

  private static String last(Map<String, List<String>> params, String key) {
    List<String> v = params.get(key);
    return v == null || v.isEmpty() ? null : v.get(v.size() - 1);
  }

  // ---- replicated maps ----

  private Response kv(HttpExchange ex, String rest) throws IOException {
    int slash = rest.indexOf('/');
    String mapName = decode(slash < 0 ? rest : rest.substring(0, slash));
    String method = ex.getRequestMethod();
    ReplicatedMap map;
    try {
      map = cluster.kv(mapName);
    } catch (IllegalArgumentException e) {
      return Response.error(400, "bad map name: " + firstLine(e.getMessage()));
    }
    if (slash < 0) {
      Map<String, String> q = query(ex);
      String prefix = q.getOrDefault("prefix", "");
      if (q.containsKey("watch") && !"false".equals(q.get("watch"))) {
        return only(ex, "GET", () -> watch(queue -> map.watch(prefix, c -> queue.offer(Json.kvChange(c)))));
      }
      return only(ex, "GET", () -> kvList(map, prefix));
    }
    String key = decode(rest.substring(slash + 1));
    try {
      switch (method) {
        case "GET":
        case "HEAD":
          return map.get(key)
              .map(v -> Response.json(200, kvEntry(map.name(), key, v)))
              .orElseGet(() -> Response.error(404, "no value for key '" + key + "' in map '" + map.name() + "'"));
        case "PUT": {
          Map<String, String> q = query(ex);
          for (String p : q.keySet()) {
            if (!p.equals("ttl")) {
              return Response.error(400, "unknown query parameter '" + abbreviate(p) + "' (use ttl)");
            }
          }
          Duration ttl = null;
          if (q.containsKey("ttl")) {
            try {
              ttl = io.grapevine.config.Durations.parse(q.get("ttl"));
            } catch (IllegalArgumentException e) {
              return Response.error(400, "ttl: " + firstLine(e.getMessage()));
            }
            if (ttl.isZero()) {
              return Response.error(400, "ttl must be above zero, like 30s; leave it out for a value that never expires");
            }
          }
          byte[] value = readBody(ex, MAX_DATA_BODY_BYTES);
          if (ttl == null) {
            map.put(key, value);
          } else {
            map.put(key, value, ttl);
          }
          Map<String, Object> out = new LinkedHashMap<>();
          out.put("map", map.name());
          out.put("key", key);
          out.put("bytes", value.length);
          if (ttl != null) {
            out.put("ttlMillis", ttl.toMillis());
          }
          return Response.json(200, out);
        }
        case "DELETE": {
          boolean existed = map.get(key).isPresent();
          map.delete(key);
          Map<String, Object> out = new LinkedHashMap<>();
          out.put("map", map.name());
          out.put("key", key);
          out.put("deleted", true);
          out.put("existed", existed);
          return Response.json(200, out);
        }
        default:
          ex.getResponseHeaders().add("Allow", "GET, HEAD, PUT, DELETE");
          return Response.error(405, method + " not allowed here; use GET, PUT or DELETE");
      }
    } catch (IllegalArgumentException e) {
      return Response.error(400, firstLine(e.getMessage()));
    } catch (IllegalStateException e) {
      return Response.error(409, firstLine(e.getMessage()));
    }
  }

  /** Splits {@code MAP/KEY} (the key may contain '/'); null when either part is missing. */
  private static String[] mapAndKey(String rest) {
    int slash = rest.indexOf('/');
    if (slash <= 0 || slash == rest.length() - 1) {
      return null;
    }
    return new String[] {decode(rest.substring(0, slash)), decode(rest.substring(slash + 1))};
  }

  /**
   * {@code GET /v1/counters/{map}/{key}}: a PN-counter's value here (0 if absent); {@code POST} adds
   * the body, a whole number (empty: 1), and answers the new value here.
   */
  private Response counter(HttpExchange ex, String rest) throws IOException {
    String[] mk = mapAndKey(rest);
    if (mk == null) {
      return Response.error(400, "expected /v1/counters/{map}/{key}");
    }
    String method = ex.getRequestMethod();
    if (!method.equals("GET") && !method.equals("HEAD") && !method.equals("POST")) {
      ex.getResponseHeaders().add("Allow", "GET, HEAD, POST");
      return Response.error(405, method + " not allowed here; use GET, or POST with a whole number to add");
    }
    try {
      ReplicatedMap map = cluster.kv(mk[0]);
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("map", map.name());
      out.put("key", mk[1]);
      if (method.equals("POST")) {
        String text = new String(readBody(ex, MAX_BODY_BYTES), StandardCharsets.UTF_8).strip();
        long delta;
        try {
          delta = text.isEmpty() ? 1 : Long.parseLong(text.startsWith("+") ? text.substring(1) : text);
        } catch (NumberFormatException e) {
          return Response.error(400, "expected a whole number to add as the body (like 1 or -3), got '"
              + abbreviate(text) + "'");
        }
        out.put("delta", delta);
        try {
          out.put("value", map.increment(mk[1], delta));
        } catch (ArithmeticException e) {
          // Each node's share of increments (and of decrements) is a 64-bit count.
          return Response.error(400, "cannot add " + delta + " to counter '" + mk[1] + "': this node's total of"
              + (delta < 0 ? " decrements" : " increments") + " would leave the 64-bit range");
        }
      } else {
        out.put("value", map.counter(mk[1]));
      }
      return Response.json(200, out);
    } catch (IllegalArgumentException e) {
      return Response.error(400, firstLine(e.getMessage()));
    } catch (IllegalStateException e) {
      return Response.error(409, firstLine(e.getMessage()));
    }
  }

  /**
   * {@code GET /v1/sets/{map}/{key}}: an OR-set's elements here (empty if absent); {@code POST} with
   * {@code {"add": [...], "remove": [...]}} changes it and answers the elements after.
   */
  private Response set(HttpExchange ex, String rest) throws IOException {
    String[] mk = mapAndKey(rest);
    if (mk == null) {
      return Response.error(400, "expected /v1/sets/{map}/{key}");
    }
    String method = ex.getRequestMethod();
    if (!method.equals("GET") && !method.equals("HEAD") && !method.equals("POST")) {
      ex.getResponseHeaders().add("Allow", "GET, HEAD, POST");
      return Response.error(405, method + " not allowed here; use GET, or POST {\"add\": [...], \"remove\": [...]}");
    }
    try {
      ReplicatedMap map = cluster.kv(mk[0]);
      if (method.equals("POST")) {
        List<String> add = new ArrayList<>();
        List<String> remove = new ArrayList<>();
        String problem = setChange(readBody(ex, MAX_BODY_BYTES), add, remove);
        if (problem != null) {
          return Response.error(400, problem);
        }
        for (String e : add) {
          map.addToSet(mk[1], e);
        }
        for (String e : remove) {
          map.removeFromSet(mk[1], e);
        }
      }
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("map", map.name());
      out.put("key", mk[1]);
      out.put("elements", new java.util.TreeSet<>(map.members(mk[1])));
      return Response.json(200, out);
    } catch (IllegalArgumentException e) {
      return Response.error(400, firstLine(e.getMessage()));
    } catch (IllegalStateException e) {
      return Response.error(409, firstLine(e.getMessage()));
    }
  }

  /** Parses {@code {"add": [...], "remove": [...]}} into the lists; the problem, or null. */
  private static String setChange(byte[] body, List<String> add, List<String> remove) {
    String shape = "expected a body like {\"add\": [\"alice\"], \"remove\": [\"bob\"]}";
    JsonNode root;
    try {
      root = Json.mapper().readTree(body);
    } catch (IOException e) {
      return "body is not valid JSON: " + firstLine(e instanceof com.fasterxml.jackson.core.JsonProcessingException j
          ? j.getOriginalMessage() : e.getMessage()) + "; " + shape;
    }
    if (root == null || !root.isObject()) {
      return shape;
    }
    for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!f.equals("add") && !f.equals("remove")) {
        return "unknown field '" + abbreviate(f) + "'; " + shape;
      }
    }
    for (String field : List.of("add", "remove")) {
      JsonNode list = root.path(field);
      if (list.isMissingNode()) {
        continue;
      }
      if (!list.isArray()) {
        return "'" + field + "' must be an array of strings; " + shape;
      }
      for (JsonNode e : list) {
        if (!e.isTextual()) {
          return "'" + field + "' must be an array of strings, got " + abbreviate(e.toString());
        }
        String problem = io.grapevine.antientropy.Names.keyProblem(e.asText(), Integer.MAX_VALUE);
        if (problem != null) {
          // Checked before any change, so that a bad element does not leave the request half done.
          return "set element: " + problem.replace("key", "element");
        }
        (field.equals("add") ? add : remove).add(e.asText());
      }
    }
    if (add.isEmpty() && remove.isEmpty()) {
      return "nothing to change: " + shape;
    }
    return null;
  }

  private static Map<String, Object> kvEntry(String map, String key, byte[] value) {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("map", map);
    o.put("key", key);
    Json.putBytes(o, "value", value);
    return o;
  }

  private static Response kvList(ReplicatedMap map, String prefix) {
    List<Map<String, Object>> entries = new ArrayList<>();
    map.scan(prefix).forEach((k, v) -> {
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("key", k);
      Json.putBytes(e, "value", v);
      entries.add(e);
    });
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("map", map.name());
    out.put("prefix", prefix);
    out.put("entries", entries);
    return Response.json(200, out);
  }

  // ---- server-sent events ----

  /** Opens a subscription that feeds {@code queue}; the returned handle ends it. */
  private interface Subscriber {
    AutoCloseable open(BlockingQueue<Object> queue);
  }

  private final Semaphore watchSlots = new Semaphore(MAX_WATCHES);

  /**
   * A server-sent event stream: one {@code data:} line of JSON per item. The subscriber's callback
   * runs on the node's event loop, so it only queues; this thread writes. A heartbeat comment on
   * idle streams makes a departed client fail a write, which ends the stream and the subscription.
   */
  private Response watch(Subscriber subscriber) {
    // The slot is taken when the stream starts (not for a HEAD request, which never starts it).
    return Response.stream(ex -> {
      if (!watchSlots.tryAcquire()) {
        send(ex, Response.error(503, "too many open watches (at most " + MAX_WATCHES + "); close one and retry"));
        return;
      }
      BlockingQueue<Object> queue = new LinkedBlockingQueue<>(WATCH_QUEUE);
      AutoCloseable subscription = null;
      try {
        subscription = subscriber.open(queue);
        ex.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
        ex.getResponseHeaders().set("Cache-Control", "no-cache");
        ex.sendResponseHeaders(200, 0);
        OutputStream out = ex.getResponseBody();
        out.write(": watching\n\n".getBytes(StandardCharsets.UTF_8));
        out.flush();
        while (true) {
          if (queue.remainingCapacity() == 0) {
            out.write(("event: overflow\ndata: " + compact(Json.error("watcher too slow: more than " + WATCH_QUEUE
                + " items queued; reconnect")) + "\n\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            return;
          }
          Object item = queue.poll(HEARTBEAT_MILLIS, TimeUnit.MILLISECONDS);
          if (item == null) {
            out.write(": heartbeat\n\n".getBytes(StandardCharsets.UTF_8));
          } else {
            out.write(("data: " + compact(item) + "\n\n").getBytes(StandardCharsets.UTF_8));
          }
          out.flush();
        }
      } catch (InterruptedException e) {
        // The server is stopping.
        Thread.currentThread().interrupt();
      } finally {
        watchSlots.release();
        if (subscription != null) {
          try {
            subscription.close();
          } catch (Exception ignored) {
            // Closing a subscription only removes a listener.
          }
        }
      }
    });
  }

  private static String compact(Object value) {
    return JsonText.compact(value);
  }

  private static Map<String, String> query(HttpExchange ex) {
    Map<String, String> out = new LinkedHashMap<>();
    String raw = ex.getRequestURI().getRawQuery();
    if (raw == null || raw.isEmpty()) {
      return out;
    }
    for (String pair : raw.split("&")) {
      int eq = pair.indexOf('=');
      String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      out.putIfAbsent(k, v);
    }
    return out;
  }

  /** Every value of each parameter, in order: filters may be given more than once. */
  private static Map<String, List<String>> queryAll(HttpExchange ex) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    String raw = ex.getRequestURI().getRawQuery();
    if (raw == null || raw.isEmpty()) {
      return out;
    }
    for (String pair : raw.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      out.computeIfAbsent(k, x -> new ArrayList<>()).add(v);
    }
    return out;
  }

  private static String abbreviate(String s) {
    return s.length() <= 40 ? s : s.substring(0, 40) + "...";
  }

  private static String firstLine(String s) {
    int nl = s == null ? -1 : s.indexOf('\n');
    return nl < 0 ? String.valueOf(s) : s.substring(0, nl);
  }

  private static String decode(String raw) {
    // A path segment: '+' is a plus sign there, not a space as in form encoding.
    return URLDecoder.decode(raw.replace("+", "%2B"), StandardCharsets.UTF_8);
  }

  private static byte[] readBody(HttpExchange ex) throws IOException {
    return readBody(ex, MAX_BODY_BYTES);
  }

  private static byte[] readBody(HttpExchange ex, int limit) throws IOException {
    try (InputStream in = ex.getRequestBody()) {
      byte[] body = in.readNBytes(limit + 1);
      if (body.length > limit) {
        // Read on (bounded) so the client, still sending, gets the 413 rather than a reset.
        long skipped = 0;
        byte[] sink = new byte[64 * 1024];
        for (int r; skipped < DRAIN_BYTES && (r = in.read(sink)) > 0; ) {
          skipped += r;
        }
        throw new BodyTooLargeException(limit);
      }
      return body;
    }
  }

  private static void send(HttpExchange ex, Response r) throws IOException {
    byte[] bytes = r.body instanceof byte[] raw ? raw
        : (r.body instanceof String s ? s : Json.write(r.body) + "\n").getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", r.contentType);
    if (ex.getRequestMethod().equals("HEAD")) {
      // The length the GET would have; the server sends no body for HEAD.
      ex.getResponseHeaders().set("Content-Length", Integer.toString(bytes.length));
      ex.sendResponseHeaders(r.status, -1);
      return;
    }
    ex.sendResponseHeaders(r.status, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }
}

