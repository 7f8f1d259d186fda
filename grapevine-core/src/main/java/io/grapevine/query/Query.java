// SPDX-License-Identifier: Apache-2.0
package io.grapevine.query;

import io.grapevine.api.Member;
import io.grapevine.api.MemberState;
import io.grapevine.config.QueryConfig;
import io.grapevine.membership.Membership;
import io.grapevine.node.Delivery;
import io.grapevine.node.Endpoint;
import io.grapevine.node.Outbox;
import io.grapevine.stack.Protocol;
import io.grapevine.stack.ProtocolContext;
import io.grapevine.wire.DropReason;
import io.grapevine.wire.FieldWriter;
import io.grapevine.wire.MalformedPacketException;
import io.grapevine.wire.MessageEncoder;
import io.grapevine.wire.MessageRange;
import io.grapevine.wire.MessageType;
import io.grapevine.wire.PacketReader;
import io.grapevine.wire.PacketWriter;
import io.grapevine.wire.WireFormat;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Cluster-wide queries, as Serf's: a request spread by gossip, answered by each node directly to
 * the node that asked, collected there until a deadline.
 *
 * <p><b>Spreading.</b> A query (id, name, payload, the originator's endpoint, a timeout, filters,
 * whether to acknowledge, a relay factor) rides on membership's datagrams through the stack's
 * piggyback queue, retransmitted {@code retransmitMult × ceil(log10(N + 1))} times like a membership
 * update; every node re-queues it on first receipt, so it spreads epidemically as Serf's queries and
 * user events do. The originator also sends it at once to {@code ceil(ln N) + 2} random peers: with
 * a small retransmit budget ({@code retransmitMult} 2 at N = 5 is two transmissions) piggybacking
 * alone can miss a node, and these first copies start the epidemic from several places. The whole
 * encoded query must fit one gossip datagram (checked when issued). On a stack without a piggyback
 * carrier (no membership), every node pushes a query once, on first receipt, to {@code ceil(ln N) +
 * 2} random peers instead.
 *
 * <p><b>Delivery.</b> Each node delivers a query at most once: its id is remembered for twice the
 * query's timeout, in a window of at most {@code query.dedupeWindow} ids. When the window is full, a
 * new query is dropped (and counted) rather than an id forgotten early: a forgotten id's copies,
 * still gossiped, would be delivered and spread again, so a flood could echo forever. A node
 * delivers a query only if it passes the filters (its name among the listed ones, its metadata
 * matching every pattern), as a {@link QueryRequest} event; with acks asked for, it acknowledges at
 * once.
 *
 * <p><b>Answers</b> go straight to the originator's endpoint: a datagram, or a stream (TCP) message
 * when larger than a datagram. An answer above {@code query.maxResponseBytes} is refused where it is
 * given, and counted. With a relay factor k, each ack and answer also goes through k random nodes,
 * which forward it (redundancy against loss).
 *
 * <p><b>Collecting.</b> The originator accepts one ack and one answer per node per query (later
 * copies counted as duplicates) until the deadline, emitting a {@link QueryAck} or {@link
 * QueryResponse} for each, then a {@link QueryResult}: who was expected (alive members matching the
 * filters, as the originator knew them), who acknowledged, who answered. It finishes early once
 * every expected node has answered (and acknowledged, when asked). Answers after that are dropped
 * and counted.
 *
 * <p><b>Time.</b> Nodes share no clock: the query carries its timeout, and a receiver's deadline is
 * its receipt time plus the timeout, an upper bound of the originator's deadline. Answers given
 * after the local deadline are refused; the originator drops any that arrive after its own.
 */
public final class Query implements Protocol<Query.Message> {
  /** The protocol's name on a stack. */
  public static final String PROTOCOL_NAME = "query";
  /** Query names reserved for Grapevine's own cluster-wide commands (keyring operations...). */
  public static final String INTERNAL_PREFIX = "_grapevine-";
  /** The largest relay factor a query may ask for (Serf's cap). */
  public static final int MAX_RELAY_FACTOR = 5;
  /** The most metadata patterns one query carries (all must match). */
  public static final int MAX_PATTERNS = 16;
  /** The longest metadata pattern, UTF-8 bytes. */
  public static final int MAX_REGEX_BYTES = 1024;
  /** Characters a metadata match may read before it is abandoned (a pathological pattern). */
  static final int MATCH_BUDGET = 1_000_000;

  private static final int FLAG_ACK = 1;
  private static final int KIND_ACK = 0;
  private static final int KIND_RESPONSE = 1;
  /** How often forgotten ids are swept; an id may outlive its retention by this much. */
  private static final long SWEEP_MILLIS = 1000;
  /** Answers one query holds beyond the cluster's size, for members the originator did not know. */
  private static final int ANSWER_SLACK = 64;

  // ------------------------------------------------------------------ wire records

  /** A message of this protocol on the wire. */
  public sealed interface Message permits Request, Answer, Relay {}

  /** QUERY: the query itself. */
  record Request(QueryId id, Endpoint originator, int timeoutMillis, boolean ackRequested, int relayFactor,
      String name, List<String> nodes, List<String> patterns, byte[] payload) implements Message {}

  /** QUERY_ACK (payload null) or QUERY_RESPONSE. */
  record Answer(QueryId id, String responder, byte[] payload) implements Message {
    boolean isAck() {
      return payload == null;
    }
  }

  /** QUERY_RELAY: an ack or answer to forward to {@code target}. */
  record Relay(Endpoint target, Answer answer) implements Message {}

  /** What became of an answer given with {@link #respond}. */
  public enum Outcome {
    /** Sent to the originator (or recorded, when this node is the originator). */
    SENT,
    /** This node does not know the query, or did not pass its filters. */
    UNKNOWN,
    /** This node answered the query already. */
    DUPLICATE,
    /** The query's local deadline has passed. */
    LATE,
    /** The answer exceeds {@code query.maxResponseBytes}. */
    TOO_LARGE
  }

  /** A query this node has seen, kept for duplicate suppression and to answer it. */
  private static final class Seen {
    final QueryId id;
    final Endpoint originator;
    final int relayFactor;
    final long deadline;
    final long forgetAt;
    boolean delivered;
    boolean responded;

    Seen(QueryId id, Endpoint originator, int relayFactor, long deadline, long forgetAt) {
      this.id = id;
      this.originator = originator;
      this.relayFactor = relayFactor;
      this.deadline = deadline;
      this.forgetAt = forgetAt;
    }
  }

  /** A query this node issued and collects answers for. */
  private static final class Pending {
    final QueryId id;
    final String name;
    final long deadline;
    final boolean ackRequested;
    final Set<String> expected;
    final boolean expectedKnown;
    final int maxAnswers;
    final Set<String> acked = new LinkedHashSet<>();
    final Map<String, byte[]> responses = new LinkedHashMap<>();

    Pending(QueryId id, String name, long deadline, boolean ackRequested, Set<String> expected,
        boolean expectedKnown, int maxAnswers) {
      this.id = id;
      this.name = name;
      this.deadline = deadline;
      this.ackRequested = ackRequested;
      this.expected = expected;
      this.expectedKnown = expectedKnown;
      this.maxAnswers = maxAnswers;
    }

    boolean complete() {
      if (!expectedKnown || expected.isEmpty()) {
        return false;
      }
      for (String n : expected) {
        if (!responses.containsKey(n) || (ackRequested && !acked.contains(n))) {
          return false;
        }
      }
      return true;
    }
  }

  /** Written on the node's thread, read from any: volatile fields. */
  private static final class Counters {
    volatile long issued;
    volatile long refused;
    volatile long delivered;
    volatile long filteredOut;
    volatile long duplicates;
    volatile long windowFull;
    volatile long timeoutTooLong;
    volatile long badFilter;
    volatile long filterBudgetExceeded;
    volatile long acksSent;
    volatile long responsesSent;
    volatile long responsesOverTcp;
    volatile long responsesTooLarge;
    volatile long lateResponsesRefused;
    volatile long relaysSent;
    volatile long relaysForwarded;
    volatile long acksReceived;
    volatile long responsesReceived;
    volatile long duplicateAnswers;
    volatile long lateAnswers;
    volatile long unknownAnswers;
    volatile long tooManyAnswers;
    volatile long finished;
  }

  /** Thrown by {@link BudgetedChars} when a match has read too much. */
  private static final class BudgetExceeded extends RuntimeException {
    BudgetExceeded() {
      super(null, null, false, false);
    }
  }

  /** The text a pattern reads, which stops the match after {@link #MATCH_BUDGET} reads. */
  private static final class BudgetedChars implements CharSequence {
    private final String text;
    private final int[] budget;

    BudgetedChars(String text, int[] budget) {
      this.text = text;
      this.budget = budget;
    }

    @Override
    public int length() {
      return text.length();
    }

    @Override
    public char charAt(int index) {
      if (--budget[0] < 0) {
        throw new BudgetExceeded();
      }
      return text.charAt(index);
    }

    @Override
    public CharSequence subSequence(int start, int end) {
      return new BudgetedChars(text.substring(start, end), budget);
    }

    @Override
    public String toString() {
      return text;
    }
  }

  private final QueryConfig config;
  private final Duration gossipInterval;
  private final long epoch;
  private final Counters counters = new Counters();
  private final LinkedHashMap<QueryId, Seen> seen = new LinkedHashMap<>();
  private final LinkedHashMap<QueryId, Pending> outstanding = new LinkedHashMap<>();
  private final List<Endpoint> peers = new ArrayList<>();
  private ProtocolContext ctx;
  private Membership membership;
  private boolean membershipLooked;
  private long nextSeq = 1;
  private long nextFinishMillis = Long.MAX_VALUE;
  private long nextSweepMillis = Long.MAX_VALUE;

  /**
   * @param config caps and the default timeout's multiplier
   * @param gossipInterval membership's gossip interval, the round of the default timeout
   * @param epoch a number that grows across this node's restarts (its incarnation), so its query
   *     ids never repeat
   */
  public Query(QueryConfig config, Duration gossipInterval, long epoch) {
    this.config = config;
    this.gossipInterval = gossipInterval;
    this.epoch = epoch;
  }

  @Override
  public String protocolName() {
    return PROTOCOL_NAME;
  }

  @Override
  public MessageRange messageTypes() {
    return MessageRange.QUERY;
  }

  @Override
  public void attach(ProtocolContext context) {
    this.ctx = context;
  }

  /** The settings. */
  public QueryConfig config() {
    return config;
  }

  /** This node's counters now. */
  public QueryStats stats() {
    Counters c = counters;
    return new QueryStats(c.issued, c.refused, c.delivered, c.filteredOut, c.duplicates, c.windowFull,
        c.timeoutTooLong, c.badFilter, c.filterBudgetExceeded, c.acksSent, c.responsesSent, c.responsesOverTcp,
        c.responsesTooLarge, c.lateResponsesRefused, c.relaysSent, c.relaysForwarded, c.acksReceived,
        c.responsesReceived, c.duplicateAnswers, c.lateAnswers, c.unknownAnswers, c.tooManyAnswers, c.finished);
  }

  /** Query ids remembered for duplicate suppression now (at most {@code query.dedupeWindow}). */
  public int rememberedQueries() {
    return seen.size();
  }

  /** Queries of this node still collecting answers. */
  public int outstandingQueries() {
    return outstanding.size();
  }

  /** The timeout a query gets without one of its own, for a cluster of {@code n} live nodes. */
  public Duration defaultTimeout(int n) {
    long rounds = (long) config.timeoutMult * (long) Math.ceil(Math.log10(n + 1.0));
    Duration d = gossipInterval.multipliedBy(Math.max(1, rounds));
    return d.compareTo(config.maxTimeout) > 0 ? config.maxTimeout : d;
  }

  // ------------------------------------------------------------------ issuing

  /**
   * Issues a query: spreads it to the cluster, delivers it here too if this node passes the filters,
   * and collects acks and answers until the deadline ({@link QueryAck}, {@link QueryResponse}, then
   * {@link QueryResult} events).
   *
   * @param name 1..255 UTF-8 bytes; names starting with {@link #INTERNAL_PREFIX} are Grapevine's own
   * @throws IllegalArgumentException for a bad name, payload, filter, timeout or relay factor, or a
   *     query too large for one gossip datagram (the message says which)
   * @throws IllegalStateException when {@code query.maxOutstanding} queries are collecting already, or
   *     the dedupe window is full
   */
  public QueryId issue(long nowMillis, String name, byte[] payload, QueryOptions options, Outbox out) {
    checkName("query name", name);
    for (String n : options.nodes()) {
      checkName("node name filter", n);
    }
    if (options.nodes().size() > 0xFFFF) {
      throw new IllegalArgumentException("the node filter lists " + options.nodes().size() + " names, above 65535");
    }
    if (payload.length > config.maxPayloadBytes) {
      throw new IllegalArgumentException("query payload is " + payload.length + " bytes, above query.maxPayloadBytes "
          + config.maxPayloadBytes);
    }
    List<String> patterns = options.metadataPatterns();
    if (patterns.size() > MAX_PATTERNS) {
      throw new IllegalArgumentException("a query takes at most " + MAX_PATTERNS + " metadata patterns, got "
          + patterns.size());
    }
    for (String regex : patterns) {
      int len = regex.getBytes(StandardCharsets.UTF_8).length;
      if (len == 0 || len > MAX_REGEX_BYTES) {
        throw new IllegalArgumentException("metadata pattern must be 1.." + MAX_REGEX_BYTES + " UTF-8 bytes, got " + len);
      }
      try {
        Pattern.compile(regex);
      } catch (PatternSyntaxException e) {
        throw new IllegalArgumentException("metadata pattern does not compile: " + e.getDescription() + " near index "
            + e.getIndex() + " of '" + regex + "'");
      }
    }
    if (options.relayFactor() < 0 || options.relayFactor() > MAX_RELAY_FACTOR) {
      throw new IllegalArgumentException("relay factor must be 0.." + MAX_RELAY_FACTOR + ", got "
          + options.relayFactor());
    }
    Duration timeout = options.timeout() == null ? defaultTimeout(ctx.clusterSize()) : options.timeout();
    if (timeout.isNegative() || timeout.isZero() || timeout.compareTo(config.maxTimeout) > 0) {
      throw new IllegalArgumentException("query timeout must be positive and at most query.maxTimeout "
          + config.maxTimeout + ", got " + timeout);
    }
    if (seen.size() >= config.dedupeWindow) {
      counters.refused++;
      throw new IllegalStateException(seen.size() + " query ids are remembered already, the limit"
          + " (query.dedupeWindow); wait for some to expire");
    }
    if (outstanding.size() >= config.maxOutstanding) {
      counters.refused++;
      throw new IllegalStateException(outstanding.size() + " queries are collecting answers already, the limit"
          + " (query.maxOutstanding); wait for one to finish");
    }
    QueryId id = new QueryId(ctx.localName(), epoch, nextSeq);
    Request r = new Request(id, ctx.localEndpoint(), (int) Math.max(1, timeout.toMillis()), options.requestAck(),
        options.relayFactor(), name, List.copyOf(options.nodes()), patterns, payload.clone());
    byte[] encoded = encode(r);
    int budget = gossipBudget();
    if (encoded.length > budget) {
      throw new IllegalArgumentException("query '" + name + "' is " + encoded.length + " bytes encoded (name, filters,"
          + " payload), above the " + budget + " bytes one gossip datagram carries");
    }
    nextSeq++;
    counters.issued++;
    List<Pattern> compiled = patterns.stream().map(Pattern::compile).toList();
    Set<String> expected = new LinkedHashSet<>();
    Membership m = membership();
    if (m != null) {
      for (Member member : m.members()) {
        if ((member.state() == MemberState.ALIVE || member.state() == MemberState.SUSPECT)
            && matches(member.name(), member.metadata(), r.nodes(), compiled)) {
          expected.add(member.name());
        }
      }
    }
    long deadline = nowMillis + r.timeoutMillis();
    Pending p = new Pending(id, name, deadline, r.ackRequested(), expected, m != null,
        Math.max(expected.size(), ctx.clusterSize()) * 2 + ANSWER_SLACK);
    outstanding.put(id, p);
    nextFinishMillis = Math.min(nextFinishMillis, deadline);
    receive(nowMillis, r, encoded, out);
    return id;
  }

  private static void checkName(String what, String s) {
    int len = s == null ? 0 : s.getBytes(StandardCharsets.UTF_8).length;
    if (len < 1 || len > 255) {
      throw new IllegalArgumentException(what + " must be 1..255 UTF-8 bytes, got " + len);
    }
  }

  /** Room for one piggybacked message beside a membership packet's own. */
  private int gossipBudget() {
    return ctx.datagramBytes() - WireFormat.overhead(WireFormat.MAX_CLUSTER_NAME_BYTES) - 64;
  }

  private Membership membership() {
    if (!membershipLooked) {
      membershipLooked = true;
      for (Protocol<?> p : ctx.protocols()) {
        if (p instanceof Membership m) {
          membership = m;
          break;
        }
      }
    }
    return membership;
  }

  // ------------------------------------------------------------------ answering

  /**
   * Answers a query delivered here ({@link QueryRequest}), at most once, before its local deadline.
   * Refusals are counted and reported, never thrown: a late answer from an application handler is
   * an ordinary event.
   */
  public Outcome respond(long nowMillis, QueryId id, byte[] payload, Outbox out) {
    Seen s = seen.get(id);
    if (s == null || !s.delivered) {
      return Outcome.UNKNOWN;
    }
    if (s.responded) {
      return Outcome.DUPLICATE;
    }
    if (nowMillis > s.deadline) {
      counters.lateResponsesRefused++;
      return Outcome.LATE;
    }
    if (payload.length > config.maxResponseBytes) {
      counters.responsesTooLarge++;
      return Outcome.TOO_LARGE;
    }
    s.responded = true;
    counters.responsesSent++;
    answer(nowMillis, s, new Answer(id, ctx.localName(), payload.clone()), out);
    return Outcome.SENT;
  }

  /** Sends an ack or answer to the originator (and through relays), or records it if this node is the originator. */
  private void answer(long now, Seen s, Answer a, Outbox out) {
    if (isMine(a.id())) {
      collect(now, a, out);
      return;
    }
    PacketWriter w = packet(a.payload() == null ? 0 : a.payload().length);
    writeAnswer(w, a);
    ByteBuffer packet = w.finish();
    boolean stream = packet.remaining() > ctx.datagramBytes();
    if (stream && a.payload() != null) {
      counters.responsesOverTcp++;
    }
    out.send(s.originator, packet, stream ? Delivery.STREAM : Delivery.DATAGRAM);
    if (s.relayFactor > 0) {
      peers.clear();
      ctx.peers().sample(s.relayFactor + 1, peers);
      int sent = 0;
      for (Endpoint peer : peers) {
        if (sent == s.relayFactor || peer.equals(s.originator)) {
          continue;
        }
        PacketWriter rw = packet(a.payload() == null ? 0 : a.payload().length);
        rw.beginMessage(MessageType.QUERY_RELAY).putEndpoint(s.originator).putByte(a.isAck() ? KIND_ACK : KIND_RESPONSE);
        writeAnswerBody(rw, a);
        rw.endMessage();
        ByteBuffer rp = rw.finish();
        out.send(peer, rp, rp.remaining() > ctx.datagramBytes() ? Delivery.STREAM : Delivery.DATAGRAM);
        counters.relaysSent++;
        sent++;
      }
    }
  }

  private boolean isMine(QueryId id) {
    return id.epoch() == epoch && id.origin().equals(ctx.localName());
  }

  private PacketWriter packet(int payloadBytes) {
    return new PacketWriter(WireFormat.overhead(WireFormat.MAX_CLUSTER_NAME_BYTES) + 600 + payloadBytes,
        ctx.clusterName()).begin();
  }

  // ------------------------------------------------------------------ receiving

  @Override
  public void onMessage(long nowMillis, Endpoint from, Message message, Delivery delivery, Outbox out) {
    if (message instanceof Request r) {
      // A query of this node's own is never delivered twice, even once its id is forgotten.
      if (seen.containsKey(r.id()) || isMine(r.id())) {
        counters.duplicates++;
        return;
      }
      if (r.timeoutMillis() > config.maxTimeout.toMillis()) {
        counters.timeoutTooLong++;
        ctx.dropped(DropReason.BAD_FIELD);
        return;
      }
      receive(nowMillis, r, null, out);
    } else if (message instanceof Answer a) {
      onAnswer(nowMillis, a, out);
    } else if (message instanceof Relay rl) {
      if (rl.target().equals(ctx.localEndpoint())) {
        onAnswer(nowMillis, rl.answer(), out);
        return;
      }
      counters.relaysForwarded++;
      PacketWriter w = packet(rl.answer().payload() == null ? 0 : rl.answer().payload().length);
      writeAnswer(w, rl.answer());
      ByteBuffer packet = w.finish();
      out.send(rl.target(), packet, packet.remaining() > ctx.datagramBytes() ? Delivery.STREAM : Delivery.DATAGRAM);
    }
  }

  private void onAnswer(long now, Answer a, Outbox out) {
    if (!isMine(a.id())) {
      counters.unknownAnswers++;
      ctx.dropped(DropReason.UNEXPECTED);
      return;
    }
    collect(now, a, out);
  }

  /** First receipt (or issue) of a query: remember, pass on, deliver if the filters match. */
  private void receive(long now, Request r, byte[] encoded, Outbox out) {
    List<Pattern> compiled = new ArrayList<>(r.patterns().size());
    for (String p : r.patterns()) {
      try {
        compiled.add(Pattern.compile(p));
      } catch (PatternSyntaxException e) {
        counters.badFilter++;
        ctx.dropped(DropReason.BAD_FIELD);
        return;
      }
    }
    if (seen.size() >= config.dedupeWindow) {
      // Forgetting an id early would let its copies, still gossiped, be delivered and spread again.
      counters.windowFull++;
      return;
    }
    long deadline = now + r.timeoutMillis();
    Seen s = new Seen(r.id(), r.originator(), r.relayFactor(), deadline, deadline + r.timeoutMillis());
    seen.put(r.id(), s);
    if (nextSweepMillis == Long.MAX_VALUE) {
      nextSweepMillis = now + SWEEP_MILLIS;
    }
    spread(r, encoded == null ? encode(r) : encoded, isMine(r.id()), out);
    byte[] metadata = new byte[0];
    Membership m = membership();
    if (m != null && !compiled.isEmpty()) {
      metadata = m.localMember().metadata();
    }
    if (!matches(ctx.localName(), metadata, r.nodes(), compiled)) {
      counters.filteredOut++;
      return;
    }
    s.delivered = true;
    counters.delivered++;
    if (r.ackRequested()) {
      counters.acksSent++;
      answer(now, s, new Answer(r.id(), ctx.localName(), null), out);
    }
    out.emit(new QueryRequest(r.id(), r.name(), r.payload(), r.originator(), deadline));
  }

  /**
   * Passes a query on: on the gossip carrier, and pushed to a few peers by its originator (or by
   * every node, without a carrier).
   */
  private void spread(Request r, byte[] encoded, boolean originator, Outbox out) {
    QueryId id = r.id();
    boolean carried = ctx.piggyback("q:" + id.origin() + "\u0000" + id.epoch() + "\u0000" + id.seq(), encoded);
    if (carried && !originator) {
      return;
    }
    int n = Math.max(2, ctx.clusterSize());
    int fanout = (int) Math.ceil(Math.log(n)) + 2;
    peers.clear();
    ctx.peers().sample(fanout, peers);
    for (Endpoint peer : peers) {
      PacketWriter w = new PacketWriter(encoded.length + WireFormat.overhead(WireFormat.MAX_CLUSTER_NAME_BYTES),
          ctx.clusterName()).begin();
      w.putEncodedMessage(encoded);
      out.send(peer, w.finish(), Delivery.DATAGRAM);
    }
  }

  private boolean matches(String name, byte[] metadata, List<String> nodes, List<Pattern> patterns) {
    if (!nodes.isEmpty() && !nodes.contains(name)) {
      return false;
    }
    if (patterns.isEmpty()) {
      return true;
    }
    String text = new String(metadata, StandardCharsets.UTF_8);
    int[] budget = {MATCH_BUDGET}; // shared by the patterns: the whole check is bounded
    try {
      for (Pattern p : patterns) {
        if (!p.matcher(new BudgetedChars(text, budget)).find()) {
          return false;
        }
      }
      return true;
    } catch (BudgetExceeded | StackOverflowError e) {
      counters.filterBudgetExceeded++;
      return false;
    }
  }

  /** An ack or answer for one of this node's queries. */
  private void collect(long now, Answer a, Outbox out) {
    Pending p = outstanding.get(a.id());
    if (p != null && now >= p.deadline) {
      finish(p, true, out);
      p = null;
    }
    if (p == null) {
      counters.lateAnswers++;
      ctx.dropped(DropReason.UNEXPECTED);
      return;
    }
    if (p.acked.size() + p.responses.size() >= p.maxAnswers) {
      counters.tooManyAnswers++;
      return;
    }
    if (a.isAck()) {
      if (!p.acked.add(a.responder())) {
        counters.duplicateAnswers++;
        return;
      }
      counters.acksReceived++;
      out.emit(new QueryAck(a.id(), a.responder()));
    } else {
      if (p.responses.putIfAbsent(a.responder(), a.payload()) != null) {
        counters.duplicateAnswers++;
        return;
      }
      counters.responsesReceived++;
      out.emit(new QueryResponse(a.id(), a.responder(), a.payload()));
    }
    if (p.complete()) {
      finish(p, false, out);
    }
  }

  private void finish(Pending p, boolean timedOut, Outbox out) {
    outstanding.remove(p.id);
    counters.finished++;
    nextFinishMillis = Long.MAX_VALUE;
    for (Pending q : outstanding.values()) {
      nextFinishMillis = Math.min(nextFinishMillis, q.deadline);
    }
    out.emit(new QueryResult(p.id, p.name, p.expected, p.acked, p.responses, p.ackRequested, timedOut));
  }

  // ------------------------------------------------------------------ timers

  @Override
  public long nextDeadlineMillis() {
    return Math.min(nextFinishMillis, nextSweepMillis);
  }

  @Override
  public void onTick(long nowMillis, Outbox out) {
    if (nowMillis >= nextFinishMillis) {
      List<Pending> due = new ArrayList<>();
      for (Pending p : outstanding.values()) {
        if (p.deadline <= nowMillis) {
          due.add(p);
        }
      }
      for (Pending p : due) {
        finish(p, true, out);
      }
    }
    if (nowMillis >= nextSweepMillis) {
      seen.values().removeIf(s -> s.forgetAt <= nowMillis);
      nextSweepMillis = seen.isEmpty() ? Long.MAX_VALUE : nowMillis + SWEEP_MILLIS;
    }
  }

  // ------------------------------------------------------------------ codec

  /**
   * QUERY: origin(str8) epoch(8) seq(8) originator(endpoint) timeoutMillis(4) flags(1) relayFactor(1)
   * name(str8) nodeCount(2) node(str8)* patternCount(1) pattern(bytes16)* payload(bytes32).
   */
  private byte[] encode(Request r) {
    int size = 64 + 3 * 255 * 2 + r.payload().length;
    for (String p : r.patterns()) {
      size += 2 + p.length() * 3;
    }
    for (String n : r.nodes()) {
      size += 1 + n.length() * 3;
    }
    MessageEncoder e = new MessageEncoder(size);
    e.begin(MessageType.QUERY);
    writeId(e, r.id());
    e.putEndpoint(r.originator()).putInt(r.timeoutMillis())
        .putByte(r.ackRequested() ? FLAG_ACK : 0)
        .putByte(r.relayFactor()).putString8(r.name()).putShort(r.nodes().size());
    for (String n : r.nodes()) {
      e.putString8(n);
    }
    e.putByte(r.patterns().size());
    for (String p : r.patterns()) {
      e.putBytes16(p.getBytes(StandardCharsets.UTF_8));
    }
    e.putBytes32(r.payload());
    return e.end();
  }

  private static void writeId(FieldWriter w, QueryId id) {
    w.putString8(id.origin()).putLong(id.epoch()).putLong(id.seq());
  }

  /** QUERY_ACK: id, responder(str8). QUERY_RESPONSE: id, responder(str8), payload(bytes32). */
  private static void writeAnswer(PacketWriter w, Answer a) {
    w.beginMessage(a.isAck() ? MessageType.QUERY_ACK : MessageType.QUERY_RESPONSE);
    writeAnswerBody(w, a);
    w.endMessage();
  }

  private static void writeAnswerBody(FieldWriter w, Answer a) {
    writeId(w, a.id());
    w.putString8(a.responder());
    if (!a.isAck()) {
      w.putBytes32(a.payload());
    }
  }

  private static QueryId readId(PacketReader r) throws MalformedPacketException {
    QueryId id = new QueryId(r.getString8(), r.getLong(), r.getLong());
    if (id.seq() < 1) {
      throw new MalformedPacketException(DropReason.BAD_FIELD, "query sequence " + id.seq());
    }
    return id;
  }

  private Answer readAnswer(PacketReader r, boolean ack) throws MalformedPacketException {
    QueryId id = readId(r);
    String responder = r.getString8();
    return new Answer(id, responder, ack ? null : r.getBytes32(config.maxResponseBytes));
  }

  @Override
  public Message decode(PacketReader r) throws MalformedPacketException {
    MessageType type = MessageType.of(r.type());
    if (type == null) {
      throw new MalformedPacketException(DropReason.UNKNOWN_TYPE, "type " + (r.type() & 0xff));
    }
    Message m;
    switch (type) {
      case QUERY -> {
        QueryId id = readId(r);
        Endpoint originator = r.getEndpoint();
        int timeout = r.getInt();
        int flags = r.getByte();
        int relay = r.getByte();
        if (timeout <= 0 || (flags & ~FLAG_ACK) != 0 || relay > MAX_RELAY_FACTOR) {
          throw new MalformedPacketException(DropReason.BAD_FIELD, "query header");
        }
        String name = r.getString8();
        int count = r.getShort();
        List<String> nodes = new ArrayList<>(Math.min(count, 64));
        for (int i = 0; i < count; i++) {
          nodes.add(r.getString8());
        }
        int patternCount = r.getByte();
        if (patternCount > MAX_PATTERNS) {
          throw new MalformedPacketException(DropReason.BAD_FIELD, patternCount + " metadata patterns");
        }
        List<String> patterns = new ArrayList<>(patternCount);
        for (int i = 0; i < patternCount; i++) {
          byte[] b = r.getBytes16(MAX_REGEX_BYTES);
          if (b.length == 0) {
            throw new MalformedPacketException(DropReason.BAD_FIELD, "empty metadata pattern");
          }
          patterns.add(new String(b, StandardCharsets.UTF_8));
        }
        byte[] payload = r.getBytes32(config.maxPayloadBytes);
        m = new Request(id, originator, timeout, (flags & FLAG_ACK) != 0, relay, name, List.copyOf(nodes), List.copyOf(patterns),
            payload);
      }
      case QUERY_ACK -> m = readAnswer(r, true);
      case QUERY_RESPONSE -> m = readAnswer(r, false);
      case QUERY_RELAY -> {
        Endpoint target = r.getEndpoint();
        int kind = r.getByte();
        if (kind > KIND_RESPONSE) {
          throw new MalformedPacketException(DropReason.BAD_FIELD, "relay kind " + kind);
        }
        m = new Relay(target, readAnswer(r, kind == KIND_ACK));
      }
      default -> throw new MalformedPacketException(DropReason.UNKNOWN_TYPE, "not a query message");
    }
    if (r.remaining() != 0) {
      throw new MalformedPacketException(DropReason.BAD_FIELD, "trailing bytes in " + type);
    }
    return m;
  }
}
