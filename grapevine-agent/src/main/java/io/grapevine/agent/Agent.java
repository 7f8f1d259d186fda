// SPDX-License-Identifier: Apache-2.0
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
  /** The metrics registry once the first scrape built it, closed at shutdown (GC listener, observers). */
  private volatile PrometheusMeterRegistry metrics;

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
          metrics = built;
          io.micrometer.core.instrument.Gauge.builder("grapevine.build.info", () -> 1)
              .tag("version", version())
              .description("Always 1; the version label says which build this agent runs")
              .register(built);
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
      // Another member alive under this node's name answers the join with a state listing that name
      // at another address: the node sees a name conflict about itself before the join completes.
      java.util.concurrent.atomic.AtomicReference<io.grapevine.api.NameConflict> conflict =
          new java.util.concurrent.atomic.AtomicReference<>();
      AutoCloseable conflicts = cluster.addListener(new io.grapevine.MembershipListener() {
        @Override
        public void onMemberEvent(io.grapevine.api.MemberEvent event) {}

        @Override
        public void onNameConflict(io.grapevine.api.NameConflict nc) {
          if (nc.name().equals(settings.name())) {
            conflict.compareAndSet(null, nc);
          }
        }
      });
      boolean joined = joinWithRetry();
      closeQuietly(conflicts);
      io.grapevine.api.NameConflict nc = conflict.get();
      if (nc != null) {
        log.error("refusing to run: the name '{}' is taken by a member alive at {}; start this agent with another"
            + " --name (or stop that member first)", settings.name(),
            nc.existing().equals(cluster.endpoint()) ? nc.claimant() : nc.existing());
        // No leave: a leave under this name would announce the other member's departure.
        left.set(true);
        shutdown();
        return GrapevineCommand.EXIT_FAILURE;
      }
      if (!joined) {
        shutdown();
        return GrapevineCommand.EXIT_FAILURE;
      }
    } else if (!remembered.isEmpty()) {
      rejoin(remembered, previous.entries().size());
    } else {
      log.info("no seeds given: this node starts a new cluster; others join it with --join {}", cluster.endpoint());
    }
    stopped.await();
    return 0;
  }

  /**
   * Joins through the seeds, one attempt after another (each waits up to the join timeout), the wait
   * between them doubling from 1 s up to {@code retry-join-interval}; a name that does not resolve
   * yet counts as a failed attempt (DNS may catch up). Returns false when {@code retry-join-max}
   * attempts all failed.
   */
  private boolean joinWithRetry() throws InterruptedException {
    long interval = settings.retryJoinInterval().toMillis();
    long backoff = Math.min(1000, interval);
    int max = settings.retryJoinMax();
    for (int attempt = 1; !stopping.get(); attempt++) {
      String of = max == 0 ? "" : " of " + max;
      log.info("join attempt {}{}: waiting up to {} ms for an answer from {}", attempt, of,
          settings.joinTimeout().toMillis(), String.join(", ", settings.seeds()));
      String failure;
      try {
        // The runtime logs the outcome; only failures need a word here.
        cluster.join(settings.seeds()).get(settings.joinTimeout().toMillis() + 5000, TimeUnit.MILLISECONDS);
        return true;
      } catch (ExecutionException | TimeoutException e) {
        Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
        failure = cause.getMessage();
      } catch (IllegalArgumentException e) {
        failure = e.getMessage();
      }
      if (max > 0 && attempt >= max) {
        log.error("join attempt {}{} through {} failed ({}); giving up (retry-join-max {})", attempt, of,
            settings.seeds(), failure, max);
        return false;
      }
      log.warn("join attempt {}{} through {} failed ({}); retrying in {} ms", attempt, of, settings.seeds(), failure,
          backoff);
      // Wait for the back-off, or until shutdown wakes us early.
      if (wake.await(backoff, TimeUnit.MILLISECONDS)) {
        return true;
      }
      backoff = Math.min(backoff * 2, Math.max(interval, 1));
    }
    return true;
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

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception ignored) {
      // A listener handle: nothing to do if it cannot close.
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
      PrometheusMeterRegistry m = metrics;
      if (m != null) {
        m.close();
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
    o.put("version", version());
    o.put("transport", protocols().transport().tcpOnly() ? "tcp-only" : "udp-and-tcp");
    o.put("dataDir", settings.dataDir() == null ? null : settings.dataDir().toString());
    o.put("authRequired", settings.httpToken() != null);
    o.put("tls", settings.httpTls() == null ? null : settings.httpTls().kind());
    o.put("keyringFile", settings.keyringFile() == null ? null : settings.keyringFile().toString());
    return o;
  }

  /** The jar's version, or {@code development} when run from classes. */
  static String version() {
    String v = GrapevineCommand.class.getPackage().getImplementationVersion();
    return v == null ? "development" : v;
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
