// SPDX-License-Identifier: Apache-2.0
package io.grapevine.testkit;

import io.grapevine.node.Delivery;
import io.grapevine.node.Endpoint;
import io.grapevine.node.Outbox;
import io.grapevine.node.PeerSampler;
import io.grapevine.node.ProtocolEvent;
import io.grapevine.node.ProtocolNode;
import io.grapevine.stack.ProtocolStack;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.BiPredicate;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * A deterministic in-memory network of {@link ProtocolNode}s (normally {@link ProtocolStack}s) with a
 * virtual millisecond clock: the driver protocol tests step their nodes with.
 *
 * <p>Nodes send through their {@link Node#outbox() outbox}; each packet is copied, faults are applied
 * at the moment it is sent (sender down, {@linkplain #drop link rules} and partitions, seeded
 * {@linkplain #loss loss}, seeded {@linkplain #duplication duplication}), and each surviving copy is
 * queued for delivery after a {@linkplain #latency latency} drawn per copy. Each node's timer is
 * one wake-up at its {@link ProtocolNode#nextDeadlineMillis()}, re-read after every call into the node
 * and whenever a run starts; a wake-up left behind by a deadline that moved is skipped. Packets and
 * wake-ups run in the order of their time, then of when they were queued, so a run is a pure function
 * of the seed and of what the test does: the same seed gives the same sequence of deliveries.
 *
 * <p>All randomness comes from the seed, in separate streams for latency, loss, duplication and each
 * node's {@linkplain #uniformPeers uniform peer sampling}: turning duplication on does not change
 * which packets are lost.
 *
 * <p>A node can {@linkplain Node#crash() crash} (it is no longer stepped, packets to it are lost, its
 * state is kept for inspection), {@linkplain Node#restart restart} with a fresh protocol node at the
 * same endpoint, or {@linkplain Node#resume() resume} with the state it had. What nodes emit through
 * their outbox is collected per node ({@link Node#events()}) and handed to {@linkplain #onEvent
 * listeners}; {@linkplain #onSend sniffers} see every packet sent.
 *
 * <p>Not thread-safe: a test drives it from one thread. It never sleeps and never reads a real clock.
 */
public final class VirtualNetwork {
  /** Port of the endpoints {@link #endpointOf} makes. */
  public static final int PORT = 7946;

  /** An application command run against a node: its protocols' methods, with the time and outbox. */
  @FunctionalInterface
  public interface Command {
    /** Runs the command at {@code nowMillis}; sends go to {@code out}. */
    void run(long nowMillis, Outbox out);
  }

  /** A {@link Command} that returns a value (the id of a published event, say). */
  @FunctionalInterface
  public interface Query<T> {
    /** Runs the command at {@code nowMillis}; sends go to {@code out}. */
    T run(long nowMillis, Outbox out);
  }

  /** Told of every event a node emits, at the virtual time it is emitted. */
  @FunctionalInterface
  public interface EventListener {
    /** Called on the test's thread, inside the call into {@code node} that emitted {@code event}. */
    void onEvent(Node node, long nowMillis, ProtocolEvent event);
  }

  private final long seed;
  private final SplittableRandom latencyRandom;
  private final SplittableRandom lossRandom;
  private final SplittableRandom duplicationRandom;
  private final List<Node> nodes = new ArrayList<>();
  private final Map<Endpoint, Node> byEndpoint = new HashMap<>();
  private final List<Node> live = new ArrayList<>();
  private final PriorityQueue<Scheduled> queue = new PriorityQueue<>(
      (a, b) -> a.at != b.at ? Long.compare(a.at, b.at) : Long.compare(a.seq, b.seq));
  private final List<LinkRule> rules = new ArrayList<>();
  private final List<Consumer<Packet>> sniffers = new ArrayList<>();
  private final List<Consumer<Packet>> deliveryListeners = new ArrayList<>();
  private final List<EventListener> eventListeners = new ArrayList<>();

  private LinkLatency latency = LinkLatency.fixed(1);
  private double loss;
  private Traffic lossScope = Traffic.DATAGRAMS;
  private double duplication;
  private Traffic duplicationScope = Traffic.DATAGRAMS;
  private boolean collectEvents = true;

  private long now;
  private long seq;
  private long sent;
  private long datagramsSent;
  private long bytesSent;
  private long delivered;
  private long lost;
  private long duplicated;
  private long blocked;
  private long undeliverable;
  private long inFlight;

  /** An empty network at time 0, with a fixed latency of 1 ms, no loss and no duplication. */
  public VirtualNetwork(long seed) {
    this.seed = seed;
    SplittableRandom root = new SplittableRandom(seed);
    this.latencyRandom = root.split();
    this.lossRandom = root.split();
    this.duplicationRandom = root.split();
  }

  /**
   * The endpoint conventionally given to node {@code index}: 10.0.0.1 for index 0, 10.0.0.2 for
   * index 1 and so on, port {@value #PORT}.
   */
  public static Endpoint endpointOf(int index) {
    if (index < 0 || index >= (1 << 24) - 2) {
      throw new IllegalArgumentException("node index must be 0.." + ((1 << 24) - 3) + ", got " + index);
    }
    return Endpoint.ipv4(0x0A000001 + index, PORT);
  }

  /** The seed every random choice of the network derives from. */
  public long seed() {
    return seed;
  }

  /** The virtual time, milliseconds. */
  public long now() {
    return now;
  }

  // ------------------------------------------------------------------ the network's behaviour

  /** Sets the latency model for packets sent from now on (default: a fixed 1 ms). */
  public VirtualNetwork latency(LinkLatency model) {
    this.latency = Objects.requireNonNull(model, "latency");
    return this;
  }

  /** The current latency model. */
  public LinkLatency latency() {
    return latency;
  }

  /** Loses each datagram sent from now on with probability {@code probability} (streams are reliable). */
  public VirtualNetwork loss(double probability) {
    return loss(probability, Traffic.DATAGRAMS);
  }

  /** Loses each packet of {@code scope} sent from now on with probability {@code probability}. */
  public VirtualNetwork loss(double probability, Traffic scope) {
    this.loss = probability(probability, "loss");
    this.lossScope = Objects.requireNonNull(scope, "scope");
    return this;
  }

  /** The current loss probability. */
  public double loss() {
    return loss;
  }

  /** Delivers each datagram sent from now on twice with probability {@code probability}. */
  public VirtualNetwork duplication(double probability) {
    return duplication(probability, Traffic.DATAGRAMS);
  }

  /**
   * Delivers each packet of {@code scope} sent from now on twice with probability {@code
   * probability}; each copy draws its own latency.
   */
  public VirtualNetwork duplication(double probability, Traffic scope) {
    this.duplication = probability(probability, "duplication");
    this.duplicationScope = Objects.requireNonNull(scope, "scope");
    return this;
  }

  /** The current duplication probability. */
  public double duplication() {
    return duplication;
  }

  private static double probability(double p, String what) {
    if (!(p >= 0 && p <= 1)) {
      throw new IllegalArgumentException(what + " must be a probability in [0, 1], got " + p);
    }
    return p;
  }

  /**
   * Drops every packet of {@code scope} sent from now on from {@code a} to {@code b} for which {@code
   * link.test(a, b)} holds, until the returned rule is {@linkplain LinkRule#remove() removed} or the
   * network {@linkplain #heal() heals}. The predicate is asked once per packet sent (it may draw on its
   * own seeded randomness); packets already in flight are not affected.
   */
  public LinkRule drop(BiPredicate<Endpoint, Endpoint> link, Traffic scope) {
    LinkRule rule = new LinkRule(Objects.requireNonNull(link, "link"),
        Objects.requireNonNull(scope, "scope"));
    rules.add(rule);
    return rule;
  }

  /**
   * Splits the network in two: packets between {@code side} and every other endpoint are dropped both
   * ways, stream messages included.
   */
  public LinkRule partition(Collection<Endpoint> side) {
    return partition(side, Traffic.ALL);
  }

  /** Splits the network in two for the packets of {@code scope} (see {@link #partition(Collection)}). */
  public LinkRule partition(Collection<Endpoint> side, Traffic scope) {
    Set<Endpoint> a = new HashSet<>(side);
    return drop((from, to) -> a.contains(from) != a.contains(to), scope);
  }

  /** Splits the network between {@code side} and every other node, for all packets. */
  public LinkRule partition(Node... side) {
    List<Endpoint> endpoints = new ArrayList<>();
    for (Node n : side) {
      endpoints.add(n.endpoint);
    }
    return partition(endpoints, Traffic.ALL);
  }

  /** Cuts {@code node} off: every packet from or to it is dropped, stream messages included. It keeps running. */
  public LinkRule isolate(Node node) {
    return isolate(node.endpoint, Traffic.ALL);
  }

  /** Drops every packet of {@code scope} from or to {@code endpoint}. */
  public LinkRule isolate(Endpoint endpoint, Traffic scope) {
    return drop((from, to) -> from.equals(endpoint) || to.equals(endpoint), scope);
  }

  /** Removes every link rule (partitions, isolations, drops); loss and duplication stay as they are. */
  public void heal() {
    rules.clear();
  }

  /** Calls {@code sniffer} with every packet a node sends, before any fault applies to it. */
  public VirtualNetwork onSend(Consumer<Packet> sniffer) {
    sniffers.add(Objects.requireNonNull(sniffer));
    return this;
  }

  /** Calls {@code listener} with every packet just before it is handed to its destination. */
  public VirtualNetwork onDeliver(Consumer<Packet> listener) {
    deliveryListeners.add(Objects.requireNonNull(listener));
    return this;
  }

  /** Calls {@code listener} with every event a node emits. */
  public VirtualNetwork onEvent(EventListener listener) {
    eventListeners.add(Objects.requireNonNull(listener));
    return this;
  }

  /**
   * Whether emitted events are kept in {@link Node#events()} (default true); turn it off for long runs
   * whose events only listeners need.
   */
  public VirtualNetwork collectEvents(boolean collect) {
    this.collectEvents = collect;
    return this;
  }

  // ------------------------------------------------------------------ nodes

  /** Adds {@code stack} under its own name and endpoint; it is up but not started (see {@link Node#start()}). */
  public Node add(ProtocolStack stack) {
    return add(stack.name(), stack.endpoint(), stack);
  }

  /**
   * Adds {@code node} at {@code endpoint}; it is up but not started.
   *
   * @throws IllegalArgumentException if another node already has {@code endpoint}
   */
  public Node add(String name, Endpoint endpoint, ProtocolNode node) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(node, "node");
    if (byEndpoint.containsKey(endpoint)) {
      throw new IllegalArgumentException("a node is already at " + endpoint + ": " + byEndpoint.get(endpoint)
          + " (use restart to replace it)");
    }
    Node n = new Node(nodes.size(), name, endpoint, node);
    nodes.add(n);
    byEndpoint.put(endpoint, n);
    n.livePosition = live.size();
    live.add(n);
    return n;
  }

  /** Node number {@code index}, in the order they were added. */
  public Node node(int index) {
    return nodes.get(index);
  }

  /**
   * The node named {@code name}.
   *
   * @throws IllegalArgumentException if no node or more than one has that name
   */
  public Node node(String name) {
    Node found = null;
    for (Node n : nodes) {
      if (n.name.equals(name)) {
        if (found != null) {
          throw new IllegalArgumentException("more than one node is named " + name + ": " + found + ", " + n);
        }
        found = n;
      }
    }
    if (found == null) {
      throw new IllegalArgumentException("no node is named " + name);
    }
    return found;
  }

  /** The node at {@code endpoint}, or null. */
  public Node find(Endpoint endpoint) {
    return byEndpoint.get(endpoint);
  }

  /**
   * The node at {@code endpoint}.
   *
   * @throws IllegalArgumentException if no node is there
   */
  public Node node(Endpoint endpoint) {
    Node n = byEndpoint.get(endpoint);
    if (n == null) {
      throw new IllegalArgumentException("no node at " + endpoint);
    }
    return n;
  }

  /** Every node, in the order they were added (crashed ones included). */
  public List<Node> nodes() {
    return Collections.unmodifiableList(nodes);
  }

  /** The nodes that are up, in the order they were added. */
  public List<Node> liveNodes() {
    List<Node> list = new ArrayList<>();
    for (Node n : nodes) {
      if (n.up) {
        list.add(n);
      }
    }
    return list;
  }

  /** Number of nodes, crashed ones included. */
  public int size() {
    return nodes.size();
  }

  /** Number of nodes that are up. */
  public int liveCount() {
    return live.size();
  }

  /** Every event emitted by any node, node by node in the order the nodes were added. */
  public List<ProtocolEvent> events() {
    List<ProtocolEvent> all = new ArrayList<>();
    for (Node n : nodes) {
      all.addAll(n.events);
    }
    return all;
  }

  /** The events of class {@code type} emitted by any node, node by node. */
  public <E> List<E> events(Class<E> type) {
    List<E> all = new ArrayList<>();
    for (Node n : nodes) {
      all.addAll(n.events(type));
    }
    return all;
  }

  /**
   * A peer sampler for the node at {@code self} that picks distinct peers uniformly among the nodes
   * of this network that are up at the moment of the call, {@code self} excluded: gossip partners for
   * protocols that run without membership. Its randomness is its own, seeded from the network's seed
   * and {@code self}. The node at {@code self} may be added after the sampler is made.
   */
  public PeerSampler uniformPeers(Endpoint self) {
    return new UniformPeers(self, new SplittableRandom(ProtocolStack.seedFor(seed, "testkit/peers/" + self)));
  }

  // ------------------------------------------------------------------ lifecycle and commands

  private void start(Node node) {
    if (node.started) {
      return;
    }
    node.started = true;
    if (node.target instanceof ProtocolStack stack) {
      stack.start(now, node.outbox);
    }
    reschedule(node, false);
  }

  private void crash(Node node) {
    if (!node.up) {
      return;
    }
    node.up = false;
    node.generation++;
    node.scheduled = Long.MAX_VALUE;
    int p = node.livePosition;
    Node last = live.remove(live.size() - 1);
    if (last != node) {
      live.set(p, last);
      last.livePosition = p;
    }
    node.livePosition = -1;
  }

  private void bringUp(Node node) {
    node.up = true;
    node.generation++;
    node.scheduled = Long.MAX_VALUE;
    node.livePosition = live.size();
    live.add(node);
  }

  private void restart(Node node, ProtocolNode fresh) {
    Objects.requireNonNull(fresh, "fresh");
    crash(node);
    node.target = fresh;
    node.started = false;
    node.restarts++;
    bringUp(node);
    start(node);
  }

  private void resume(Node node) {
    if (node.up) {
      return;
    }
    bringUp(node);
    reschedule(node, false);
  }

  private void call(Node node, Command command) {
    command.run(now, node.outbox());
    reschedule(node, false);
  }

  private <T> T apply(Node node, Query<T> query) {
    T result = query.run(now, node.outbox());
    reschedule(node, false);
    return result;
  }

  private void deliverNow(Node node, Endpoint from, ByteBuffer packet, Delivery delivery) {
    if (!node.up) {
      throw new IllegalStateException(node + " is down");
    }
    node.target.onPacket(now, from, packet, delivery, node.outbox);
    reschedule(node, false);
  }

  // ------------------------------------------------------------------ running

  /**
   * Runs every packet and timer due at or before {@code untilMillis}, in order, then sets the clock
   * to {@code untilMillis} (if it is not past it already).
   */
  public void runUntil(long untilMillis) {
    refresh();
    Scheduled e;
    while ((e = queue.peek()) != null && e.at <= untilMillis) {
      queue.poll();
      dispatch(e);
    }
    if (untilMillis > now) {
      now = untilMillis;
    }
  }

  /** Runs for {@code millis} of virtual time. */
  public void runFor(long millis) {
    if (millis < 0) {
      throw new IllegalArgumentException("cannot run for " + millis + " ms");
    }
    runUntil(now + millis);
  }

  /**
   * Runs until {@code condition} holds, checking it before the run and after each millisecond in which
   * something happened, for at most {@code maxMillis} of virtual time. The clock stops at the first
   * millisecond after which the condition holds, or at the bound.
   *
   * @return whether the condition holds
   */
  public boolean runUntil(BooleanSupplier condition, long maxMillis) {
    if (maxMillis < 0) {
      throw new IllegalArgumentException("cannot run for " + maxMillis + " ms");
    }
    long end = now + maxMillis;
    refresh();
    if (condition.getAsBoolean()) {
      return true;
    }
    while (true) {
      Scheduled e = queue.peek();
      if (e == null || e.at > end) {
        now = Math.max(now, end);
        return condition.getAsBoolean();
      }
      long t = Math.max(e.at, now);
      while ((e = queue.peek()) != null && e.at <= t) {
        queue.poll();
        dispatch(e);
      }
      if (condition.getAsBoolean()) {
        return true;
      }
    }
  }

  /**
   * Runs until {@code condition} holds, checking it every {@code everyMillis} of virtual time (for a
   * condition too costly to check every millisecond), for at most {@code maxMillis}.
   *
   * @return whether the condition holds
   */
  public boolean runUntil(BooleanSupplier condition, long maxMillis, long everyMillis) {
    if (maxMillis < 0) {
      throw new IllegalArgumentException("cannot run for " + maxMillis + " ms");
    }
    if (everyMillis <= 0) {
      throw new IllegalArgumentException("check interval must be positive, got " + everyMillis);
    }
    long end = now + maxMillis;
    refresh();
    if (condition.getAsBoolean()) {
      return true;
    }
    while (now < end) {
      runUntil(Math.min(now + everyMillis, end));
      if (condition.getAsBoolean()) {
        return true;
      }
    }
    return false;
  }

  /**
   * Delivers every packet in flight, and every packet those deliveries cause, without firing any
   * timer: the network falls quiet, for a test that must see the nodes' state with nothing travelling.
   * The clock moves to the last arrival; timers that came due meanwhile fire when the next run starts.
   */
  public void deliverInFlight() {
    List<Scheduled> timers = new ArrayList<>();
    Scheduled e;
    while ((e = queue.poll()) != null) {
      if (e.packet == null) {
        timers.add(e);
      } else {
        dispatch(e);
      }
    }
    queue.addAll(timers);
  }

  /** Packets sent and not yet arrived (dropped ones excluded). */
  public long packetsInFlight() {
    return inFlight;
  }

  /** Re-reads the deadline of every node that is up, for changes made outside the network's calls. */
  private void refresh() {
    for (int i = 0; i < nodes.size(); i++) {
      reschedule(nodes.get(i), false);
    }
  }

  private void reschedule(Node node, boolean afterTick) {
    if (!node.up) {
      return;
    }
    long d = node.target.nextDeadlineMillis();
    if (d == node.scheduled) {
      return;
    }
    node.scheduled = d;
    if (d == Long.MAX_VALUE) {
      return;
    }
    // A deadline already passed fires now; after a tick it must move on, or a node that keeps
    // reporting a past deadline would spin at one instant: it is ticked again a millisecond later.
    long at = Math.max(d, afterTick ? now + 1 : now);
    queue.add(new Scheduled(at, seq++, null, node, node.generation, d));
  }

  private void dispatch(Scheduled e) {
    if (e.at > now) {
      now = e.at;
    }
    if (e.packet != null) {
      inFlight--;
      arrive(e.packet);
      return;
    }
    Node node = e.node;
    if (!node.up || node.generation != e.generation || node.scheduled != e.deadline) {
      return; // stale: the node went down or its deadline moved since this wake-up was queued
    }
    node.scheduled = Long.MAX_VALUE;
    node.target.onTick(now, node.outbox);
    reschedule(node, true);
  }

  private void arrive(Packet p) {
    Node target = byEndpoint.get(p.to());
    if (target == null || !target.up) {
      undeliverable++;
      return;
    }
    delivered++;
    target.packetsReceived++;
    for (int i = 0; i < deliveryListeners.size(); i++) {
      deliveryListeners.get(i).accept(p);
    }
    target.target.onPacket(now, p.from(), ByteBuffer.wrap(p.bytes()), p.delivery(), target.outbox);
    reschedule(target, false);
  }

  private void send(Node from, Endpoint to, ByteBuffer buffer, Delivery delivery) {
    byte[] bytes = new byte[buffer.remaining()];
    buffer.get(buffer.position(), bytes);
    Packet p = new Packet(now, from.endpoint, to, bytes, delivery);
    sent++;
    datagramsSent += delivery == Delivery.DATAGRAM ? 1 : 0;
    bytesSent += bytes.length;
    from.packetsSent++;
    for (int i = 0; i < sniffers.size(); i++) {
      sniffers.get(i).accept(p);
    }
    if (!from.up) {
      undeliverable++;
      return;
    }
    for (int i = 0; i < rules.size(); i++) {
      LinkRule r = rules.get(i);
      if (r.scope.covers(delivery) && r.link.test(from.endpoint, to)) {
        blocked++;
        return;
      }
    }
    if (loss > 0 && lossScope.covers(delivery) && lossRandom.nextDouble() < loss) {
      lost++;
      return;
    }
    int copies = 1;
    if (duplication > 0 && duplicationScope.covers(delivery) && duplicationRandom.nextDouble() < duplication) {
      copies = 2;
      duplicated++;
    }
    for (int c = 0; c < copies; c++) {
      long delay = latency.delayMillis(from.endpoint, to, delivery, latencyRandom);
      if (delay < 0) {
        throw new IllegalStateException("latency model returned " + delay + " ms");
      }
      inFlight++;
      queue.add(new Scheduled(now + delay, seq++, p, null, 0, 0));
    }
  }

  private void emit(Node node, ProtocolEvent event) {
    if (collectEvents) {
      node.events.add(event);
    }
    for (int i = 0; i < eventListeners.size(); i++) {
      eventListeners.get(i).onEvent(node, now, event);
    }
  }

  // ------------------------------------------------------------------ counters

  /** Packets nodes have sent, both kinds. */
  public long packetsSent() {
    return sent;
  }

  /** Packets of kind {@code delivery} nodes have sent. */
  public long packetsSent(Delivery delivery) {
    return delivery == Delivery.DATAGRAM ? datagramsSent : sent - datagramsSent;
  }

  /** Bytes of the packets nodes have sent. */
  public long bytesSent() {
    return bytesSent;
  }

  /** Packets handed to their destination. */
  public long packetsDelivered() {
    return delivered;
  }

  /** Packets dropped by random loss. */
  public long packetsLost() {
    return lost;
  }

  /** A snapshot of every counter. */
  public NetworkStats stats() {
    return new NetworkStats(sent, datagramsSent, sent - datagramsSent, bytesSent, delivered, lost, duplicated,
        blocked, undeliverable, inFlight);
  }

  @Override
  public String toString() {
    return "VirtualNetwork[seed " + seed + ", " + now + " ms, " + live.size() + "/" + nodes.size() + " nodes up, "
        + inFlight + " packets in flight]";
  }

  // ------------------------------------------------------------------ types

  /** One packet arrival or node wake-up, ordered by time then by when it was queued. */
  private static final class Scheduled {
    final long at;
    final long seq;
    final Packet packet;
    final Node node;
    final long generation;
    final long deadline;

    Scheduled(long at, long seq, Packet packet, Node node, long generation, long deadline) {
      this.at = at;
      this.seq = seq;
      this.packet = packet;
      this.node = node;
      this.generation = generation;
      this.deadline = deadline;
    }
  }

  /** A rule dropping packets on some links; see {@link #drop}. */
  public final class LinkRule {
    private final BiPredicate<Endpoint, Endpoint> link;
    private final Traffic scope;

    private LinkRule(BiPredicate<Endpoint, Endpoint> link, Traffic scope) {
      this.link = link;
      this.scope = scope;
    }

    /** Stops dropping: packets sent from now on pass. */
    public void remove() {
      rules.remove(this);
    }

    /** Whether the rule still drops packets. */
    public boolean isActive() {
      return rules.contains(this);
    }

    /** Which packets the rule drops. */
    public Traffic scope() {
      return scope;
    }
  }

  /**
   * A node of the network: its name and endpoint, the protocol node it runs, whether it is up, what it
   * emitted. Its methods are shorthands for the network's.
   */
  public final class Node {
    private final int index;
    private final String name;
    private final Endpoint endpoint;
    private final List<ProtocolEvent> events = new ArrayList<>();
    private final Outbox outbox;
    private ProtocolNode target;
    private boolean up = true;
    private boolean started;
    private long generation;
    private long scheduled = Long.MAX_VALUE;
    private int livePosition = -1;
    private int restarts;
    private long packetsSent;
    private long packetsReceived;

    private Node(int index, String name, Endpoint endpoint, ProtocolNode target) {
      this.index = index;
      this.name = name;
      this.endpoint = endpoint;
      this.target = target;
      this.outbox = new Outbox() {
        @Override
        public void send(Endpoint to, ByteBuffer packet, Delivery delivery) {
          VirtualNetwork.this.send(Node.this, to, packet, delivery);
        }

        @Override
        public void emit(ProtocolEvent event) {
          VirtualNetwork.this.emit(Node.this, event);
        }
      };
    }

    /** Its position among the network's nodes, in the order they were added. */
    public int index() {
      return index;
    }

    /** Its name. */
    public String name() {
      return name;
    }

    /** Its endpoint. */
    public Endpoint endpoint() {
      return endpoint;
    }

    /** The protocol node it runs now (a fresh one after {@link #restart}). */
    public ProtocolNode protocolNode() {
      return target;
    }

    /**
     * The stack it runs now.
     *
     * @throws IllegalStateException if it runs a plain {@link ProtocolNode}
     */
    public ProtocolStack stack() {
      if (target instanceof ProtocolStack stack) {
        return stack;
      }
      throw new IllegalStateException(this + " runs " + target.getClass().getName() + ", not a ProtocolStack");
    }

    /**
     * The first protocol of class {@code type} on its stack.
     *
     * @throws IllegalArgumentException if the stack has none
     */
    public <P> P protocol(Class<P> type) {
      P p = stack().protocol(type);
      if (p == null) {
        throw new IllegalArgumentException(this + " runs no " + type.getSimpleName() + ": " + target);
      }
      return p;
    }

    /** Whether it is up (added, restarted or resumed, and not crashed since). */
    public boolean isUp() {
      return up;
    }

    /** Whether its current life was started ({@link #start()}, or a {@link #restart}). */
    public boolean isStarted() {
      return started;
    }

    /** How many times it was restarted. */
    public int restarts() {
      return restarts;
    }

    /**
     * Its outbox: sends happen at the network's current time. Prefer {@link #call}, which also re-reads
     * the node's deadline; a command run directly against this outbox between runs is seen too,
     * since every run starts by re-reading every deadline.
     */
    public Outbox outbox() {
      // A stack with a seal seals what commands send, as it does what it sends itself.
      return target instanceof ProtocolStack stack ? stack.outbox(outbox) : outbox;
    }

    /** The events it emitted, oldest first, across restarts; a live list the test may clear. */
    public List<ProtocolEvent> events() {
      return events;
    }

    /** The events of class {@code type} it emitted, oldest first. */
    public <E> List<E> events(Class<E> type) {
      List<E> list = new ArrayList<>();
      for (ProtocolEvent e : events) {
        if (type.isInstance(e)) {
          list.add(type.cast(e));
        }
      }
      return list;
    }

    /** Packets it sent. */
    public long packetsSent() {
      return packetsSent;
    }

    /** Packets delivered to it (not counting {@link #deliverNow}). */
    public long packetsReceived() {
      return packetsReceived;
    }

    /**
     * Starts its stack ({@link ProtocolStack#start}) now; for a plain protocol node, arms its timer. No-op
     * if it was already started in this life.
     */
    public Node start() {
      VirtualNetwork.this.start(this);
      return this;
    }

    /**
     * Crashes it without a word: no more timers or deliveries, packets to it are lost, and anything it
     * is made to send is lost. Its state stays for inspection. No-op if it is down.
     */
    public Node crash() {
      VirtualNetwork.this.crash(this);
      return this;
    }

    /**
     * Replaces it, at the same endpoint and name, with {@code fresh} (a new life: a stack built anew),
     * up and started at once. A node that is up is crashed first.
     */
    public Node restart(ProtocolNode fresh) {
      VirtualNetwork.this.restart(this, fresh);
      return this;
    }

    /** Brings a crashed node back with the state it had, as after a pause. No-op if it is up. */
    public Node resume() {
      VirtualNetwork.this.resume(this);
      return this;
    }

    /** Runs an application command against it now, with its outbox, then re-reads its deadline. */
    public Node call(Command command) {
      VirtualNetwork.this.call(this, command);
      return this;
    }

    /** Runs an application command that returns a value; see {@link #call}. */
    public <T> T apply(Query<T> query) {
      return VirtualNetwork.this.apply(this, query);
    }

    /**
     * Hands it {@code packet} now, as if it had just arrived from {@code from}: a hand-crafted or
     * hostile packet, outside the network's counters and faults.
     *
     * @throws IllegalStateException if the node is down
     */
    public Node deliverNow(Endpoint from, ByteBuffer packet, Delivery delivery) {
      VirtualNetwork.this.deliverNow(this, from, packet, delivery);
      return this;
    }

    @Override
    public String toString() {
      return name + "@" + endpoint + (up ? "" : " (down)");
    }
  }

  /** Uniform sampling over the live nodes; see {@link #uniformPeers}. */
  private final class UniformPeers implements PeerSampler {
    private final Endpoint self;
    private final SplittableRandom random;

    UniformPeers(Endpoint self, SplittableRandom random) {
      this.self = self;
      this.random = random;
    }

    private boolean selfLive() {
      Node me = byEndpoint.get(self);
      return me != null && me.up;
    }

    @Override
    public void sample(int k, List<Endpoint> out) {
      int others = live.size() - (selfLive() ? 1 : 0);
      int want = Math.min(k, others);
      int added = 0;
      for (int tries = 0; added < want && tries < 20 * (want + 1); tries++) {
        Endpoint e = live.get(random.nextInt(live.size())).endpoint;
        if (!e.equals(self) && !out.contains(e)) {
          out.add(e);
          added++;
        }
      }
      if (added < want) {
        // Few candidates left (a small network, or k close to its size): choose among them directly.
        List<Endpoint> rest = new ArrayList<>();
        for (Node n : live) {
          if (!n.endpoint.equals(self) && !out.contains(n.endpoint)) {
            rest.add(n.endpoint);
          }
        }
        while (added < want && !rest.isEmpty()) {
          out.add(rest.remove(random.nextInt(rest.size())));
          added++;
        }
      }
    }

    @Override
    public int size() {
      return live.size() - (selfLive() ? 1 : 0);
    }
  }
}
