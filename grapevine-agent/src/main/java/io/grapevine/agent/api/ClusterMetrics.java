// SPDX-License-Identifier: Apache-2.0
package io.grapevine.agent.api;

import io.grapevine.Cluster;
import io.grapevine.api.AggregationStats;
import io.grapevine.api.Member;
import io.grapevine.runtime.ClusterNode;
import io.grapevine.api.MemberState;
import io.grapevine.api.MembershipStats;
import io.grapevine.transport.TransportStats;
import io.grapevine.wire.DropReason;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.grapevine.api.AntiEntropyStats;
import io.grapevine.api.PlumtreeStats;
import io.grapevine.membership.MembershipObserver;
import io.grapevine.runtime.NodeGauges;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;
import java.util.function.ToDoubleFunction;
import java.util.function.ToLongFunction;

/**
 * Exposes a node's counters to Prometheus. The protocol already keeps monotonic counters ({@link
 * Cluster#stats()}), so each is a Micrometer {@link FunctionCounter} read at scrape time: nothing is
 * counted twice and the event loop does no extra work. Names are prefixed {@code grapevine_}.
 *
 * <p>Latencies are histograms with fixed buckets (below), fed as they are measured: the failure
 * detector's probe round trips and suspicion verdicts ({@link MembershipObserver}), this node's
 * own events from publish to delivery, and other nodes' events from their publish (the origin time
 * they carry) to delivery here. They count from the moment the registry is built (the
 * agent's first scrape), which loses nothing a rate over scrapes would use. Every label value comes
 * from a fixed set, never from what peers or clients send.
 */
public final class ClusterMetrics {
  /** Buckets of {@code grapevine_probe_rtt_seconds}; the failure detector's clock counts whole milliseconds. */
  public static final Duration[] PROBE_RTT_BUCKETS = millis(1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000);
  /** Buckets of {@code grapevine_suspicion_duration_seconds}. */
  public static final Duration[] SUSPICION_BUCKETS =
      millis(500, 1000, 2000, 5000, 10_000, 20_000, 30_000, 60_000, 120_000, 300_000);
  /** Buckets of {@code grapevine_events_local_delivery_seconds}. */
  public static final Duration[] EVENT_DELIVERY_BUCKETS = {
    Duration.ofNanos(100_000), Duration.ofNanos(250_000), Duration.ofNanos(500_000), Duration.ofMillis(1),
    Duration.ofMillis(2), Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(50), Duration.ofMillis(100),
    Duration.ofMillis(500), Duration.ofSeconds(1)
  };
  /**
   * Buckets of {@code grapevine_event_delivery_seconds}: another node's publish to delivery here,
   * measured across two wall clocks in whole milliseconds.
   */
  public static final Duration[] REMOTE_EVENT_DELIVERY_BUCKETS =
      millis(1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000);
  /**
   * A remote event that seems delivered before it was published by at most this much is observed as
   * delivered at once (0): synchronized clocks still differ by a few milliseconds. Further back, the
   * clocks disagree and it is counted in {@code grapevine_event_delivery_skewed_total{reason="negative"}}.
   */
  public static final long EVENT_CLOCK_TOLERANCE_MILLIS = 1_000;
  /**
   * A remote event that seems delivered more than this long after it was published is counted in
   * {@code grapevine_event_delivery_skewed_total{reason="too_large"}}, not observed: a clock far off,
   * or an event repaired after a very long partition, either of which would swamp the histogram's sum.
   */
  public static final long EVENT_DELIVERY_MAX_MILLIS = 3_600_000;
  /**
   * How long one reading of the node's queue and view sizes serves the gauges: long enough for the
   * gauges of one scrape to share it, short enough that the next scrape reads anew.
   */
  private static final long GAUGES_FRESH_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

  private ClusterMetrics() {}

  private static Duration[] millis(long... values) {
    Duration[] d = new Duration[values.length];
    for (int i = 0; i < values.length; i++) {
      d[i] = Duration.ofMillis(values[i]);
    }
    return d;
  }

  /**
   * A registry holding the node's metrics and the JVM's and process's (memory, threads, classes,
   * GC, CPU, file descriptors, uptime). Closing it stops the GC listener and detaches the node's
   * observers.
   */
  public static PrometheusMeterRegistry registry(Cluster cluster) {
    JvmGcMetrics gc = new JvmGcMetrics();
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT) {
      @Override
      public void close() {
        // The GC binder listens to JMX notifications until closed.
        gc.close();
        unbind(cluster);
        super.close();
      }
    };
    bind(cluster, registry);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    gc.bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new FileDescriptorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    return registry;
  }

  /** Stops feeding the histograms of {@link #bind}: the node's observers are removed. */
  public static void unbind(Cluster cluster) {
    if (cluster instanceof ClusterNode n && !n.isClosed()) {
      n.observeMembership(null);
      n.observeOwnEventDelivery(null);
      n.observeRemoteEventDelivery(null);
    }
  }

  /**
   * Registers the node's meters on {@code registry}. The histograms are fed by observers set on the
   * node (a {@link ClusterNode}); binding a second registry moves them there.
   */
  public static void bind(Cluster cluster, MeterRegistry registry) {
    histograms(cluster, registry);
    if (cluster instanceof ClusterNode n) {
      nodeGauges(n, registry);
      kvMeters(n, registry);
      overlayMeters(n, registry);
    }
    for (MemberState state : MemberState.values()) {
      Gauge.builder("grapevine.members", cluster, c -> count(c, state))
          .tag("state", Json.state(state))
          .description("Members this node knows, by the state it believes")
          .register(registry);
    }
    Gauge.builder("grapevine.health.score", cluster, (ToDoubleFunction<Cluster>) Cluster::healthScore)
        .description("Lifeguard local health score; 0 is healthy, higher means this node is slow")
        .register(registry);
    Gauge.builder("grapevine.joined", cluster, c -> c.isJoined() ? 1 : 0)
        .description("1 once this node has joined a cluster")
        .register(registry);

    // With the hyparview-plumtree overlay, events bypass the dissemination counters: add its own.
    FunctionCounter.builder("grapevine.events.published", cluster,
            c -> c.events().stats().published() + (c instanceof ClusterNode n ? n.overlayEventsPublished() : 0))
        .description("User events this node published").register(registry);
    FunctionCounter.builder("grapevine.events.delivered", cluster,
            c -> c.events().stats().delivered() + (c instanceof ClusterNode n ? n.overlayEventsDelivered() : 0))
        .description("User events delivered to this node's subscribers (each once)").register(registry);
    FunctionCounter.builder("grapevine.events.duplicates", cluster, c -> c.events().stats().duplicates())
        .description("User event copies received again and dropped").register(registry);
    FunctionCounter.builder("grapevine.events.repaired", cluster, c -> c.events().stats().repaired())
        .description("User events this node got by anti-entropy after gossip missed it").register(registry);
    Gauge.builder("grapevine.cluster.size.estimate", cluster, c -> c.aggregates().clusterSize())
        .description("Live nodes as estimated by aggregation (NaN before the first estimate)")
        .register(registry);
    aggregateCounter(registry, cluster, "grapevine.aggregate.exchanges",
        "Aggregation exchanges completed (requests answered, replies applied)", AggregationStats::exchanges);
    aggregateCounter(registry, cluster, "grapevine.aggregate.messages.sent",
        "Aggregation messages sent", AggregationStats::messagesSent);
    aggregateCounter(registry, cluster, "grapevine.aggregate.retries",
        "Aggregation requests sent again because no reply came within retryAfter", AggregationStats::retries);
    aggregateCounter(registry, cluster, "grapevine.aggregate.unanswered",
        "Aggregation exchanges given up with no reply to any attempt", AggregationStats::unanswered);
    aggregateCounter(registry, cluster, "grapevine.aggregate.epochs",
        "Aggregation epochs entered", AggregationStats::epochs);
    aggregateCounter(registry, cluster, "grapevine.aggregate.neighbors.timed.out",
        "Aggregation neighbors dropped after neighborTimeout of silence", AggregationStats::neighborsTimedOut);
    aggregateCounter(registry, cluster, "grapevine.aggregate.neighbors.kept",
        "Aggregation neighbors gone mid-epoch whose share stays counted until the next epoch",
        AggregationStats::neighborsKept);
    aggregateCounter(registry, cluster, "grapevine.aggregate.reads",
        "Aggregation estimates sent to nodes that started after the epoch's census", AggregationStats::reads);
    counter(registry, cluster, "grapevine.packets.received", null, "Packets received", MembershipStats::packetsIn);
    counter(registry, cluster, "grapevine.packets.sent", null, "Packets sent", MembershipStats::packetsOut);
    counter(registry, cluster, "grapevine.received", "bytes", "Bytes received", MembershipStats::bytesIn);
    counter(registry, cluster, "grapevine.sent", "bytes", "Bytes sent", MembershipStats::bytesOut);
    counter(registry, cluster, "grapevine.probes", null, "Probes started", MembershipStats::probes);
    counter(registry, cluster, "grapevine.probe.failures", null,
        "Probes that got no ack, direct or indirect", MembershipStats::probeFailures);
    counter(registry, cluster, "grapevine.indirect.probes", null,
        "Indirect ping-requests sent", MembershipStats::indirectProbes);
    counter(registry, cluster, "grapevine.tcp.fallback.pings", null,
        "TCP fallback pings after a failed UDP probe", MembershipStats::tcpFallbackPings);
    counter(registry, cluster, "grapevine.nacks.received", null,
        "Nacks from indirect probe relays", MembershipStats::nacksReceived);
    counter(registry, cluster, "grapevine.suspicions.raised", null,
        "Members moved from alive to suspect", MembershipStats::suspicionsRaised);
    counter(registry, cluster, "grapevine.suspicions.refuted", null,
        "Suspected members seen to refute", MembershipStats::suspicionsRefuted);
    counter(registry, cluster, "grapevine.self.refutations", null,
        "Times this node refuted a suspicion of itself", MembershipStats::selfRefutations);
    counter(registry, cluster, "grapevine.deaths.declared", null,
        "Members this node marked dead", MembershipStats::deathsDeclared);
    counter(registry, cluster, "grapevine.push.pulls", null,
        "Push-pull full-state syncs, sent or answered", MembershipStats::pushPulls);
    counter(registry, cluster, "grapevine.name.conflicts", null,
        "Two nodes seen claiming one name", MembershipStats::nameConflicts);
    for (DropReason reason : DropReason.values()) {
      FunctionCounter.builder("grapevine.packets.dropped", cluster, c -> c.stats().dropped(reason))
          .tag("reason", reason.label())
          .description("Inbound packets dropped, by reason")
          .register(registry);
    }
    transportCounters(cluster, registry);
    encryptionMeters(cluster, registry);
  }

  private static void histograms(Cluster cluster, MeterRegistry registry) {
    Timer rtt = Timer.builder("grapevine.probe.rtt")
        .description("Round trip of failure-detector probes acknowledged directly (ping to ack), 1 ms resolution")
        .serviceLevelObjectives(PROBE_RTT_BUCKETS)
        .register(registry);
    Timer dead = suspicionTimer(registry, "dead");
    Timer refuted = suspicionTimer(registry, "refuted");
    Timer ownDelivery = Timer.builder("grapevine.events.local.delivery")
        .description("User events this node published: from the publish call to delivery to its own subscribers")
        .serviceLevelObjectives(EVENT_DELIVERY_BUCKETS)
        .register(registry);
    if (cluster instanceof ClusterNode n) {
      n.observeMembership(new MembershipObserver() {
        @Override
        public void probeAcked(long rttMillis) {
          rtt.record(rttMillis, TimeUnit.MILLISECONDS);
        }

        @Override
        public void suspicionResolved(long suspectedMillis, boolean isDead) {
          (isDead ? dead : refuted).record(suspectedMillis, TimeUnit.MILLISECONDS);
        }
      });
      n.observeOwnEventDelivery(nanos -> ownDelivery.record(nanos, TimeUnit.NANOSECONDS));
      n.observeRemoteEventDelivery(remoteEventDelivery(registry));
    }
  }

  /**
   * What times other nodes' events: {@code grapevine_event_delivery_seconds} for plausible delays
   * (slightly negative ones clamped to 0), {@code grapevine_event_delivery_skewed_total} for the rest.
   */
  static LongConsumer remoteEventDelivery(MeterRegistry registry) {
    Timer delivery = Timer.builder("grapevine.event.delivery")
        .description("User events from other nodes: from the publish on the origin to delivery here, by the two"
            + " nodes' wall clocks (only as accurate as their synchronization)")
        .serviceLevelObjectives(REMOTE_EVENT_DELIVERY_BUCKETS)
        .register(registry);
    Counter negative = skewCounter(registry, "negative");
    Counter tooLarge = skewCounter(registry, "too_large");
    return millis -> {
      if (millis < -EVENT_CLOCK_TOLERANCE_MILLIS) {
        negative.increment();
      } else if (millis > EVENT_DELIVERY_MAX_MILLIS) {
        tooLarge.increment();
      } else {
        delivery.record(Math.max(0, millis), TimeUnit.MILLISECONDS);
      }
    };
  }

  private static Counter skewCounter(MeterRegistry registry, String reason) {
    return Counter.builder("grapevine.event.delivery.skewed")
        .description("User events from other nodes not timed: delivered before they were published by more than "
            + EVENT_CLOCK_TOLERANCE_MILLIS + " ms (negative) or more than " + EVENT_DELIVERY_MAX_MILLIS
            + " ms after (too_large), by the two nodes' wall clocks")
        .tag("reason", reason)
        .register(registry);
  }

  private static Timer suspicionTimer(MeterRegistry registry, String verdict) {
    return Timer.builder("grapevine.suspicion.duration")
        .description("From this node suspecting a member to the verdict: dead, or refuted (alive again)")
        .tag("verdict", verdict)
        .serviceLevelObjectives(SUSPICION_BUCKETS)
        .register(registry);
  }

  /** One reading of the node's sizes per scrape (each is a call on the loop), shared by the gauges. */
  private static final class GaugeReader {
    private final ClusterNode node;
    private NodeGauges last;
    private long readAt;

    GaugeReader(ClusterNode node) {
      this.node = node;
    }

    synchronized double read(ToLongFunction<NodeGauges> f) {
      long now = System.nanoTime();
      if (last == null || now - readAt > GAUGES_FRESH_NANOS) {
        if (node.isClosed()) {
          return Double.NaN;
        }
        try {
          last = node.gauges();
          readAt = now;
        } catch (RuntimeException e) {
          // The loop closed or did not answer in time: no reading rather than a failed scrape.
          return Double.NaN;
        }
      }
      long v = f.applyAsLong(last);
      return v < 0 ? Double.NaN : v;
    }
  }

  private static void nodeGauges(ClusterNode n, MeterRegistry registry) {
    GaugeReader reader = new GaugeReader(n);
    // The overlay's protocols run exactly when events travel over it.
    boolean overlay = n.usesEventOverlay();
    gauge(registry, reader, "grapevine.broadcast.queue", "queue", "membership",
        "Updates queued for gossip: membership's piggyback queue, the dissemination protocol's rumors still pushed",
        NodeGauges::membershipBroadcasts);
    gauge(registry, reader, "grapevine.broadcast.queue", "queue", "dissemination", null,
        NodeGauges::disseminationRumors);
    if (overlay) {
      gauge(registry, reader, "grapevine.hyparview.view.size", "view", "active",
          "HyParView view sizes: active (the overlay's neighbours), passive (the reserve)", NodeGauges::hyParViewActive);
      gauge(registry, reader, "grapevine.hyparview.view.size", "view", "passive", null,
          NodeGauges::hyParViewPassive);
    }
    if (overlay) {
      gauge(registry, reader, "grapevine.plumtree.peers", "link", "eager",
          "Plumtree peers: eager (payloads pushed, the tree) and lazy (announced to only)", NodeGauges::plumtreeEager);
      gauge(registry, reader, "grapevine.plumtree.peers", "link", "lazy", null, NodeGauges::plumtreeLazy);
    }
    gauge(registry, reader, "grapevine.kv.keys", null, null,
        "Entries in the replicated key-value store, tombstones included", NodeGauges::kvKeys);
  }

  private static void gauge(MeterRegistry registry, GaugeReader reader, String name, String tag, String value,
      String description, ToLongFunction<NodeGauges> f) {
    // Strongly held: nothing else keeps the reader, and a gauge's object is otherwise weak (NaN after a GC).
    Gauge.Builder<GaugeReader> b = Gauge.builder(name, reader, r -> r.read(f)).strongReference(true);
    if (tag != null) {
      b.tag(tag, value);
    }
    if (description != null) {
      b.description(description);
    }
    b.register(registry);
  }

  private static void kvMeters(ClusterNode n, MeterRegistry registry) {
    kvCounter(registry, n, "grapevine.kv.syncs", null, "Reconciliations (anti-entropy rounds) this node started",
        AntiEntropyStats::syncsStarted);
    kvCounter(registry, n, "grapevine.kv.syncs.equal", null,
        "Reconciliation requests answered with nothing to do (trees equal)", AntiEntropyStats::syncsAlreadyEqual);
    kvCounter(registry, n, "grapevine.kv.sync.sent", "bytes", "Bytes of reconciliation packets sent",
        AntiEntropyStats::syncBytesSent);
    kvCounter(registry, n, "grapevine.kv.entries.sent", null, "Entries shipped by reconciliation",
        AntiEntropyStats::entriesSent);
    kvCounter(registry, n, "grapevine.kv.rumors.sent", null, "Replicated-store rumors pushed directly",
        AntiEntropyStats::rumorsSent);
    kvCounter(registry, n, "grapevine.kv.exchanges.truncated", null,
        "Reconciliations cut at their byte budget (the rest follows later)", AntiEntropyStats::exchangesTruncated);
    for (String via : new String[] {"rumor", "anti_entropy"}) {
      ToLongFunction<AntiEntropyStats> read = via.equals("rumor")
          ? AntiEntropyStats::keysRepairedByRumor : AntiEntropyStats::keysRepairedByAntiEntropy;
      FunctionCounter.builder("grapevine.kv.repairs", n, c -> read.applyAsLong(c.kvService().extension().stats()))
          .tag("via", via)
          .description("Keys changed here by a peer's update: by rumor (fast path) or by reconciliation (what it missed)")
          .register(registry);
    }
  }

  private static void kvCounter(MeterRegistry registry, ClusterNode n, String name, String unit, String description,
      ToLongFunction<AntiEntropyStats> read) {
    FunctionCounter.builder(name, n, c -> read.applyAsLong(c.kvService().extension().stats()))
        .baseUnit(unit)
        .description(description)
        .register(registry);
  }

  private static void overlayMeters(ClusterNode n, MeterRegistry registry) {
    if (!n.usesEventOverlay()) {
      return;
    }
    plumtreeCounter(registry, n, "grapevine.plumtree.grafts", "GRAFTs sent: a missing message asked for, its link made eager",
        PlumtreeStats::graftSent);
    plumtreeCounter(registry, n, "grapevine.plumtree.prunes", "PRUNEs sent: a redundant eager link made lazy",
        PlumtreeStats::pruneSent);
    plumtreeCounter(registry, n, "grapevine.plumtree.ihaves", "IHAVE announcements sent on lazy links",
        PlumtreeStats::ihaveSent);
    plumtreeCounter(registry, n, "grapevine.plumtree.payloads.sent", "Plumtree payload messages sent",
        PlumtreeStats::gossipSent);
  }

  private static void plumtreeCounter(MeterRegistry registry, ClusterNode n, String name, String description,
      ToLongFunction<PlumtreeStats> read) {
    FunctionCounter.builder(name, n, c -> {
          PlumtreeStats s = c.plumtreeStats();
          return s == null ? 0 : read.applyAsLong(s);
        })
        .description(description)
        .register(registry);
  }

  private static void encryptionMeters(Cluster cluster, MeterRegistry registry) {
    FunctionCounter.builder("grapevine.packets.sealed", cluster, c -> c.encryption().packetsSealed())
        .description("Packets sealed with the primary key").register(registry);
    FunctionCounter.builder("grapevine.packets.opened", cluster, c -> c.encryption().packetsOpened())
        .description("Sealed packets opened and accepted").register(registry);
    FunctionCounter.builder("grapevine.encryption.refusals.sent", cluster, c -> c.encryption().refusalsSent())
        .description("Peers told their packet could not be opened or accepted").register(registry);
    FunctionCounter.builder("grapevine.encryption.refusals.received", cluster,
        c -> c.encryption().refusalsReceived())
        .description("Peers that said they could not open or accept our packets").register(registry);
    Gauge.builder("grapevine.keyring.keys", cluster, c -> c.keyring().size())
        .description("Installed encryption keys").register(registry);
    // One counter per installed key, by fingerprint (never the key); kept in step with the keyring.
    java.util.Map<String, io.micrometer.core.instrument.Meter> perKey = new java.util.concurrent.ConcurrentHashMap<>();
    Runnable sync = () -> {
      java.util.Set<String> now = new java.util.HashSet<>();
      for (io.grapevine.security.KeyInfo k : cluster.keyring().list()) {
        now.add(k.fingerprint());
        perKey.computeIfAbsent(k.fingerprint(), fp -> FunctionCounter.builder("grapevine.keyring.opened", cluster,
                c -> c.keyring().list().stream().filter(i -> i.fingerprint().equals(fp)).mapToLong(
                    io.grapevine.security.KeyInfo::opened).findFirst().orElse(0))
            .tag("key", fp)
            .description("Packets each installed key opened: an old key at 0 for long can be removed")
            .register(registry));
      }
      perKey.keySet().removeIf(fp -> {
        if (now.contains(fp)) {
          return false;
        }
        registry.remove(perKey.get(fp));
        return true;
      });
    };
    sync.run();
    cluster.keyring().addListener(sync);
  }

  private static void transportCounters(Cluster cluster, MeterRegistry registry) {
    // What the sockets carried, every protocol of the node included.
    transport(registry, cluster, "grapevine.transport.sent", "bytes",
        "Bytes written to sockets, UDP and TCP", TransportStats::bytesOut);
    transport(registry, cluster, "grapevine.transport.received", "bytes",
        "Bytes read from sockets, UDP and TCP", TransportStats::bytesIn);
    transport(registry, cluster, "grapevine.transport.datagrams.sent", null,
        "UDP datagrams sent", TransportStats::datagramsOut);
    transport(registry, cluster, "grapevine.transport.datagrams.received", null,
        "UDP datagrams received", TransportStats::datagramsIn);
    transport(registry, cluster, "grapevine.transport.stream.messages.sent", null,
        "Framed TCP messages sent", TransportStats::streamMessagesOut);
    transport(registry, cluster, "grapevine.transport.stream.messages.received", null,
        "Framed TCP messages received", TransportStats::streamMessagesIn);
    transport(registry, cluster, "grapevine.transport.send.errors", null,
        "Sends that failed: socket errors, full buffers, refused or reset connections", TransportStats::sendErrors);
    transport(registry, cluster, "grapevine.transport.connect.timeouts", null,
        "Outbound TCP connections not established in time", TransportStats::connectTimeouts);
    transport(registry, cluster, "grapevine.transport.rejected.connections", null,
        "TCP connections refused at the concurrent-connection cap", TransportStats::rejectedConnections);
    for (TransportStats.ConnectionRefusal reason : TransportStats.ConnectionRefusal.values()) {
      FunctionCounter.builder("grapevine.transport.connections.refused", cluster,
              c -> c.transportStats().refused(reason))
          .tag("reason", reason.label())
          .description("Inbound TCP connections closed at accept, by reason")
          .register(registry);
    }
    transport(registry, cluster, "grapevine.transport.stream.read.errors", null,
        "Inbound TCP connections closed on a read error, idle timeout or truncated frame",
        TransportStats::streamReadErrors);
    transport(registry, cluster, "grapevine.transport.oversized.datagrams", null,
        "Datagrams above the receive limit, dropped unread", TransportStats::oversizedDatagrams);
    transport(registry, cluster, "grapevine.transport.oversized.stream.messages", null,
        "Stream frames above streamMessageMaxBytes; the connection is closed",
        TransportStats::oversizedStreamMessages);
  }

  private static void transport(
      MeterRegistry registry,
      Cluster cluster,
      String name,
      String unit,
      String description,
      ToLongFunction<TransportStats> read) {
    FunctionCounter.builder(name, cluster, c -> read.applyAsLong(c.transportStats()))
        .baseUnit(unit)
        .description(description)
        .register(registry);
  }

  private static void aggregateCounter(
      MeterRegistry registry, Cluster cluster, String name, String description, ToLongFunction<AggregationStats> read) {
    FunctionCounter.builder(name, cluster, c -> read.applyAsLong(c.aggregates().stats()))
        .description(description)
        .register(registry);
  }

  private static void counter(
      MeterRegistry registry,
      Cluster cluster,
      String name,
      String unit,
      String description,
      ToLongFunction<MembershipStats> read) {
    FunctionCounter.builder(name, cluster, c -> read.applyAsLong(c.stats()))
        .baseUnit(unit)
        .description(description)
        .register(registry);
  }

  private static double count(Cluster cluster, MemberState state) {
    int n = 0;
    for (Member m : cluster.members()) {
      if (m.state() == state) {
        n++;
      }
    }
    return n;
  }
}
