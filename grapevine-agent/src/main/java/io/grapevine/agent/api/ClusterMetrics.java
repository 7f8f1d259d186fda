package io.grapevine.agent.api;

import io.grapevine.Cluster;
import io.grapevine.api.AggregationStats;
import io.grapevine.api.Member;
import io.grapevine.runtime.ClusterNode;
import io.grapevine.api.MemberState;
import io.grapevine.api.MembershipStats;
import io.grapevine.transport.TransportStats;
import io.grapevine.wire.DropReason;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.function.ToDoubleFunction;
import java.util.function.ToLongFunction;

/**
 * Exposes a node's counters to Prometheus. The protocol already keeps monotonic counters ({@link
 * Cluster#stats()}), so each is a Micrometer {@link FunctionCounter} read at scrape time: nothing is
 * counted twice and the event loop does no extra work. Names are prefixed {@code grapevine_}.
 */
public final class ClusterMetrics {
  private ClusterMetrics() {}

  /** A registry holding the node's metrics and the JVM's. */
  public static PrometheusMeterRegistry registry(Cluster cluster) {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    bind(cluster, registry);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    return registry;
  }

  /** Registers the node's meters on {@code registry}. */
  public static void bind(Cluster cluster, MeterRegistry registry) {
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
