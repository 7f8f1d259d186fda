package io.grapevine.agent;

import com.sun.net.httpserver.HttpServer;
import io.grapevine.Cluster;
import io.grapevine.ClusterBuilder;
import io.grapevine.agent.api.ApiServer;
import io.grapevine.agent.api.ClusterMetrics;
import io.grapevine.config.HostPort;
import io.grapevine.config.ProtocolConfigs;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running agent: the node, its HTTP API and its lifecycle. Joins through the seeds (retrying
 * with back-off until one answers, so agents may start in any order; the runtime logs membership
 * changes), and on SIGTERM/Ctrl-C or {@code POST /v1/leave} leaves gracefully before the process
 * exits.
 */
final class Agent {
  private static final long MAX_RETRY_MILLIS = 30_000;

  private final AgentSettings settings;
  private final Logger log = LoggerFactory.getLogger("grapevine.agent");
  private final CountDownLatch stopped = new CountDownLatch(1);
  private final AtomicBoolean stopping = new AtomicBoolean();
  private final AtomicBoolean left = new AtomicBoolean();
  private final CountDownLatch wake = new CountDownLatch(1);
  private Cluster cluster;
  private ApiServer api;

  Agent(AgentSettings settings) {
    this.settings = settings;
  }

  /** Runs until the node has left; returns the exit status. */
  int run() throws InterruptedException {
    // The HTTP port first: a taken port should stop the agent before its node joins anything.
    HostPort hp = HostPort.parse(settings.http(), 0);
    HttpServer httpServer;
    try {
      httpServer = ApiServer.bind(new InetSocketAddress(hp.host(), hp.port()));
    } catch (IOException e) {
      throw new StartException("cannot serve the HTTP API on " + settings.http() + ": " + e.getMessage());
    }
    try {
      ProtocolConfigs protocols = settings.protocols();
      ClusterBuilder b =
          Cluster.builder()
              .name(settings.name())
              .clusterName(settings.clusterName())
              .bind(settings.bind())
              .config(protocols.membership())
              .eventsConfig(protocols.dissemination())
              .kvConfig(protocols.kv())
              .aggregatesConfig(protocols.aggregation())
              .hyParViewConfig(protocols.hyparview())
              .plumtreeConfig(protocols.plumtree())
              .queryConfig(protocols.query())
              .metadata(Metadata.encode(settings.meta()))
              .joinTimeout(settings.joinTimeout())
              .eventOverlay(settings.overlay());
      if (settings.advertise() != null) {
        b.advertise(settings.advertise());
      }
      if (settings.tree()) {
        b.treeAggregation(protocols.ring());
      }
      if (settings.dataDir() != null) {
        b.dataDir(settings.dataDir());
      }
      cluster = b.start();
    } catch (UncheckedIOException | IllegalArgumentException | IllegalStateException e) {
      httpServer.stop(0);
      throw new StartException("cannot start the node: " + e.getMessage());
    }
    // The metrics registry takes a second or more to set up (JVM meters); the API must not wait.
    Cluster node = cluster;
    CompletableFuture<PrometheusMeterRegistry> registry = new CompletableFuture<>();
    Thread metricsSetup =
        new Thread(
            () -> {
              try {
                registry.complete(ClusterMetrics.registry(node));
              } catch (RuntimeException | Error e) {
                registry.completeExceptionally(e);
              }
            },
            "grapevine-metrics-setup");
    metricsSetup.setDaemon(true);
    metricsSetup.start();
    api =
        new ApiServer(
            httpServer,
            cluster,
            registry::join,
            settings.httpToken(),
            this::agentInfo,
            settings.joinTimeout(),
            () -> {
              // The API has already left gracefully: the shutdown hook only closes.
              log.info("left the cluster on request; exiting");
              left.set(true);
              System.exit(0);
            });
    Runtime.getRuntime().addShutdownHook(new Thread(this::shutdown, "grapevine-shutdown"));
    log.info(
        "node {} of cluster '{}' up at {} (profile {}, events over {} overlay, tree {}); HTTP API on http://{}",
        settings.name(), settings.clusterName(), cluster.endpoint(), settings.profile(),
        settings.overlay().configName(), settings.tree() ? "on" : "off", hostPort(api.address()));
    log.info(settings.dataDir() != null
        ? "replicated maps are stored in " + settings.dataDir()
        : "no --data-dir: replicated maps live in memory and a restart recovers them from peers");
    if (settings.seeds().isEmpty()) {
      log.info("no seeds given: this node starts a new cluster; others join it with --join {}", cluster.endpoint());
    } else {
      joinWithRetry();
    }
    stopped.await();
    return 0;
  }

  private void joinWithRetry() throws InterruptedException {
    long backoff = 1000;
    while (!stopping.get()) {
      try {
        // The runtime logs the outcome; only failures need a word here.
        cluster.join(settings.seeds()).get(settings.joinTimeout().toMillis() + 5000, TimeUnit.MILLISECONDS);
        return;
      } catch (ExecutionException | TimeoutException e) {
        Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
        log.warn("join through {} failed ({}); retrying in {} s", settings.seeds(), cause.getMessage(), backoff / 1000);
      }
      // Wait for the back-off, or until shutdown wakes us early.
      if (wake.await(backoff, TimeUnit.MILLISECONDS)) {
        return;
      }
      backoff = Math.min(backoff * 2, MAX_RETRY_MILLIS);
    }
  }

  private void shutdown() {
    if (!stopping.compareAndSet(false, true)) {
      return;
    }
    wake.countDown();
    try {
      if (left.get()) {
        return;
      }
      log.info("leaving the cluster...");
      cluster.leave().get(cluster.config().leavePropagateTime.toMillis() + 5000, TimeUnit.MILLISECONDS);
      log.info("left the cluster");
    } catch (ExecutionException | TimeoutException e) {
      log.warn("graceful leave did not complete: {}", e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      api.close();
      cluster.close();
      stopped.countDown();
    }
  }

  private Map<String, Object> agentInfo() {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("bind", settings.bind());
    o.put("advertise", settings.advertise());
    o.put("http", hostPort(api.address()));
    o.put("seeds", settings.seeds());
    o.put("profile", settings.profile());
    o.put("overlay", settings.overlay().configName());
    o.put("tree", settings.tree() ? "on" : "off");
    o.put("dataDir", settings.dataDir() == null ? null : settings.dataDir().toString());
    o.put("authRequired", settings.httpToken() != null);
    return o;
  }

  static String hostPort(InetSocketAddress a) {
    String host = a.getAddress().getHostAddress();
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort();
  }

  /** The agent could not start; the message is the one line to show. */
  static final class StartException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    StartException(String message) {
      super(message);
    }
  }
}
