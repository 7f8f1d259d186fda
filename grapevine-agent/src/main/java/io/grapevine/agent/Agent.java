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
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
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
  /**
   * Remembered members a restarted agent tries at once: each costs a full-state exchange, and the
   * most recently seen few almost always include one that is up.
   */
  static final int REJOIN_TARGETS = 16;
  /** Rejoin attempts (each waits the join timeout) before the agent runs alone and lets others find it. */
  static final int REJOIN_ATTEMPTS = 3;

  private final AgentSettings settings;
  private final Logger log = LoggerFactory.getLogger("grapevine.agent");
  private final CountDownLatch stopped = new CountDownLatch(1);
  private final AtomicBoolean stopping = new AtomicBoolean();
  private final AtomicBoolean left = new AtomicBoolean();
  private final CountDownLatch wake = new CountDownLatch(1);
  private Cluster cluster;
  private ApiServer api;
  private SnapshotKeeper snapshots;
  private EventHandlers handlers;

  Agent(AgentSettings settings) {
    this.settings = settings;
  }

  /** Runs until the node has left; returns the exit status. */
  int run() throws InterruptedException {
    // The HTTP port first: a taken port should stop the agent before its node joins anything.
    HostPort hp = HostPort.parse(settings.http(), 0);
    HttpServer httpServer;
    try {
      httpServer = ApiServer.bind(new InetSocketAddress(hp.host(), hp.port()),
          settings.httpTls() == null ? null : settings.httpTls().context());
    } catch (IOException e) {
      throw new StartException("cannot serve the HTTP API on " + settings.http() + ": " + e.getMessage());
    }
    MemberSnapshot previous =
        settings.dataDir() == null ? MemberSnapshot.empty() : SnapshotKeeper.load(settings.dataDir());
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
              .transportConfig(protocols.transport())
              .queryConfig(protocols.query())
              .metadata(Metadata.encode(settings.meta()))
              .joinTimeout(settings.joinTimeout())
              .eventOverlay(settings.overlay());
      if (settings.advertise() != null) {
        b.advertise(settings.advertise());
      }
      if (settings.coordinates()) {
        b.coordinates(protocols.coordinates());
      }
      if (settings.tree()) {
        b.treeAggregation(protocols.ring());
      }
      if (settings.dataDir() != null) {
        b.dataDir(settings.dataDir());
      }
      b.encryptionConfig(protocols.encryption());
      if (settings.encryptionKey() != null) {
        b.encryptionKey(settings.encryptionKey());
      }
      if (settings.keyringFile() != null) {
        b.keyringFile(settings.keyringFile());
      }
      cluster = b.start();
      if (settings.dataDir() != null) {
        snapshots = new SnapshotKeeper(settings.dataDir(), cluster, previous);
        snapshots.start();
      }
      if (!settings.eventHandlers().isEmpty()) {
        // Before the join, so that the handlers hear of the members it finds.
        handlers = new EventHandlers(cluster, settings.eventHandlers(), settings.eventHandlerQueue(),
            settings.eventHandlerTimeout(), protocols.query().maxResponseBytes);
      }
    } catch (UncheckedIOException | IllegalArgumentException | IllegalStateException e) {
      if (cluster != null) {
        cluster.close();
      }
      httpServer.stop(0);
      throw new StartException("cannot start the node: " + e.getMessage());
    }
    // The metrics registry (Micrometer, Prometheus and JVM meters: some hundreds of classes and a
    // second to set up) is built at the first scrape, so an agent nobody scrapes never pays for it.
    // Every meter reads its value at scrape time, so nothing is missed by starting late.
    Cluster node = cluster;
    EventHandlers handlers = this.handlers;
    Supplier<PrometheusMeterRegistry> registry = new Supplier<>() {
      private PrometheusMeterRegistry built;

      @Override
      public synchronized PrometheusMeterRegistry get() {
        if (built == null) {
          built = ClusterMetrics.registry(node);
          if (handlers != null) {
            handlers.bindMetrics(built);
          }
        }
        return built;
      }
    };
    api =
        new ApiServer(
            httpServer,
            cluster,
            registry,
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
        "node {} of cluster '{}' up at {} (profile {}, transport {}, events over {} overlay, tree {}); HTTP API on {}://{}",
        settings.name(), settings.clusterName(), cluster.endpoint(), settings.profile(),
        protocols().transport().tcpOnly() ? "tcp-only" : "udp-and-tcp",
        settings.overlay().configName(), settings.tree() ? "on" : "off", api.tls() ? "https" : "http",
        hostPort(api.address()));
    if (settings.advertiseNote() != null) {
      log.info(settings.advertiseNote());
    }
    String warning = plainHttpWarning(api.address(), api.tls());
    if (warning != null) {
      log.warn(warning);
    }
    log.info(settings.dataDir() != null
        ? "replicated maps and the member snapshot are stored in " + settings.dataDir()
        : "no --data-dir: replicated maps live in memory and a restart recovers them from peers");
    List<String> remembered = previous.rejoinTargets(settings.name(), cluster.endpoint().toString(), REJOIN_TARGETS);
    if (!settings.seeds().isEmpty()) {
      joinWithRetry();
    } else if (!remembered.isEmpty()) {
      rejoin(remembered, previous.entries().size());
    } else {
      log.info("no seeds given: this node starts a new cluster; others join it with --join {}", cluster.endpoint());
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

  /**
   * Rejoins through the members of the snapshot, a bounded number of times; then runs alone. Alone,
   * the runtime still tries one of them every reconnect interval, and they find this node when they
   * come back themselves, so a cluster whose agents all restarted re-forms.
   */
  private void rejoin(List<String> targets, int remembered) throws InterruptedException {
    log.info("no seeds given: rejoining through {} of the {} members remembered in the snapshot", targets.size(),
        remembered);
    long backoff = 1000;
    for (int attempt = 1; attempt <= REJOIN_ATTEMPTS && !stopping.get(); attempt++) {
      try {
        cluster.join(targets).get(settings.joinTimeout().toMillis() + 5000, TimeUnit.MILLISECONDS);
        return;
      } catch (ExecutionException | TimeoutException e) {
        Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
        log.warn("rejoin attempt {} of {} failed ({})", attempt, REJOIN_ATTEMPTS, cause.getMessage());
      }
      if (attempt < REJOIN_ATTEMPTS && wake.await(backoff, TimeUnit.MILLISECONDS)) {
        return;
      }
      backoff *= 2;
    }
    if (!stopping.get()) {
      log.warn("no remembered member answered: running alone at {}; others can join it, and it keeps trying"
          + " one remembered member every reconnect interval", cluster.endpoint());
    }
  }

  private void shutdown() {
    if (!stopping.compareAndSet(false, true)) {
      return;
    }
    wake.countDown();
    try {
      if (snapshots != null) {
        // Before leaving: what this node knew of the others, not what its departure looks like.
        snapshots.close();
      }
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
      if (handlers != null) {
        handlers.close();
      }
      cluster.close();
      stopped.countDown();
    }
  }

  private ProtocolConfigs protocols() {
    return settings.protocols();
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
    o.put("coordinates", settings.coordinates() ? "on" : "off");
    o.put("version", String.valueOf(GrapevineCommand.class.getPackage().getImplementationVersion()));
    o.put("transport", protocols().transport().tcpOnly() ? "tcp-only" : "udp-and-tcp");
    o.put("dataDir", settings.dataDir() == null ? null : settings.dataDir().toString());
    o.put("authRequired", settings.httpToken() != null);
    o.put("tls", settings.httpTls() == null ? null : settings.httpTls().kind());
    o.put("keyringFile", settings.keyringFile() == null ? null : settings.keyringFile().toString());
    return o;
  }

  /** The warning for an API reachable off this host without TLS, or null when it is loopback or TLS. */
  static String plainHttpWarning(InetSocketAddress address, boolean tls) {
    if (tls || address.getAddress().isLoopbackAddress()) {
      return null;
    }
    return "the HTTP API listens on " + hostPort(address) + " without TLS: its bearer token and data cross the"
        + " network in clear; give --http-tls-cert and --http-tls-key (or --http-tls-keystore)";
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
