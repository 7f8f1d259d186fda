// SPDX-License-Identifier: Apache-2.0
package io.grapevine.overlay;

import io.grapevine.config.SortedRingConfig;
import io.grapevine.stack.Protocol;
import io.grapevine.stack.ProtocolContext;
import io.grapevine.wire.MessageRange;
import io.grapevine.api.MemberEvent;
import io.grapevine.node.Delivery;
import io.grapevine.node.Endpoint;
import io.grapevine.node.Outbox;
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
 * A T-Man-style sorted ring (Jelasity, Montresor, Babaoglu 2009) with skip-list levels, and the
 * spanning tree they define.
 *
 * <p><b>Ring.</b> Every node has a 64-bit id; the ring orders ids clockwise (unsigned, wrapping). The
 * ranking function of T-Man is the clockwise distance to the successor side and the anticlockwise
 * distance to the predecessor side. Each node keeps, for each level {@code l}, the closest known
 * successor and predecessor among nodes of level ≥ {@code l}; a node's level is the number of
 * trailing zero bits of a hash of its id (level ≥ l with probability 2^-l), so level {@code l} is a
 * ring of about N/2^l nodes: a skip list. Level 0 holds the true successor and predecessor once
 * converged. Each round a node exchanges its tables (push-pull) with one of its table entries (a
 * level-0 neighbor or an entry at a random level) and with {@code randomPeersPerRound} peers drawn
 * from the peer sampler; each side keeps, per level, the closest of what it holds and receives.
 * The higher levels are long links that carry descriptors across the ring in O(log N) hops, and the
 * random peers keep the process from stalling in a wrongly sorted local minimum (the known failure
 * of a plain T-Man with only near neighbors).
 *
 * <p><b>Tree.</b> The parent of a node of level {@code L} is its closest predecessor of level ≥
 * {@code L + 1}. Nodes of the top level (no higher node known) chain to their level-{@code L}
 * predecessor, and the top-level node with the smallest id (its predecessor wraps around) is the
 * root. Levels strictly increase along a path until the top level, so the tree is acyclic and its
 * depth is about log2 N plus the (expected ~1) top-level nodes; each node has about one child per
 * level below its own. Parents need no extra messages: they are read off the level tables.
 *
 * <p><b>Failures.</b> Entries do not time out by themselves: a node leaves the tables when it is
 * reported failed, by {@link #forget} or, on a membership host, by a DEAD or LEFT verdict. Its
 * descriptors are then refused for {@code forgetFailedFor} (exchanges with nodes that have not yet
 * dropped it would bring it back), and the emptied slots refill from the next exchanges, so the
 * ring closes over the gap and the tree re-forms. Without such reports (a bare simulator host) the
 * ring is built over a stable set of nodes.
 */
public final class SortedRing implements Protocol<SortedRing.Exchange> {
  /** Hard cap on descriptors per message. */
  public static final int MAX_DESCRIPTORS = 128;
  /** Highest level tracked. */
  public static final int MAX_LEVEL = 40;

  /** An (id, endpoint) pair. */
  public record Descriptor(long id, Endpoint endpoint) {}

  record Exchange(boolean reply, long senderId, Endpoint sender, long[] ids, Endpoint[] endpoints) {}

  private final SortedRingConfig config;
  private final long id;
  private final int level;
  private final RandomGenerator random;
  // Per level: closest successor / predecessor of level >= l (null endpoint: none known).
  private long[] succId = new long[8];
  private Endpoint[] succ = new Endpoint[8];
  private long[] predId = new long[8];
  private Endpoint[] pred = new Endpoint[8];
  private int topLevel = -1; // highest level with an entry
  private final List<Endpoint> sampled = new ArrayList<>(4);
  private ProtocolContext ctx;
  private Endpoint self;
  private PacketWriter writer;
  private long nextRoundMillis = Long.MAX_VALUE;
  private long exchanges;
  // Recently failed nodes whose descriptors are refused (bounded; the oldest entry is reused).
  // Allocated at the first failure: most nodes never see one, and a simulated million carry none.
  private Endpoint[] forgotten;
  private long[] forgottenUntilMillis;
  private int forgottenCount;
  private long now;

  /** Failed nodes remembered at once; more failures than this within {@code forgetFailedFor} reuse the oldest slot. */
  static final int FORGOTTEN_CAPACITY = 64;

  /**
   * @param nodeId this node's position on the ring (unique; e.g. a hash of its name)
   * @param random this protocol's randomness
   */
  public SortedRing(SortedRingConfig config, long nodeId, RandomGenerator random) {
    this.config = config;
    this.id = nodeId;
    this.level = levelOf(nodeId);
    this.random = random;
  }

  /** The skip-list level of an id: trailing zero bits of its hash, at most {@link #MAX_LEVEL}. */
  public static int levelOf(long id) {
    long z = io.grapevine.internal.hash.Hash64.mix(id + 0x9E3779B97F4A7C15L);
    return Math.min(MAX_LEVEL, Long.numberOfTrailingZeros(z));
  }

  @Override
  public void attach(ProtocolContext context) {
    ctx = context;
    self = context.localEndpoint();
    int clusterBytes = context.clusterName().getBytes(StandardCharsets.UTF_8).length;
    int needed = WireFormat.overhead(clusterBytes) + WireFormat.MESSAGE_HEADER_LENGTH + 1 + 8 + 19 + 1
        + config.maxDescriptors * 27;
    writer = new PacketWriter(Math.min(needed, Math.max(context.datagramBytes(), 256)), context.clusterName());
  }

  /**
   * The ring id of node {@code nodeName}: a 64-bit hash of the name, so every node computes every
   * other's id from its name alone (names are unique, as membership requires).
   */
  public static long idOf(String nodeName) {
    return io.grapevine.internal.hash.Hash64.mix(io.grapevine.internal.hash.Hash64.fnv1a(nodeName));
  }

  /** The protocol's name on a stack. */
  public static final String PROTOCOL_NAME = "ring";

  @Override
  public String protocolName() {
    return PROTOCOL_NAME;
  }

  @Override
  public MessageRange messageTypes() {
    return MessageRange.RING;
  }

  public long id() {
    return id;
  }

  public int level() {
    return level;
  }

  /** Exchanges started or answered by this node. */
  public long exchanges() {
    return exchanges;
  }

  /** The closest known successor (level 0), or null. */
  public Descriptor successor() {
    return succ[0] == null ? null : new Descriptor(succId[0], succ[0]);
  }

  /** The closest known predecessor (level 0), or null. */
  public Descriptor predecessor() {
    return pred[0] == null ? null : new Descriptor(predId[0], pred[0]);
  }

  /** Successor id, valid when {@link #hasSuccessor()}; allocation-free for the simulator's checks. */
  public long successorId() {
    return succId[0];
  }

  public long predecessorId() {
    return predId[0];
  }

  public boolean hasSuccessor() {
    return succ[0] != null;
  }

  public boolean hasPredecessor() {
    return pred[0] != null;
  }

  /** Whether this node is the tree's root as far as it knows. */
  public boolean isRoot() {
    return parentEndpoint() == null;
  }

  /** This node's tree parent, or null at the root. */
  public Descriptor parent() {
    Endpoint p = parentEndpoint();
    return p == null ? null : new Descriptor(parentId(), p);
  }

  /** The parent's id; meaningful only when not the root. */
  public long parentId() {
    if (level + 1 <= topLevel && pred[level + 1] != null) {
      return predId[level + 1];
    }
    return predId[level];
  }

  private Endpoint parentEndpoint() {
    if (level + 1 <= topLevel && pred[level + 1] != null) {
      return pred[level + 1];
    }
    // Top level: chain to the level predecessor unless it wraps around (then this is the root).
    if (level <= topLevel && pred[level] != null && Long.compareUnsigned(predId[level], id) < 0) {
      return pred[level];
    }
    return null;
  }

  // ------------------------------------------------------------------ ranking

  /** Offers a descriptor to every level table it qualifies for. */
  void offer(long otherId, Endpoint e) {
    if (otherId == id || (forgottenCount > 0 && isForgotten(e))) {
      return;
    }
    int l = Math.min(levelOf(otherId), MAX_LEVEL);
    if (l >= succ.length) {
      // Grown in small steps: levels above log2 N are rare, and every node holds these tables.
      int cap = Math.min(MAX_LEVEL + 1, Math.max(l + 1, succ.length + 4));
      succId = Arrays.copyOf(succId, cap);
      succ = Arrays.copyOf(succ, cap);
      predId = Arrays.copyOf(predId, cap);
      pred = Arrays.copyOf(pred, cap);
      candidates = new long[2 * cap];
      candidateEndpoints = new Endpoint[2 * cap];
    }
    long cw = otherId - id; // clockwise distance, unsigned
    long ccw = id - otherId;
    for (int k = 0; k <= l; k++) {
      if (succ[k] == null || Long.compareUnsigned(cw, succId[k] - id) < 0) {
        succ[k] = e;
        succId[k] = otherId;
      }
      if (pred[k] == null || Long.compareUnsigned(ccw, id - predId[k]) < 0) {
        pred[k] = e;
        predId[k] = otherId;
      }
    }
    if (l > topLevel) {
      topLevel = l;
    }
  }

  /**
   * Takes a failed node out of every level table and refuses its descriptors for {@code
   * forgetFailedFor}; the slots refill from the following exchanges. Drivers call it on a failure
   * signal; a membership host calls it through {@link #onPeerEvent}.
   */
  public void forget(long nowMillis, Endpoint failed) {
    now = Math.max(now, nowMillis);
    for (int l = 0; l < succ.length; l++) {
      if (failed.equals(succ[l])) {
        succ[l] = null;
      }
      if (failed.equals(pred[l])) {
        pred[l] = null;
      }
    }
    while (topLevel >= 0 && succ[topLevel] == null && pred[topLevel] == null) {
      topLevel--;
    }
    if (forgotten == null) {
      forgotten = new Endpoint[FORGOTTEN_CAPACITY];
      forgottenUntilMillis = new long[FORGOTTEN_CAPACITY];
    }
    int slot = -1;
    for (int i = 0; i < forgottenCount && slot < 0; i++) {
      if (failed.equals(forgotten[i])) {
        slot = i;
      }
    }
    if (slot < 0 && forgottenCount < FORGOTTEN_CAPACITY) {
      slot = forgottenCount++;
    }
    if (slot < 0) {
      slot = 0;
      for (int i = 1; i < forgottenCount; i++) {
        if (forgottenUntilMillis[i] < forgottenUntilMillis[slot]) {
          slot = i;
        }
      }
    }
    forgotten[slot] = failed;
    forgottenUntilMillis[slot] = nowMillis + config.forgetFailedFor.toMillis();
  }

  /** Takes a node off the forgotten list (it came back). */
  private void unforget(Endpoint e) {
    for (int i = 0; i < forgottenCount; i++) {
      if (e.equals(forgotten[i])) {
        forgottenCount--;
        forgotten[i] = forgotten[forgottenCount];
        forgottenUntilMillis[i] = forgottenUntilMillis[forgottenCount];
        forgotten[forgottenCount] = null;
        return;
      }
    }
  }

  private boolean isForgotten(Endpoint e) {
    for (int i = 0; i < forgottenCount; i++) {
      if (e.equals(forgotten[i])) {
        if (now < forgottenUntilMillis[i]) {
          return true;
        }
        unforget(e);
        return false;
      }
    }
    return false;
  }

  /** On a membership host: DEAD or LEFT forgets the member, JOINED (back) lets it in again. */
  @Override
  public void onPeerEvent(long nowMillis, MemberEvent e, Outbox out) {
    if (e.type() == MemberEvent.Type.DEAD || e.type() == MemberEvent.Type.LEFT) {
      forget(nowMillis, e.member().endpoint());
    } else if (e.type() == MemberEvent.Type.JOINED) {
      unforget(e.member().endpoint());
    }
  }

  /** Seeds the tables with a known descriptor (e.g. from a join). */
  public void learn(long otherId, Endpoint e) {
    offer(otherId, e);
  }

  // ------------------------------------------------------------------ protocol

  @Override
  public void start(long nowMillis, io.grapevine.node.Outbox out) {
    start(nowMillis);
  }

  /** Starts the protocol's timers. */
  public void start(long nowMillis) {
    if (nextRoundMillis == Long.MAX_VALUE) {
      nextRoundMillis = nowMillis + 1 + random.nextLong(config.roundInterval.toMillis());
    }
  }

  @Override
  public void onTick(long nowMillis, Outbox out) {
    now = nowMillis;
    if (nowMillis < nextRoundMillis) {
      return;
    }
    nextRoundMillis = nowMillis + config.roundInterval.toMillis();
    // Both ring neighbors every round (local repair), one long link (greedy routing towards the
    // right place), and random peers (escape from a wrongly sorted region).
    Endpoint s0 = succ[0];
    Endpoint p0 = pred[0];
    if (s0 != null) {
      sendExchange(out, s0, succId[0], true, false);
    }
    if (p0 != null && !p0.equals(s0)) {
      sendExchange(out, p0, predId[0], true, false);
    }
    if (topLevel >= 1) {
      int l = 1 + random.nextInt(topLevel);
      boolean succSide = random.nextBoolean();
      Endpoint e = succSide ? succ[l] : pred[l];
      if (e != null && !e.equals(s0) && !e.equals(p0)) {
        sendExchange(out, e, succSide ? succId[l] : predId[l], true, false);
      }
    }
    sampled.clear();
    ctx.peers().sample(config.randomPeersPerRound, sampled);
    for (int i = 0; i < sampled.size(); i++) {
      sendExchange(out, sampled.get(i), 0, false, false);
    }
  }

  @Override
  public long nextDeadlineMillis() {
    return nextRoundMillis;
  }

  /**
   * Sends this node's descriptor and the {@code maxDescriptors} table entries closest to the target
   * on the ring (T-Man's ranking, seen from the receiver), or entries of every level when the
   * target's id is not known (a peer from the sampler: its reply will be tailored to us).
   */
  private void sendExchange(Outbox out, Endpoint to, long toId, boolean idKnown, boolean reply) {
    exchanges++;
    int m = config.maxDescriptors;
    int count = 0;
    for (int l = 0; l <= topLevel; l++) {
      for (int side = 0; side < 2; side++) {
        Endpoint e = side == 0 ? succ[l] : pred[l];
        long eid = side == 0 ? succId[l] : predId[l];
        if (e == null || (idKnown && eid == toId) || contains(candidates, count, eid)) {
          continue;
        }
        candidates[count] = eid;
        candidateEndpoints[count] = e;
        count++;
      }
    }
    if (idKnown && count > m) {
      // Partial selection sort by ring distance to the target: views are small.
      for (int i = 0; i < m; i++) {
        int best = i;
        long bestDist = ringDistance(candidates[i], toId);
        for (int j = i + 1; j < count; j++) {
          long d = ringDistance(candidates[j], toId);
          if (Long.compareUnsigned(d, bestDist) < 0) {
            best = j;
            bestDist = d;
          }
        }
        swap(i, best);
      }
    } else if (count > m) {
      for (int i = 0; i < m; i++) {
        swap(i, i + random.nextInt(count - i));
      }
    }
    count = Math.min(count, m);
    writer.begin();
    writer.beginMessage(reply ? MessageType.RING_EXCHANGE_REPLY : MessageType.RING_EXCHANGE);
    writer.putLong(id).putEndpoint(self);
    writer.putByte(count);
    for (int i = 0; i < count; i++) {
      writer.putLong(candidates[i]).putEndpoint(candidateEndpoints[i]);
    }
    writer.endMessage();
    out.send(to, writer.finish(), Delivery.DATAGRAM);
  }

  // Scratch for one exchange: both sides of every level, sized with the tables.
  private long[] candidates = new long[16];
  private Endpoint[] candidateEndpoints = new Endpoint[16];

  private void swap(int i, int j) {
    long t = candidates[i];
    candidates[i] = candidates[j];
    candidates[j] = t;
    Endpoint e = candidateEndpoints[i];
    candidateEndpoints[i] = candidateEndpoints[j];
    candidateEndpoints[j] = e;
  }

  /** Shortest way around the ring between two ids, unsigned. */
  static long ringDistance(long a, long b) {
    long cw = a - b;
    long ccw = b - a;
    return Long.compareUnsigned(cw, ccw) < 0 ? cw : ccw;
  }

  private static boolean contains(long[] a, int n, long v) {
    for (int i = 0; i < n; i++) {
      if (a[i] == v) {
        return true;
      }
    }
    return false;
  }

  @Override
  public Exchange decode(PacketReader r) throws MalformedPacketException {
    boolean reply = (r.type() & 0xff) == (MessageType.RING_EXCHANGE_REPLY.code() & 0xff);
    if (!reply && (r.type() & 0xff) != (MessageType.RING_EXCHANGE.code() & 0xff)) {
      throw new MalformedPacketException(DropReason.UNKNOWN_TYPE, "type " + (r.type() & 0xff));
    }
    long senderId = r.getLong();
    Endpoint sender = r.getEndpoint();
    int count = r.getByte();
    if (count > MAX_DESCRIPTORS) {
      throw new MalformedPacketException(DropReason.BAD_FIELD, "exchange of " + count + " descriptors");
    }
    long[] ids = new long[count];
    Endpoint[] eps = new Endpoint[count];
    for (int i = 0; i < count; i++) {
      ids[i] = r.getLong();
      eps[i] = r.getEndpoint();
    }
    if (r.remaining() != 0) {
      throw new MalformedPacketException(DropReason.BAD_FIELD, r.remaining() + " trailing bytes in ring exchange");
    }
    return new Exchange(reply, senderId, sender, ids, eps);
  }

  @Override
  public void onMessage(long nowMillis, Endpoint from, Exchange message, Delivery delivery, Outbox out) {
    now = nowMillis;
    start(nowMillis);
    Exchange x = (Exchange) message;
    if (!x.reply()) {
      // Answer with what this node knew before the merge: the requester already has its own entries.
      sendExchange(out, x.sender(), x.senderId(), true, true);
    }
    offer(x.senderId(), x.sender());
    for (int i = 0; i < x.ids().length; i++) {
      offer(x.ids()[i], x.endpoints()[i]);
    }
  }
}
