// SPDX-License-Identifier: Apache-2.0
package io.grapevine.runtime;

import io.grapevine.Aggregates;
import io.grapevine.Cluster;
import io.grapevine.Events;
import io.grapevine.MembershipListener;
import io.grapevine.ReplicatedMap;
import io.grapevine.TreeService;
import io.grapevine.api.Coordinate;
import io.grapevine.api.UserEvent;
import io.grapevine.api.JoinResult;
import io.grapevine.api.Member;
import io.grapevine.Encryption;
import io.grapevine.api.MemberEvent;
import io.grapevine.security.EncryptionMismatch;
import io.grapevine.api.MemberState;
import io.grapevine.coordinates.Coordinates;
import io.grapevine.membership.Membership;
import io.grapevine.config.MembershipConfig;
import io.grapevine.api.MembershipStats;
import io.grapevine.api.NameConflict;
import io.grapevine.node.Endpoint;
import io.grapevine.node.Outbox;
import io.grapevine.node.ProtocolEvent;
import io.grapevine.api.PlumtreeStats;
import io.grapevine.stack.EventRouter;
import io.grapevine.stack.ProtocolStack;
import io.grapevine.transport.Transport;
import io.grapevine.transport.TransportStats;
import java.io.IOException;
import java.time.Duration;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The socket-runtime implementation of {@link Cluster}: a node's {@link ProtocolStack} (assembled by
 * {@link StackAssembly}) driven by a {@link StackDriver}, with the thread-safe views the API needs.
 * {@link #members()} is a volatile read of an immutable snapshot republished after every step in
 * which membership's {@link Membership#version()} moved; listeners run on the loop thread after the
 * step, so they may call back into the node.
 *
 * <p>The incarnation a node starts with is the wall-clock time in milliseconds: a node restarted
 * under the same name outranks everything the cluster remembers of its previous life (including a
 * DEAD verdict), as long as clocks do not step back by more than the old life's refutation count.
 */
public final class ClusterNode implements Cluster {
  private static final Logger log = LoggerFactory.getLogger(ClusterNode.class);
  /** The failure detector's reasons, at DEBUG: a logger of their own so they can be turned on alone. */
  private static final Logger TRACE_LOG = LoggerFactory.getLogger("io.grapevine.runtime.FailureDetector");

  private final boolean ownsLoop;
  private final AtomicLong listenerErrors = new AtomicLong();
  private final EventRouter router;
  private StackDriver driver;
  private StackAssembly parts;
  private Membership membership;
  private Joiner joiner;
  private KvService kv;
  private EventService events;
  private AggregateService aggregates;
  private TreeService tree;
  private QueryService queries;
  private KeyService keys;
  private long publishedVersion = -1;
  private volatile List<Member> memberList = List.of();
  private volatile Map<String, Member> memberMap = Map.of();
  private volatile Member local;
  private volatile int healthScore;
  private Encryption encryption;
  /** Per kind of mismatch (and side), when it may next be logged: once a minute at most. */
  private final Map<String, Long> mismatchLoggedAt = new java.util.concurrent.ConcurrentHashMap<>();

  private ClusterNode(boolean ownsLoop) {
    this.ownsLoop = ownsLoop;
    this.router = new EventRouter((event, e) -> {
      listenerErrors.incrementAndGet();
      log.error("{}: listener failed on {}", membership.name(), event, e);
    });
  }

  /**
   * Binds {@code transport}, assembles the node's stack and starts it. On failure, closes what it
   * opened (including an owned loop) and rethrows.
   */
  public static ClusterNode start(EventLoop loop, boolean ownsLoop, Transport transport, NodeSettings s)
      throws IOException {
    ClusterNode node = new ClusterNode(ownsLoop);
    try {
      transport.start((from, packet, delivery) -> {
        StackDriver d = node.driver;
        if (d != null) {
          d.onPacket(from, packet, delivery);
        }
      });
      Endpoint bound = transport.localEndpoint();
      Endpoint adv = s.advertise() == null ? bound
          : s.advertise().port() == 0 ? Endpoint.of(s.advertise().address(), bound.port()) : s.advertise();
      // Wall-clock milliseconds: a restart outranks the previous life (see class Javadoc).
      long incarnation = System.currentTimeMillis();
      node.kv = KvService.create(s.name(), incarnation, s.dataDir(), s.configs().kv(),
          ProtocolStack.randomFor(s.seed(), io.grapevine.antientropy.AntiEntropy.PROTOCOL_NAME), loop.nowMillis(),
          node::submit, s.storeDecorator());
      node.assemble(loop, transport, s, adv, incarnation);
      node.keys = KeyService.start(node, node.encryption.keyring(), s.configs().query().maxResponseBytes);
    } catch (IOException | RuntimeException e) {
      transport.close();
      if (node.kv != null) {
        node.kv.close();
      }
      if (ownsLoop) {
        loop.close();
      }
      throw e;
    }
    node.driver.start();
    loop.execute(node.joiner::start);
    log.info("{}: started in cluster '{}' at {} (bound {}, incarnation {}, loop {})", s.name(), s.clusterName(),
        node.endpoint(), transport.localEndpoint(), node.local.incarnation(), loop.threadName());
    Encryption enc = node.encryption;
    if (!enc.keyring().isEmpty()) {
      log.info("{}: encryption on: {} key(s), primary {}, verifyIncoming={}, verifyOutgoing={}", s.name(),
          enc.keyring().size(), enc.keyring().primaryFingerprint(), enc.verifyIncoming(), enc.verifyOutgoing());
    }
    return node;
  }

  private void assemble(EventLoop loop, Transport transport, NodeSettings s, Endpoint adv, long incarnation) {
    parts = new StackAssembly(s, adv, incarnation, kv.extension());
    membership = parts.membership;
    // Traces cost nothing while members answer; their lines are written only at DEBUG.
    membership.traceFailureDetector(true);
    driver = new StackDriver(loop, transport, parts.stack, router, this::publish);
    joiner = new Joiner(driver, membership, parts.hyParView, s.joinTimeoutMillis(), s.reconnectIntervalMillis(),
        new SplittableRandom(ProtocolStack.seedFor(s.seed(), "runtime")));
    events = new EventService(s.name(), parts.dissemination, parts.overlayEvents, driver::call);
    aggregates = new AggregateService(parts.aggregation, driver::call);
    tree = parts.ring == null
        ? TreeAggregationService.off("tree aggregation is off on node " + s.name()
            + ": start it with ClusterBuilder.treeAggregation(SortedRingConfig)")
        : new TreeAggregationService(parts.ring, parts.treeAggregation, driver::call, this::memberNameAt);
    router.on(MemberEvent.class, this::logEvent);
    router.on(io.grapevine.api.FailureDetectorTrace.class, this::logTrace);
    router.on(NameConflict.class, nc -> log.warn("{}: name conflict: '{}' is claimed by {} but known at {}; rename"
        + " one of them", name(), nc.name(), nc.claimant(), nc.existing()));
    router.on(JoinResult.class, joiner::onJoinResult);
    router.on(UserEvent.class, events::deliver);
    encryption = new Encryption(parts.seal, parts.stack.stats());
    router.on(EncryptionMismatch.class, this::logMismatch);
    queries = new QueryService(s.name(), parts.query, driver::call, driver::submit);
    router.on(io.grapevine.query.QueryRequest.class, queries::onRequest);
    router.on(io.grapevine.query.QueryAck.class, queries::onAck);
    router.on(io.grapevine.query.QueryResponse.class, queries::onResponse);
    router.on(io.grapevine.query.QueryResult.class, queries::onResult);
    publish();
  }

  /** After every step: republish what readers on other threads see. Loop thread. */
  private void publish() {
    healthScore = membership.healthScore();
    long version = membership.version();
    if (version == publishedVersion && local != null) {
      return;
    }
    publishedVersion = version;
    List<Member> list = membership.members();
    Map<String, Member> map = new LinkedHashMap<>(list.size() * 2);
    for (Member m : list) {
      map.put(m.name(), m);
    }
    memberList = Collections.unmodifiableList(list);
    memberMap = Collections.unmodifiableMap(map);
    local = membership.localMember();
  }

  /** One line per kind of mismatch, at most once a minute: the cause, not a flood. */
  private void logMismatch(EncryptionMismatch m) {
    String key = m.kind() + "/" + m.reportedByPeer();
    long now = driver.loop().nowMillis();
    Long next = mismatchLoggedAt.get(key);
    if (next != null && now < next) {
      return;
    }
    mismatchLoggedAt.put(key, now + 60_000);
    log.warn("{}: {}", name(), m.describe());
  }

  private void logEvent(MemberEvent e) {
    Member m = e.member();
    String self = name();
    switch (e.type()) {
      case JOINED -> log.info("{}: member {} joined at {} (incarnation {})", self, m.name(), m.endpoint(),
          m.incarnation());
      case SUSPECTED -> log.info("{}: member {} at {} is suspected", self, m.name(), m.endpoint());
      case ALIVE -> log.info("{}: member {} refuted suspicion (incarnation {})", self, m.name(), m.incarnation());
      case DEAD -> log.info("{}: member {} at {} declared dead", self, m.name(), m.endpoint());
      case LEFT -> log.info("{}: member {} at {} left", self, m.name(), m.endpoint());
      case UPDATED -> log.debug("{}: member {} updated (incarnation {}, {} B metadata)", self, m.name(),
          m.incarnation(), m.metadata().length);
      case REAPED -> log.debug("{}: member {} removed from the list", self, m.name());
      default -> log.debug("{}: {}", self, e);
    }
  }

  /**
   * Why a member was suspected or declared dead, at DEBUG on the logger {@code
   * io.grapevine.runtime.FailureDetector}: the probe that failed (direct ping, relays, nacks), who
   * accused it, the confirmations, the expiry.
   */
  private void logTrace(io.grapevine.api.FailureDetectorTrace t) {
    if (!TRACE_LOG.isDebugEnabled()) {
      return;
    }
    String self = name();
    if (t instanceof io.grapevine.api.FailureDetectorTrace.ProbeFailed f) {
      String relays = f.relays().isEmpty() ? "no relay (no other alive member to ask)"
          : "relays " + String.join(", ", f.relays());
      TRACE_LOG.debug("{}: probe of {} at {} ({}) failed: no ack to the direct ping within {} ms, nor through {}{};"
          + " {} of {} nacks back{}", self, f.member(), f.endpoint(), f.state().name().toLowerCase(java.util.Locale.ROOT),
          f.probeTimeoutMillis(), relays, f.tcpFallback() ? ", nor over TCP" : "", f.nacksReceived(), f.nacksExpected(),
          f.accused() ? (f.state() == io.grapevine.api.MemberState.SUSPECT ? "; confirming the suspicion" : "; suspecting it")
              : "; not accusing it: with nacks missing, this node's own network may be at fault");
    } else if (t instanceof io.grapevine.api.FailureDetectorTrace.SuspicionRaised r) {
      TRACE_LOG.debug("{}: {} (incarnation {}) suspected by {}: declared dead in {} ms unless it refutes; {} independent"
          + " confirmations would bring that down to the minimum", self, r.member(), r.incarnation(),
          r.accuser().equals(self) ? "this node (failed probe)" : r.accuser(), r.timeoutMillis(),
          r.confirmationsWanted());
    } else if (t instanceof io.grapevine.api.FailureDetectorTrace.SuspicionConfirmed c) {
      TRACE_LOG.debug("{}: {} confirms the suspicion of {} ({} of {} confirmations): dead in {} ms unless it refutes",
          self, c.accuser(), c.member(), c.confirmations(), c.confirmationsWanted(), c.remainingMillis());
    } else if (t instanceof io.grapevine.api.FailureDetectorTrace.SuspicionExpired e) {
      TRACE_LOG.debug("{}: suspicion of {} ran out after {} ms with {} of {} confirmations and no refutation:"
          + " declaring it dead", self, e.member(), e.suspectedMillis(), e.confirmations(), e.confirmationsWanted());
    } else if (t instanceof io.grapevine.api.FailureDetectorTrace.DeathReported d) {
      TRACE_LOG.debug("{}: {} declared {} (incarnation {}) dead; taking its verdict{}", self, d.reporter(), d.member(),
          d.incarnation(), d.suspectedMillis() < 0 ? " (not suspected here)"
              : " after " + d.suspectedMillis() + " ms of suspicion here");
    }
  }

  // ------------------------------------------------------------------ commands

  @Override
  public CompletableFuture<Integer> join(Collection<String> seeds) {
    return joiner.join(Seeds.resolve(seeds));
  }

  @Override
  public CompletableFuture<Void> leave() {
    CompletableFuture<Void> left = new CompletableFuture<>();
    driver.submit((now, out) -> {
      log.info("{}: leaving", name());
      membership.leave(now, out);
      // Done once the departure has had time to spread.
      driver.loop().scheduleAfter(membership.config().leavePropagateTime.toMillis(), () -> left.complete(null));
      return null;
    }).whenComplete((v, e) -> {
      if (e != null) {
        left.completeExceptionally(e);
      }
    });
    return left;
  }

  @Override
  public void close() {
    if (driver.close(() -> {
      kv.close();
      joiner.close();
      queries.close();
    })) {
      log.info("{}: closed", name());
      if (ownsLoop) {
        driver.loop().close();
      }
    }
  }

  @Override
  public void updateMetadata(byte[] metadata) {
    int max = membership.config().metadataMaxBytes;
    if (metadata.length > max) {
      throw new IllegalArgumentException("metadata is " + metadata.length + " bytes, above metadataMaxBytes " + max);
    }
    byte[] copy = metadata.clone();
    driver.call((now, out) -> {
      membership.updateMetadata(now, copy, out);
      return null;
    });
  }

  @Override
  public boolean forceLeave(String name) {
    return driver.call((now, out) -> membership.forceLeave(now, name, out));
  }

  @Override
  public boolean probeSoon(String name) {
    return driver.call((now, out) -> membership.probeSoon(now, name, out));
  }

  @Override
  public <T> CompletableFuture<T> submit(BiFunction<Long, Outbox, T> command) {
    return driver == null ? CompletableFuture.failedFuture(new IllegalStateException("node is starting"))
        : driver.submit(command);
  }

  @Override
  public <E extends ProtocolEvent> AutoCloseable on(Class<E> type, Consumer<? super E> handler) {
    return router.on(type, handler);
  }

  @Override
  public AutoCloseable addListener(MembershipListener listener) {
    AutoCloseable a = router.on(MemberEvent.class, listener::onMemberEvent);
    AutoCloseable b = router.on(NameConflict.class, listener::onNameConflict);
    return () -> {
      a.close();
      b.close();
    };
  }

  // ------------------------------------------------------------------ services and views

  @Override
  public ReplicatedMap kv(String map) {
    requireOpen();
    return kv.map(map);
  }

  private void requireOpen() {
    if (driver.isClosed()) {
      throw new IllegalStateException("node " + name() + " is closed");
    }
  }

  /** The replicated store of this node. */
  public KvService kvService() {
    return kv;
  }

  @Override
  public Events events() {
    return events;
  }

  @Override
  public Aggregates aggregates() {
    return aggregates;
  }

  @Override
  public TreeService tree() {
    return tree;
  }

  @Override
  public AutoCloseable onQuery(String name, io.grapevine.QueryHandler handler) {
    requireOpen();
    return queries.onQuery(name, handler);
  }

  @Override
  public io.grapevine.QueryHandle query(String name, byte[] payload, io.grapevine.query.QueryOptions options) {
    requireOpen();
    return queries.query(name, payload, options);
  }

  @Override
  public io.grapevine.query.QueryStats queryStats() {
    return queries.stats();
  }

  /**
   * Answers internal queries named {@code name} (it must start with {@link
   * io.grapevine.query.Query#INTERNAL_PREFIX}): for Grapevine's own cluster-wide commands, such as
   * keyring operations, carried by the same protocol as the application's queries.
   *
   * @throws IllegalArgumentException for a name without the reserved prefix
   */
  public AutoCloseable onInternalQuery(String name, io.grapevine.QueryHandler handler) {
    requireOpen();
    return queries.onInternalQuery(name, handler);
  }

  /**
   * Issues an internal query (its name starts with {@link io.grapevine.query.Query#INTERNAL_PREFIX});
   * otherwise as {@link #query}.
   */
  public io.grapevine.QueryHandle internalQuery(String name, byte[] payload, io.grapevine.query.QueryOptions options) {
    requireOpen();
    return queries.internalQuery(name, payload, options);
  }

  /** Exceptions thrown by query handlers and callbacks, and answers they failed to give (logged). */
  public long queryHandlerErrors() {
    return queries.handlerErrors();
  }

  /** Whether user events travel over the HyParView + Plumtree overlay. */
  public boolean usesEventOverlay() {
    return parts.plumtree != null;
  }

  /** Plumtree counters of the event overlay, or null without it. */
  public PlumtreeStats plumtreeStats() {
    return parts.plumtree == null ? null : parts.plumtree.stats();
  }

  /** HyParView's active view of the event overlay (read on the loop), or an empty list without it. */
  public List<Endpoint> overlayActiveView() {
    return parts.hyParView == null ? List.of() : driver.loop().call(() -> parts.hyParView.activeView());
  }

  /** User events this node published over the overlay (0 without it). */
  public long overlayEventsPublished() {
    return events.overlayPublished();
  }

  /** Overlay user events delivered to this node's subscribers, own events included (0 without it). */
  public long overlayEventsDelivered() {
    return events.overlayDelivered();
  }

  /** Overlay broadcasts delivered here that did not decode as events (dropped). */
  public long overlayMalformedEvents() {
    return events.overlayMalformed();
  }

  /** The name of the member listed at {@code endpoint} (a live one first), or null. */
  private String memberNameAt(Endpoint endpoint) {
    String any = null;
    for (Member m : memberList) {
      if (m.endpoint().equals(endpoint)) {
        if (m.state() == MemberState.ALIVE || m.state() == MemberState.SUSPECT) {
          return m.name();
        }
        any = m.name();
      }
    }
    return any;
  }

  /**
   * Sets what hears the failure detector's timings (direct-probe round trips, suspicion verdicts) as
   * they are measured; null for none. The observer runs on the loop thread: it must not block.
   */
  public void observeMembership(io.grapevine.membership.MembershipObserver observer) {
    membership.observer(observer);
  }

  /**
   * Sets what hears, for each user event this node publishes, the nanoseconds from the {@code
   * publish} call to its delivery to this node's own subscribers; null for none. Runs on the loop
   * thread: it must not block. Measured on one monotonic clock; other nodes' events are reported
   * to {@link #observeRemoteEventDelivery}.
   */
  public void observeOwnEventDelivery(java.util.function.LongConsumer nanos) {
    events.observeOwnDelivery(nanos);
  }

  /**
   * Sets what hears, for each user event from another node that this node delivers, the
   * milliseconds from its publish on the origin to its delivery here: this node's wall clock minus
   * the origin's wall clock at publish, which the event carries. Only as good as the two clocks'
   * synchronization: it may be negative, or absurdly large, when they disagree; the observer
   * decides what to do with such values. Events from nodes that send no origin time are not
   * reported. Null for none. Runs on the loop thread: it must not block.
   */
  public void observeRemoteEventDelivery(java.util.function.LongConsumer millis) {
    events.observeRemoteDelivery(millis);
  }

  /** Queue depths and overlay view sizes, read on the loop (blocks the caller up to its 10 s limit). */
  public NodeGauges gauges() {
    return driver.loop().call(() -> new NodeGauges(
        membership.pendingBroadcasts(),
        parts.dissemination == null ? -1 : parts.dissemination.hotCount(),
        parts.hyParView == null ? -1 : parts.hyParView.activeSize(),
        parts.hyParView == null ? -1 : parts.hyParView.passiveSize(),
        parts.plumtree == null ? -1 : parts.plumtree.eagerPeers().size(),
        parts.plumtree == null ? -1 : parts.plumtree.lazyPeers().size(),
        kv.replica().store().size()));
  }

  /** Push-pulls sent to dead members or seeds to heal partitions (see {@link Joiner}). */
  public long reconnectAttempts() {
    return joiner.reconnectAttempts();
  }

  @Override
  public List<Member> members() {
    return memberList;
  }

  @Override
  public Optional<Member> member(String name) {
    return Optional.ofNullable(memberMap.get(name));
  }

  @Override
  public Member localMember() {
    return local;
  }

  @Override
  public Endpoint endpoint() {
    return membership.endpoint();
  }

  @Override
  public String clusterName() {
    return membership.clusterName();
  }

  @Override
  public MembershipConfig config() {
    return membership.config();
  }

  @Override
  public MembershipStats stats() {
    return membership.stats();
  }

  @Override
  public TransportStats transportStats() {
    return driver.transport().stats();
  }

  @Override
  public int healthScore() {
    return healthScore;
  }

  @Override
  public long clockMillis() {
    return driver.loop().nowMillis();
  }

  @Override
  public Optional<Coordinate> coordinate() {
    return coordinate(name());
  }

  @Override
  public Optional<Coordinate> coordinate(String member) {
    Coordinates c = parts.coordinates;
    return c == null || driver.isClosed() ? Optional.empty()
        : Optional.ofNullable(driver.call((now, out) -> c.coordinateOf(member)));
  }

  @Override
  public Optional<Duration> estimateRtt(String a, String b) {
    Coordinates c = parts.coordinates;
    if (c == null || driver.isClosed()) {
      return Optional.empty();
    }
    double millis = driver.call((now, out) -> c.estimateRttMillis(a, b));
    return Double.isNaN(millis) ? Optional.empty() : Optional.of(Duration.ofNanos(Math.round(millis * 1e6)));
  }

  @Override
  public boolean isJoined() {
    return joiner.isJoined();
  }

  /** This node's name. */
  public String name() {
    return membership.name();
  }

  @Override
  public Encryption encryption() {
    return encryption;
  }

  @Override
  public io.grapevine.KeyManager keys() {
    return keys;
  }

  /** The node's protocol stack (step it only on {@link #eventLoop()}'s thread). */
  public ProtocolStack stack() {
    return driver.stack();
  }

  /** The loop driving this node. */
  public EventLoop eventLoop() {
    return driver.loop();
  }

  /** The transport (possibly decorated) this node sends through. */
  public Transport transport() {
    return driver.transport();
  }

  /** Exceptions thrown by listeners (caught and logged). */
  public long listenerErrors() {
    return listenerErrors.get();
  }

  public boolean isClosed() {
    return driver.isClosed();
  }

  @Override
  public String toString() {
    return "ClusterNode[" + name() + "@" + endpoint() + "]";
  }
}
