// SPDX-License-Identifier: Apache-2.0
package io.grapevine.redis;

import io.grapevine.Cluster;
import io.grapevine.api.Member;
import io.grapevine.api.MemberState;
import io.grapevine.config.MembershipConfig;
import io.grapevine.redis.BusState.Action;
import io.grapevine.redis.BusState.GrantVote;
import io.grapevine.redis.BusState.Peer;
import io.grapevine.redis.BusState.PublishClaim;
import io.grapevine.redis.BusState.RequestVotes;
import io.grapevine.redis.Resp.Err;
import io.grapevine.redis.Resp.Simple;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Redis-Cluster-style node: a RESP2 server over an in-memory keyspace, whose cluster bus is
 * Grapevine. Its claim (id, role, epochs, slots, RESP port) is its member metadata; membership's
 * dead and left verdicts are its failure verdicts; a candidate asks each primary for its vote
 * directly over the primary's RESP port, and a node whose config epoch grew (an election won) sends
 * its new claim to every node the same way, both over kept-open connections ({@link PeerLinks});
 * a primary streams its writes to its replicas over a TCP connection that speaks RESP.
 *
 * <p>One lock guards the keyspace and the {@link BusState}: commands are short and in memory.
 * Each client connection has a thread of its own, at most {@code maxConnections} at once.
 */
public final class RedisNode implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RedisNode.class);
  // the periodic tick only catches up on time (the replication offset, election timeouts): every
  // change that matters (a verdict, a claim, a vote, the end of an election's delay) ticks at once.
  // At 50 ms, the wake-ups alone were the largest share of an idle node's CPU (60 nodes on 2 cores)
  private static final long TICK_MILLIS = 250;
  // a tick that took this long (its work is a walk of the member list and the config rules) is
  // logged with its steps
  private static final long SLOW_TICK_MILLIS = 100;
  // a replica link carries a GVPING when idle, well within the replica's read timeout (2 s)
  private static final long REPL_PING_MILLIS = 500;
  // a voter that refused (its own failure verdict not reached yet) is asked again this soon: over
  // a kept-open connection a request costs one loopback round trip
  private static final long VOTE_RETRY_MILLIS = 50;
  private static final long LINK_MAINTAIN_MILLIS = 500;
  private static final int MAX_CLAIM_BYTES = 8192;
  // A node's Grapevine member name: the first 16 hex digits of its id (64 random bits). Every probe
  // carries two member names and every push-pull entry one, so the 40-digit id as the name cost
  // about a third of the bus's bytes; the full id travels in the claim, which must match the name.
  static final int MEMBER_NAME_DIGITS = 16;

  private final RedisNodeConfig config;
  private final String selfName; // this node's Grapevine member name
  private final Object lock = new Object();
  private final Store store = new Store();
  private final BusState state;
  private final Cluster cluster;
  private final ServerSocket server;
  private final Semaphore connectionSlots;
  private final ScheduledExecutorService ticker;
  private final Resp.Limits limits;
  private final List<ReplicaLink> links = new CopyOnWriteArrayList<>();
  private final List<Socket> clients = new CopyOnWriteArrayList<>();
  private final AtomicLong commandsProcessed = new AtomicLong();
  private final AtomicLong protocolErrors = new AtomicLong();
  private final AtomicLong refusedConnections = new AtomicLong();
  private final AtomicLong replicaLinksDropped = new AtomicLong();
  // transitions of other nodes as membership shows them, by member name (only ticks write these,
  // under tickMonitor); a false failover under load shows here first, as suspicions and verdicts
  private final Map<String, MemberState> lastStates = new HashMap<>();
  private final Map<String, Decoded> decoded = new HashMap<>(); // under tickMonitor
  private long scheduledWakeup = Long.MAX_VALUE; // under tickMonitor
  // one tick at a time: mostly on the tick thread, but the election thread takes its win itself
  // (taken before lock, never while holding it)
  private final Object tickMonitor = new Object();
  private long tickWalkNanos; // under tickMonitor: the last tick's steps, for the slow-tick line
  private long tickLockWaitNanos;
  private long tickDecideNanos;

  private record Decoded(byte[] metadata, NodeClaim claim) {}
  private final AtomicLong peersSuspected = new AtomicLong();
  private final AtomicLong peersFailed = new AtomicLong();
  private final AtomicLong electionsStarted = new AtomicLong();
  private final java.util.concurrent.atomic.AtomicInteger healthMax = new java.util.concurrent.atomic.AtomicInteger();
  private final AtomicLong rejectedWrites = new AtomicLong();
  private static final Err OOM = new Err("OOM command not allowed: the node holds its maximum number of keys");
  private final long startMillis = System.currentTimeMillis();
  private volatile boolean closed;
  private long offset; // replication offset, under lock
  // slot migration, this node's own (as Redis: not part of the published claim), under lock
  private final Map<Integer, String> migrating = new java.util.TreeMap<>(); // slot -> target id
  private final Map<Integer, String> importing = new java.util.TreeMap<>(); // slot -> source id
  private long pauseWritesUntil; // manual failover, under lock
  private byte[] published;
  private long publishedAt;
  // the newest claim not yet handed to Grapevine (under lock); handed over outside the lock, under
  // publishLock, so a slow event loop never holds up commands and claims are never published out
  // of order (only the newest pending one is ever taken)
  private byte[] pendingPublish;
  private final Object publishLock = new Object();
  private volatile Socket replSocket;
  private volatile String replPrimary;
  private volatile boolean replLinkUp;
  private final Thread acceptThread;
  private final Thread replThread;
  // the bus's own requests to other nodes (votes, claim pushes) over kept-open connections
  private final PeerLinks peerLinks;
  private final ScheduledExecutorService busOut;
  private final java.util.concurrent.atomic.AtomicBoolean tickQueued = new java.util.concurrent.atomic.AtomicBoolean();
  private long pushedConfigEpoch; // under lock: the config epoch of the last claim pushed (or the first)
  private final AtomicLong claimsPushed = new AtomicLong();
  private final AtomicLong claimsApplied = new AtomicLong();
  private final AtomicLong probesHinted = new AtomicLong();
  private volatile long lastHintLoggedMillis;
  // CLUSTER NODES and CLUSTER SLOTS as last rendered (under lock), with the view they were rendered
  // from: clients poll them (a failover watcher every few ms), and rendering 60 nodes' lines cost
  // more than the rest of the request. Each tick installs a new view, so a reply is at most one
  // tick old; slot migration marks (this node's own) drop the cache when they change.
  private Object renderedPeers;
  private NodeClaim renderedSelf;
  private byte[] renderedNodes;
  private List<Object> renderedSlots;

  private RedisNode(RedisNodeConfig config) throws IOException {
    this.config = config;
    this.selfName = memberName(config.nodeId);
    this.limits = new Resp.Limits(config.maxArgs, config.maxBulkBytes, 64 * 1024);
    NodeClaim self = new NodeClaim(config.nodeId, 0, config.replicaOf == null, config.replicaOf,
        config.configEpoch, config.configEpoch, 0, config.slots);
    this.server = new ServerSocket();
    server.setReuseAddress(true);
    server.bind(new InetSocketAddress(InetAddress.getByName(config.host), config.respPort), 128);
    self = self.with(self.primary(), self.primaryId(), self.configEpoch(), self.currentEpoch(), 0,
        self.slots());
    self = new NodeClaim(self.id(), server.getLocalPort(), self.primary(), self.primaryId(),
        self.configEpoch(), self.currentEpoch(), 0, self.slots());
    BusState.Timing timing = BusState.Timing.redis(config.nodeTimeout.toMillis())
        .scaled(config.failoverDelayScale);
    this.state = new BusState(self, timing, new Random(config.randomSeed));
    this.connectionSlots = new Semaphore(config.maxConnections);
    MembershipConfig membership = MembershipConfig.local().toBuilder()
        .probeInterval(config.probeInterval)
        .suspicionMult(config.suspicionMult)
        .probeTimeout(Duration.ofMillis(Math.min(200, config.probeInterval.toMillis() / 2)))
        // a claim change must reach every node even when one gossip target is the dead primary:
        // more retransmissions than the local profile's 2, and a push-pull (the repair) every 10 s;
        // a new config epoch is also pushed to every node directly (pushIfNewEpoch), so the repair is
        // rarely what delivers it, and at 5 s it was 40% of the bus's bytes at N = 6
        .retransmitMult(4)
        .pushPullInterval(Duration.ofSeconds(10))
        .metadataMaxBytes(8192)
        .metadataInlineBytes(1024).build();
    try {
      this.published = self.encode();
      this.cluster = Cluster.builder()
          .name(selfName)
          .clusterName(config.clusterName)
          .bind(config.host + ":" + config.busPort)
          .config(membership)
          .metadata(published)
          .randomSeed(config.randomSeed)
          .start();
    } catch (RuntimeException e) {
      server.close();
      throw e;
    }
    this.pushedConfigEpoch = self.configEpoch();
    this.peerLinks = new PeerLinks(300, 500, limits);
    // a push or a publish never waits behind the link upkeep (which may be connecting)
    this.busOut = Executors.newScheduledThreadPool(3, r -> daemon(r, "redis-bus-" + config.nodeId.substring(0, 8)));
    busOut.scheduleWithFixedDelay(this::maintainLinks, LINK_MAINTAIN_MILLIS, LINK_MAINTAIN_MILLIS,
        TimeUnit.MILLISECONDS);
    this.ticker = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "redis-tick-" + config.nodeId.substring(0, 8)));
    ticker.scheduleWithFixedDelay(this::tickSafely, TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
    // a membership change (a verdict, a new claim) is acted on at once, not at the next tick
    cluster.addListener(e -> requestTick());
    if (!config.seeds.isEmpty()) {
      daemon(this::joinLoop, "redis-join-" + config.nodeId.substring(0, 8)).start();
    }
    acceptThread = daemon(this::acceptLoop, "redis-accept-" + config.nodeId.substring(0, 8));
    acceptThread.start();
    replThread = daemon(this::replicationLoop, "redis-repl-" + config.nodeId.substring(0, 8));
    replThread.start();
  }

  /**
   * Starts a node: binds its RESP port and its Grapevine port, and joins the seeds in the
   * background (retrying until one answers).
   *
   * @throws IOException if a port cannot be bound
   */
  public static RedisNode start(RedisNodeConfig config) throws IOException {
    return new RedisNode(config);
  }

  /** This node's id. */
  public String nodeId() {
    return config.nodeId;
  }

  /** The RESP port (the bound one when 0 was asked for). */
  public int respPort() {
    return server.getLocalPort();
  }

  /** The Grapevine port. */
  public int busPort() {
    return cluster.endpoint().port();
  }

  /** The Grapevine node under this one. */
  public Cluster cluster() {
    return cluster;
  }

  /** This node's claim as it stands (role, epochs, slots). */
  public NodeClaim claim() {
    synchronized (lock) {
      return state.self();
    }
  }

  /** The Grapevine member name of the node with this id (see {@link #MEMBER_NAME_DIGITS}). */
  static String memberName(String nodeId) {
    return nodeId.substring(0, MEMBER_NAME_DIGITS);
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  private void joinLoop() {
    while (!closed) {
      try {
        int n = cluster.join(config.seeds).get(10, TimeUnit.SECONDS);
        log.info("joined through {} of {}", n, config.seeds);
        return;
      } catch (Exception e) {
        log.info("join through {} failed ({}); retrying", config.seeds, e.toString());
        sleep(500);
      }
    }
  }

  // ---------------------------------------------------------------- the bus

  private void tickSafely() {
    long asked = System.nanoTime();
    synchronized (tickMonitor) {
      long began = System.nanoTime();
      try {
        tick();
      } catch (RuntimeException e) {
        log.warn("tick failed", e);
      }
      long tookMillis = (System.nanoTime() - asked) / 1_000_000;
      if (tookMillis >= SLOW_TICK_MILLIS) {
        // where a failover's time goes on a busy host: which step of the tick waited
        log.info("slow tick: {} ms (waiting for the previous tick {} ms, walking members {} ms, "
            + "waiting for the lock {} ms, deciding {} ms)", tookMillis, (began - asked) / 1_000_000,
            tickWalkNanos / 1_000_000, tickLockWaitNanos / 1_000_000, tickDecideNanos / 1_000_000);
      }
    }
  }

  /** Runs a tick on the tick thread as soon as it is free (at most one queued). */
  private void requestTick() {
    if (closed || !tickQueued.compareAndSet(false, true)) {
      return;
    }
    try {
      ticker.execute(() -> {
        tickQueued.set(false);
        tickSafely();
      });
    } catch (java.util.concurrent.RejectedExecutionException e) {
      tickQueued.set(false); // closing
    }
  }

  private void tick() {
    tickWalkNanos = tickLockWaitNanos = tickDecideNanos = 0;
    if (closed) {
      return;
    }
    long walkStart = System.nanoTime();
    healthMax.accumulateAndGet(cluster.healthScore(), Math::max);
    Map<String, Peer> peers = new HashMap<>();
    java.util.Set<String> present = new java.util.HashSet<>();
    for (Member m : cluster.members()) {
      if (m.name().equals(selfName)) {
        continue;
      }
      present.add(m.name());
      byte[] meta = m.metadata();
      Decoded d = decoded.get(m.name());
      if (d == null || !java.util.Arrays.equals(d.metadata, meta)) {
        // parsed only when it changed: every tick (and every membership change) walks every member
        d = new Decoded(meta, NodeClaim.decode(meta));
        decoded.put(m.name(), d);
      }
      NodeClaim c = d.claim;
      if (c == null || !memberName(c.id()).equals(m.name())) {
        continue;
      }
      boolean failed = m.state() == MemberState.DEAD || m.state() == MemberState.LEFT;
      MemberState before = lastStates.put(m.name(), m.state());
      if (before != null && before != m.state()) {
        if (m.state() == MemberState.SUSPECT) {
          peersSuspected.incrementAndGet();
          log.info("suspects {}", c.id());
        } else if (failed && before != MemberState.DEAD && before != MemberState.LEFT) {
          peersFailed.incrementAndGet();
          log.info("sees {} failed ({})", c.id(), m.state());
        } else if (m.state() == MemberState.ALIVE) {
          log.info("sees {} alive again", c.id());
        }
      }
      InetSocketAddress a = m.endpoint().toSocketAddress();
      peers.put(c.id(), new Peer(c, a.getAddress().getHostAddress(), a.getPort(), failed));
    }
    // Only members the member list still holds: names come from the network, so neither map may
    // outgrow the member list (bounded by maxMembers) as members come and go.
    decoded.keySet().retainAll(present);
    lastStates.keySet().retainAll(present);
    long now = System.currentTimeMillis();
    List<Action> actions;
    byte[] toPublish = null;
    String roleBefore;
    long wakeup;
    boolean flush;
    long lockAsked = System.nanoTime();
    tickWalkNanos = lockAsked - walkStart;
    synchronized (lock) {
      long lockHeld = System.nanoTime();
      tickLockWaitNanos = lockHeld - lockAsked;
      roleBefore = state.self().primary() ? "primary" : "replica of " + state.self().primaryId();
      state.setOffset(offset);
      state.updatePeers(peers);
      actions = state.tick(now);
      byte[] mine = state.self().encode();
      boolean changed = actions.stream().anyMatch(a -> a instanceof PublishClaim);
      // the offset alone changes often: publish it at most twice a second
      if (!java.util.Arrays.equals(mine, published) && (changed || now - publishedAt >= 500)) {
        published = mine;
        publishedAt = now;
        toPublish = mine;
      }
      if (toPublish != null) {
        pendingPublish = toPublish;
      }
      pushIfNewEpoch();
      flush = pendingPublish != null;
      wakeup = state.nextWakeup();
      lock.notifyAll(); // paused writers re-check whether this node is still a primary
      tickDecideNanos = System.nanoTime() - lockHeld;
    }
    if (flush) {
      // on another thread: Grapevine's event loop may be slow to take it (a busy host), and the
      // tick thread must stay free to act on the next vote or verdict
      try {
        busOut.execute(this::flushPublish);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        // closing
      }
    }
    if (wakeup != Long.MAX_VALUE && wakeup != scheduledWakeup && !closed) {
      // the election starts when its delay ends, not at the next periodic tick (once per wake-up)
      scheduledWakeup = wakeup;
      try {
        ticker.schedule(this::tickSafely, Math.max(0, wakeup - now), TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        // closing
      }
    }
    for (Action a : actions) {
      if (a instanceof RequestVotes r) {
        electionsStarted.incrementAndGet();
        log.info("asking for votes: epoch {} to replace {}", r.epoch(), r.failedPrimaryId());
        daemon(() -> solicitVotes(r), "redis-election").start();
      } else if (a instanceof PublishClaim p) {
        String role = p.claim().primary() ? "primary" : "replica of " + p.claim().primaryId();
        if (!role.equals(roleBefore)) {
          log.info("now {} (config epoch {}, {} slots): {}", role, p.claim().configEpoch(),
              p.claim().slotCount(), state.lastMessage());
        }
      }
    }
    String primary = replPrimary;
    Socket s = replSocket;
    NodeClaim self = claim();
    if (s != null && (self.primary() || !self.primaryId().equals(primary))) {
      closeQuietly(s); // the replication loop reconnects to the right primary
    }
    if (!self.primary() && !links.isEmpty()) {
      for (ReplicaLink l : links) {
        l.close();
      }
    }
  }

  /**
   * The candidate's side of an election: ask every primary that owns slots, directly over its RESP
   * port ({@code GVAUTH CANDIDATE FAILED-PRIMARY EPOCH MANUAL}) on a kept-open connection, and ask
   * again those that have not granted (a voter may not have reached its failure verdict yet) until
   * the election ends.
   */
  private void solicitVotes(RequestVotes r) {
    long deadline;
    synchronized (lock) {
      deadline = System.currentTimeMillis() + state.authTimeoutMillis();
    }
    byte[] cmd = Resp.command(List.of(Resp.bytes("GVAUTH"), Resp.bytes(r.candidateId()),
        Resp.bytes(r.failedPrimaryId()), Resp.bytes(Long.toString(r.epoch())),
        Resp.bytes(r.manual() ? "1" : "0")));
    java.util.Set<String> granted = new java.util.HashSet<>();
    while (!closed && System.currentTimeMillis() < deadline) {
      List<PeerLinks.Target> ask = new ArrayList<>();
      synchronized (lock) {
        if (!state.electionRunning(r.epoch())) {
          return;
        }
        for (Peer p : state.voters()) {
          if (!granted.contains(p.claim().id())) {
            ask.add(target(p));
          }
        }
      }
      // every request goes out before any answer is read, and answers count as they arrive: a
      // majority is seen after the majority's round trips, not one per voter in turn
      boolean[] won = {false};
      peerLinks.fanOut(ask, cmd, (t, reply) -> {
        if (Long.valueOf(1).equals(reply)) {
          granted.add(t.id());
          boolean majority = false;
          synchronized (lock) {
            state.onVoteGranted(new GrantVote(t.id(), r.candidateId(), r.epoch()));
            log.info("vote from {} in epoch {}: {} votes", t.id(), r.epoch(), state.votes());
            if (!won[0] && state.votes() >= state.primariesWithSlots() / 2 + 1) {
              won[0] = true;
              majority = true;
            }
          }
          if (majority) {
            // a majority: take the slots now, on this thread, not after the last answer nor after
            // a hand-off to the tick thread (with 60 JVMs on 2 cores, its wake-up took up to 0.45 s)
            tickSafely();
          }
        }
      });
      sleep(VOTE_RETRY_MILLIS); // then, unless the tick has ended the election, ask the others again
    }
  }

  private static PeerLinks.Target target(Peer p) {
    return new PeerLinks.Target(p.claim().id(), p.host(), p.claim().respPort());
  }

  /**
   * Under lock: once this node's config epoch has grown (an election won, a takeover, a slot taken,
   * an epoch collision resolved), send its claim to every live node at once, as Redis broadcasts
   * its new configuration, rather than wait for gossip to carry the metadata to all of them.
   */
  private void pushIfNewEpoch() {
    NodeClaim self = state.self();
    if (self.configEpoch() <= pushedConfigEpoch) {
      return;
    }
    pushedConfigEpoch = self.configEpoch();
    List<PeerLinks.Target> to = new ArrayList<>();
    for (Peer p : state.peers().values()) {
      if (!p.failed()) {
        to.add(target(p));
      }
    }
    byte[] cmd = Resp.command(List.of(Resp.bytes("GVCLAIM"), self.encode()));
    try {
      busOut.execute(() -> {
        Map<PeerLinks.Target, Object> replies = peerLinks.fanOut(to, cmd);
        long applied = replies.values().stream().filter(v -> Long.valueOf(1).equals(v)).count();
        claimsPushed.incrementAndGet();
        log.info("pushed claim (config epoch {}) to {} nodes: {} applied it", self.configEpoch(),
            to.size(), applied);
      });
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // closing
    }
  }

  /** GVCLAIM CLAIM: another node's claim, sent directly; replies 1 (applied) or 0 (not newer). */
  private Object claimPush(Conn conn, List<byte[]> a) {
    if (a.size() != 2) {
      return arity("gvclaim");
    }
    if (a.get(1).length > MAX_CLAIM_BYTES) {
      return new Err("ERR claim too long");
    }
    NodeClaim c = NodeClaim.decode(a.get(1));
    if (c == null) {
      return new Err("ERR invalid claim");
    }
    boolean applied;
    boolean touches;
    synchronized (lock) {
      Peer p = state.peers().get(c.id());
      if (p == null) {
        return new Err("ERR unknown node " + c.id());
      }
      if (conn.remoteHost != null && !conn.remoteHost.equals(p.host())) {
        return new Err("ERR claim of " + c.id() + " from another host");
      }
      applied = state.onClaimPushed(c);
      touches = applied && state.touches(c);
    }
    if (applied) {
      claimsApplied.incrementAndGet();
      log.info("applies the claim {} sent (config epoch {}, {})", c.id(), c.configEpoch(),
          c.primary() ? c.slotCount() + " slots" : "replica");
      if (touches) {
        // follow the slot moves now; the other nodes show the claim at once and tick on schedule:
        // a push reaches every node in the same instant, and 60 extra ticks on a busy host delayed
        // the replies that show the new primary
        requestTick();
      }
    }
    return applied ? 1L : 0L;
  }

  /** Keeps a connection open to every live node while a replica (its election needs them). */
  private void maintainLinks() {
    if (closed) {
      return;
    }
    try {
      List<PeerLinks.Target> keep = new ArrayList<>();
      java.util.Set<String> known = new java.util.HashSet<>();
      synchronized (lock) {
        boolean replica = !state.self().primary();
        for (Peer p : state.peers().values()) {
          if (!p.failed()) {
            known.add(p.claim().id());
            if (replica) {
              keep.add(target(p));
            }
          }
        }
      }
      peerLinks.maintain(keep, known);
    } catch (RuntimeException e) {
      log.warn("peer links", e);
    }
  }

  /** GVAUTH on a primary: decide a vote request; replies 1 (granted) or 0. */
  private Object voteRequest(List<byte[]> a) {
    if (a.size() != 5) {
      return arity("gvauth");
    }
    String cand = Resp.str(a.get(1));
    String failed = Resp.str(a.get(2));
    long epoch;
    try {
      epoch = parseLong(a.get(3));
    } catch (NumberFormatException e) {
      return NOT_INT;
    }
    if (!NodeClaim.isNodeId(cand) || !NodeClaim.isNodeId(failed)) {
      return new Err("ERR invalid node id");
    }
    RequestVotes r = new RequestVotes(cand, failed, epoch, Resp.str(a.get(4)).equals("1"));
    synchronized (lock) {
      List<Action> out = state.onVoteRequest(System.currentTimeMillis(), r);
      boolean granted = out.stream().anyMatch(x -> x instanceof GrantVote);
      if (granted) {
        log.info("vote for {} in epoch {}", cand, epoch);
      } else {
        log.debug("vote request of {} in epoch {}: {}", cand, epoch, state.lastMessage());
      }
      return granted ? 1L : 0L;
    }
  }

  // ---------------------------------------------------------------- replication

  /** One replica's link on its primary: writes queue here, a thread sends them. */
  private final class ReplicaLink {
    final String replicaId;
    final Socket socket;
    final BlockingQueue<byte[]> queue = new ArrayBlockingQueue<>(config.replicationBacklog);
    volatile boolean closed;
    volatile long sent;

    ReplicaLink(String replicaId, Socket socket) {
      this.replicaId = replicaId;
      this.socket = socket;
    }

    void offer(byte[] command) {
      if (!queue.offer(command)) {
        replicaLinksDropped.incrementAndGet();
        log.warn("replica {} fell {} writes behind: dropping its link (it resynchronizes)",
            replicaId, queue.size());
        close();
      }
    }

    void close() {
      closed = true;
      links.remove(this);
      closeQuietly(socket);
    }
  }

  private void replicate(String... args) {
    List<byte[]> a = new ArrayList<>(args.length);
    for (String s : args) {
      a.add(Resp.bytes(s));
    }
    replicate(a);
  }

  /** Under lock: one write, in the order applied, to every replica. */
  private void replicate(List<byte[]> args) {
    offset++;
    if (links.isEmpty()) {
      return;
    }
    byte[] cmd = Resp.command(args);
    for (ReplicaLink l : links) {
      l.offer(cmd);
    }
  }

  /** The primary's side of GVSYNC: a snapshot, then the live stream, on this connection. */
  private void serveReplica(String replicaId, Socket socket, OutputStream out) throws IOException {
    ReplicaLink link = new ReplicaLink(replicaId, socket);
    Map<String, Store.Value> snapshot;
    long at;
    synchronized (lock) {
      if (!state.self().primary()) {
        Resp.write(out, new Err("ERR not a primary"));
        out.flush();
        return;
      }
      store.purge(System.currentTimeMillis());
      snapshot = store.snapshot();
      at = offset;
      links.add(link);
    }
    log.info("replica {} synchronizing: {} keys at offset {}", replicaId, snapshot.size(), at);
    try {
      out.write(Resp.command(List.of(Resp.bytes("GVFULL"))));
      for (Map.Entry<String, Store.Value> e : snapshot.entrySet()) {
        out.write(Resp.command(List.of(Resp.bytes("GVSET"), Resp.bytes(e.getKey()),
            e.getValue().data(), Resp.bytes(Long.toString(e.getValue().expireAtMillis())))));
      }
      out.write(Resp.command(List.of(Resp.bytes("GVOFFSET"), Resp.bytes(Long.toString(at)))));
      out.flush();
      while (!link.closed && !closed) {
        byte[] cmd = link.queue.poll(REPL_PING_MILLIS, TimeUnit.MILLISECONDS);
        if (cmd == null) {
          out.write(Resp.command(List.of(Resp.bytes("GVPING"))));
          out.flush();
          continue;
        }
        out.write(cmd);
        link.sent++;
        byte[] more;
        while ((more = link.queue.poll()) != null) {
          out.write(more);
          link.sent++;
        }
        out.flush();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException e) {
      probeSoon(replicaId);
      throw e;
    } finally {
      link.close();
    }
  }

  /**
   * A link to another node broke (closed by its host, reset, refused or silent): membership probes
   * that node now rather than at its turn, so that a crashed process, whose kernel closes its
   * connections at once, is suspected within one probe interval. Only a hint: the node is suspected
   * only if the probe fails.
   */
  private void probeSoon(String nodeId) {
    if (closed || nodeId == null || !NodeClaim.isNodeId(nodeId)) {
      return;
    }
    try {
      if (cluster.probeSoon(memberName(nodeId))) {
        probesHinted.incrementAndGet(); // started or queued
        long now = System.currentTimeMillis();
        if (now - lastHintLoggedMillis >= 1000) { // a link retried every 100 ms: one line a second
          lastHintLoggedMillis = now;
          log.info("probes {} now: its link broke", nodeId);
        }
      }
    } catch (RuntimeException e) {
      // closing
    }
  }

  /** The replica's side: follow the current primary, resynchronizing after every break. */
  private void replicationLoop() {
    while (!closed) {
      String primaryId;
      Peer peer;
      synchronized (lock) {
        NodeClaim self = state.self();
        primaryId = self.primary() ? null : self.primaryId();
        peer = primaryId == null ? null : state.peers().get(primaryId);
      }
      if (peer == null || peer.failed()) {
        replLinkUp = false;
        sleep(100);
        continue;
      }
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress(peer.host(), peer.claim().respPort()), 1000);
        s.setSoTimeout((int) Math.max(2000, config.nodeTimeout.toMillis()));
        replSocket = s;
        replPrimary = primaryId;
        OutputStream out = new BufferedOutputStream(s.getOutputStream());
        out.write(Resp.command(List.of(Resp.bytes("GVSYNC"), Resp.bytes(config.nodeId))));
        out.flush();
        InputStream in = new BufferedInputStream(s.getInputStream(), 64 * 1024);
        boolean syncing = false;
        while (!closed) {
          Object o = Resp.readReply(in, limits);
          if (o instanceof Err e) {
            throw new IOException("primary refused: " + e.text());
          }
          if (!(o instanceof List<?> l) || l.isEmpty()) {
            throw new IOException("bad replication stream");
          }
          List<byte[]> args = new ArrayList<>();
          for (Object x : l) {
            args.add((byte[]) x);
          }
          String cmd = Resp.str(args.get(0));
          synchronized (lock) {
            if (state.self().primary() || !primaryId.equals(state.self().primaryId())) {
              break;
            }
            switch (cmd) {
              case "GVPING" -> { }
              case "GVFULL" -> {
                store.clear();
                syncing = true;
              }
              case "GVOFFSET" -> {
                offset = Long.parseLong(Resp.str(args.get(1)));
                syncing = false;
                replLinkUp = true;
                lock.notifyAll();
              }
              default -> {
                applyReplicated(cmd, args);
                if (!syncing) {
                  offset++;
                  lock.notifyAll();
                }
              }
            }
          }
        }
      } catch (IOException | RuntimeException e) {
        if (!closed) {
          log.debug("replication link to {} broke: {}", primaryId, e.toString());
          if (e instanceof IOException) {
            probeSoon(primaryId);
          }
        }
      } finally {
        replSocket = null;
        replLinkUp = false;
      }
      sleep(100);
    }
  }

  /** Under lock: a write a primary streamed. */
  private void applyReplicated(String cmd, List<byte[]> args) {
    switch (cmd) {
      case "GVSET" -> store.put(Resp.str(args.get(1)), args.get(2), Long.parseLong(Resp.str(args.get(3))));
      case "GVDEL" -> store.remove(Resp.str(args.get(1)), System.currentTimeMillis());
      case "FLUSHALL" -> store.clear();
      default -> log.warn("unknown replicated command {}", cmd);
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  // ---------------------------------------------------------------- the RESP server

  private void acceptLoop() {
    while (!closed) {
      Socket s;
      try {
        s = server.accept();
      } catch (IOException e) {
        if (!closed) {
          log.warn("accept failed: {}", e.toString());
          sleep(10);
        }
        continue;
      }
      if (!connectionSlots.tryAcquire()) {
        refusedConnections.incrementAndGet();
        try (s) {
          OutputStream out = s.getOutputStream();
          Resp.write(out, new Err("ERR max number of clients reached"));
          out.flush();
        } catch (IOException ignored) {
          // it is going anyway
        }
        continue;
      }
      clients.add(s);
      daemon(() -> {
        try {
          serve(s);
        } finally {
          clients.remove(s);
          connectionSlots.release();
          closeQuietly(s);
        }
      }, "redis-conn").start();
    }
  }

  /** Per-connection state. */
  private static final class Conn {
    boolean readOnly;
    boolean asking;
    String remoteHost;
  }

  private void serve(Socket s) {
    try {
      s.setTcpNoDelay(true);
      InputStream in = new BufferedInputStream(s.getInputStream(), 16 * 1024);
      OutputStream out = new BufferedOutputStream(s.getOutputStream(), 16 * 1024);
      Conn conn = new Conn();
      conn.remoteHost = s.getInetAddress() == null ? null : s.getInetAddress().getHostAddress();
      while (!closed) {
        List<byte[]> req;
        try {
          req = Resp.readRequest(in, limits);
        } catch (Resp.ProtocolException e) {
          protocolErrors.incrementAndGet();
          Resp.write(out, new Err("ERR Protocol error: " + e.getMessage()));
          out.flush();
          return;
        }
        if (req == null) {
          return;
        }
        if (req.isEmpty()) {
          continue;
        }
        String name = Resp.str(req.get(0)).toUpperCase(Locale.ROOT);
        if (name.equals("GVSYNC") && req.size() == 2) {
          out.flush();
          serveReplica(Resp.str(req.get(1)), s, out);
          return;
        }
        if (name.equals("QUIT")) {
          Resp.write(out, Resp.OK);
          out.flush();
          return;
        }
        Object reply;
        try {
          reply = execute(conn, name, req);
        } catch (RuntimeException e) {
          log.warn("command {} failed", name, e);
          reply = new Err("ERR " + e.getMessage());
        }
        commandsProcessed.incrementAndGet();
        Resp.write(out, reply);
        if (in.available() == 0) {
          out.flush();
        }
      }
    } catch (IOException e) {
      // the client went away
    }
  }

  private static Err arity(String name) {
    return new Err("ERR wrong number of arguments for '" + name.toLowerCase(Locale.ROOT) + "' command");
  }

  private static final Err SYNTAX = new Err("ERR syntax error");
  private static final Err NOT_INT = new Err("ERR value is not an integer or out of range");

  private static long parseLong(byte[] b) {
    return Long.parseLong(Resp.str(b));
  }

  private Object execute(Conn conn, String name, List<byte[]> a) {
    int n = a.size();
    switch (name) {
      case "PING":
        return n == 1 ? new Simple("PONG") : n == 2 ? a.get(1) : arity(name);
      case "ECHO":
        return n == 2 ? a.get(1) : arity(name);
      case "SELECT":
        return n != 2 ? arity(name) : Resp.str(a.get(1)).equals("0") ? Resp.OK
            : new Err("ERR SELECT is not allowed in cluster mode");
      case "READONLY":
        conn.readOnly = true;
        return Resp.OK;
      case "READWRITE":
        conn.readOnly = false;
        return Resp.OK;
      case "ASKING":
        conn.asking = true;
        return Resp.OK;
      case "CLIENT":
        return n >= 2 && Resp.str(a.get(1)).equalsIgnoreCase("ID") ? (Object) Long.valueOf(Thread.currentThread().getId())
            : Resp.OK;
      case "COMMAND":
        if (n >= 2 && Resp.str(a.get(1)).equalsIgnoreCase("COUNT")) {
          return 0L;
        }
        return List.of();
      case "INFO":
        return Resp.bytes(n >= 2 ? infoSection(info(), Resp.str(a.get(1))) : info());
      case "CLUSTER":
        return cluster(a);
      case "GVPAUSE":
        return pauseForFailover(a);
      case "GVAUTH":
        return voteRequest(a);
      case "GVCLAIM":
        return claimPush(conn, a);
      case "MIGRATE":
        return migrate(a);
      case "GVRESTORE":
        return restore(conn, a);
      default:
        break;
    }
    return keyCommand(conn, name, a);
  }

  // ---------------------------------------------------------------- keys

  private static boolean isWrite(String name) {
    return switch (name) {
      case "SET", "DEL", "INCR", "EXPIRE", "PEXPIRE", "FLUSHALL", "FLUSHDB" -> true;
      default -> false;
    };
  }

  private Object keyCommand(Conn conn, String name, List<byte[]> a) {
    int n = a.size();
    switch (name) {
      case "GET", "TTL", "PTTL", "INCR" -> {
        if (n != 2) {
          return arity(name);
        }
      }
      case "SET" -> {
        if (n < 3) {
          return arity(name);
        }
      }
      case "EXPIRE", "PEXPIRE" -> {
        if (n != 3) {
          return arity(name);
        }
      }
      case "DEL", "EXISTS" -> {
        if (n < 2) {
          return arity(name);
        }
      }
      case "DBSIZE", "FLUSHALL", "FLUSHDB" -> { }
      default -> {
        StringBuilder sb = new StringBuilder("ERR unknown command '")
            .append(Resp.str(a.get(0))).append("', with args beginning with: ");
        for (int i = 1; i < Math.min(n, 4); i++) {
          sb.append('\'').append(Resp.str(a.get(i))).append("' ");
        }
        return new Err(sb.toString());
      }
    }
    synchronized (lock) {
      boolean write = isWrite(name);
      if (write) {
        awaitPause();
      }
      long now = System.currentTimeMillis();
      if (name.equals("DBSIZE")) {
        return (long) store.size(now);
      }
      if (name.equals("FLUSHALL") || name.equals("FLUSHDB")) {
        if (!state.self().primary()) {
          return new Err("READONLY You can't write against a read only replica.");
        }
        store.clear();
        replicate("FLUSHALL");
        return Resp.OK;
      }
      // every key of a command must hash to one slot this node serves
      int slot = -1;
      int keysEnd = name.equals("DEL") || name.equals("EXISTS") ? n : 2;
      for (int i = 1; i < keysEnd; i++) {
        int s = KeySlot.slot(a.get(i));
        if (slot >= 0 && s != slot) {
          return new Err("CROSSSLOT Keys in request don't hash to the same slot");
        }
        slot = s;
      }
      List<String> keys = new ArrayList<>();
      for (int i = 1; i < keysEnd; i++) {
        keys.add(Resp.str(a.get(i)));
      }
      Object redirect = redirect(conn, slot, write, keys);
      conn.asking = false;
      if (redirect != null) {
        return redirect;
      }
      String key = Resp.str(a.get(1));
      switch (name) {
        case "GET": {
          Store.Value v = store.get(key, now);
          return v == null ? null : v.data();
        }
        case "EXISTS": {
          long c = 0;
          for (int i = 1; i < n; i++) {
            if (store.get(Resp.str(a.get(i)), now) != null) {
              c++;
            }
          }
          return c;
        }
        case "DEL": {
          long c = 0;
          for (int i = 1; i < n; i++) {
            String k = Resp.str(a.get(i));
            if (store.remove(k, now)) {
              c++;
              replicate("GVDEL", k);
            }
          }
          return c;
        }
        case "TTL":
        case "PTTL": {
          Store.Value v = store.get(key, now);
          if (v == null) {
            return -2L;
          }
          if (v.expireAtMillis() == 0) {
            return -1L;
          }
          long ms = v.expireAtMillis() - now;
          return name.equals("TTL") ? (ms + 500) / 1000 : ms;
        }
        case "INCR": {
          Store.Value v = store.get(key, now);
          if (v == null && full(key)) {
            return OOM;
          }
          long x;
          try {
            x = v == null ? 0 : parseLong(v.data());
          } catch (NumberFormatException e) {
            return NOT_INT;
          }
          if (x == Long.MAX_VALUE) {
            return new Err("ERR increment or decrement would overflow");
          }
          x++;
          long exp = v == null ? 0 : v.expireAtMillis();
          store.put(key, Resp.bytes(Long.toString(x)), exp);
          replicate("GVSET", key, Long.toString(x), Long.toString(exp));
          return x;
        }
        case "EXPIRE":
        case "PEXPIRE": {
          long t;
          try {
            t = parseLong(a.get(2));
          } catch (NumberFormatException e) {
            return NOT_INT;
          }
          Store.Value v = store.get(key, now);
          if (v == null) {
            return 0L;
          }
          long ms = name.equals("EXPIRE") ? t * 1000 : t;
          if (ms <= 0) {
            store.remove(key, now);
            replicate("GVDEL", key);
          } else {
            store.put(key, v.data(), now + ms);
            replicate("GVSET", key, Resp.str(v.data()), Long.toString(now + ms));
          }
          return 1L;
        }
        case "SET":
          return set(a, key, now);
        default:
          throw new IllegalStateException(name);
      }
    }
  }

  private Object set(List<byte[]> a, String key, long now) {
    long expireAt = 0;
    boolean nx = false;
    boolean xx = false;
    boolean keepTtl = false;
    for (int i = 3; i < a.size(); i++) {
      String opt = Resp.str(a.get(i)).toUpperCase(Locale.ROOT);
      switch (opt) {
        case "NX" -> nx = true;
        case "XX" -> xx = true;
        case "KEEPTTL" -> keepTtl = true;
        case "EX", "PX" -> {
          if (i + 1 >= a.size() || expireAt != 0) {
            return SYNTAX;
          }
          long t;
          try {
            t = parseLong(a.get(++i));
          } catch (NumberFormatException e) {
            return NOT_INT;
          }
          if (t <= 0) {
            return new Err("ERR invalid expire time in 'set' command");
          }
          expireAt = now + (opt.equals("EX") ? t * 1000 : t);
        }
        default -> {
          return SYNTAX;
        }
      }
    }
    if ((nx && xx) || (keepTtl && expireAt != 0)) {
      return SYNTAX;
    }
    Store.Value old = store.get(key, now);
    if ((nx && old != null) || (xx && old == null)) {
      return null;
    }
    if (old == null && full(key)) {
      return OOM;
    }
    if (keepTtl && old != null) {
      expireAt = old.expireAtMillis();
    }
    store.put(key, a.get(2), expireAt);
    replicate(List.of(Resp.bytes("GVSET"), Resp.bytes(key), a.get(2),
        Resp.bytes(Long.toString(expireAt))));
    return Resp.OK;
  }

  /** Under lock: whether adding {@code key} would pass the key limit (counted when it would). */
  private boolean full(String key) {
    if (store.rawSize() < config.maxKeys || store.contains(key)) {
      return false;
    }
    store.purge(System.currentTimeMillis());
    if (store.rawSize() < config.maxKeys) {
      return false;
    }
    rejectedWrites.incrementAndGet();
    return true;
  }

  /** Under lock: null if this node serves {@code slot} for this command, else the redirect. */
  private Object redirect(Conn conn, int slot, boolean write, List<String> keys) {
    if (slot < 0) {
      return null;
    }
    String owner = state.ownerOf(slot);
    NodeClaim self = state.self();
    if (self.id().equals(owner)) {
      String target = migrating.get(slot);
      if (target != null) {
        // a slot on its way out: keys still here are served here, the others are asked of the
        // target (Redis's rule: -ASK when a key of the command is missing)
        long now = System.currentTimeMillis();
        for (String k : keys) {
          if (store.get(k, now) == null) {
            Peer t = state.peers().get(target);
            if (t != null) {
              return new Err("ASK " + slot + " " + t.host() + ":" + t.claim().respPort());
            }
          }
        }
      }
      return null;
    }
    if (conn.asking && importing.containsKey(slot)) {
      return null;
    }
    if (!write && conn.readOnly && !self.primary() && self.primaryId().equals(owner)) {
      return null;
    }
    if (owner == null) {
      return new Err("CLUSTERDOWN Hash slot not served");
    }
    Peer p = state.peers().get(owner);
    return new Err("MOVED " + slot + " " + p.host() + ":" + p.claim().respPort());
  }

  /** Under lock: while a manual failover has writes paused, wait (bounded by the pause). */
  private void awaitPause() {
    long now;
    while (state.self().primary() && (now = System.currentTimeMillis()) < pauseWritesUntil) {
      try {
        lock.wait(Math.max(1, pauseWritesUntil - now));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /** GVPAUSE MILLIS on a primary: stop writes for a replica's manual failover; replies the offset. */
  private Object pauseForFailover(List<byte[]> a) {
    if (a.size() != 2) {
      return arity("gvpause");
    }
    long ms;
    try {
      ms = Math.min(10_000, Math.max(0, parseLong(a.get(1))));
    } catch (NumberFormatException e) {
      return NOT_INT;
    }
    synchronized (lock) {
      if (!state.self().primary()) {
        return new Err("ERR not a primary");
      }
      pauseWritesUntil = System.currentTimeMillis() + ms;
      log.info("writes paused for {} ms for a manual failover at offset {}", ms, offset);
      return offset;
    }
  }

  // ---------------------------------------------------------------- slot migration

  /**
   * CLUSTER SETSLOT SLOT IMPORTING ID | MIGRATING ID | STABLE | NODE ID, as Redis. NODE on the
   * importing node claims the slot with a new config epoch of its own (Redis's bump without
   * consensus), so its claim wins everywhere; NODE on the old owner drops the slot from its claim.
   */
  private Object setSlot(List<byte[]> a) {
    if (a.size() < 4) {
      return arity("cluster|setslot");
    }
    int slot = slotArg(a.get(2));
    if (slot < 0) {
      return new Err("ERR Invalid or out of range slot");
    }
    String how = Resp.str(a.get(3)).toUpperCase(Locale.ROOT);
    String id = a.size() > 4 ? Resp.str(a.get(4)) : null;
    if (!state.self().primary()) {
      return new Err("ERR Please use SETSLOT only with masters.");
    }
    if (!how.equals("STABLE") && (id == null || a.size() != 5)) {
      return SYNTAX;
    }
    if (id != null && state.claimOf(id) == null) {
      return new Err("ERR I don't know about node " + id);
    }
    String owner = state.ownerOf(slot);
    List<Action> out = new ArrayList<>();
    renderedNodes = null; // this node's line shows its open slots
    switch (how) {
      case "MIGRATING" -> {
        if (!config.nodeId.equals(owner)) {
          return new Err("ERR I'm not the owner of hash slot " + slot);
        }
        migrating.put(slot, id);
      }
      case "IMPORTING" -> {
        if (config.nodeId.equals(owner)) {
          return new Err("ERR I'm already the owner of hash slot " + slot);
        }
        importing.put(slot, id);
      }
      case "STABLE" -> {
        migrating.remove(slot);
        importing.remove(slot);
      }
      case "NODE" -> {
        if (id.equals(config.nodeId)) {
          importing.remove(slot);
          migrating.remove(slot);
          if (!config.nodeId.equals(owner)) {
            state.takeSlot(slot, out);
            log.info("took slot {} with config epoch {}", slot, state.self().configEpoch());
          }
        } else {
          if (config.nodeId.equals(owner)) {
            if (store.countInSlot(slot, System.currentTimeMillis()) > 0) {
              return new Err("ERR Can't assign hashslot " + slot
                  + " to a different node while I still hold keys for this hash slot.");
            }
            BitSet one = new BitSet();
            one.set(slot);
            state.delSlots(one, out);
          }
          migrating.remove(slot);
          importing.remove(slot);
        }
      }
      default -> {
        return SYNTAX;
      }
    }
    publishNow();
    return Resp.OK;
  }

  /**
   * MIGRATE HOST PORT KEY|"" DB TIMEOUT [COPY] [REPLACE] [KEYS KEY...]: moves keys to another node
   * of this cluster (GVRESTORE under ASKING, the value and its absolute expiry; not Redis's DUMP
   * format, so the target must be a grapevine-redis node). Replies OK, or NOKEY when no key was here.
   */
  private Object migrate(List<byte[]> a) {
    if (a.size() < 6) {
      return arity("migrate");
    }
    String host = Resp.str(a.get(1));
    int port;
    long timeout;
    try {
      port = Integer.parseInt(Resp.str(a.get(2)));
      timeout = Math.max(1, Math.min(60_000, parseLong(a.get(5))));
    } catch (NumberFormatException e) {
      return NOT_INT;
    }
    boolean copy = false;
    boolean replace = false;
    List<String> keys = new ArrayList<>();
    if (a.get(3).length > 0) {
      keys.add(Resp.str(a.get(3)));
    }
    for (int i = 6; i < a.size(); i++) {
      String opt = Resp.str(a.get(i)).toUpperCase(Locale.ROOT);
      switch (opt) {
        case "COPY" -> copy = true;
        case "REPLACE" -> replace = true;
        case "KEYS" -> {
          if (!keys.isEmpty()) {
            return new Err("ERR When using MIGRATE KEYS option, the key argument must be set to the empty string");
          }
          for (int j = i + 1; j < a.size(); j++) {
            keys.add(Resp.str(a.get(j)));
          }
          i = a.size();
        }
        case "AUTH", "AUTH2" -> {
          return new Err("ERR MIGRATE with AUTH is not supported");
        }
        default -> {
          return SYNTAX;
        }
      }
    }
    Map<String, Store.Value> values = new java.util.LinkedHashMap<>();
    synchronized (lock) {
      long now = System.currentTimeMillis();
      for (String k : keys) {
        Store.Value v = store.get(k, now);
        if (v != null) {
          values.put(k, v);
        }
      }
    }
    if (values.isEmpty()) {
      return new Simple("NOKEY");
    }
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(host, port), (int) timeout);
      s.setSoTimeout((int) timeout);
      OutputStream out = new BufferedOutputStream(s.getOutputStream());
      out.write(Resp.command(List.of(Resp.bytes("ASKING"))));
      for (Map.Entry<String, Store.Value> e : values.entrySet()) {
        out.write(Resp.command(List.of(Resp.bytes("GVRESTORE"), Resp.bytes(e.getKey()),
            e.getValue().data(), Resp.bytes(Long.toString(e.getValue().expireAtMillis())),
            Resp.bytes(replace ? "REPLACE" : "-"))));
      }
      out.flush();
      InputStream in = new BufferedInputStream(s.getInputStream());
      Resp.readReply(in, limits); // ASKING
      for (int i = 0; i < values.size(); i++) {
        Object r = Resp.readReply(in, limits);
        if (r instanceof Err e) {
          return new Err(e.text().startsWith("BUSYKEY") ? e.text() : "IOERR target answered: " + e.text());
        }
      }
    } catch (IOException e) {
      return new Err("IOERR error or timeout reading to target instance");
    }
    if (!copy) {
      synchronized (lock) {
        long now = System.currentTimeMillis();
        for (String k : values.keySet()) {
          if (store.remove(k, now)) {
            replicate("GVDEL", k);
          }
        }
      }
    }
    return Resp.OK;
  }

  /** GVRESTORE KEY VALUE EXPIRE-AT REPLACE|-: the receiving side of MIGRATE. */
  private Object restore(Conn conn, List<byte[]> a) {
    if (a.size() != 5) {
      return arity("gvrestore");
    }
    String key = Resp.str(a.get(1));
    long expireAt;
    try {
      expireAt = parseLong(a.get(3));
    } catch (NumberFormatException e) {
      return NOT_INT;
    }
    synchronized (lock) {
      Object redirect = redirect(conn, KeySlot.slot(a.get(1)), true, List.of());
      if (redirect != null) {
        return redirect;
      }
      long now = System.currentTimeMillis();
      if (!Resp.str(a.get(4)).equals("REPLACE") && store.get(key, now) != null) {
        return new Err("BUSYKEY Target key name already exists.");
      }
      if (full(key)) {
        return OOM;
      }
      store.put(key, a.get(2), expireAt);
      replicate(List.of(Resp.bytes("GVSET"), a.get(1), a.get(2), a.get(3)));
      return Resp.OK;
    }
  }

  // ---------------------------------------------------------------- CLUSTER

  /** Under lock: drops the rendered replies unless they were rendered from the current view. */
  private void checkRendered() {
    if (renderedPeers != state.peers() || renderedSelf != state.self()) {
      renderedPeers = state.peers();
      renderedSelf = state.self();
      renderedNodes = null;
      renderedSlots = null;
    }
  }

  /** Under lock: CLUSTER NODES, rendered once per view. */
  private byte[] nodesReply() {
    checkRendered();
    if (renderedNodes == null) {
      renderedNodes = Resp.bytes(ClusterFormats.nodes(state, config.host, busPort(), migrating, importing));
    }
    return renderedNodes;
  }

  /** Under lock: CLUSTER SLOTS, rendered once per view. */
  private List<Object> slotsReply() {
    checkRendered();
    if (renderedSlots == null) {
      renderedSlots = ClusterFormats.slots(state, config.host);
    }
    return renderedSlots;
  }

  private Object cluster(List<byte[]> a) {
    if (a.size() < 2) {
      return arity("cluster");
    }
    String sub = Resp.str(a.get(1)).toUpperCase(Locale.ROOT);
    int n = a.size();
    synchronized (lock) {
      switch (sub) {
        case "NODES":
          return nodesReply();
        case "INFO":
          return Resp.bytes(ClusterFormats.info(state, cluster.stats()));
        case "SLOTS":
          return slotsReply();
        case "SHARDS":
          return ClusterFormats.shards(state, config.host, offset);
        case "MYID":
          return config.nodeId;
        case "MYSHARDID":
          return state.self().primary() ? config.nodeId : state.self().primaryId();
        case "KEYSLOT":
          return n == 3 ? (Object) (long) KeySlot.slot(a.get(2)) : arity("cluster|keyslot");
        case "COUNTKEYSINSLOT": {
          if (n != 3) {
            return arity("cluster|countkeysinslot");
          }
          int slot = slotArg(a.get(2));
          return slot < 0 ? new Err("ERR Invalid slot") : (Object) (long) store.countInSlot(slot, System.currentTimeMillis());
        }
        case "GETKEYSINSLOT": {
          if (n != 4) {
            return arity("cluster|getkeysinslot");
          }
          int slot = slotArg(a.get(2));
          long max;
          try {
            max = parseLong(a.get(3));
          } catch (NumberFormatException e) {
            return NOT_INT;
          }
          if (slot < 0 || max < 0) {
            return new Err("ERR Invalid slot or number of keys");
          }
          return new ArrayList<Object>(store.keysInSlot(slot, (int) Math.min(max, 100_000), System.currentTimeMillis()));
        }
        case "COUNT-FAILURE-REPORTS":
          return 0L;
        case "ADDSLOTS":
        case "DELSLOTS":
        case "ADDSLOTSRANGE":
        case "DELSLOTSRANGE":
          return slotsCommand(sub, a);
        case "REPLICATE":
          if (n != 3) {
            return arity("cluster|replicate");
          }
          return act(() -> state.replicate(Resp.str(a.get(2)), new ArrayList<>()));
        case "SET-CONFIG-EPOCH":
          if (n != 3) {
            return arity("cluster|set-config-epoch");
          }
          try {
            long e = parseLong(a.get(2));
            return act(() -> state.setConfigEpoch(e, new ArrayList<>()));
          } catch (NumberFormatException e) {
            return new Err("ERR Invalid config epoch specified: " + Resp.str(a.get(2)));
          }
        case "FAILOVER":
          return failover(a);
        case "SETSLOT":
          return setSlot(a);
        case "REPLICAS":
        case "SLAVES":
          if (n != 3) {
            return arity("cluster|replicas");
          }
          return ClusterFormats.replicas(state, Resp.str(a.get(2)), config.host, busPort());
        case "MEET":
          return new Err("ERR nodes join through their Grapevine seeds (--seed), not CLUSTER MEET");
        case "HELP":
          return List.of("CLUSTER <subcommand>: NODES SLOTS SHARDS INFO MYID MYSHARDID KEYSLOT "
              + "COUNTKEYSINSLOT GETKEYSINSLOT ADDSLOTS ADDSLOTSRANGE DELSLOTS DELSLOTSRANGE "
              + "REPLICATE REPLICAS SET-CONFIG-EPOCH FAILOVER [FORCE|TAKEOVER]");
        default:
          return new Err("ERR unknown subcommand '" + Resp.str(a.get(1)) + "'. Try CLUSTER HELP.");
      }
    }
  }

  private Object act(Runnable r) {
    try {
      r.run();
    } catch (IllegalArgumentException | IllegalStateException e) {
      String m = e.getMessage();
      return new Err(m.startsWith("ERR ") ? m : "ERR " + m);
    }
    publishNow();
    return Resp.OK;
  }

  /**
   * Under lock: publish this node's claim now (after an operator command changed it); the hand-over
   * to Grapevine runs on another thread, as it must not wait under the lock.
   */
  private void publishNow() {
    byte[] mine = state.self().encode();
    if (!java.util.Arrays.equals(mine, published)) {
      published = mine;
      publishedAt = System.currentTimeMillis();
      pendingPublish = mine;
      try {
        busOut.execute(this::flushPublish);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        // closing
      }
    }
    pushIfNewEpoch();
  }

  /** Not under lock: hands the newest pending claim to Grapevine. */
  private void flushPublish() {
    synchronized (publishLock) {
      byte[] p;
      synchronized (lock) {
        p = pendingPublish;
        pendingPublish = null;
      }
      if (p != null && !closed) {
        try {
          cluster.updateMetadata(p);
        } catch (RuntimeException e) {
          log.warn("publishing the claim failed: {}", e.toString());
          synchronized (lock) {
            if (pendingPublish == null) {
              pendingPublish = p; // the next tick tries again
            }
          }
        }
      }
    }
  }

  private static int slotArg(byte[] b) {
    try {
      long s = parseLong(b);
      return s < 0 || s >= KeySlot.SLOTS ? -1 : (int) s;
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private Object slotsCommand(String sub, List<byte[]> a) {
    boolean range = sub.endsWith("RANGE");
    int n = a.size();
    if (n < 3 || (range && (n - 2) % 2 != 0)) {
      return arity("cluster|" + sub.toLowerCase(Locale.ROOT));
    }
    BitSet slots = new BitSet(KeySlot.SLOTS);
    for (int i = 2; i < n; i += range ? 2 : 1) {
      int from = slotArg(a.get(i));
      int to = range ? slotArg(a.get(i + 1)) : from;
      if (from < 0 || to < 0) {
        return new Err("ERR Invalid or out of range slot");
      }
      if (from > to) {
        return new Err("ERR start slot number " + from + " is greater than end slot number " + to);
      }
      slots.set(from, to + 1);
    }
    if (!state.self().primary()) {
      return new Err("ERR a replica cannot own slots");
    }
    List<Action> out = new ArrayList<>();
    int bad = sub.startsWith("ADD") ? state.addSlots(slots, out) : state.delSlots(slots, out);
    if (bad >= 0) {
      return new Err(sub.startsWith("ADD") ? "ERR Slot " + bad + " is already busy"
          : "ERR Slot " + bad + " is already unassigned");
    }
    publishNow();
    return Resp.OK;
  }

  private Object failover(List<byte[]> a) {
    String opt = a.size() > 2 ? Resp.str(a.get(2)).toUpperCase(Locale.ROOT) : "";
    if (a.size() > 3 || !(opt.isEmpty() || opt.equals("FORCE") || opt.equals("TAKEOVER"))) {
      return SYNTAX;
    }
    NodeClaim self = state.self();
    if (self.primary()) {
      return new Err("ERR You should send CLUSTER FAILOVER to a replica");
    }
    Peer p = state.peers().get(self.primaryId());
    if (p == null) {
      return new Err("ERR I'm a replica but my master is unknown to me");
    }
    switch (opt) {
      case "TAKEOVER" -> {
        return act(() -> state.takeover(new ArrayList<>()));
      }
      case "FORCE" -> state.startManualFailover(System.currentTimeMillis(), 5000);
      default -> {
        if (p.failed() || !replLinkUp) {
          return new Err("ERR Master is down or failed, please use CLUSTER FAILOVER FORCE");
        }
        daemon(() -> coordinatedFailover(p), "redis-failover").start();
      }
    }
    return Resp.OK;
  }

  /** Pause the primary's writes, catch up with its offset, then run the election. */
  private void coordinatedFailover(Peer primary) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(primary.host(), primary.claim().respPort()), 1000);
      s.setSoTimeout(2000);
      OutputStream out = s.getOutputStream();
      out.write(Resp.command(List.of(Resp.bytes("GVPAUSE"), Resp.bytes("5000"))));
      out.flush();
      Object r = Resp.readReply(new BufferedInputStream(s.getInputStream()), limits);
      if (!(r instanceof Long target)) {
        log.warn("manual failover: primary answered {}", r);
        return;
      }
      long deadline = System.currentTimeMillis() + 5000;
      synchronized (lock) {
        long now;
        while (offset < target && (now = System.currentTimeMillis()) < deadline) {
          lock.wait(deadline - now);
        }
        if (offset < target) {
          log.warn("manual failover: offset {} never reached {}", offset, target);
          return;
        }
        log.info("manual failover: caught up at offset {}; election starts", offset);
        state.startManualFailover(System.currentTimeMillis(), 5000);
      }
      requestTick();
    } catch (IOException | RuntimeException e) {
      log.warn("manual failover failed: {}", e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  // ---------------------------------------------------------------- INFO

  /** The named section of INFO's text (all of it for "all", "everything" or "default"). */
  static String infoSection(String info, String section) {
    String want = section.toLowerCase(Locale.ROOT);
    if (want.equals("all") || want.equals("everything") || want.equals("default")) {
      return info;
    }
    StringBuilder sb = new StringBuilder();
    for (String block : info.split("\r\n\r\n")) {
      if (block.toLowerCase(Locale.ROOT).startsWith("# " + want)) {
        sb.append(block).append("\r\n");
      }
    }
    return sb.toString();
  }

  private String info() {
    synchronized (lock) {
      NodeClaim self = state.self();
      long now = System.currentTimeMillis();
      StringBuilder sb = new StringBuilder();
      sb.append("# Server\r\n")
          .append("redis_version:7.0.0\r\n")
          .append("redis_mode:cluster\r\n")
          .append("grapevine_redis:1\r\n")
          .append("process_id:").append(ProcessHandle.current().pid()).append("\r\n")
          .append("run_id:").append(config.nodeId).append("\r\n")
          .append("tcp_port:").append(respPort()).append("\r\n")
          .append("uptime_in_seconds:").append((now - startMillis) / 1000).append("\r\n")
          .append("\r\n# Clients\r\n")
          .append("connected_clients:").append(clients.size()).append("\r\n")
          .append("maxclients:").append(config.maxConnections).append("\r\n")
          .append("\r\n# Stats\r\n")
          .append("total_commands_processed:").append(commandsProcessed.get()).append("\r\n")
          .append("rejected_connections:").append(refusedConnections.get()).append("\r\n")
          .append("protocol_errors:").append(protocolErrors.get()).append("\r\n")
          .append("replica_links_dropped:").append(replicaLinksDropped.get()).append("\r\n")
          .append("rejected_writes:").append(rejectedWrites.get()).append("\r\n")
          .append("\r\n# Replication\r\n");
      if (self.primary()) {
        sb.append("role:master\r\n").append("connected_slaves:").append(links.size()).append("\r\n");
        int i = 0;
        for (ReplicaLink l : links) {
          Peer p = state.peers().get(l.replicaId);
          sb.append("slave").append(i++).append(":ip=")
              .append(p == null ? config.host : p.host()).append(",port=")
              .append(p == null ? 0 : p.claim().respPort()).append(",state=online,offset=")
              .append(p == null ? 0 : p.claim().replOffset()).append(",lag=0\r\n");
        }
      } else {
        Peer p = state.peers().get(self.primaryId());
        sb.append("role:slave\r\n")
            .append("master_host:").append(p == null ? "?" : p.host()).append("\r\n")
            .append("master_port:").append(p == null ? 0 : p.claim().respPort()).append("\r\n")
            .append("master_link_status:").append(replLinkUp ? "up" : "down").append("\r\n")
            .append("slave_repl_offset:").append(offset).append("\r\n");
      }
      sb.append("master_repl_offset:").append(offset).append("\r\n")
          .append("\r\n# Cluster\r\n")
          .append("cluster_enabled:1\r\n")
          .append("cluster_last_event:").append(state.lastMessage()).append("\r\n")
          .append("grapevine_bytes_sent:").append(cluster.transportStats().bytesOut()).append("\r\n")
          .append("grapevine_bytes_received:").append(cluster.transportStats().bytesIn()).append("\r\n")
          .append("grapevine_peers_suspected:").append(peersSuspected.get()).append("\r\n")
          .append("grapevine_peers_failed:").append(peersFailed.get()).append("\r\n")
          .append("grapevine_elections_started:").append(electionsStarted.get()).append("\r\n")
          // Lifeguard's local health (0 healthy): a starved node stretches its own probe timeouts
          .append("grapevine_health_score:").append(cluster.healthScore()).append("\r\n")
          .append("grapevine_health_score_max:").append(healthMax.get()).append("\r\n")
          .append("grapevine_self_refutations:").append(cluster.stats().selfRefutations()).append("\r\n")
          .append("grapevine_claims_pushed:").append(claimsPushed.get()).append("\r\n")
          .append("grapevine_claims_applied:").append(claimsApplied.get()).append("\r\n")
          .append("grapevine_probes_hinted:").append(probesHinted.get()).append("\r\n")
          .append("grapevine_peer_links_opened:").append(peerLinks.opened()).append("\r\n")
          .append("grapevine_peer_requests_reused:").append(peerLinks.reused()).append("\r\n")
          .append("\r\n# Keyspace\r\n");
      int keys = store.size(now);
      if (keys > 0) {
        sb.append("db0:keys=").append(keys).append(",expires=0,avg_ttl=0\r\n");
      }
      return sb.toString();
    }
  }

  // ---------------------------------------------------------------- lifecycle

  /** Crashes the node: closes every socket without a goodbye (to others, it failed). */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    ticker.shutdownNow();
    busOut.shutdownNow();
    peerLinks.close();
    closeQuietly(server);
    for (Socket s : clients) {
      closeQuietly(s);
    }
    for (ReplicaLink l : links) {
      l.close();
    }
    Socket r = replSocket;
    if (r != null) {
      closeQuietly(r);
    }
    cluster.close();
  }

  /** Leaves the Grapevine cluster gracefully (others see it as left at once), then closes. */
  public void shutdown(Duration timeout) {
    try {
      cluster.leave().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      log.info("leave did not complete: {}", e.toString());
    }
    close();
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception ignored) {
      // closing
    }
  }

  static String text(byte[] b) {
    return new String(b, StandardCharsets.ISO_8859_1);
  }
}
