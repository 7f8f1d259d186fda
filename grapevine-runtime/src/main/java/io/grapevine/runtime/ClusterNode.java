package io.grapevine.runtime;

import io.grapevine.Cluster;
import io.grapevine.MembershipListener;
import io.grapevine.ReplicatedMap;
import io.grapevine.TreeService;
import io.grapevine.Aggregates;
import io.grapevine.Events;
import io.grapevine.aggregate.Aggregation;
import io.grapevine.aggregate.AggregationConfig;
import io.grapevine.antientropy.AntiEntropyConfig;
import io.grapevine.dissemination.Dissemination;
import io.grapevine.dissemination.DisseminationConfig;
import io.grapevine.dissemination.UserEvent;
import io.grapevine.membership.JoinResult;
import io.grapevine.membership.Member;
import io.grapevine.membership.MemberEvent;
import io.grapevine.membership.MemberState;
import io.grapevine.membership.Membership;
import io.grapevine.membership.MembershipConfig;
import io.grapevine.membership.MembershipStats;
import io.grapevine.membership.NameConflict;
import io.grapevine.node.Delivery;
import io.grapevine.node.Endpoint;
import io.grapevine.node.Outbox;
import io.grapevine.node.ProtocolEvent;
import io.grapevine.overlay.HyParView;
import io.grapevine.overlay.HyParViewConfig;
import io.grapevine.overlay.Plumtree;
import io.grapevine.overlay.PlumtreeConfig;
import io.grapevine.overlay.PlumtreeStats;
import io.grapevine.overlay.SortedRing;
import io.grapevine.overlay.SortedRingConfig;
import io.grapevine.overlay.TreeAggregation;
import io.grapevine.transport.Transport;
import io.grapevine.transport.TransportStats;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The socket-runtime implementation of {@link Cluster}: one {@link Membership} state machine driven
 * by an {@link EventLoop} over a {@link Transport}.
 *
 * <p>Every call into the state machine happens on the loop thread, followed by the same three
 * steps: re-arm the node's timer at its {@link Membership#nextDeadlineMillis()}, publish a fresh
 * immutable member snapshot if {@link Membership#version()} moved (so {@link #members()} is a
 * volatile read from any thread), and hand the events the call produced to listeners. Listeners run
 * after the call has returned, so they may call back into this node.
 *
 * <p>The incarnation a node starts with is the wall-clock time in milliseconds: a node restarted
 * under the same name outranks everything the cluster remembers of its previous life (including a
 * DEAD verdict), as long as clocks do not step back by more than the old life's refutation count.
 */
public final class ClusterNode implements Cluster {
  private static final Logger log = LoggerFactory.getLogger(ClusterNode.class);

  private final EventLoop loop;
  private final boolean ownsLoop;
  private final Transport transport;
  private final Membership membership;
  private final long joinTimeoutMillis;
  private final long reconnectIntervalMillis;
  private final SplittableRandom runtimeRandom;
  private final AtomicLong reconnectAttempts = new AtomicLong();
  private List<Endpoint> lastSeeds = List.of();
  private final List<MembershipListener> listeners = new CopyOnWriteArrayList<>();
  private final ArrayDeque<ProtocolEvent> pendingEvents = new ArrayDeque<>();
  private final List<JoinAttempt> joinAttempts = new ArrayList<>();
  private final Set<Endpoint> seedsAnswered = new HashSet<>();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final AtomicLong listenerErrors = new AtomicLong();
  private final Outbox outbox = new Outbox() {
    @Override
    public void send(Endpoint to, ByteBuffer packet, Delivery delivery) {
      transport.send(to, packet, delivery);
    }

    @Override
    public void emit(ProtocolEvent event) {
      pendingEvents.add(event);
    }
  };

  /**
   * The {@code hyparview-plumtree} event overlay: user events go as Plumtree broadcasts over a
   * HyParView partial view, both attached to the membership host beside the other extensions.
   */
  public record OverlaySettings(HyParViewConfig hyParView, PlumtreeConfig plumtree) {}

  private KvService kv;
  private EventService events;
  private HyParView hyParView;
  private Plumtree plumtree;
  private AggregateService aggregates;
  private TreeService tree;
  private SortedRing ring;
  private TreeAggregation treeAggregation;
  private EventLoop.Timer tick;
  private long tickAtMillis = Long.MAX_VALUE;
  private long publishedVersion = -1;
  private boolean dispatching;
  private volatile List<Member> memberList = List.of();
  private volatile Map<String, Member> memberMap = Map.of();
  private volatile Member local;
  private volatile int healthScore;
  private volatile boolean joined = true;
  private volatile boolean joinRequested;

  private ClusterNode(EventLoop loop, boolean ownsLoop, Transport transport, Membership membership,
      long joinTimeoutMillis, long reconnectIntervalMillis, SplittableRandom runtimeRandom) {
    this.loop = loop;
    this.ownsLoop = ownsLoop;
    this.transport = transport;
    this.membership = membership;
    this.joinTimeoutMillis = joinTimeoutMillis;
    this.reconnectIntervalMillis = reconnectIntervalMillis;
    this.runtimeRandom = runtimeRandom;
  }

  /**
   * Binds {@code transport}, builds the state machine and starts it. On failure, closes what it
   * opened (including an owned loop) and rethrows.
   *
   * @param advertise address to advertise, or null for the bound address; port 0 means the bound port
   * @param random the protocol's randomness (seeded for reproducible runs)
   * @param reconnectIntervalMillis how often to try a push-pull with a dead member or, when alone,
   *     a seed (see {@link #reconnect()}); 0 turns it off
   * @param dataDir where the replicated store is kept; null keeps it in memory
   * @param overlay user events over HyParView + Plumtree with these settings; null: the default,
   *     membership gossip
   * @param tree a sorted ring with these settings and exact SUM/COUNT along its tree (see {@link
   *     #tree()}); null: off, the default
   * @param storeDecorator wraps the replicated store (see {@link KvService#create}); identity for none
   */
  public static ClusterNode start(
      EventLoop loop,
      boolean ownsLoop,
      Transport transport,
      String clusterName,
      String name,
      Endpoint advertise,
      byte[] metadata,
      MembershipConfig config,
      SplittableRandom random,
      long joinTimeoutMillis,
      long reconnectIntervalMillis,
      Path dataDir,
      AntiEntropyConfig kvConfig,
      DisseminationConfig eventsConfig,
      AggregationConfig aggregatesConfig,
      OverlaySettings overlay,
      SortedRingConfig tree,
      java.util.function.UnaryOperator<io.grapevine.antientropy.ReplicaStore> storeDecorator) throws IOException {
    ClusterNode[] holder = new ClusterNode[1];
    try {
      transport.start((from, packet, delivery) -> {
        ClusterNode node = holder[0];
        if (node != null) {
          node.onPacket(from, packet, delivery);
        }
      });
    } catch (IOException | RuntimeException e) {
      transport.close();
      if (ownsLoop) {
        loop.close();
      }
      throw e;
    }
    Endpoint bound = transport.localEndpoint();
    Endpoint adv = advertise == null
        ? bound
        : advertise.port() == 0 ? Endpoint.of(advertise.address(), bound.port()) : advertise;
    // Wall-clock milliseconds: a restart outranks the previous life (see class Javadoc).
    long incarnation = System.currentTimeMillis();
    Membership membership = new Membership(clusterName, name, adv, incarnation, metadata, config, random);
    SplittableRandom runtimeRandom = random.split();
    ClusterNode node = new ClusterNode(loop, ownsLoop, transport, membership, joinTimeoutMillis,
        reconnectIntervalMillis, runtimeRandom);
    try {
      node.kv = KvService.create(name, incarnation, dataDir, kvConfig,
          new java.util.SplittableRandom(random.nextLong()), loop.nowMillis(), node::submitStep, storeDecorator);
    } catch (RuntimeException e) {
      transport.close();
      if (ownsLoop) {
        loop.close();
      }
      throw e;
    }
    membership.attach(node.kv.extension());
    // The event epoch is this life's incarnation, so event ids never repeat across restarts.
    Dissemination dissemination = new Dissemination(eventsConfig, incarnation,
        new java.util.SplittableRandom(random.nextLong()));
    Aggregation aggregation = new Aggregation(aggregatesConfig, new java.util.SplittableRandom(random.nextLong()));
    membership.attach(dissemination);
    membership.attach(aggregation);
    if (overlay != null) {
      // Drawn after the other components' seeds, so the default path's randomness is unchanged.
      node.hyParView = new HyParView(overlay.hyParView(), new java.util.SplittableRandom(random.nextLong()));
      node.plumtree = new Plumtree(overlay.plumtree(), node.hyParView, new java.util.SplittableRandom(random.nextLong()));
      membership.attach(node.hyParView);
      membership.attach(node.plumtree);
    }
    if (tree != null) {
      // Drawn last, so the default path's (and the overlay's) randomness is unchanged. Membership is
      // the ring's peer sampler (ctx.peers()) and feeds it DEAD/LEFT verdicts.
      node.ring = new SortedRing(tree, TreeService.nodeIdOf(name), new java.util.SplittableRandom(random.nextLong()));
      node.treeAggregation = new TreeAggregation(node.ring, tree.roundInterval, 0);
      membership.attach(node.ring);
      membership.attach(node.treeAggregation);
      node.tree = new TreeAggregationService(node.ring, node.treeAggregation, node::callStep, node::memberNameAt);
    } else {
      node.tree = TreeAggregationService.off("tree aggregation is off on node " + name
          + ": start it with ClusterBuilder.treeAggregation(SortedRingConfig)");
    }
    node.events = new EventService(name, dissemination, node::callStep, node.plumtree, incarnation);
    node.aggregates = new AggregateService(aggregation, node::callStep);
    loop.call(() -> {
      holder[0] = node;
      node.step(() -> {
        long now = loop.nowMillis();
        membership.start(now, node.outbox);
        dissemination.start(now);
        aggregation.start(now);
        if (node.hyParView != null) {
          node.hyParView.start(now);
        }
        if (node.ring != null) {
          node.ring.start(now);
          node.treeAggregation.start(now);
        }
      });
      if (reconnectIntervalMillis > 0) {
        loop.scheduleAfter(reconnectIntervalMillis, node::reconnect);
      }
      return null;
    });
    log.info("{}: started in cluster '{}' at {} (bound {}, incarnation {}, loop {})", name, clusterName, adv, bound,
        incarnation, loop.threadName());
    return node;
  }

  // ------------------------------------------------------------------ driving the state machine

  private void onPacket(Endpoint from, ByteBuffer packet, Delivery delivery) {
    if (closed.get()) {
      return;
    }
    step(() -> membership.onPacket(loop.nowMillis(), from, packet, delivery, outbox));
  }

  private void onTimer() {
    tick = null;
    tickAtMillis = Long.MAX_VALUE;
    if (closed.get()) {
      return;
    }
    step(() -> membership.onTick(loop.nowMillis(), outbox));
  }

  /** Runs one call into the state machine, then re-arms, publishes and dispatches. Loop thread. */
  private void step(Runnable call) {
    try {
      call.run();
    } finally {
      afterCall();
    }
  }

  private <T> T stepWith(Supplier<T> call) {
    try {
      return call.get();
    } finally {
      afterCall();
    }
  }

  private void afterCall() {
    if (!closed.get()) {
      long next = membership.nextDeadlineMillis();
      // Only an earlier deadline needs a new timer; a later one is served by the armed timer firing
      // early (onTick with nothing due is a no-op) and re-arming. Keeps cancelled timers rare.
      if (next < tickAtMillis) {
        if (tick != null) {
          tick.cancel();
        }
        // At least 1 ms ahead: a deadline the node fails to advance must not spin the loop.
        tickAtMillis = Math.max(next, loop.nowMillis() + 1);
        tick = loop.schedule(tickAtMillis, this::onTimer);
      }
    }
    publish();
    dispatch();
  }

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

  private void dispatch() {
    if (dispatching) {
      return; // A listener called back into the node; the outer dispatch drains what it adds.
    }
    dispatching = true;
    try {
      ProtocolEvent e;
      while ((e = pendingEvents.poll()) != null) {
        handle(e);
      }
    } finally {
      dispatching = false;
    }
  }

  private void handle(ProtocolEvent event) {
    String self = membership.name();
    if (event instanceof MemberEvent me) {
      logEvent(self, me);
      for (MembershipListener l : listeners) {
        try {
          l.onMemberEvent(me);
        } catch (RuntimeException ex) {
          listenerErrors.incrementAndGet();
          log.error("{}: listener {} failed on {}", self, l, me, ex);
        }
      }
    } else if (event instanceof NameConflict nc) {
      log.warn("{}: name conflict: '{}' is claimed by {} but known at {}; rename one of them", self, nc.name(),
          nc.claimant(), nc.existing());
      for (MembershipListener l : listeners) {
        try {
          l.onNameConflict(nc);
        } catch (RuntimeException ex) {
          listenerErrors.incrementAndGet();
          log.error("{}: listener {} failed on {}", self, l, nc, ex);
        }
      }
    } else if (event instanceof JoinResult jr) {
      onJoinResult(jr);
    } else if (event instanceof UserEvent ue) {
      events.deliver(ue);
    } else if (event instanceof Plumtree.Delivered d) {
      events.deliverOverlay(d);
    }
  }

  private static void logEvent(String self, MemberEvent e) {
    Member m = e.member();
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

  // ------------------------------------------------------------------ join

  private final class JoinAttempt {
    long backoffMillis;
    final CompletableFuture<Integer> future = new CompletableFuture<>();
    final List<Endpoint> seeds;
    final long deadlineMillis;
    EventLoop.Timer timer;

    JoinAttempt(List<Endpoint> seeds, long deadlineMillis) {
      this.seeds = seeds;
      this.deadlineMillis = deadlineMillis;
    }
  }

  @Override
  public CompletableFuture<Integer> join(Collection<String> seeds) {
    List<Endpoint> endpoints = Seeds.resolve(seeds);
    if (closed.get()) {
      return CompletableFuture.failedFuture(new IllegalStateException("node " + name() + " is closed"));
    }
    Endpoint self = membership.endpoint();
    List<Endpoint> others = endpoints.stream().filter(e -> !e.equals(self)).distinct().toList();
    if (others.isEmpty()) {
      // Only ourselves as seed: the first node of a cluster whose members share one seed list.
      joined = true;
      return CompletableFuture.completedFuture(0);
    }
    joinRequested = true;
    joined = false;
    lastSeeds = others;
    JoinAttempt attempt = new JoinAttempt(others, 0);
    loop.execute(() -> startJoin(attempt));
    return attempt.future;
  }

  private void startJoin(JoinAttempt a) {
    if (closed.get()) {
      a.future.completeExceptionally(new IllegalStateException("node " + name() + " closed before joining"));
      return;
    }
    long now = loop.nowMillis();
    JoinAttempt attempt = new JoinAttempt(a.seeds, now + joinTimeoutMillis);
    attempt.future.whenComplete((v, e) -> {
      if (e != null) {
        a.future.completeExceptionally(e);
      } else {
        a.future.complete(v);
      }
    });
    joinAttempts.add(attempt);
    log.info("{}: joining through {}", name(), a.seeds);
    if (hyParView != null) {
      // HyParView retries its JOIN through the seeds by itself while its views stay empty.
      step(() -> hyParView.join(now, a.seeds, outbox));
    }
    sendJoin(attempt);
  }

  private void sendJoin(JoinAttempt a) {
    if (a.future.isDone() || closed.get()) {
      return;
    }
    long now = loop.nowMillis();
    if (now >= a.deadlineMillis) {
      joinAttempts.remove(a);
      a.future.completeExceptionally(new TimeoutException("join failed: no seed of " + a.seeds
          + " answered within " + joinTimeoutMillis + " ms (wrong address, seeds down, or another cluster name?)"));
      log.warn("{}: join through {} timed out after {} ms", name(), a.seeds, joinTimeoutMillis);
      return;
    }
    step(() -> membership.join(now, a.seeds, outbox));
    // Retry while waiting (a seed may still be starting), backing off exponentially: during a join
    // storm a slow answer usually means a busy seed, and every retry costs it a full-state reply.
    a.backoffMillis = a.backoffMillis == 0 ? Math.max(200, Math.min(1000, joinTimeoutMillis / 10)) : 2 * a.backoffMillis;
    a.timer = loop.schedule(Math.min(a.deadlineMillis, now + a.backoffMillis), () -> sendJoin(a));
  }

  private void onJoinResult(JoinResult r) {
    seedsAnswered.add(r.seed());
    if (joinAttempts.isEmpty()) {
      log.debug("{}: state exchanged with {} ({} members listed)", name(), r.seed(), r.membersLearned());
    } else {
      log.info("{}: joined through {} ({} members listed)", name(), r.seed(), r.membersLearned());
    }
    joined = true;
    for (JoinAttempt a : joinAttempts) {
      if (a.timer != null) {
        a.timer.cancel();
      }
      a.future.complete(seedsAnswered.size());
    }
    joinAttempts.clear();
  }

  // ------------------------------------------------------------------ reconnect

  /**
   * Heals partitions. SWIM forgets dead members: nobody probes them, gossip to the dead stops after
   * {@code gossipToTheDeadTime}, push-pull picks live members only. So after a long partition each
   * side believes the other dead and they never merge again. Every reconnect interval this node
   * therefore sends a push-pull (the join message) to one random DEAD member, or, if it believes
   * itself alone, to one of the seeds of its last join. If the other side is alive, the exchange
   * tells each that the other declared it dead; both refute with a higher incarnation and the news
   * spreads. A truly dead target costs one refused connection.
   */
  private void reconnect() {
    if (closed.get()) {
      return;
    }
    try {
      if (!membership.isLeaving()) {
        List<Endpoint> candidates = new ArrayList<>();
        for (Member m : memberList) {
          if (m.state() == MemberState.DEAD) {
            candidates.add(m.endpoint());
          }
        }
        if (candidates.isEmpty() && membership.liveCount() <= 1) {
          candidates.addAll(lastSeeds);
        }
        if (hyParView != null && hyParView.activeSize() == 0 && hyParView.passiveSize() == 0
            && !lastSeeds.isEmpty()) {
          step(() -> hyParView.join(loop.nowMillis(), lastSeeds, outbox));
        }
        if (!candidates.isEmpty()) {
          Endpoint target = candidates.get(runtimeRandom.nextInt(candidates.size()));
          reconnectAttempts.incrementAndGet();
          log.debug("{}: reconnect attempt to {}", name(), target);
          step(() -> membership.join(loop.nowMillis(), List.of(target), outbox));
        }
      }
    } finally {
      if (!closed.get()) {
        loop.scheduleAfter(reconnectIntervalMillis, this::reconnect);
      }
    }
  }

  /** Push-pulls sent to dead members or seeds to heal partitions (see the class Javadoc). */
  public long reconnectAttempts() {
    return reconnectAttempts.get();
  }

  // ------------------------------------------------------------------ commands

  @Override
  public CompletableFuture<Void> leave() {
    if (closed.get()) {
      return CompletableFuture.failedFuture(new IllegalStateException("node " + name() + " is closed"));
    }
    CompletableFuture<Void> f = new CompletableFuture<>();
    loop.execute(() -> {
      if (closed.get()) {
        f.completeExceptionally(new IllegalStateException("node " + name() + " closed while leaving"));
        return;
      }
      log.info("{}: leaving", name());
      step(() -> membership.leave(loop.nowMillis(), outbox));
      loop.scheduleAfter(membership.config().leavePropagateTime.toMillis(), () -> f.complete(null));
    });
    return f;
  }

  @Override
  public void close() {
    if (closed.getAndSet(true)) {
      return;
    }
    Runnable shutdown = () -> {
      if (tick != null) {
        tick.cancel();
        tick = null;
      }
      transport.close();
      kv.close();
      for (JoinAttempt a : joinAttempts) {
        if (a.timer != null) {
          a.timer.cancel();
        }
        a.future.completeExceptionally(new IllegalStateException("node " + name() + " closed before joining"));
      }
      joinAttempts.clear();
    };
    try {
      loop.call(() -> {
        shutdown.run();
        return null;
      });
    } catch (IllegalStateException e) {
      transport.close();
      kv.close();
    }
    log.info("{}: closed", name());
    if (ownsLoop) {
      loop.close();
    }
  }

  @Override
  public void updateMetadata(byte[] metadata) {
    int max = membership.config().metadataMaxBytes;
    if (metadata.length > max) {
      throw new IllegalArgumentException("metadata is " + metadata.length + " bytes, above metadataMaxBytes " + max);
    }
    byte[] copy = metadata.clone();
    requireOpen();
    loop.call(() -> {
      step(() -> membership.updateMetadata(loop.nowMillis(), copy, outbox));
      return null;
    });
  }

  @Override
  public boolean forceLeave(String name) {
    requireOpen();
    return loop.call(() -> stepWith(() -> membership.forceLeave(loop.nowMillis(), name, outbox)));
  }

  private void requireOpen() {
    if (closed.get()) {
      throw new IllegalStateException("node " + name() + " is closed");
    }
  }

  // ------------------------------------------------------------------ replicated store

  @Override
  public ReplicatedMap kv(String map) {
    requireOpen();
    return kv.map(map);
  }

  /** The replicated store of this node. */
  public KvService kvService() {
    return kv;
  }

  /** Runs a call into the replicated store's protocol on the loop, then re-arms and dispatches. */
  private <T> CompletableFuture<T> submitStep(BiFunction<Long, Outbox, T> call) {
    if (closed.get()) {
      return CompletableFuture.failedFuture(new IllegalStateException("node " + name() + " is closed"));
    }
    return loop.submit(() -> stepWith(() -> call.apply(loop.nowMillis(), outbox)));
  }

  /** Runs a call into a protocol on the loop (blocking the caller), then re-arms and dispatches. */
  private <T> T callStep(BiFunction<Long, Outbox, T> call) {
    requireOpen();
    return loop.call(() -> stepWith(() -> call.apply(loop.nowMillis(), outbox)));
  }

  @Override
  public Events events() {
    return events;
  }

  /** Whether user events travel over the HyParView + Plumtree overlay. */
  public boolean usesEventOverlay() {
    return plumtree != null;
  }

  /** Plumtree counters of the event overlay, or null without it. */
  public PlumtreeStats plumtreeStats() {
    return plumtree == null ? null : plumtree.stats();
  }

  /** HyParView's active view of the event overlay (read on the loop), or an empty list without it. */
  public List<Endpoint> overlayActiveView() {
    if (hyParView == null) {
      return List.of();
    }
    return loop.call(() -> hyParView.activeView());
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

  @Override
  public Aggregates aggregates() {
    return aggregates;
  }

  @Override
  public TreeService tree() {
    return tree;
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

  // ------------------------------------------------------------------ queries

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
  public AutoCloseable addListener(MembershipListener listener) {
    listeners.add(listener);
    return () -> listeners.remove(listener);
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
    return transport.stats();
  }

  @Override
  public int healthScore() {
    return healthScore;
  }

  @Override
  public boolean isJoined() {
    return joined || !joinRequested;
  }

  /** This node's name. */
  public String name() {
    return membership.name();
  }

  /** The loop driving this node. */
  public EventLoop eventLoop() {
    return loop;
  }

  /** The transport (possibly decorated) this node sends through. */
  public Transport transport() {
    return transport;
  }

  /** Exceptions thrown by listeners (caught and logged). */
  public long listenerErrors() {
    return listenerErrors.get();
  }

  public boolean isClosed() {
    return closed.get();
  }

  @Override
  public String toString() {
    return "ClusterNode[" + name() + "@" + endpoint() + "]";
  }
}
