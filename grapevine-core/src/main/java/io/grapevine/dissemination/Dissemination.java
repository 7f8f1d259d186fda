// SPDX-License-Identifier: Apache-2.0
package io.grapevine.dissemination;

import io.grapevine.api.DisseminationStats;
import io.grapevine.config.DisseminationConfig;
import io.grapevine.api.RumorId;
import io.grapevine.api.UserEvent;
import io.grapevine.stack.Protocol;
import io.grapevine.stack.ProtocolContext;
import io.grapevine.wire.MessageRange;
import io.grapevine.config.DisseminationConfig.Mode;
import io.grapevine.config.DisseminationConfig.Stop;
import io.grapevine.node.Delivery;
import io.grapevine.node.Endpoint;
import io.grapevine.node.Outbox;
import io.grapevine.wire.DropReason;
import io.grapevine.wire.FieldWriter;
import io.grapevine.wire.MalformedPacketException;
import io.grapevine.wire.MessageEncoder;
import io.grapevine.wire.MessageType;
import io.grapevine.wire.PacketReader;
import io.grapevine.wire.PacketWriter;
import io.grapevine.wire.WireFormat;
import java.nio.BufferOverflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;

/**
 * Rumor mongering with an anti-entropy backup: the dissemination protocol, as a {@link Protocol}.
 *
 * <p><b>Rumor mongering</b> (Demers et al. 1987). A node that learns a rumor finds it "hot" and
 * spreads it every round to {@code fanout} random peers: by push (it sends), pull (peers ask for
 * hot rumors) or both. It loses interest by the configured rule: after {@code k} contacts or with
 * probability {@code 1/k} per contact, counting only useless contacts (the peer already knew it:
 * <i>feedback</i>, reported back in a {@code RUMOR_FEEDBACK}) or every contact (<i>blind</i>). A
 * rumor everybody has lost interest in before it reached every node leaves a <i>residue</i>.
 *
 * <p><b>Piggyback mode</b> (the default for user events) hands small rumors to the membership host,
 * which carries them on its datagrams {@code retransmitMult * ceil(log10(N+1))} times; each node
 * re-queues a rumor on first receipt, as Serf does. Rumors too large for a datagram are spread by
 * push rounds over TCP.
 *
 * <p><b>Anti-entropy</b> makes delivery certain rather than likely: every {@code
 * antiEntropyInterval} a node sends a random peer a digest (per origin: epoch and the sequence
 * number up to which it has everything), the peer sends back what the digest lacks and its own
 * digest, and the first node answers in kind. Rumors are retained (bounded) for this.
 *
 * <p><b>At most once.</b> Each rumor has an id (origin, origin epoch, sequence number); a node
 * remembers per origin a contiguous watermark and a bounded window above it, so each event is
 * delivered at most once. With {@code coalesceKey}, only events newer (by Lamport time) than the
 * last delivered with the same topic and key are delivered.
 */
public final class Dissemination implements Protocol<Dissemination.Message> {
  private static final int KIND_PUSH = 0;
  private static final int KIND_PULL_REPLY = 1;
  private static final int KIND_REPAIR = 2;
  private static final int FLAG_FEEDBACK = 1;
  private static final int FLAG_EXCHANGE = 2;
  /** USER_EVENT flags: a coalesce key follows the topic. */
  private static final int EVENT_FLAG_KEY = 1;
  /** USER_EVENT flags: the origin's publish time (epoch millis, 8 bytes) follows the flags. */
  private static final int EVENT_FLAG_ORIGIN_TIME = 2;
  private static final int MAX_PACKETS_PER_CONTACT = 16;
  private static final int REPAIR_BUDGET_BYTES = 1 << 20;
  private static final int COALESCE_KEYS = 4096;

  // ------------------------------------------------------------------ wire records

  /** A message of this protocol on the wire. */
  public sealed interface Message permits Header, RumorMessage, Feedback, PullRequest, Digest {}

  record Header(int kind, int flags, Endpoint sender) implements Message {}

  record RumorMessage(RumorId id, long lamport, String topic, String coalesceKey, byte[] payload, long originMillis)
      implements Message {
    RumorMessage(RumorId id, long lamport, String topic, String coalesceKey, byte[] payload) {
      this(id, lamport, topic, coalesceKey, payload, UserEvent.NO_ORIGIN_TIME);
    }
  }

  record Feedback(List<RumorId> ids) implements Message {}

  record PullRequest(Endpoint sender) implements Message {}

  record DigestEntry(String origin, long epoch, long watermark) {}

  record Digest(boolean reply, Endpoint sender, List<DigestEntry> entries) implements Message {}

  /** A retained rumor and this node's interest in it. */
  private static final class Rumor {
    final RumorMessage message;
    byte[] datagramEncoding;
    boolean hot;
    int contacts;

    Rumor(RumorMessage message) {
      this.message = message;
    }
  }

  /** What has been delivered from one origin. */
  private static final class OriginState {
    long epoch;
    long watermark;
    BitSet above = new BitSet();

    OriginState(long epoch) {
      this.epoch = epoch;
    }
  }

  private final DisseminationConfig config;
  private final RandomGenerator random;
  private final long epoch;
  private ProtocolContext ctx;
  private MessageEncoder encoder;
  private PacketWriter datagram;

  private final LinkedHashMap<RumorId, Rumor> retained = new LinkedHashMap<>();
  private final List<Rumor> hot = new ArrayList<>();
  private final LinkedHashMap<String, OriginState> origins;
  private final LinkedHashMap<String, long[]> coalesced;
  private final DisseminationCounters stats = new DisseminationCounters();
  private final List<Endpoint> peers = new ArrayList<>();

  private long nextSeq = 1;
  private long lamport;
  private long nextRoundMillis = Long.MAX_VALUE;
  private long nextAntiEntropyMillis = Long.MAX_VALUE;
  private boolean started;

  // Per-packet state between onMessage calls and onPacketEnd.
  private Header packetHeader;
  private final List<RumorId> packetKnown = new ArrayList<>();
  // Every rumor of an exchange packet: the reply leaves them out, the sender has them.
  private final List<RumorId> packetIds = new ArrayList<>();

  /**
   * @param config the variant and its bounds
   * @param epoch a number that grows across this node's restarts (the runtime passes its start
   *     time in milliseconds) so its rumor ids never repeat
   * @param random this protocol's randomness; seed it for reproducible runs
   */
  public Dissemination(DisseminationConfig config, long epoch, RandomGenerator random) {
    this.config = config;
    this.epoch = epoch;
    this.random = random;
    this.origins = new LinkedHashMap<>(16, 0.75f, true);
    this.coalesced = new LinkedHashMap<>(16, 0.75f, true);
  }

  @Override
  public void attach(ProtocolContext context) {
    this.ctx = context;
    this.encoder = new MessageEncoder(context.datagramBytes());
    this.datagram = new PacketWriter(context.datagramBytes(), context.clusterName());
  }

  /** The protocol's name on a stack. */
  public static final String PROTOCOL_NAME = "dissemination";

  @Override
  public String protocolName() {
    return PROTOCOL_NAME;
  }

  @Override
  public MessageRange messageTypes() {
    return MessageRange.DISSEMINATION;
  }

  public DisseminationConfig config() {
    return config;
  }

  public DisseminationStats stats() {
    return stats.snapshot();
  }

  /** Rumors this node still spreads actively. */
  public int hotCount() {
    return hot.size();
  }

  /** Whether this node has delivered (or published) the rumor. */
  public boolean hasDelivered(RumorId id) {
    OriginState s = origins.get(id.origin());
    if (s == null || s.epoch != id.epoch()) {
      return s != null && id.epoch() < s.epoch;
    }
    long offset = id.seq() - s.watermark - 1;
    return id.seq() <= s.watermark || (offset < Integer.MAX_VALUE && s.above.get((int) offset));
  }

  private void ensureStarted(long now) {
    if (started) {
      return;
    }
    started = true;
    long round = config.roundInterval.toMillis();
    nextRoundMillis = now + 1 + random.nextLong(round);
    if (!config.antiEntropyInterval.isZero()) {
      long ae = config.antiEntropyInterval.toMillis();
      nextAntiEntropyMillis = now + 1 + random.nextLong(ae);
    }
  }

  @Override
  public void start(long nowMillis, io.grapevine.node.Outbox out) {
    start(nowMillis);
  }

  /** Starts the round timers; optional (the first call of any kind starts them). */
  public void start(long nowMillis) {
    ensureStarted(nowMillis);
  }

  // ------------------------------------------------------------------ publishing

  /**
   * Publishes an event: delivered here at once, then spread to every node.
   *
   * @param coalesceKey null, or a key such that only the newest event per (topic, key) matters
   * @throws IllegalArgumentException if the topic, key or payload is out of bounds (the message
   *     says which and why)
   */
  public RumorId publish(long nowMillis, String topic, byte[] payload, String coalesceKey, Outbox out) {
    return publish(nowMillis, UserEvent.NO_ORIGIN_TIME, topic, payload, coalesceKey, out);
  }

  /**
   * Publishes an event that carries its publish time: every node that delivers it sees {@code
   * originMillis} in {@link UserEvent#originMillis()}. The core has no clock: the runtime reads its
   * wall clock and passes it here ({@code nowMillis} is its monotonic loop time, not comparable
   * across nodes).
   *
   * @param originMillis this node's wall clock in milliseconds since the epoch, or {@link
   *     UserEvent#NO_ORIGIN_TIME} to send the event without it (the encoding older versions read)
   * @throws IllegalArgumentException as {@link #publish(long, String, byte[], String, Outbox)}
   */
  public RumorId publish(long nowMillis, long originMillis, String topic, byte[] payload, String coalesceKey,
      Outbox out) {
    ensureStarted(nowMillis);
    checkName("topic", topic);
    if (coalesceKey != null) {
      checkName("coalesce key", coalesceKey);
    }
    if (payload.length > config.maxPayloadBytes) {
      throw new IllegalArgumentException(
          "payload is " + payload.length + " bytes, above the limit of " + config.maxPayloadBytes);
    }
    RumorId id = new RumorId(ctx.localName(), epoch, nextSeq++);
    lamport++;
    RumorMessage m = new RumorMessage(id, lamport, topic, coalesceKey, payload.clone(),
        originMillis < 0 ? UserEvent.NO_ORIGIN_TIME : originMillis);
    stats.published++;
    markDelivered(id);
    accept(nowMillis, m, KIND_PUSH, false, out);
    return id;
  }

  private static void checkName(String what, String s) {
    int len = s == null ? 0 : s.getBytes(StandardCharsets.UTF_8).length;
    if (len < 1 || len > 255) {
      throw new IllegalArgumentException(what + " must be 1..255 UTF-8 bytes, got " + len);
    }
  }

  /**
   * Takes a rumor heard (or published) for the first time: records, delivers, and decides how it
   * spreads from here.
   */
  private void accept(long now, RumorMessage m, int kind, boolean piggybacked, Outbox out) {
    Rumor r = new Rumor(m);
    retained.put(m.id(), r);
    if (retained.size() > config.retainedRumors) {
      Iterator<Rumor> it = retained.values().iterator();
      Rumor evicted = it.next();
      it.remove();
      if (evicted.hot) {
        evicted.hot = false;
        hot.remove(evicted);
      }
    }
    lamport = Math.max(lamport, m.lamport());
    deliver(m, out);
    if (kind == KIND_REPAIR) {
      return;
    }
    if (config.mode == Mode.PIGGYBACK && fitsDatagram(r)) {
      String key = m.coalesceKey() != null ? "co:" + m.topic() + "\u0000" + m.coalesceKey()
          : "ev:" + m.id().origin() + "\u0000" + m.id().epoch() + "\u0000" + m.id().seq();
      if (ctx.piggyback(key, r.datagramEncoding)) {
        return;
      }
    }
    r.hot = true;
    hot.add(r);
  }

  private void deliver(RumorMessage m, Outbox out) {
    if (m.coalesceKey() != null) {
      String key = m.topic() + "\u0000" + m.coalesceKey();
      long[] last = coalesced.get(key);
      long originHash = m.id().origin().hashCode();
      if (last != null && (last[0] > m.lamport() || (last[0] == m.lamport() && last[1] >= originHash))) {
        stats.coalesced++;
        return;
      }
      coalesced.put(key, new long[] {m.lamport(), originHash});
      if (coalesced.size() > COALESCE_KEYS) {
        Iterator<String> it = coalesced.keySet().iterator();
        it.next();
        it.remove();
      }
    }
    stats.delivered++;
    out.emit(new UserEvent(m.id(), m.lamport(), m.topic(), m.coalesceKey(), m.payload(), m.originMillis()));
  }

  /** Encodes the rumor for datagrams if it fits one alongside a header; caches the encoding. */
  private boolean fitsDatagram(Rumor r) {
    if (r.datagramEncoding != null) {
      return true;
    }
    RumorMessage m = r.message;
    int estimate = 72 + m.topic().length() * 3 + (m.coalesceKey() == null ? 0 : m.coalesceKey().length() * 3)
        + m.id().origin().length() * 3 + m.payload().length;
    int budget = ctx.datagramBytes() - WireFormat.overhead(64) - 64;
    if (estimate > budget) {
      return false;
    }
    encoder.begin(MessageType.USER_EVENT);
    writeRumor(encoder, m);
    r.datagramEncoding = encoder.end();
    return true;
  }

  // ------------------------------------------------------------------ delivery bookkeeping

  /** Marks {@code id} delivered; false if it already was (or is stale). */
  private boolean markDelivered(RumorId id) {
    OriginState s = origins.get(id.origin());
    if (s == null) {
      s = new OriginState(id.epoch());
      origins.put(id.origin(), s);
      if (origins.size() > config.maxOrigins) {
        Iterator<String> it = origins.keySet().iterator();
        it.next();
        it.remove();
      }
    }
    if (id.epoch() < s.epoch) {
      return false;
    }
    if (id.epoch() > s.epoch) {
      s.epoch = id.epoch();
      s.watermark = 0;
      s.above = new BitSet();
    }
    if (id.seq() <= s.watermark) {
      return false;
    }
    long offset = id.seq() - s.watermark - 1;
    if (offset >= config.dedupeWindow) {
      // Too far ahead: slide the window, giving up on the oldest gaps.
      long shift = offset - config.dedupeWindow + 1;
      stats.windowSlides++;
      s.above = shift >= s.above.length() ? new BitSet() : s.above.get((int) shift, s.above.length());
      s.watermark += shift;
      offset -= shift;
    }
    int bit = (int) offset;
    if (s.above.get(bit)) {
      return false;
    }
    s.above.set(bit);
    int run = s.above.nextClearBit(0);
    if (run > 0) {
      s.watermark += run;
      s.above = s.above.get(run, Math.max(run, s.above.length()));
    }
    return true;
  }

  // ------------------------------------------------------------------ timers

  @Override
  public long nextDeadlineMillis() {
    if (!started) {
      return Long.MAX_VALUE;
    }
    long round = hot.isEmpty() && !initiatesWithoutNews() ? Long.MAX_VALUE : nextRoundMillis;
    return Math.min(round, nextAntiEntropyMillis);
  }

  /** Pull-based modes contact peers every round even with nothing hot: that is how they learn. */
  private boolean initiatesWithoutNews() {
    return config.mode == Mode.PULL || config.mode == Mode.PUSH_PULL;
  }

  @Override
  public void onTick(long nowMillis, Outbox out) {
    if (nowMillis >= nextRoundMillis) {
      round(out);
      nextRoundMillis = nowMillis + config.roundInterval.toMillis();
    }
    if (nowMillis >= nextAntiEntropyMillis) {
      peers.clear();
      // A node that has never seen an event has nothing to compare: no idle digest traffic. It
      // still answers digests, and learns of missed events from the digests of others.
      if (!origins.isEmpty()) {
        ctx.peers().sample(1, peers);
      }
      if (!peers.isEmpty()) {
        sendDigest(peers.get(0), false, out);
      }
      nextAntiEntropyMillis = nowMillis + config.antiEntropyInterval.toMillis();
    }
  }

  private void round(Outbox out) {
    if (hot.isEmpty() && !initiatesWithoutNews()) {
      return;
    }
    peers.clear();
    ctx.peers().sample(config.fanout, peers);
    for (Endpoint peer : peers) {
      switch (config.mode) {
        case PULL -> {
          datagram.begin();
          write(datagram, MessageType.RUMOR_PULL, w -> w.putEndpoint(ctx.localEndpoint()));
          send(peer, datagram.finish(), Delivery.DATAGRAM, out);
        }
        case PUSH_PULL -> sendHot(peer, KIND_PUSH, FLAG_EXCHANGE, List.of(), out);
        default -> {
          if (!hot.isEmpty()) {
            sendHot(peer, KIND_PUSH, 0, List.of(), out);
          }
        }
      }
    }
  }

  // ------------------------------------------------------------------ sending rumors

  /**
   * Sends every hot rumor but those in {@code skip} to {@code peer} (as many datagrams as needed,
   * large ones over TCP) and counts the contact against each rumor's interest.
   */
  private void sendHot(Endpoint peer, int kind, int extraFlags, List<RumorId> skip, Outbox out) {
    int flags = extraFlags | (config.feedback ? FLAG_FEEDBACK : 0);
    Header header = new Header(kind, flags, ctx.localEndpoint());
    List<Rumor> sent = new ArrayList<>(hot.size());
    int packets = 0;
    datagram.begin();
    writeHeader(datagram, header);
    int inPacket = 0;
    for (Rumor r : hot) {
      if (!skip.isEmpty() && skip.contains(r.message.id())) {
        continue;
      }
      if (!fitsDatagram(r)) {
        sendLarge(peer, header, r.message, out);
        sent.add(r);
        continue;
      }
      if (r.datagramEncoding.length > datagram.remaining()) {
        if (inPacket > 0) {
          send(peer, datagram.finish(), Delivery.DATAGRAM, out);
          if (++packets >= MAX_PACKETS_PER_CONTACT) {
            inPacket = -1;
            break;
          }
        }
        datagram.begin();
        writeHeader(datagram, header);
        inPacket = 0;
      }
      datagram.putEncodedMessage(r.datagramEncoding);
      stats.rumorsSent++;
      inPacket++;
      sent.add(r);
    }
    if (inPacket > 0 || (inPacket == 0 && sent.isEmpty() && (extraFlags & FLAG_EXCHANGE) != 0)) {
      // An exchange is sent even when empty: it asks the peer for its hot rumors.
      send(peer, datagram.finish(), Delivery.DATAGRAM, out);
    }
    for (Rumor r : sent) {
      contact(r, false);
    }
  }

  private void sendLarge(Endpoint peer, Header header, RumorMessage m, Outbox out) {
    int size = WireFormat.overhead(64) + 128 + m.payload().length + m.topic().length() * 3
        + m.id().origin().length() * 3 + (m.coalesceKey() == null ? 0 : m.coalesceKey().length() * 3);
    PacketWriter w = new PacketWriter(size, ctx.clusterName()).begin();
    writeHeader(w, header);
    write(w, MessageType.USER_EVENT, fw -> writeRumor(fw, m));
    stats.rumorsSent++;
    send(peer, w.finish(), Delivery.STREAM, out);
  }

  /**
   * One contact spent on a rumor. Blind: every contact counts. Feedback: only useless ones, which
   * arrive in feedback messages.
   */
  private void contact(Rumor r, boolean useless) {
    if (!r.hot || (config.feedback && !useless)) {
      return;
    }
    r.contacts++;
    boolean lose = config.stop == Stop.COUNTER ? r.contacts >= config.k : random.nextInt(config.k) == 0;
    if (lose) {
      r.hot = false;
      hot.remove(r);
    }
  }

  private void send(Endpoint to, ByteBuffer packet, Delivery delivery, Outbox out) {
    stats.messagesSent++;
    stats.bytesSent += packet.remaining();
    out.send(to, packet, delivery);
  }

  // ------------------------------------------------------------------ receiving

  @Override
  public void onMessage(long nowMillis, Endpoint from, Message message, Delivery delivery, Outbox out) {
    ensureStarted(nowMillis);
    if (message instanceof Header h) {
      packetHeader = h;
    } else if (message instanceof RumorMessage m) {
      onRumor(nowMillis, m, out);
    } else if (message instanceof Feedback f) {
      for (RumorId id : f.ids()) {
        Rumor r = retained.get(id);
        if (r != null) {
          contact(r, true);
        }
      }
    } else if (message instanceof PullRequest p) {
      if (!hot.isEmpty()) {
        sendHot(p.sender(), KIND_PULL_REPLY, 0, List.of(), out);
      }
    } else if (message instanceof Digest d) {
      onDigest(d, out);
    }
  }

  private void onRumor(long now, RumorMessage m, Outbox out) {
    int kind = packetHeader == null ? KIND_PUSH : packetHeader.kind();
    if (packetHeader != null && (packetHeader.flags() & FLAG_EXCHANGE) != 0) {
      packetIds.add(m.id());
    }
    if (!markDelivered(m.id())) {
      stats.duplicates++;
      if (packetHeader != null && (packetHeader.flags() & FLAG_FEEDBACK) != 0) {
        packetKnown.add(m.id());
      }
      return;
    }
    if (kind == KIND_REPAIR) {
      stats.repaired++;
    }
    accept(now, m, kind, packetHeader == null, out);
  }

  @Override
  public void onPacketEnd(long nowMillis, Endpoint from, Delivery delivery, Outbox out) {
    Header h = packetHeader;
    packetHeader = null;
    if (h == null) {
      packetKnown.clear();
      packetIds.clear();
      return;
    }
    if (!packetKnown.isEmpty()) {
      datagram.begin();
      datagram.mark();
      int written = 0;
      // Feedback for as many ids as fit; the rest count as useful, which only prolongs interest.
      for (int n = packetKnown.size(); n > 0; n = n / 2) {
        List<RumorId> ids = packetKnown.subList(0, n);
        try {
          write(datagram, MessageType.RUMOR_FEEDBACK, w -> writeIds(w, ids));
          written = n;
          break;
        } catch (BufferOverflowException full) {
          datagram.reset();
        }
      }
      packetKnown.clear();
      if (written > 0) {
        stats.feedbackSent++;
        send(h.sender(), datagram.finish(), Delivery.DATAGRAM, out);
      }
    }
    if ((h.flags() & FLAG_EXCHANGE) != 0 && h.kind() == KIND_PUSH && !hot.isEmpty()) {
      // The other half of the exchange: this node's hot rumors, except those the peer just sent
      // (echoing them back would only cost the peer a useless contact, and this node one too).
      sendHot(h.sender(), KIND_PULL_REPLY, 0, packetIds, out);
    }
    packetIds.clear();
  }

  // ------------------------------------------------------------------ anti-entropy

  private void sendDigest(Endpoint to, boolean reply, Outbox out) {
    stats.digestsSent++;
    List<DigestEntry> entries = new ArrayList<>(origins.size());
    int size = WireFormat.overhead(64) + 64;
    for (Map.Entry<String, OriginState> e : origins.entrySet()) {
      entries.add(new DigestEntry(e.getKey(), e.getValue().epoch, e.getValue().watermark));
      size += 20 + e.getKey().length() * 3;
    }
    PacketWriter w = new PacketWriter(size, ctx.clusterName()).begin();
    Digest d = new Digest(reply, ctx.localEndpoint(), entries);
    write(w, MessageType.RUMOR_DIGEST, fw -> writeDigest(fw, d));
    send(to, w.finish(), Delivery.STREAM, out);
  }

  private void onDigest(Digest d, Outbox out) {
    Map<String, DigestEntry> theirs = new LinkedHashMap<>();
    for (DigestEntry e : d.entries()) {
      theirs.put(e.origin(), e);
    }
    List<RumorMessage> missing = new ArrayList<>();
    int bytes = 0;
    for (Rumor r : retained.values()) {
      RumorId id = r.message.id();
      DigestEntry e = theirs.get(id.origin());
      boolean has = e != null && (e.epoch() > id.epoch() || (e.epoch() == id.epoch() && e.watermark() >= id.seq()));
      if (!has) {
        bytes += r.message.payload().length + 96;
        if (bytes > REPAIR_BUDGET_BYTES && !missing.isEmpty()) {
          break;
        }
        missing.add(r.message);
      }
    }
    if (!missing.isEmpty()) {
      PacketWriter w = new PacketWriter(WireFormat.overhead(64) + 256 + bytes * 2, ctx.clusterName()).begin();
      writeHeader(w, new Header(KIND_REPAIR, 0, ctx.localEndpoint()));
      for (RumorMessage m : missing) {
        write(w, MessageType.USER_EVENT, fw -> writeRumor(fw, m));
        stats.rumorsSent++;
      }
      send(d.sender(), w.finish(), Delivery.STREAM, out);
    }
    if (!d.reply()) {
      sendDigest(d.sender(), true, out);
    }
  }

  // ------------------------------------------------------------------ codec

  private interface Body {
    void write(FieldWriter w);
  }

  private static void write(PacketWriter w, MessageType type, Body body) {
    w.beginMessage(type);
    body.write(w);
    w.endMessage();
  }

  private static void writeHeader(PacketWriter w, Header h) {
    write(w, MessageType.RUMOR_HEADER, fw -> fw.putByte(h.kind()).putByte(h.flags()).putEndpoint(h.sender()));
  }

  /**
   * origin(str8) epoch(8) seq(8) lamport(8) flags(1) [originMillis(8)] topic(str8) [coalesceKey(str8)]
   * payload(bytes32). Without an origin time the bytes are those of versions that did not know it.
   */
  private static void writeRumor(FieldWriter w, RumorMessage m) {
    w.putString8(m.id().origin()).putLong(m.id().epoch()).putLong(m.id().seq()).putLong(m.lamport());
    boolean timed = m.originMillis() != UserEvent.NO_ORIGIN_TIME;
    w.putByte((m.coalesceKey() != null ? EVENT_FLAG_KEY : 0) | (timed ? EVENT_FLAG_ORIGIN_TIME : 0));
    if (timed) {
      w.putLong(m.originMillis());
    }
    w.putString8(m.topic());
    if (m.coalesceKey() != null) {
      w.putString8(m.coalesceKey());
    }
    w.putBytes32(m.payload());
  }

  private static void writeIds(FieldWriter w, List<RumorId> ids) {
    w.putShort(ids.size());
    for (RumorId id : ids) {
      w.putString8(id.origin()).putLong(id.epoch()).putLong(id.seq());
    }
  }

  private static void writeDigest(FieldWriter w, Digest d) {
    w.putByte(d.reply() ? 1 : 0).putEndpoint(d.sender()).putInt(d.entries().size());
    for (DigestEntry e : d.entries()) {
      w.putString8(e.origin()).putLong(e.epoch()).putLong(e.watermark());
    }
  }

  @Override
  public Message decode(PacketReader r) throws MalformedPacketException {
    MessageType type = MessageType.of(r.type());
    if (type == null) {
      throw new MalformedPacketException(DropReason.UNKNOWN_TYPE, "type " + (r.type() & 0xff));
    }
    Message m;
    switch (type) {
      case RUMOR_HEADER -> {
        int kind = r.getByte();
        int flags = r.getByte();
        if (kind > KIND_REPAIR || (flags & ~(FLAG_FEEDBACK | FLAG_EXCHANGE)) != 0) {
          throw new MalformedPacketException(DropReason.BAD_FIELD, "rumor header");
        }
        m = new Header(kind, flags, r.getEndpoint());
      }
      case USER_EVENT -> {
        RumorId id = new RumorId(r.getString8(), r.getLong(), r.getLong());
        long lamport = r.getLong();
        int flags = r.getByte();
        if ((flags & ~(EVENT_FLAG_KEY | EVENT_FLAG_ORIGIN_TIME)) != 0 || id.seq() < 1) {
          throw new MalformedPacketException(DropReason.BAD_FIELD, "rumor");
        }
        long originMillis = UserEvent.NO_ORIGIN_TIME;
        if ((flags & EVENT_FLAG_ORIGIN_TIME) != 0) {
          originMillis = r.getLong();
          if (originMillis < 0) {
            throw new MalformedPacketException(DropReason.BAD_FIELD, "rumor origin time");
          }
        }
        String topic = r.getString8();
        String key = (flags & EVENT_FLAG_KEY) != 0 ? r.getString8() : null;
        byte[] payload;
        try {
          payload = r.getBytes32(config.maxPayloadBytes);
        } catch (MalformedPacketException e) {
          throw e.oversizedAs(DropReason.EVENT_TOO_LARGE);
        }
        m = new RumorMessage(id, lamport, topic, key, payload, originMillis);
      }
      case RUMOR_FEEDBACK -> {
        int n = r.getShort();
        List<RumorId> ids = new ArrayList<>(Math.min(n, 256));
        for (int i = 0; i < n; i++) {
          ids.add(new RumorId(r.getString8(), r.getLong(), r.getLong()));
        }
        m = new Feedback(ids);
      }
      case RUMOR_PULL -> m = new PullRequest(r.getEndpoint());
      case RUMOR_DIGEST -> {
        int flags = r.getByte();
        if (flags > 1) {
          throw new MalformedPacketException(DropReason.BAD_FIELD, "digest flags");
        }
        Endpoint sender = r.getEndpoint();
        int n = r.getInt();
        if (n < 0 || n > config.maxOrigins * 2) {
          throw new MalformedPacketException(DropReason.BAD_FIELD, "digest of " + n);
        }
        List<DigestEntry> entries = new ArrayList<>(Math.min(n, 1024));
        for (int i = 0; i < n; i++) {
          entries.add(new DigestEntry(r.getString8(), r.getLong(), r.getLong()));
        }
        m = new Digest(flags == 1, sender, entries);
      }
      default -> throw new MalformedPacketException(DropReason.UNKNOWN_TYPE, "not a dissemination message");
    }
    if (r.remaining() != 0) {
      throw new MalformedPacketException(DropReason.BAD_FIELD, "trailing bytes in " + type);
    }
    return m;
  }
}
