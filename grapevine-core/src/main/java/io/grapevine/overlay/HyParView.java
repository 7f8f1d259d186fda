// SPDX-License-Identifier: Apache-2.0
package io.grapevine.overlay;

import io.grapevine.config.HyParViewConfig;
import io.grapevine.stack.Protocol;
import io.grapevine.stack.ProtocolContext;
import io.grapevine.wire.MessageRange;
import io.grapevine.api.MemberEvent;
import io.grapevine.node.Delivery;
import io.grapevine.node.Endpoint;
import io.grapevine.node.Outbox;
import io.grapevine.node.PeerSampler;
import io.grapevine.wire.DropReason;
import io.grapevine.wire.MalformedPacketException;
import io.grapevine.wire.MessageType;
import io.grapevine.wire.PacketReader;
import io.grapevine.wire.PacketWriter;
import io.grapevine.wire.WireFormat;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * HyParView (Leitão, Pereira, Rodrigues 2007): a peer-sampling service with two partial views, as an
 * {@link Protocol} that is also the {@link PeerSampler} of the protocols beside it.
 *
 * <p>The small <b>active view</b> (default 5 = log10 N + 1) is symmetric and carries all traffic;
 * {@link #sample} draws from it. The larger <b>passive view</b> (default 30) is a backup filled by
 * random walks and shuffles. A joining node sends JOIN to a contact, which takes it into its active
 * view and starts FORWARD_JOIN random walks along its other active peers: the walk ends in an active
 * view after {@code activeRandomWalkLength} hops (or at a node with a single neighbor) and leaves the
 * joiner in a passive view at hop {@code passiveRandomWalkLength}. A full active view drops a random
 * member (DISCONNECT; it moves to the passive view).
 *
 * <p><b>Failure detection.</b> The paper uses TCP connection failures; here each node sends a
 * KEEPALIVE to every active peer once per round, and an active peer heard from neither by keep-alive
 * nor by any other message for {@code failureTimeout} is taken as failed; a faster signal (a failed
 * send, a membership DEAD/LEFT verdict) comes in through {@link #peerFailed}. A hole in the active view
 * is repaired from the passive view: NEIGHBOR with high priority if the active view is empty (must
 * be accepted), low otherwise (accepted only if the receiver has room); a candidate that does not
 * answer within {@code neighborTimeout} is dropped from the passive view, a refusing one stays.
 *
 * <p><b>Shuffle.</b> Once per round a node sends SHUFFLE with itself, {@code shuffleActive} active
 * and {@code shufflePassive} passive entries on a random walk of {@code shuffleTtl} hops; the node
 * where it ends answers with as many of its passive entries, and both merge what they received into
 * their passive views, evicting first the entries they sent. This is the Cyclon-style exchange of
 * view samples that keeps the passive views fresh and random; there is no separate Cyclon protocol.
 *
 * <p>A KEEPALIVE from a node not in the active view is answered with DISCONNECT, which keeps the
 * active views symmetric. Every message carries its sender's advertised endpoint (drivers may see
 * another source address). All messages are datagrams; losses are repaired by the timers above.
 */
public final class HyParView implements Protocol<HyParView.Message>, PeerSampler {
  /** Most endpoints a shuffle may carry; more is malformed. */
  public static final int MAX_SHUFFLE_ENTRIES = 64;

  /** Told when the active view changes; Plumtree builds its tree on these calls. */
  public interface Listener {
    void neighborUp(long nowMillis, Endpoint peer, Outbox out);

    void neighborDown(long nowMillis, Endpoint peer, Outbox out);
  }

  // ------------------------------------------------------------------ wire records

  /** A message of this protocol on the wire. */
  public sealed interface Message permits Join, ForwardJoin, Neighbor, NeighborReply, Disconnect, Shuffle, ShuffleReply, KeepAlive {}

  record Join(Endpoint sender) implements Message {}

  record ForwardJoin(Endpoint sender, Endpoint newNode, int ttl) implements Message {}

  record Neighbor(Endpoint sender, boolean highPriority) implements Message {}

  record NeighborReply(Endpoint sender, boolean accepted) implements Message {}

  record Disconnect(Endpoint sender) implements Message {}

  record Shuffle(Endpoint sender, Endpoint origin, int ttl, List<Endpoint> entries) implements Message {}

  record ShuffleReply(Endpoint sender, List<Endpoint> entries) implements Message {}

  record KeepAlive(Endpoint sender) implements Message {}

  /**
   * A small set of endpoints in arrays, with each endpoint's hash beside it: membership tests scan
   * the packed hashes and compare addresses only on a hash match, which keeps them cheap when the
   * views of a hundred thousand nodes do not fit in the processor caches.
   */
  static final class PeerList {
    Endpoint[] items;
    int[] hashes;
    long[] heardMillis;
    int size;

    PeerList(int capacity) {
      items = new Endpoint[Math.max(1, capacity)];
      hashes = new int[items.length];
      heardMillis = new long[items.length];
    }

    int indexOf(Endpoint e) {
      int h = e.hashCode();
      for (int i = 0; i < size; i++) {
        if (hashes[i] == h && (items[i] == e || items[i].equals(e))) {
          return i;
        }
      }
      return -1;
    }

    boolean contains(Endpoint e) {
      return indexOf(e) >= 0;
    }

    Endpoint get(int i) {
      return items[i];
    }

    boolean isEmpty() {
      return size == 0;
    }

    void add(Endpoint e, long heard) {
      if (size == items.length) {
        int cap = items.length * 2;
        items = Arrays.copyOf(items, cap);
        hashes = Arrays.copyOf(hashes, cap);
        heardMillis = Arrays.copyOf(heardMillis, cap);
      }
      items[size] = e;
      hashes[size] = e.hashCode();
      heardMillis[size] = heard;
      size++;
    }

    /** Removes entry {@code i}, moving the last entry into its place. */
    void removeAt(int i) {
      int last = --size;
      items[i] = items[last];
      hashes[i] = hashes[last];
      heardMillis[i] = heardMillis[last];
      items[last] = null;
    }

    boolean remove(Endpoint e) {
      int i = indexOf(e);
      if (i >= 0) {
        removeAt(i);
        return true;
      }
      return false;
    }

    List<Endpoint> copy() {
      List<Endpoint> out = new ArrayList<>(size);
      for (int i = 0; i < size; i++) {
        out.add(items[i]);
      }
      return out;
    }
  }

  /** Whether {@code list} holds {@code e}; compares hashes first (lists of a few entries). */
  private static boolean containsEndpoint(List<Endpoint> list, Endpoint e) {
    int h = e.hashCode();
    for (int i = 0; i < list.size(); i++) {
      Endpoint x = list.get(i);
      if (x == e || (x.hashCode() == h && x.equals(e))) {
        return true;
      }
    }
    return false;
  }

  private final HyParViewConfig config;
  private final RandomGenerator random;
  private final PeerList active;
  private final PeerList passive;
  private final List<Listener> listeners = new ArrayList<>();
  private final List<Endpoint> contacts = new ArrayList<>();
  private final List<Endpoint> lastShuffleSent = new ArrayList<>();
  private final List<Endpoint> scratch = new ArrayList<>();
  private final HyParViewStats stats = new HyParViewStats();
  private ProtocolContext ctx;
  private Endpoint self;
  private PacketWriter writer;

  private long nextRoundMillis = Long.MAX_VALUE;
  private Endpoint pendingCandidate;
  private long pendingDeadlineMillis = Long.MAX_VALUE;
  private long nextJoinMillis = Long.MAX_VALUE;
  /** Since when the active view has been short with no candidate answering; MAX when it is full. */
  private long shortSinceMillis = Long.MAX_VALUE;
  /** Wait before the next re-join: doubles after a re-join that taught this node no new peer. */
  private long rejoinWaitMillis;
  /** Peers newly added to either view (a running count), and its value at the last re-join. */
  private long peersLearned;
  private long peersLearnedAtRejoin = -1;
  /** The seed of the last JOIN, whether it answered, and where in the seed list it was. */
  private Endpoint joinContact;
  private boolean joinAnswered;
  private int contactCursor;
  private long now;

  /** @param random this protocol's randomness; seed it for reproducible runs */
  public HyParView(HyParViewConfig config, RandomGenerator random) {
    this.config = config;
    this.random = random;
    this.active = new PeerList(config.activeViewSize + 1);
    this.passive = new PeerList(config.passiveViewSize + 1);
  }

  @Override
  public void attach(ProtocolContext context) {
    this.ctx = context;
    this.self = context.localEndpoint();
    int clusterBytes = context.clusterName().getBytes(StandardCharsets.UTF_8).length;
    int entries = 1 + config.shuffleActive + config.shufflePassive;
    int needed = WireFormat.overhead(clusterBytes) + WireFormat.MESSAGE_HEADER_LENGTH + 2 + 19 * (2 + entries) + 64;
    this.writer = new PacketWriter(Math.min(Math.max(needed, context.datagramBytes() / 8), context.datagramBytes()),
        context.clusterName());
  }

  /** Adds a listener of active-view changes. */
  public void addListener(Listener listener) {
    listeners.add(listener);
  }

  /** The protocol's name on a stack. */
  public static final String PROTOCOL_NAME = "hyparview";

  @Override
  public String protocolName() {
    return PROTOCOL_NAME;
  }

  @Override
  public MessageRange messageTypes() {
    return MessageRange.HYPARVIEW;
  }

  public HyParViewConfig config() {
    return config;
  }

  public HyParViewStats stats() {
    return stats;
  }

  // ------------------------------------------------------------------ views

  /** The active view (a copy). */
  public List<Endpoint> activeView() {
    return active.copy();
  }

  /** The passive view (a copy). */
  public List<Endpoint> passiveView() {
    return passive.copy();
  }

  public int activeSize() {
    return active.size;
  }

  /** Number of entries in the passive view. */
  public int passiveSize() {
    return passive.size;
  }

  /** Active peer {@code i} (0 ≤ i &lt; {@link #activeSize()}), for allocation-free iteration. */
  public Endpoint activePeer(int i) {
    return active.get(i);
  }

  public boolean isActive(Endpoint peer) {
    return indexOfActive(peer) >= 0;
  }

  /** Draws up to {@code k} distinct peers from the active view. */
  @Override
  public void sample(int k, List<Endpoint> out) {
    int n = active.size;
    int want = Math.min(k, n);
    int added = 0;
    // Partial Fisher-Yates over indices without allocating: views are small.
    int start = n == 0 ? 0 : random.nextInt(n);
    int step = n <= 1 ? 1 : 1 + random.nextInt(n - 1);
    while (gcd(step, n) != 1) {
      step++;
    }
    for (int i = 0; i < n && added < want; i++) {
      Endpoint e = active.get((start + i * step) % n);
      if (!containsEndpoint(out, e)) {
        out.add(e);
        added++;
      }
    }
  }

  private static int gcd(int a, int b) {
    while (b != 0) {
      int t = a % b;
      a = b;
      b = t;
    }
    return a;
  }

  /** Peers this node knows: active plus passive (a rough lower bound of the cluster size). */
  @Override
  public int size() {
    return active.size + passive.size;
  }

  // ------------------------------------------------------------------ commands

  @Override
  public void start(long nowMillis, io.grapevine.node.Outbox out) {
    start(nowMillis);
  }

  /** Starts the round timer without joining (the first node of a cluster). */
  public void start(long nowMillis) {
    if (nextRoundMillis == Long.MAX_VALUE) {
      nextRoundMillis = nowMillis + 1 + random.nextLong(config.roundInterval.toMillis());
    }
  }

  /**
   * Joins through {@code seeds}: sends JOIN to one at random and retries (another seed) every
   * {@code neighborTimeout} while the active view stays empty.
   */
  public void join(long nowMillis, List<Endpoint> seeds, Outbox out) {
    this.now = nowMillis;
    start(nowMillis);
    contacts.clear();
    for (Endpoint e : seeds) {
      if (!e.equals(self) && !contacts.contains(e)) {
        contacts.add(e);
      }
    }
    sendJoin(nowMillis, out);
  }

  private void sendJoin(long nowMillis, Outbox out) {
    sendJoin(nowMillis, true, out);
  }

  /**
   * @param addContact take the contact into the active view at once (a first join: the view is
   *     empty); a re-join waits for the contact's reply instead, so a dead seed never enters the view
   */
  private void sendJoin(long nowMillis, boolean addContact, Outbox out) {
    if (contacts.isEmpty()) {
      nextJoinMillis = Long.MAX_VALUE;
      return;
    }
    // A first join picks a seed at random; re-joins go round the list, so a dead seed is not
    // tried twice in a row. Prefer a seed not already active: a re-join through a neighbor could not
    // leave a fragment.
    int start = addContact ? random.nextInt(contacts.size()) : (contactCursor + 1) % contacts.size();
    int chosen = start;
    for (int i = 0; i < contacts.size(); i++) {
      int k = (start + i) % contacts.size();
      if (active.indexOf(contacts.get(k)) < 0) {
        chosen = k;
        break;
      }
    }
    contactCursor = chosen;
    Endpoint contact = contacts.get(chosen);
    joinContact = contact;
    joinAnswered = false;
    if (addContact) {
      // The contact takes us into its active view at once; we do the same so the link is symmetric.
      addActive(nowMillis, contact, false, out);
    }
    send(out, contact, MessageType.HPV_JOIN, 0, null, 0, null);
    stats.joinsSent++;
    nextJoinMillis = nowMillis + config.failureTimeout.toMillis();
  }

  // ------------------------------------------------------------------ decoding

  @Override
  public Message decode(PacketReader r) throws MalformedPacketException {
    MessageType type = MessageType.of(r.type());
    if (type == null) {
      throw new MalformedPacketException(DropReason.UNKNOWN_TYPE, "type " + (r.type() & 0xff));
    }
    Endpoint sender = r.getEndpoint();
    Message m = switch (type) {
      case HPV_JOIN -> new Join(sender);
      case HPV_FORWARD_JOIN -> {
        Endpoint newNode = r.getEndpoint();
        int ttl = r.getByte();
        yield new ForwardJoin(sender, newNode, ttl);
      }
      case HPV_NEIGHBOR -> new Neighbor(sender, flag(r));
      case HPV_NEIGHBOR_REPLY -> new NeighborReply(sender, flag(r));
      case HPV_DISCONNECT -> new Disconnect(sender);
      case HPV_SHUFFLE -> {
        Endpoint origin = r.getEndpoint();
        int ttl = r.getByte();
        yield new Shuffle(sender, origin, ttl, entries(r));
      }
      case HPV_SHUFFLE_REPLY -> new ShuffleReply(sender, entries(r));
      case HPV_KEEPALIVE -> new KeepAlive(sender);
      default -> throw new MalformedPacketException(DropReason.UNKNOWN_TYPE, "type " + type);
    };
    if (r.remaining() != 0) {
      throw new MalformedPacketException(DropReason.BAD_FIELD, r.remaining() + " trailing bytes in " + type);
    }
    return m;
  }

  private static boolean flag(PacketReader r) throws MalformedPacketException {
    int v = r.getByte();
    if (v > 1) {
      throw new MalformedPacketException(DropReason.BAD_FIELD, "flag " + v);
    }
    return v == 1;
  }

  private static List<Endpoint> entries(PacketReader r) throws MalformedPacketException {
    int count = r.getByte();
    if (count > MAX_SHUFFLE_ENTRIES) {
      throw new MalformedPacketException(DropReason.BAD_FIELD, "shuffle of " + count + " entries");
    }
    List<Endpoint> list = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      list.add(r.getEndpoint());
    }
    return list;
  }

  // ------------------------------------------------------------------ handling

  @Override
  public void onMessage(long nowMillis, Endpoint from, Message message, Delivery delivery, Outbox out) {
    this.now = nowMillis;
    start(nowMillis);
    if (message instanceof KeepAlive k) {
      if (!heard(nowMillis, k.sender())) {
        // It thinks we are neighbors, we do not: tell it, so both views stay symmetric.
        send(out, k.sender(), MessageType.HPV_DISCONNECT, 0, null, 0, null);
      }
    } else if (message instanceof Join j) {
      onJoin(nowMillis, j.sender(), out);
    } else if (message instanceof ForwardJoin f) {
      heard(nowMillis, f.sender());
      onForwardJoin(nowMillis, f, out);
    } else if (message instanceof Neighbor n) {
      onNeighbor(nowMillis, n, out);
    } else if (message instanceof NeighborReply n) {
      onNeighborReply(nowMillis, n, out);
    } else if (message instanceof Disconnect d) {
      int i = indexOfActive(d.sender());
      if (i >= 0) {
        removeActive(nowMillis, i, out);
        addPassive(d.sender());
        stats.disconnectsReceived++;
      }
    } else if (message instanceof Shuffle s) {
      heard(nowMillis, s.sender());
      onShuffle(s, out);
    } else if (message instanceof ShuffleReply s) {
      heard(nowMillis, s.sender());
      integrate(s.entries(), lastShuffleSent);
    }
  }

  private boolean heard(long nowMillis, Endpoint peer) {
    int i = active.indexOf(peer);
    if (i >= 0) {
      active.heardMillis[i] = nowMillis;
      return true;
    }
    return false;
  }

  private void onJoin(long nowMillis, Endpoint joiner, Outbox out) {
    if (joiner.equals(self)) {
      return;
    }
    stats.joinsReceived++;
    addActive(nowMillis, joiner, true, out);
    // Accepted, as a NEIGHBOR would be: a re-joining node takes us into its view on this reply.
    send(out, joiner, MessageType.HPV_NEIGHBOR_REPLY, 0, null, 1, null);
    for (int i = 0; i < active.size; i++) {
      Endpoint p = active.get(i);
      if (!p.equals(joiner)) {
        send(out, p, MessageType.HPV_FORWARD_JOIN, config.activeRandomWalkLength, joiner, 0, null);
      }
    }
  }

  private void onForwardJoin(long nowMillis, ForwardJoin f, Outbox out) {
    Endpoint joiner = f.newNode();
    if (joiner.equals(self)) {
      return;
    }
    if (f.ttl() == 0 || active.size <= 1) {
      if (indexOfActive(joiner) < 0) {
        addActive(nowMillis, joiner, true, out);
        // High priority: the joiner must take us too, or the link would be one-sided.
        send(out, joiner, MessageType.HPV_NEIGHBOR, 0, null, 1, null);
      }
      return;
    }
    if (f.ttl() == config.passiveRandomWalkLength) {
      addPassive(joiner);
    }
    Endpoint next = randomActiveExcept(f.sender(), joiner);
    if (next == null) {
      addActive(nowMillis, joiner, true, out);
      send(out, joiner, MessageType.HPV_NEIGHBOR, 0, null, 1, null);
      return;
    }
    send(out, next, MessageType.HPV_FORWARD_JOIN, f.ttl() - 1, joiner, 0, null);
  }

  private void onNeighbor(long nowMillis, Neighbor n, Outbox out) {
    Endpoint s = n.sender();
    if (s.equals(self)) {
      return;
    }
    boolean accept = heard(nowMillis, s) || n.highPriority() || active.size < config.activeViewSize;
    if (accept) {
      addActive(nowMillis, s, true, out);
    } else {
      addPassive(s);
      stats.neighborRefused++;
    }
    send(out, s, MessageType.HPV_NEIGHBOR_REPLY, 0, null, accept ? 1 : 0, null);
  }

  private void onNeighborReply(long nowMillis, NeighborReply n, Outbox out) {
    Endpoint s = n.sender();
    if (s.equals(pendingCandidate)) {
      pendingCandidate = null;
      pendingDeadlineMillis = Long.MAX_VALUE;
    }
    if (s.equals(joinContact)) {
      joinAnswered = true;
    }
    if (shortSinceMillis != Long.MAX_VALUE) {
      // A live candidate answered: repair is under way, not stranded (see rejoinIfStranded).
      shortSinceMillis = nowMillis;
    }
    if (n.accepted()) {
      if (indexOfActive(s) < 0) {
        addActive(nowMillis, s, true, out);
        stats.promotions++;
      }
    } else if (active.isEmpty()) {
      // Refused while isolated: try the next candidate at once rather than a round later.
      promote(nowMillis, out);
    }
  }

  private void onShuffle(Shuffle s, Outbox out) {
    if (s.origin().equals(self)) {
      return;
    }
    if (s.ttl() > 0 && active.size > 1) {
      Endpoint next = randomActiveExcept(s.sender(), s.origin());
      if (next != null) {
        sendShuffle(out, next, s.origin(), s.ttl() - 1, s.entries());
        return;
      }
    }
    scratch.clear();
    sampleInto(passive, s.entries().size(), scratch);
    List<Endpoint> reply = new ArrayList<>(scratch);
    send(out, s.origin(), MessageType.HPV_SHUFFLE_REPLY, 0, null, 0, reply);
    stats.shufflesAnswered++;
    integrate(s.entries(), reply);
  }

  /** Merges received entries into the passive view, evicting first those in {@code sent}. */
  private void integrate(List<Endpoint> received, List<Endpoint> sent) {
    for (Endpoint e : received) {
      if (e.equals(self) || active.contains(e) || passive.contains(e)) {
        continue;
      }
      if (passive.size >= config.passiveViewSize) {
        int victim = -1;
        for (int i = 0; i < sent.size() && victim < 0; i++) {
          victim = passive.indexOf(sent.get(i));
        }
        if (victim < 0) {
          victim = random.nextInt(passive.size);
        }
        passive.removeAt(victim);
      }
      passive.add(e, 0);
      peersLearned++;
    }
  }

  // ------------------------------------------------------------------ failure signals

  /**
   * Tells this node that {@code peer} is unreachable, as the paper's TCP send failure does: it
   * leaves both views at once and a passive peer is asked to fill the hole, without waiting for
   * {@code failureTimeout}. Drivers call it when a send to the peer fails; a membership host calls
   * it through {@link #onPeerEvent} when the peer is declared dead or leaves.
   */
  public void peerFailed(long nowMillis, Endpoint peer, Outbox out) {
    this.now = nowMillis;
    boolean known = false;
    int i = active.indexOf(peer);
    if (i >= 0) {
      removeActive(nowMillis, i, out);
      known = true;
    }
    if (passive.remove(peer)) {
      known = true;
    }
    if (peer.equals(pendingCandidate)) {
      pendingCandidate = null;
      pendingDeadlineMillis = Long.MAX_VALUE;
    }
    if (known) {
      stats.failuresReported++;
      promote(nowMillis, out);
    }
  }

  /** On a membership host: a member declared dead or gone is a failed peer (see {@link #peerFailed}). */
  @Override
  public void onPeerEvent(long nowMillis, MemberEvent e, Outbox out) {
    if ((e.type() == MemberEvent.Type.DEAD || e.type() == MemberEvent.Type.LEFT)) {
      peerFailed(nowMillis, e.member().endpoint(), out);
    }
  }

  // ------------------------------------------------------------------ timers

  @Override
  public void onTick(long nowMillis, Outbox out) {
    this.now = nowMillis;
    if (pendingCandidate != null && nowMillis >= pendingDeadlineMillis) {
      passive.remove(pendingCandidate); // no answer: dead
      pendingCandidate = null;
      pendingDeadlineMillis = Long.MAX_VALUE;
      stats.neighborTimeouts++;
      promote(nowMillis, out);
    }
    if (nowMillis >= nextJoinMillis) {
      if (active.isEmpty() && passive.isEmpty()) {
        sendJoin(nowMillis, out);
      } else {
        nextJoinMillis = Long.MAX_VALUE;
      }
    }
    if (nowMillis < nextRoundMillis) {
      return;
    }
    nextRoundMillis = nowMillis + config.roundInterval.toMillis();
    long timeout = config.failureTimeout.toMillis();
    for (int i = active.size - 1; i >= 0; i--) {
      if (nowMillis - active.heardMillis[i] > timeout) {
        stats.failuresDetected++;
        removeActive(nowMillis, i, out);
      }
    }
    promote(nowMillis, out);
    if (active.isEmpty() && passive.isEmpty() && !contacts.isEmpty() && nextJoinMillis == Long.MAX_VALUE) {
      sendJoin(nowMillis, out);
    }
    rejoinIfStranded(nowMillis, out);
    for (int i = 0; i < active.size; i++) {
      send(out, active.get(i), MessageType.HPV_KEEPALIVE, 0, null, 0, null);
    }
    if (!active.isEmpty()) {
      lastShuffleSent.clear();
      lastShuffleSent.add(self);
      sampleActive(config.shuffleActive, lastShuffleSent);
      sampleInto(passive, config.shufflePassive, lastShuffleSent);
      Endpoint target = active.get(random.nextInt(active.size));
      sendShuffle(out, target, self, config.shuffleTtl, lastShuffleSent);
      stats.shufflesSent++;
    }
  }

  /**
   * Re-joins through a seed when the active view has been short for {@code rejoinAfter} and no
   * repair candidate answered in that time: the passive view names only dead nodes or nodes already
   * active, as in a fragment left by a mass crash that no shuffle can lead out of. A refusal counts
   * as an answer, so a short node in a healthy, full overlay does not re-join. A re-join that taught
   * the node no new peer, though its seed answered, doubles the wait before the next (a cluster
   * smaller than the active view).
   */
  private void rejoinIfStranded(long nowMillis, Outbox out) {
    long after = config.rejoinAfter.toMillis();
    if (active.size >= config.activeViewSize) {
      shortSinceMillis = Long.MAX_VALUE;
      rejoinWaitMillis = after;
      peersLearnedAtRejoin = -1;
      return;
    }
    if (shortSinceMillis == Long.MAX_VALUE) {
      shortSinceMillis = nowMillis;
      return;
    }
    if (after == 0 || contacts.isEmpty() || nextJoinMillis != Long.MAX_VALUE) {
      return;
    }
    if (rejoinWaitMillis == 0) {
      rejoinWaitMillis = after;
    }
    if (nowMillis - shortSinceMillis < rejoinWaitMillis) {
      return;
    }
    // A cluster smaller than the active view keeps every view short for good, and re-joining
    // teaches it nothing: after a re-join whose seed answered but taught no new peer, wait twice as
    // long (up to 64 × rejoinAfter). A seed that did not answer is no such sign: try the next.
    if (peersLearnedAtRejoin >= 0) {
      if (peersLearned != peersLearnedAtRejoin) {
        rejoinWaitMillis = after;
      } else if (joinAnswered) {
        rejoinWaitMillis = Math.min(2 * rejoinWaitMillis, 64 * after);
      }
    }
    stats.rejoins++;
    peersLearnedAtRejoin = peersLearned;
    sendJoin(nowMillis, false, out);
    shortSinceMillis = nowMillis;
  }

  /** Asks a random passive peer to fill a hole in the active view, one request at a time. */
  private void promote(long nowMillis, Outbox out) {
    if (pendingCandidate != null || active.size >= config.activeViewSize || passive.isEmpty()) {
      return;
    }
    Endpoint candidate = passive.get(random.nextInt(passive.size));
    pendingCandidate = candidate;
    pendingDeadlineMillis = nowMillis + config.neighborTimeout.toMillis();
    send(out, candidate, MessageType.HPV_NEIGHBOR, 0, null, active.isEmpty() ? 1 : 0, null);
    stats.neighborRequests++;
  }

  @Override
  public long nextDeadlineMillis() {
    return Math.min(nextRoundMillis, Math.min(pendingDeadlineMillis, nextJoinMillis));
  }

  // ------------------------------------------------------------------ view changes

  private void addActive(long nowMillis, Endpoint peer, boolean notify, Outbox out) {
    if (peer.equals(self)) {
      return;
    }
    int existing = active.indexOf(peer);
    if (existing >= 0) {
      active.heardMillis[existing] = nowMillis;
      return;
    }
    if (active.size >= config.activeViewSize) {
      int victim = random.nextInt(active.size);
      Endpoint dropped = active.get(victim);
      removeActive(nowMillis, victim, out);
      send(out, dropped, MessageType.HPV_DISCONNECT, 0, null, 0, null);
      addPassive(dropped);
    }
    passive.remove(peer);
    if (peer.equals(pendingCandidate) && notify) {
      pendingCandidate = null;
      pendingDeadlineMillis = Long.MAX_VALUE;
    }
    active.add(peer, nowMillis);
    peersLearned++;
    for (int i = 0; i < listeners.size(); i++) {
      listeners.get(i).neighborUp(nowMillis, peer, out);
    }
  }

  private void removeActive(long nowMillis, int index, Outbox out) {
    Endpoint peer = active.get(index);
    active.removeAt(index);
    for (int i = 0; i < listeners.size(); i++) {
      listeners.get(i).neighborDown(nowMillis, peer, out);
    }
  }

  private void addPassive(Endpoint peer) {
    if (peer.equals(self) || active.contains(peer) || passive.contains(peer)) {
      return;
    }
    if (passive.size >= config.passiveViewSize) {
      passive.removeAt(random.nextInt(passive.size));
    }
    passive.add(peer, 0);
    peersLearned++;
  }

  private int indexOfActive(Endpoint peer) {
    return active.indexOf(peer);
  }

  private Endpoint randomActiveExcept(Endpoint a, Endpoint b) {
    int n = active.size;
    if (n == 0) {
      return null;
    }
    int start = random.nextInt(n);
    for (int i = 0; i < n; i++) {
      Endpoint e = active.get((start + i) % n);
      if (!e.equals(a) && !e.equals(b)) {
        return e;
      }
    }
    return null;
  }

  private void sampleActive(int k, List<Endpoint> out) {
    sampleInto(active, k, out);
  }

  private void sampleInto(PeerList from, int k, List<Endpoint> out) {
    int n = from.size;
    if (n == 0) {
      return;
    }
    int start = random.nextInt(n);
    for (int i = 0; i < n && k > 0; i++) {
      Endpoint e = from.get((start + i) % n);
      if (!containsEndpoint(out, e)) {
        out.add(e);
        k--;
      }
    }
  }

  // ------------------------------------------------------------------ sending

  private void sendShuffle(Outbox out, Endpoint to, Endpoint origin, int ttl, List<Endpoint> entries) {
    writer.begin();
    writer.beginMessage(MessageType.HPV_SHUFFLE);
    writer.putEndpoint(self).putEndpoint(origin).putByte(ttl);
    putEntries(entries);
    writer.endMessage();
    out.send(to, writer.finish(), Delivery.DATAGRAM);
    stats.messagesSent++;
  }

  private void putEntries(List<Endpoint> entries) {
    int count = Math.min(entries.size(), MAX_SHUFFLE_ENTRIES);
    writer.putByte(count);
    for (int i = 0; i < count; i++) {
      writer.putEndpoint(entries.get(i));
    }
  }

  /** Writes and sends one message: sender, then the fields this type has. */
  private void send(Outbox out, Endpoint to, MessageType type, int ttl, Endpoint node, int flag, List<Endpoint> entries) {
    writer.begin();
    writer.beginMessage(type);
    writer.putEndpoint(self);
    switch (type) {
      case HPV_FORWARD_JOIN -> writer.putEndpoint(node).putByte(ttl);
      case HPV_NEIGHBOR, HPV_NEIGHBOR_REPLY -> writer.putByte(flag);
      case HPV_SHUFFLE_REPLY -> putEntries(entries);
      default -> { }
    }
    writer.endMessage();
    out.send(to, writer.finish(), Delivery.DATAGRAM);
    stats.messagesSent++;
  }
}
