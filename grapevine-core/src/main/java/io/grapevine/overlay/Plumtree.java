// SPDX-License-Identifier: Apache-2.0
package io.grapevine.overlay;

import io.grapevine.api.PlumtreeStats;
import io.grapevine.config.PlumtreeConfig;
import io.grapevine.stack.Protocol;
import io.grapevine.stack.ProtocolContext;
import io.grapevine.wire.MessageRange;
import io.grapevine.node.Delivery;
import io.grapevine.node.Endpoint;
import io.grapevine.node.Outbox;
import io.grapevine.node.ProtocolEvent;
import io.grapevine.wire.DropReason;
import io.grapevine.wire.MalformedPacketException;
import io.grapevine.wire.MessageType;
import io.grapevine.wire.PacketReader;
import io.grapevine.wire.PacketWriter;
import io.grapevine.wire.WireFormat;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;

/**
 * Plumtree, epidemic broadcast trees (Leitão, Pereira, Rodrigues 2007), over the active view of a
 * {@link HyParView} node.
 *
 * <p>Each node splits its neighbors into <b>eager</b> peers, to which it pushes every payload at
 * once, and <b>lazy</b> peers, to which it only announces message ids (IHAVE). All neighbors start
 * eager, so the first broadcast floods; a node receiving a payload it already has moves the sender to
 * its lazy set and sends it PRUNE, and the eager links that remain form a spanning tree (one payload
 * copy per node per broadcast in a stable network). When a payload is lost to a failure, the
 * announcements repair the tree: a node that heard IHAVE but no payload within {@code graftTimeout}
 * sends GRAFT to the announcer, which sends the payload and makes the link eager again; if that copy
 * does not arrive within {@code regraftTimeout}, the next announcer is grafted. Neighbor changes come
 * from HyParView: a new active peer starts eager, a removed one is forgotten.
 *
 * <p><b>History (anti-entropy).</b> GRAFT repairs a loss only while some neighbor announces the
 * message, and announcements go out once. So every {@code historyInterval} a node that delivered
 * messages in the last {@code historyWindow} announces the newest of them (up to one IHAVE's worth)
 * to one random active peer; a peer that missed one grafts it as after any IHAVE. A node cut off
 * while a broadcast went by gets it once it is reachable again, while the message is cached.
 *
 * <p><b>Tree optimisation</b> (the paper's optional step): the first copy to arrive fixes the
 * tree, so a tree grown from one broadcast can be deep for the next origin. When a lazy peer
 * announces a message this node already received, and the announcement shows the lazy path is at
 * least {@code optimizationThreshold} hops shorter than the eager path it came by, the two links
 * swap: the announcer is grafted (link only, no payload) and the eager sender pruned.
 */
public final class Plumtree implements Protocol<Plumtree.Message>, HyParView.Listener {
  /** Most ids one IHAVE may carry; more is malformed. */
  public static final int MAX_IHAVE_IDS = 64;

  /** A broadcast delivered here (once per message id); {@code hops} is its distance from the origin. */
  public record Delivered(long messageId, byte[] payload, int hops) implements ProtocolEvent {}

  /**
   * A layer above Plumtree that takes its deliveries (user events over the overlay: {@link
   * OverlayEvents}), in place of emitting them to the application.
   */
  public interface Receiver {
    /** A broadcast reached this node (its own included), once. */
    void delivered(long nowMillis, Delivered delivery, Outbox out);
  }

  private Receiver receiver;

  /** Hands every delivery to {@code receiver} instead of emitting it; null restores emitting. */
  public void receiver(Receiver receiver) {
    this.receiver = receiver;
  }

  /** A message of this protocol on the wire. */
  public sealed interface Message permits Gossip, IHave, Graft, Prune {}

  record Gossip(Endpoint sender, long id, int round, byte[] payload) implements Message {}

  /** {@code history}: a periodic announcement of recent ids, not a fresh one (no tree optimisation). */
  record IHave(Endpoint sender, long[] ids, int[] rounds, boolean history) implements Message {}

  /** {@code linkOnly}: make the link eager without sending the payload (the tree optimisation). */
  record Graft(Endpoint sender, long id, int round, boolean linkOnly) implements Message {}

  /** A delivered payload kept for GRAFTs, with how far it travelled, from whom (null: local) and when. */
  private record Cached(byte[] payload, int hops, Endpoint from, long deliveredMillis) {}

  record Prune(Endpoint sender) implements Message {}

  private static final class Missing {
    final List<Endpoint> announcers = new ArrayList<>(2);
    long timerMillis;
  }

  private final PlumtreeConfig config;
  private final HyParView overlay;
  private final RandomGenerator random;
  private final List<Endpoint> eager = new ArrayList<>();
  private final List<Endpoint> lazy = new ArrayList<>();
  private final LinkedHashMap<Long, Cached> cache = new LinkedHashMap<>();
  private final LinkedHashSet<Long> seen = new LinkedHashSet<>();
  private final Map<Long, Missing> missing = new HashMap<>();
  private final PlumtreeCounters stats = new PlumtreeCounters();
  private long nextTimerMillis = Long.MAX_VALUE;
  private long nextHistoryMillis = Long.MAX_VALUE;
  private Endpoint self;
  private PacketWriter writer;
  private String clusterName;
  private int overheadBytes;
  private int datagramBytes;
  /** Control messages (IHAVE, GRAFT, PRUNE) and small payloads fit without growing the writer. */
  private static final int SMALL_BODY_BYTES = 96;

  /**
   * @param overlay the HyParView node on the same host; this registers itself as its listener
   * @param random this protocol's randomness (message ids)
   */
  public Plumtree(PlumtreeConfig config, HyParView overlay, RandomGenerator random) {
    this.config = config;
    this.overlay = overlay;
    this.random = random;
    overlay.addListener(this);
  }

  @Override
  public void attach(ProtocolContext context) {
    self = context.localEndpoint();
    int clusterBytes = context.clusterName().getBytes(StandardCharsets.UTF_8).length;
    int needed = WireFormat.overhead(clusterBytes) + WireFormat.MESSAGE_HEADER_LENGTH + 19 + 8 + 2 + 2
        + Math.max(config.maxPayloadBytes, 1 + MAX_IHAVE_IDS * 10) + 16;
    if (needed > context.datagramBytes()) {
      throw new IllegalArgumentException("maxPayloadBytes " + config.maxPayloadBytes
          + " does not fit the datagram budget of " + context.datagramBytes() + " bytes");
    }
    clusterName = context.clusterName();
    overheadBytes = WireFormat.overhead(clusterBytes) + WireFormat.MESSAGE_HEADER_LENGTH;
    datagramBytes = context.datagramBytes();
    writer = new PacketWriter(overheadBytes + SMALL_BODY_BYTES, clusterName);
    for (int i = 0; i < overlay.activeSize(); i++) {
      addEager(overlay.activePeer(i));
    }
  }

  /** The protocol's name on a stack. */
  public static final String PROTOCOL_NAME = "plumtree";

  @Override
  public String protocolName() {
    return PROTOCOL_NAME;
  }

  @Override
  public MessageRange messageTypes() {
    return MessageRange.PLUMTREE;
  }

  public PlumtreeStats stats() {
    return stats.snapshot();
  }

  public PlumtreeConfig config() {
    return config;
  }

  /** Peers this node pushes payloads to (a copy). */
  public List<Endpoint> eagerPeers() {
    return new ArrayList<>(eager);
  }

  /** Peers this node only announces to (a copy). */
  public List<Endpoint> lazyPeers() {
    return new ArrayList<>(lazy);
  }

  /** Whether this node has delivered message {@code id}. */
  public boolean hasDelivered(long id) {
    return seen.contains(id);
  }

  // ------------------------------------------------------------------ broadcasting

  /**
   * Broadcasts {@code payload} to every node: delivered here at once (emitted as {@link Delivered}),
   * then pushed down the tree.
   *
   * @return the message id
   * @throws IllegalArgumentException if the payload is larger than {@code maxPayloadBytes}
   */
  public long broadcast(long nowMillis, byte[] payload, Outbox out) {
    if (payload.length > config.maxPayloadBytes) {
      throw new IllegalArgumentException("payload of " + payload.length + " bytes exceeds maxPayloadBytes "
          + config.maxPayloadBytes);
    }
    long id = random.nextLong();
    deliver(nowMillis, id, payload, 0, null, out);
    push(id, payload, 0, null, out);
    return id;
  }

  private void deliver(long nowMillis, long id, byte[] payload, int hops, Endpoint from, Outbox out) {
    remember(id, new Cached(payload, hops, from, nowMillis));
    long interval = config.historyInterval.toMillis();
    if (interval > 0 && !config.floodOnly && nextHistoryMillis == Long.MAX_VALUE) {
      nextHistoryMillis = nowMillis + interval / 2 + random.nextLong(interval / 2 + 1);
    }
    stats.delivered++;
    Delivered d = new Delivered(id, payload, hops);
    if (receiver != null) {
      receiver.delivered(nowMillis, d, out);
    } else {
      out.emit(d);
    }
  }

  private void remember(long id, Cached payload) {
    seen.add(id);
    if (seen.size() > config.seenIds) {
      Iterator<Long> it = seen.iterator();
      it.next();
      it.remove();
    }
    cache.put(id, payload);
    if (cache.size() > config.cacheMessages) {
      Iterator<Long> it = cache.keySet().iterator();
      it.next();
      it.remove();
    }
  }

  private void push(long id, byte[] payload, int round, Endpoint except, Outbox out) {
    for (int i = 0; i < eager.size(); i++) {
      Endpoint p = eager.get(i);
      if (!p.equals(except)) {
        sendGossip(out, p, id, round, payload);
      }
    }
    for (int i = 0; i < lazy.size(); i++) {
      Endpoint p = lazy.get(i);
      if (!p.equals(except)) {
        writer(30).begin();
        writer.beginMessage(MessageType.PLUMTREE_IHAVE);
        writer.putEndpoint(self).putByte(1).putLong(id).putShort(round);
        writer.endMessage();
        out.send(p, writer.finish(), Delivery.DATAGRAM);
        stats.ihaveSent++;
      }
    }
  }

  private void sendGossip(Outbox out, Endpoint to, long id, int round, byte[] payload) {
    writer(31 + payload.length).begin();
    writer.beginMessage(MessageType.PLUMTREE_GOSSIP);
    writer.putEndpoint(self).putLong(id).putShort(Math.min(round, 0xFFFF)).putBytes16(payload);
    writer.endMessage();
    out.send(to, writer.finish(), Delivery.DATAGRAM);
    stats.gossipSent++;
  }

  /**
   * The writer, grown to fit a message body of {@code bodyBytes}: sized to what this node sends,
   * not to the largest payload allowed, since a simulated million nodes each hold one.
   */
  private PacketWriter writer(int bodyBytes) {
    int needed = overheadBytes + bodyBytes;
    if (writer.capacity() < needed) {
      writer = new PacketWriter(Math.min(datagramBytes, Math.max(needed, 2 * writer.capacity())), clusterName);
    }
    return writer;
  }

  private void sendControl(Outbox out, Endpoint to, MessageType type, long id, int round) {
    sendControl(out, to, type, id, round, false);
  }

  private void sendControl(Outbox out, Endpoint to, MessageType type, long id, int round, boolean linkOnly) {
    writer(30).begin();
    writer.beginMessage(type);
    writer.putEndpoint(self);
    if (type == MessageType.PLUMTREE_GRAFT) {
      writer.putLong(id).putShort(Math.min(round, 0xFFFF)).putByte(linkOnly ? 1 : 0);
      stats.graftSent++;
    } else {
      stats.pruneSent++;
    }
    writer.endMessage();
    out.send(to, writer.finish(), Delivery.DATAGRAM);
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
      case PLUMTREE_GOSSIP -> {
        long id = r.getLong();
        int round = r.getShort();
        byte[] payload;
        try {
          payload = r.getBytes16(config.maxPayloadBytes);
        } catch (MalformedPacketException e) {
          throw e.oversizedAs(DropReason.EVENT_TOO_LARGE);
        }
        yield new Gossip(sender, id, round, payload);
      }
      case PLUMTREE_IHAVE, PLUMTREE_HISTORY -> {
        int count = r.getByte();
        if (count == 0 || count > MAX_IHAVE_IDS) {
          throw new MalformedPacketException(DropReason.BAD_FIELD, "IHAVE of " + count + " ids");
        }
        long[] ids = new long[count];
        int[] rounds = new int[count];
        for (int i = 0; i < count; i++) {
          ids[i] = r.getLong();
          rounds[i] = r.getShort();
        }
        yield new IHave(sender, ids, rounds, type == MessageType.PLUMTREE_HISTORY);
      }
      case PLUMTREE_GRAFT -> {
        long id = r.getLong();
        int round = r.getShort();
        int flags = r.getByte();
        if (flags > 1) {
          throw new MalformedPacketException(DropReason.BAD_FIELD, "GRAFT flags " + flags);
        }
        yield new Graft(sender, id, round, flags == 1);
      }
      case PLUMTREE_PRUNE -> new Prune(sender);
      default -> throw new MalformedPacketException(DropReason.UNKNOWN_TYPE, "type " + type);
    };
    if (r.remaining() != 0) {
      throw new MalformedPacketException(DropReason.BAD_FIELD, r.remaining() + " trailing bytes in " + type);
    }
    return m;
  }

  // ------------------------------------------------------------------ handling

  @Override
  public void onMessage(long nowMillis, Endpoint from, Message message, Delivery delivery, Outbox out) {
    if (message instanceof Gossip g) {
      onGossip(nowMillis, g, out);
    } else if (message instanceof IHave h) {
      if (config.floodOnly) {
        return;
      }
      for (int i = 0; i < h.ids().length; i++) {
        long id = h.ids()[i];
        if (seen.contains(id)) {
          if (!h.history()) {
            optimize(id, h.rounds()[i], h.sender(), out);
          }
          continue;
        }
        Missing m = missing.get(id);
        if (m == null) {
          m = new Missing();
          m.timerMillis = nowMillis + config.graftTimeout.toMillis();
          missing.put(id, m);
          nextTimerMillis = Math.min(nextTimerMillis, m.timerMillis);
        }
        if (!m.announcers.contains(h.sender())) {
          m.announcers.add(h.sender());
        }
      }
    } else if (message instanceof Graft g) {
      if (!overlay.isActive(g.sender())) {
        return;
      }
      addEager(g.sender());
      Cached c = g.linkOnly() ? null : cache.get(g.id());
      if (c != null) {
        sendGossip(out, g.sender(), g.id(), c.hops(), c.payload());
        stats.graftsAnswered++;
      }
    } else if (message instanceof Prune p) {
      if (!config.floodOnly && overlay.isActive(p.sender())) {
        addLazy(p.sender());
      }
    }
  }

  private void onGossip(long nowMillis, Gossip g, Outbox out) {
    Endpoint sender = g.sender();
    boolean neighbor = overlay.isActive(sender);
    if (!seen.contains(g.id())) {
      missing.remove(g.id());
      deliver(nowMillis, g.id(), g.payload(), g.round() + 1, sender, out);
      if (neighbor) {
        addEager(sender);
      }
      push(g.id(), g.payload(), g.round() + 1, sender, out);
    } else {
      stats.duplicates++;
      if (!config.floodOnly && neighbor) {
        addLazy(sender);
        sendControl(out, sender, MessageType.PLUMTREE_PRUNE, 0, 0);
      }
    }
  }

  /**
   * The tree optimisation: {@code announcer} has message {@code id} at {@code announcedHops}; if
   * through it this node would be at least {@code optimizationThreshold} hops closer to the origin
   * than through the eager peer the payload came from, graft the announcer and prune that peer.
   */
  private void optimize(long id, int announcedHops, Endpoint announcer, Outbox out) {
    int threshold = config.optimizationThreshold;
    if (threshold == 0) {
      return;
    }
    Cached c = cache.get(id);
    if (c == null || c.from() == null || c.from().equals(announcer)
        || c.hops() - (announcedHops + 1) < threshold || !overlay.isActive(announcer)) {
      return;
    }
    Endpoint previous = c.from();
    addEager(announcer);
    sendControl(out, announcer, MessageType.PLUMTREE_GRAFT, id, announcedHops, true);
    if (overlay.isActive(previous)) {
      addLazy(previous);
      sendControl(out, previous, MessageType.PLUMTREE_PRUNE, 0, 0);
    }
    cache.put(id, new Cached(c.payload(), announcedHops + 1, announcer, c.deliveredMillis()));
    stats.optimizations++;
  }

  @Override
  public void onTick(long nowMillis, Outbox out) {
    if (nowMillis >= nextHistoryMillis) {
      announceHistory(nowMillis, out);
    }
    if (nowMillis < nextTimerMillis) {
      return;
    }
    long next = Long.MAX_VALUE;
    Iterator<Map.Entry<Long, Missing>> it = missing.entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<Long, Missing> e = it.next();
      Missing m = e.getValue();
      if (m.timerMillis <= nowMillis) {
        if (m.announcers.isEmpty()) {
          it.remove();
          continue;
        }
        Endpoint target = m.announcers.remove(0);
        if (overlay.isActive(target)) {
          addEager(target);
        }
        sendControl(out, target, MessageType.PLUMTREE_GRAFT, e.getKey(), 0);
        m.timerMillis = nowMillis + config.regraftTimeout.toMillis();
      }
      next = Math.min(next, m.timerMillis);
    }
    nextTimerMillis = next;
  }

  @Override
  public long nextDeadlineMillis() {
    return Math.min(nextTimerMillis, nextHistoryMillis);
  }

  /**
   * Announces the newest messages delivered within {@code historyWindow} (up to {@link
   * #MAX_IHAVE_IDS}) to one random active peer; stops until the next delivery when there are none.
   */
  private void announceHistory(long nowMillis, Outbox out) {
    long since = nowMillis - config.historyWindow.toMillis();
    // Two passes over the cache (insertion order) instead of a per-node buffer: count the messages
    // inside the window, then write the newest MAX_IHAVE_IDS of them.
    int inWindow = 0;
    for (Cached c : cache.values()) {
      if (c.deliveredMillis() >= since) {
        inWindow++;
      }
    }
    int count = Math.min(inWindow, MAX_IHAVE_IDS);
    if (count == 0) {
      nextHistoryMillis = Long.MAX_VALUE;
      return;
    }
    nextHistoryMillis = nowMillis + config.historyInterval.toMillis();
    int peers = overlay.activeSize();
    if (peers == 0) {
      return;
    }
    Endpoint to = overlay.activePeer(random.nextInt(peers));
    writer(20 + count * 10).begin();
    writer.beginMessage(MessageType.PLUMTREE_HISTORY);
    writer.putEndpoint(self).putByte(count);
    int skip = inWindow - count;
    for (Map.Entry<Long, Cached> e : cache.entrySet()) {
      if (e.getValue().deliveredMillis() < since) {
        continue;
      }
      if (skip > 0) {
        skip--;
        continue;
      }
      writer.putLong(e.getKey()).putShort(Math.min(e.getValue().hops(), 0xFFFF));
    }
    writer.endMessage();
    out.send(to, writer.finish(), Delivery.DATAGRAM);
    stats.historyAnnouncements++;
  }

  // ------------------------------------------------------------------ neighbors

  @Override
  public void neighborUp(long nowMillis, Endpoint peer, Outbox out) {
    addEager(peer);
  }

  @Override
  public void neighborDown(long nowMillis, Endpoint peer, Outbox out) {
    eager.remove(peer);
    lazy.remove(peer);
    for (Missing m : missing.values()) {
      m.announcers.remove(peer);
    }
  }

  private void addEager(Endpoint peer) {
    lazy.remove(peer);
    if (!eager.contains(peer)) {
      eager.add(peer);
    }
  }

  private void addLazy(Endpoint peer) {
    eager.remove(peer);
    if (!lazy.contains(peer)) {
      lazy.add(peer);
    }
  }
}
