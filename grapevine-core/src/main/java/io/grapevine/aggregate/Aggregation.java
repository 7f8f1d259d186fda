// SPDX-License-Identifier: Apache-2.0
package io.grapevine.aggregate;

import io.grapevine.api.AggregationStats;
import io.grapevine.config.AggregationConfig;
import io.grapevine.api.AggregateEstimate;
import io.grapevine.stack.Protocol;
import io.grapevine.stack.ProtocolContext;
import io.grapevine.wire.MessageRange;
import io.grapevine.config.AggregationConfig.Mode;
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
import java.nio.BufferOverflowException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;

/**
 * Cluster-wide AVG, SUM, COUNT, MIN and MAX by fixed-size pairwise exchanges, as a {@link
 * Protocol} of a node's stack.
 *
 * <p>Every node holds named local values. Per name the protocol averages two quantities over all
 * nodes: {@code x} (the value, 0 where unpublished) and {@code w} (1 where published, else 0); a
 * third, {@code c}, is 1 at the epoch's leader and 0 elsewhere. Their means give {@code COUNT = 1/c̄},
 * {@code AVG = x̄ / w̄}, {@code SUM = x̄ · COUNT}, publishers {@code = w̄ · COUNT}. MIN and MAX spread by
 * max-gossip. The averaging itself is one of three {@link Mode}s.
 *
 * <p><b>Epochs.</b> Time is cut into epochs of {@code epochRounds} rounds, identified by (number,
 * leader). The node whose epoch timer fires first starts the next one as its leader; a node that
 * hears of a newer epoch (higher number, or equal number and smaller leader name) joins it with a
 * fresh state. So estimates follow joins, crashes and value changes, and any damage (from loss in
 * the lossy modes) lasts one epoch at most. Until an epoch is {@code reportAfterRounds} old, the
 * previous epoch's final estimates are reported.
 *
 * <p><b>Who an epoch counts (FLOW).</b> The nodes it began with: a node started more than {@code
 * censusRounds} later only reads estimates until the next epoch, and a neighbor gone in mid-epoch
 * has its flows folded into the values of the nodes that knew it, so it stays counted (with about a
 * mean share) until the next epoch. Churn then shifts COUNT by one epoch instead of biasing it.
 */
public final class Aggregation implements Protocol<Aggregation.Exchange> {
  private static final int KIND_REQUEST = 0;
  private static final int KIND_REPLY = 1;
  private static final int KIND_PUSH = 2;
  private static final int KIND_NOTICE = 3;
  private static final int KIND_BUSY = 4;

  /** One quantity pair on the wire. */
  record Quantity(String name, double xa, double xb, double wa, double wb, double min, double max) {}

  /**
   * One message. {@code fromReader} and {@code age} (of the epoch, in rounds) describe the sender
   * and are filled in by the decoder; {@link #send} writes them from the sending node's own state.
   */
  record Exchange(long epoch, String leader, int kind, int seq, Endpoint sender, double ca, double cb,
      List<Quantity> quantities, boolean fromReader, int age) {
    Exchange(long epoch, String leader, int kind, int seq, Endpoint sender, double ca, double cb, List<Quantity> qs) {
      this(epoch, leader, kind, seq, sender, ca, cb, qs, false, 0);
    }
  }

  /** Top bit of the kind byte: the sender only reads this epoch's estimates (started after its census). */
  private static final int FROM_READER = 0x80;
  private static final int KIND_MASK = 0x7F;
  /**
   * A neighbor that last held more than this share of the COUNT indicator restarts the epoch when it
   * goes: folding it would lose that share, and COUNT would run a third or more high for the whole
   * epoch. Only the leader and its first partners hold so much, in an epoch's first rounds (and
   * every node of a cluster of three). Lower thresholds restarted so many epochs under 1% churn per
   * round that none lived long enough to be reported.
   */
  private static final double HEAVY_SHARE = 0.25;
  /** Most forgotten neighbors whose folded flows are remembered (see {@link #kept}). */
  private static final int KEPT_MEMORY = 16;

  /** Per-name state in the current epoch. */
  private static final class Entry {
    final String name;
    double baseX;
    double baseW;
    double x;
    double w;
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    double lastAvg = Double.NaN;
    double error = Double.NaN;
    /** Index in {@link #entryList}: the slot of this name's flows in every {@link Neighbor}. */
    int slot;
    /** PUSH_PULL: the values sent in the exchange in flight, if {@link #sent}. */
    boolean sent;
    double sentX;
    double sentW;
    /** FLOW, reader: the last estimates {x̄, w̄} a participant sent this node. */
    double readX = Double.NaN;
    double readW = Double.NaN;

    Entry(String name) {
      this.name = name;
    }
  }

  /** FLOW: what this node has sent a neighbor, net, per quantity (indexed by {@link Entry#slot}). */
  private static final class Neighbor {
    final Endpoint endpoint;
    double flowC;
    double[] flowX = new double[1];
    double[] flowW = new double[1];
    /** When this neighbor was last heard from (a request, reply or refusal). */
    long lastHeardMillis;
    /** Its COUNT indicator estimate when last heard from. */
    double lastC;

    Neighbor(Endpoint endpoint, long nowMillis) {
      this.endpoint = endpoint;
      this.lastHeardMillis = nowMillis;
    }

    double flowX(int slot) {
      return slot < flowX.length ? flowX[slot] : 0;
    }

    double flowW(int slot) {
      return slot < flowW.length ? flowW[slot] : 0;
    }

    void setFlow(int slot, double x, double w) {
      if (slot >= flowX.length) {
        int cap = Math.max(slot + 1, flowX.length * 2);
        flowX = java.util.Arrays.copyOf(flowX, cap);
        flowW = java.util.Arrays.copyOf(flowW, cap);
      }
      flowX[slot] = x;
      flowW[slot] = w;
    }
  }

  private final AggregationConfig config;
  private final RandomGenerator random;
  private ProtocolContext ctx;

  private final Map<String, Double> published = new LinkedHashMap<>();
  private final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>();
  private final List<Entry> entryList = new ArrayList<>();
  private final HashMap<Endpoint, Neighbor> neighbors = new HashMap<>();
  /** FLOW: the neighbors in the order they are contacted, round-robin from {@link #cursor}. */
  private final List<Neighbor> neighborList = new ArrayList<>();
  private int cursor;
  private final List<Endpoint> chosen = new ArrayList<>();
  private PacketWriter writer;
  /** PUSH_PULL: the peer of the exchange in flight (null if none), its number, the c sent. */
  private Endpoint pendingPeer;
  private int pendingSeq;
  private int seq;
  private double sentC;
  /**
   * FLOW: the neighbor of this round's exchange until it answers (null once it has), the attempts
   * sent so far and when the next one is due.
   */
  private Neighbor flowPending;
  private int flowAttempts;
  private long flowRetryAtMillis;
  private Map<String, AggregateEstimate> previous = Map.of();
  private final AggregationCounters stats = new AggregationCounters();

  private long epoch = -1;
  private String leader;
  private int rounds;
  /** The epoch's age in rounds when this node entered it (0 if it started it). */
  private int ageAtEntry;
  /** When {@link #start} was called: whether this node existed at an epoch's census. */
  private long startedMillis;
  /**
   * FLOW: this node started after the current epoch's census, so it holds no share of it and only
   * reads estimates from participants until the next epoch (see {@link AggregationConfig#censusRounds}).
   */
  private boolean reader;
  /** FLOW, reader: the last c̄ a participant sent. */
  private double readC = Double.NaN;
  /**
   * FLOW: the last neighbors forgotten in this epoch, with the flows folded into this node's base
   * ({c, then x and w per slot}), so one that comes back (forgotten by mistake) gets them back.
   */
  private LinkedHashMap<Endpoint, double[]> kept;
  private double baseC;
  private double c;
  private double omega = 1;
  private double lastCount = Double.NaN;
  private long nextRoundMillis = Long.MAX_VALUE;
  private long epochEndMillis = Long.MAX_VALUE;

  public Aggregation(AggregationConfig config, RandomGenerator random) {
    this.config = config;
    this.random = random;
  }

  @Override
  public void attach(ProtocolContext context) {
    this.ctx = context;
  }

  /** The protocol's name on a stack. */
  public static final String PROTOCOL_NAME = "aggregation";

  @Override
  public String protocolName() {
    return PROTOCOL_NAME;
  }

  @Override
  public MessageRange messageTypes() {
    return MessageRange.AGGREGATION;
  }

  public AggregationConfig config() {
    return config;
  }

  public AggregationStats stats() {
    return stats.snapshot();
  }

  public long epoch() {
    return epoch;
  }

  public String leader() {
    return leader;
  }

  @Override
  public void start(long nowMillis, io.grapevine.node.Outbox out) {
    start(nowMillis);
  }

  /** Starts the first epoch (with this node as its leader, until a better epoch is heard of). */
  public void start(long nowMillis) {
    start(nowMillis, 0, ctx.localName());
  }

  /**
   * Starts in a given epoch: for runs where every node starts together and the leader is known
   * (simulations, measurements), so no rounds are spent agreeing on the first epoch.
   */
  public void start(long nowMillis, long epochNumber, String leaderName) {
    if (epoch < 0) {
      startedMillis = nowMillis;
      enterEpoch(nowMillis, epochNumber, leaderName, 0, true);
      nextRoundMillis = nowMillis + 1 + random.nextLong(config.roundInterval.toMillis());
    }
  }

  // ------------------------------------------------------------------ local values

  /**
   * Sets this node's value for {@code name}. Takes effect at once: every mode conserves the change
   * as added mass. MIN and MAX catch up at the next epoch if the value moved inward.
   */
  public void publish(String name, double value) {
    int len = name.getBytes(StandardCharsets.UTF_8).length;
    if (len < 1 || len > 255) {
      throw new IllegalArgumentException("aggregate name must be 1..255 UTF-8 bytes, got " + len);
    }
    if (!Double.isFinite(value)) {
      throw new IllegalArgumentException("aggregate value must be a finite number, got " + value);
    }
    if (!published.containsKey(name) && published.size() >= config.maxNames) {
      throw new IllegalArgumentException("at most " + config.maxNames + " aggregates per node");
    }
    // The entry first (it starts from the old value), then the change is added as mass.
    Entry e = entry(name);
    Double old = published.put(name, value);
    if (e == null) {
      return;
    }
    double dx = value - (old == null ? 0 : old);
    double dw = old == null ? 1 : 0;
    e.baseX += dx;
    e.baseW += dw;
    if (config.mode == Mode.PUSH_PULL) {
      e.x += dx;
      e.w += dw;
    } else if (config.mode == Mode.PUSH_SUM) {
      e.x += dx * omega;
      e.w += dw * omega;
    }
    e.min = Math.min(e.min, value);
    e.max = Math.max(e.max, value);
  }

  /** Withdraws this node's value for {@code name}. */
  public void unpublish(String name) {
    Double old = published.remove(name);
    Entry e = entries.get(name);
    if (old == null || e == null) {
      return;
    }
    e.baseX -= old;
    e.baseW -= 1;
    if (config.mode == Mode.PUSH_PULL) {
      e.x -= old;
      e.w -= 1;
    } else if (config.mode == Mode.PUSH_SUM) {
      e.x -= old * omega;
      e.w -= omega;
    }
  }

  /** This node's published values. */
  public Map<String, Double> published() {
    return Map.copyOf(published);
  }

  // ------------------------------------------------------------------ estimates

  /** The current estimate for {@code name}, or null if it is unknown here. */
  public AggregateEstimate estimate(String name) {
    Entry e = entries.get(name);
    AggregateEstimate prev = previous.get(name);
    if (rounds < config.reportAfterRounds && prev != null) {
      return prev;
    }
    return e == null ? prev : current(e);
  }

  /** Estimates for every aggregate known here. */
  public Map<String, AggregateEstimate> estimates() {
    Map<String, AggregateEstimate> out = new LinkedHashMap<>();
    for (String name : entries.keySet()) {
      out.put(name, estimate(name));
    }
    for (Map.Entry<String, AggregateEstimate> p : previous.entrySet()) {
      out.putIfAbsent(p.getKey(), p.getValue());
    }
    return out;
  }

  /** Estimated number of live nodes (the COUNT aggregate), NaN before the first estimate. */
  public double clusterSize() {
    if (rounds < config.reportAfterRounds && !Double.isNaN(lastCount)) {
      return lastCount;
    }
    return count();
  }

  /**
   * This node's value of the COUNT indicator (1/N once converged; 0 at a reader): tests sum it over
   * the nodes to see whether the indicator's mass is where it should be.
   */
  double meanIndicator() {
    return reader ? 0 : estimateC();
  }

  /** FLOW: whether this node only reads the current epoch (it started after the census). */
  public boolean isReader() {
    return reader;
  }

  /** This node's share {x, w} of {@code name}'s mass (0s if unknown): tests sum it over nodes. */
  double[] held(String name) {
    Entry e = entries.get(name);
    return e == null || reader ? new double[2] : new double[] {estimateX(e), estimateW(e)};
  }

  /** FLOW: neighbors in this node's table. */
  int neighborCount() {
    return neighborList.size();
  }

  private double count() {
    double cbar = estimateC();
    return cbar > 0 ? 1.0 / cbar : Double.NaN;
  }

  private AggregateEstimate current(Entry e) {
    double n = count();
    double xbar = estimateX(e);
    double wbar = estimateW(e);
    double avg = wbar > 0 ? xbar / wbar : Double.NaN;
    return new AggregateEstimate(e.name, avg, xbar * n, n, wbar * n, e.min, e.max, epoch, rounds, e.error);
  }

  private double estimateC() {
    switch (config.mode) {
      case FLOW: {
        if (reader) {
          return readC;
        }
        double v = baseC;
        for (int i = 0; i < neighborList.size(); i++) {
          v -= neighborList.get(i).flowC;
        }
        return v;
      }
      case PUSH_SUM:
        return c / omega;
      default:
        return c;
    }
  }

  private double estimateX(Entry e) {
    switch (config.mode) {
      case FLOW: {
        if (reader) {
          return e.readX;
        }
        double v = e.baseX;
        for (int i = 0; i < neighborList.size(); i++) {
          v -= neighborList.get(i).flowX(e.slot);
        }
        return v;
      }
      case PUSH_SUM:
        return e.x / omega;
      default:
        return e.x;
    }
  }

  private double estimateW(Entry e) {
    switch (config.mode) {
      case FLOW: {
        if (reader) {
          return e.readW;
        }
        double v = e.baseW;
        for (int i = 0; i < neighborList.size(); i++) {
          v -= neighborList.get(i).flowW(e.slot);
        }
        return v;
      }
      case PUSH_SUM:
        return e.w / omega;
      default:
        return e.w;
    }
  }

  // ------------------------------------------------------------------ epochs

  /** The current epoch's age in rounds, as far as this node knows. */
  private int epochAge() {
    return ageAtEntry + rounds;
  }

  /**
   * FLOW: whether a node entering an epoch that is {@code age} rounds old takes part in it: it must
   * have been running at the epoch's census (round {@code censusRounds}). One that started later
   * only reads estimates until the next epoch, so joins after the census do not dilute COUNT.
   */
  private boolean takesPart(long now, int age) {
    if (config.mode != Mode.FLOW || age <= config.censusRounds) {
      return true;
    }
    return startedMillis <= now - (long) (age - config.censusRounds) * config.roundInterval.toMillis();
  }

  private void enterEpoch(long now, long number, String newLeader, int age, boolean participant) {
    // Only a mature epoch's result is worth reporting; a short-lived competing epoch is not.
    if (epoch >= 0 && rounds >= config.reportAfterRounds && rounds > 0) {
      Map<String, AggregateEstimate> done = new LinkedHashMap<>();
      for (Entry e : entries.values()) {
        done.put(e.name, current(e));
      }
      previous = done;
      lastCount = count();
    }
    epoch = number;
    leader = newLeader;
    rounds = 0;
    ageAtEntry = Math.max(0, age);
    reader = !participant;
    readC = Double.NaN;
    if (kept != null) {
      kept.clear();
    }
    omega = 1;
    neighbors.clear();
    neighborList.clear();
    cursor = 0;
    pendingPeer = null;
    flowPending = null;
    entries.clear();
    entryList.clear();
    baseC = newLeader.equals(ctx.localName()) ? 1 : 0;
    c = baseC;
    for (Map.Entry<String, Double> p : published.entrySet()) {
      Entry e = new Entry(p.getKey());
      e.baseX = p.getValue();
      e.baseW = 1;
      e.x = e.baseX;
      e.w = 1;
      e.min = p.getValue();
      e.max = p.getValue();
      e.slot = entryList.size();
      entries.put(e.name, e);
      entryList.add(e);
    }
    long interval = config.roundInterval.toMillis();
    // Non-leaders wait longer than a new epoch takes to spread (about 2 log2 N rounds), so the
    // leader usually starts the next epoch alone.
    int spreadRounds = 3 + 2 * (int) Math.ceil(Math.log(ctx.clusterSize() + 1.0) / Math.log(2));
    long jitter = baseC == 1 ? 0 : interval * spreadRounds + random.nextLong(2 * interval);
    epochEndMillis = now + config.epochRounds * interval + jitter;
    stats.epochs++;
  }

  /** Whether (number, leaderName) outranks the current epoch. */
  private boolean newer(long number, String leaderName) {
    return number > epoch || (number == epoch && leaderName.compareTo(leader) < 0);
  }

  private Entry entry(String name) {
    Entry e = entries.get(name);
    if (e == null && epoch >= 0) {
      if (entries.size() >= config.maxNames * 2) {
        return null;
      }
      e = new Entry(name);
      Double v = published.get(name);
      if (v != null) {
        e.baseX = v;
        e.baseW = 1;
        e.x = config.mode == Mode.PUSH_SUM ? v * omega : v;
        e.w = config.mode == Mode.PUSH_SUM ? omega : 1;
        e.min = v;
        e.max = v;
      }
      e.slot = entryList.size();
      entries.put(name, e);
      entryList.add(e);
    }
    return e;
  }

  // ------------------------------------------------------------------ rounds

  @Override
  public long nextDeadlineMillis() {
    long retry = flowPending != null && flowAttempts <= config.requestRetries ? flowRetryAtMillis : Long.MAX_VALUE;
    return Math.min(Math.min(nextRoundMillis, epochEndMillis), retry);
  }

  @Override
  public void onTick(long nowMillis, Outbox out) {
    if (nowMillis >= epochEndMillis) {
      enterEpoch(nowMillis, epoch + 1, ctx.localName(), 0, true);
    }
    if (nowMillis >= nextRoundMillis) {
      round(nowMillis, out);
      nextRoundMillis = nowMillis + config.roundInterval.toMillis();
    }
    if (flowPending != null && flowAttempts <= config.requestRetries && nowMillis >= flowRetryAtMillis) {
      // No reply yet: ask again. The request carries this node's current flows, so a repeat (or a
      // reply to the first attempt arriving late) leaves the pair consistent.
      stats.retries++;
      flowAttempts++;
      flowRetryAtMillis = nowMillis + config.retryAfter.toMillis();
      sendFlowRequest(flowPending, out);
    }
  }

  private void round(long nowMillis, Outbox out) {
    rounds++;
    for (int i = 0; i < entryList.size(); i++) {
      Entry e = entryList.get(i);
      double avg = avg(e);
      if (!Double.isNaN(e.lastAvg) && !Double.isNaN(avg)) {
        e.error = Math.abs(avg - e.lastAvg) / Math.max(Math.abs(avg), 1e-12);
      }
      e.lastAvg = avg;
    }
    if (config.mode == Mode.FLOW) {
      if (flowPending != null) {
        // None of the attempts was answered. The neighbor stays until neighborTimeout: dropping it
        // now would move its whole accumulated flow at once, and under loss most such neighbors
        // are alive (measured: it made COUNT worse under 5% loss and no better under churn).
        flowPending = null;
        stats.unanswered++;
      }
      expireNeighbors(nowMillis);
    }
    if (config.mode == Mode.PUSH_PULL && pendingPeer != null) {
      // The reply never came (lost, or the peer is gone): give up on that exchange. If the request
      // got through, the peer has averaged and the pair's mass moved: the cost of plain push-pull
      // under loss, bounded by the epoch.
      pendingPeer = null;
      stats.unanswered++;
    }
    if (entries.isEmpty()) {
      // Nothing published anywhere this node has heard of: stay silent (no idle traffic). The first
      // exchange from a node that publishes brings the names, and this node joins in.
      return;
    }
    if (reader) {
      // Ask a participant for its estimates (and let it see our MIN and MAX); nothing to repair.
      chosen.clear();
      ctx.peers().sample(1, chosen);
      if (!chosen.isEmpty()) {
        List<Quantity> qs = new ArrayList<>(entryList.size());
        for (int i = 0; i < entryList.size(); i++) {
          Entry e = entryList.get(i);
          qs.add(new Quantity(e.name, 0, 0, 0, 0, e.min, e.max));
        }
        send(chosen.get(0), new Exchange(epoch, leader, KIND_REQUEST, 0, ctx.localEndpoint(), 0, 0, qs), out);
      }
      return;
    }
    Endpoint peer = pickPeer(nowMillis);
    if (peer == null) {
      return;
    }
    switch (config.mode) {
      case FLOW -> {
        Neighbor nb = neighbors.get(peer);
        flowPending = nb;
        flowAttempts = 1;
        flowRetryAtMillis = nowMillis + config.retryAfter.toMillis();
        sendFlowRequest(nb, out);
      }
      case PUSH_PULL -> {
        List<Quantity> qs = new ArrayList<>(entryList.size());
        for (int i = 0; i < entryList.size(); i++) {
          Entry e = entryList.get(i);
          qs.add(new Quantity(e.name, e.x, 0, e.w, 0, e.min, e.max));
        }
        pendingPeer = peer;
        pendingSeq = ++seq;
        sentC = c;
        int written = send(peer, new Exchange(epoch, leader, KIND_REQUEST, pendingSeq, ctx.localEndpoint(), c, 0, qs),
            out);
        // Remember exactly what went out: the reply's correction is relative to it, so a value
        // published meanwhile is kept whole.
        for (int i = 0; i < entryList.size(); i++) {
          Entry e = entryList.get(i);
          e.sent = i < written;
          e.sentX = e.x;
          e.sentW = e.w;
        }
      }
      case PUSH_SUM -> {
        omega /= 2;
        c /= 2;
        List<Quantity> qs = new ArrayList<>(entryList.size());
        for (int i = 0; i < entryList.size(); i++) {
          Entry e = entryList.get(i);
          e.x /= 2;
          e.w /= 2;
          qs.add(new Quantity(e.name, e.x, 0, e.w, 0, e.min, e.max));
        }
        send(peer, new Exchange(epoch, leader, KIND_PUSH, 0, ctx.localEndpoint(), c, omega, qs), out);
      }
      default -> throw new AssertionError(config.mode);
    }
  }

  /** FLOW: a request to {@code nb} carrying this node's flows toward it and its estimates. */
  private void sendFlowRequest(Neighbor nb, Outbox out) {
    List<Quantity> qs = new ArrayList<>(entryList.size());
    for (int i = 0; i < entryList.size(); i++) {
      Entry e = entryList.get(i);
      qs.add(new Quantity(e.name, nb.flowX(e.slot), estimateX(e), nb.flowW(e.slot), estimateW(e), e.min, e.max));
    }
    send(nb.endpoint, new Exchange(epoch, leader, KIND_REQUEST, 0, ctx.localEndpoint(), nb.flowC, estimateC(), qs), out);
  }

  private double avg(Entry e) {
    double w = estimateW(e);
    return w > 0 ? estimateX(e) / w : Double.NaN;
  }

  /**
   * FLOW: forgets every neighbor not heard from for {@code neighborTimeout} ({@link #dropNeighbor}),
   * where no membership protocol reports deaths, so the table takes in live nodes instead. A live
   * neighbor forgotten by mistake is taken back, flows and all, by its next request.
   */
  private void expireNeighbors(long nowMillis) {
    long timeout = config.neighborTimeout.toMillis();
    for (int i = neighborList.size() - 1; i >= 0; i--) {
      Neighbor nb = neighborList.get(i);
      if (nowMillis - nb.lastHeardMillis > timeout) {
        stats.neighborsTimedOut++;
        if (dropNeighbor(nowMillis, nb)) {
          return;
        }
      }
    }
  }

  /**
   * A neighbor is gone. Usually its flows are folded into this node's base (below) and the epoch
   * goes on counting it. If it last held more than {@link #HEAVY_SHARE} of the COUNT indicator (the
   * leader or one of its first partners, early in an epoch), folding would lose too much of the
   * yardstick: this node starts the next epoch at once (neighbors of the dead node may all do so;
   * the usual rule picks one), rather than report a COUNT that far off until the epoch would end.
   *
   * @return whether the epoch was restarted
   */
  private boolean dropNeighbor(long nowMillis, Neighbor nb) {
    if (nb.lastC > HEAVY_SHARE) {
      // Restart before its flows leave the table, so the epoch's final estimates (reported until
      // the new epoch is old enough) are the ones this node had, not skewed by the loss.
      stats.epochsRestarted++;
      enterEpoch(nowMillis, epoch + 1, ctx.localName(), 0, true);
      return true;
    }
    // The epoch counts the nodes it began with (nodes started since only read), so one gone in
    // mid-epoch stays counted until the next epoch: this node folds the flows it had with it into
    // its own base, and its estimate does not move. What the gone node held itself, about a mean
    // share once the epoch has mixed, stays with it. (Taking its flows away instead, so that its
    // share came back, made COUNT run ahead by every crash not yet noticed while its replacement
    // was counted, and each of its neighbors noticed at a different time.)
    double[] folded = new double[1 + 2 * entryList.size()];
    folded[0] = nb.flowC;
    baseC -= nb.flowC;
    for (int i = 0; i < entryList.size(); i++) {
      Entry e = entryList.get(i);
      folded[1 + 2 * e.slot] = nb.flowX(e.slot);
      folded[2 + 2 * e.slot] = nb.flowW(e.slot);
      e.baseX -= nb.flowX(e.slot);
      e.baseW -= nb.flowW(e.slot);
    }
    removeNeighbor(neighborList.indexOf(nb));
    if (kept == null) {
      kept = new LinkedHashMap<>();
    }
    kept.put(nb.endpoint, folded);
    if (kept.size() > KEPT_MEMORY) {
      kept.remove(kept.keySet().iterator().next());
    }
    stats.neighborsKept++;
    return false;
  }

  private void removeNeighbor(int index) {
    Neighbor nb = neighborList.remove(index);
    if (nb == flowPending) {
      flowPending = null;
    }
    neighbors.remove(nb.endpoint);
    if (index < cursor) {
      cursor--;
    }
  }

  private void removeNeighbor(Endpoint endpoint) {
    Neighbor nb = neighbors.get(endpoint);
    if (nb != null) {
      removeNeighbor(neighborList.indexOf(nb));
    }
  }

  private Neighbor addNeighbor(Endpoint endpoint, long nowMillis) {
    Neighbor nb = new Neighbor(endpoint, nowMillis);
    neighbors.put(endpoint, nb);
    neighborList.add(nb);
    return nb;
  }

  private Endpoint pickPeer(long nowMillis) {
    chosen.clear();
    if (config.mode != Mode.FLOW) {
      ctx.peers().sample(1, chosen);
      return chosen.isEmpty() ? null : chosen.get(0);
    }
    if (neighborList.size() < config.neighbors) {
      ctx.peers().sample(config.neighbors - neighborList.size(), chosen);
      for (Endpoint e : chosen) {
        if (!neighbors.containsKey(e)) {
          addNeighbor(e, nowMillis);
        }
      }
    }
    if (neighborList.isEmpty()) {
      return null;
    }
    // Round-robin, not random: every neighbor is contacted at least once per table length, which
    // bounds the silence between live neighbors that neighborTimeout must outlast.
    if (cursor >= neighborList.size()) {
      cursor = 0;
    }
    return neighborList.get(cursor++).endpoint;
  }

  // ------------------------------------------------------------------ receiving

  @Override
  public void onMessage(long nowMillis, Endpoint from, Exchange message, Delivery delivery, Outbox out) {
    Exchange x = (Exchange) message;
    if (epoch < 0) {
      return;
    }
    if (newer(x.epoch(), x.leader())) {
      enterEpoch(nowMillis, x.epoch(), x.leader(), x.age(), takesPart(nowMillis, x.age()));
    } else if (x.epoch() != epoch || !x.leader().equals(leader)) {
      stats.staleEpoch++;
      if (x.kind() == KIND_REQUEST || x.kind() == KIND_PUSH) {
        send(x.sender(), new Exchange(epoch, leader, KIND_NOTICE, 0, ctx.localEndpoint(), 0, 0, List.of()), out);
      }
      return;
    }
    if (x.kind() == KIND_NOTICE) {
      return;
    }
    for (Quantity q : x.quantities()) {
      Entry e = entry(q.name());
      if (e != null) {
        e.min = Math.min(e.min, q.min());
        e.max = Math.max(e.max, q.max());
      }
    }
    switch (config.mode) {
      case FLOW -> onFlow(nowMillis, x, out);
      case PUSH_PULL -> onPushPull(x, out);
      case PUSH_SUM -> onPushSum(x);
      default -> throw new AssertionError(config.mode);
    }
  }

  /** The quantity named {@code name} in {@code qs}, or null: a scan, as exchanges carry few names. */
  private static Quantity find(List<Quantity> qs, String name, int hint) {
    if (hint < qs.size() && qs.get(hint).name().equals(name)) {
      return qs.get(hint);
    }
    for (int i = 0; i < qs.size(); i++) {
      if (qs.get(i).name().equals(name)) {
        return qs.get(i);
      }
    }
    return null;
  }

  private void onFlow(long nowMillis, Exchange x, Outbox out) {
    if (reader) {
      if (x.kind() == KIND_REPLY && !x.fromReader()) {
        readC = x.cb();
        for (Quantity q : x.quantities()) {
          Entry e = entry(q.name());
          if (e != null) {
            e.readX = q.xb();
            e.readW = q.wb();
          }
        }
      } else if (x.kind() == KIND_REQUEST && !x.fromReader()) {
        // A participant sampled us: we hold no share, so it must look elsewhere.
        send(x.sender(), new Exchange(epoch, leader, KIND_BUSY, 0, ctx.localEndpoint(), 0, 0, List.of()), out);
      }
      return;
    }
    if (x.fromReader()) {
      if (x.kind() == KIND_REQUEST) {
        List<Quantity> qs = new ArrayList<>(entryList.size());
        for (int i = 0; i < entryList.size(); i++) {
          Entry e = entryList.get(i);
          qs.add(new Quantity(e.name, 0, estimateX(e), 0, estimateW(e), e.min, e.max));
        }
        stats.reads++;
        send(x.sender(), new Exchange(epoch, leader, KIND_REPLY, 0, ctx.localEndpoint(), 0, estimateC(), qs), out);
      }
      return;
    }
    Neighbor nb = neighbors.get(x.sender());
    if (nb == null) {
      if (x.kind() != KIND_REQUEST) {
        stats.refused++;
        return;
      }
      double[] share = kept == null ? null : kept.remove(x.sender());
      if (share != null) {
        // Forgotten by mistake: unfold what was folded; its flows come back into the table below.
        baseC += share[0];
        for (int i = 0; i < entryList.size(); i++) {
          Entry e = entryList.get(i);
          if (1 + 2 * e.slot < share.length) {
            e.baseX += share[1 + 2 * e.slot];
            e.baseW += share[2 + 2 * e.slot];
          }
        }
        stats.neighborsReturned++;
      }
      if (share == null && neighborList.size() >= 2 * config.neighbors) {
        // A full table: say so, and the requester drops us (we share no flows) and samples another.
        stats.refused++;
        send(x.sender(), new Exchange(epoch, leader, KIND_BUSY, 0, ctx.localEndpoint(), 0, 0, List.of()), out);
        return;
      }
      nb = addNeighbor(x.sender(), nowMillis);
    }
    nb.lastHeardMillis = nowMillis;
    if (nb == flowPending && x.kind() != KIND_REQUEST) {
      flowPending = null;
    }
    if (x.kind() == KIND_BUSY) {
      removeNeighbor(x.sender());
      stats.refusedByPeer++;
      return;
    }
    if (x.kind() == KIND_REPLY) {
      nb.lastC = x.cb();
      // Their flow toward us is the negation of ours toward them: state, not delta, so a lost
      // message costs nothing once the next one arrives.
      nb.flowC = -x.ca();
      for (Quantity q : x.quantities()) {
        Entry e = entry(q.name());
        if (e != null) {
          nb.setFlow(e.slot, -q.xa(), -q.wa());
        }
      }
      stats.exchanges++;
      return;
    }
    if (x.kind() != KIND_REQUEST) {
      return;
    }
    List<Quantity> theirs = x.quantities();
    nb.lastC = x.cb();
    nb.flowC = -x.ca();
    double ec = estimateC();
    double tc = (ec + x.cb()) / 2;
    nb.flowC += ec - tc;
    List<Quantity> reply = new ArrayList<>(entryList.size());
    for (int i = 0; i < entryList.size(); i++) {
      Entry e = entryList.get(i);
      Quantity q = find(theirs, e.name, i);
      nb.setFlow(e.slot, q == null ? 0 : -q.xa(), q == null ? 0 : -q.wa());
      double ex = estimateX(e);
      double ew = estimateW(e);
      double tx = (ex + (q == null ? 0 : q.xb())) / 2;
      double tw = (ew + (q == null ? 0 : q.wb())) / 2;
      double fx = nb.flowX(e.slot) + ex - tx;
      double fw = nb.flowW(e.slot) + ew - tw;
      nb.setFlow(e.slot, fx, fw);
      reply.add(new Quantity(e.name, fx, tx, fw, tw, e.min, e.max));
    }
    stats.exchanges++;
    send(x.sender(), new Exchange(epoch, leader, KIND_REPLY, 0, ctx.localEndpoint(), nb.flowC, tc, reply), out);
  }

  /**
   * PUSH_PULL, kept atomic: a node with its own exchange in flight answers requests with a refusal
   * and leaves its value alone, so no exchange ever averages into a value another exchange is still
   * moving; the initiator applies the reply as a correction to exactly what it sent. Without loss
   * the sum of the values is conserved to floating-point rounding.
   */
  private void onPushPull(Exchange x, Outbox out) {
    if (x.kind() == KIND_REPLY || x.kind() == KIND_BUSY) {
      if (pendingPeer == null || x.seq() != pendingSeq || !x.sender().equals(pendingPeer)) {
        stats.lateReplies++;
        return;
      }
      pendingPeer = null;
      if (x.kind() == KIND_BUSY) {
        stats.refusedByPeer++;
        return;
      }
      // The peer took the mean of what we sent and its own value; move ours by the same amount the
      // other way. Names the request did not carry count as 0 sent (the peer averaged with 0).
      c += (x.ca() - sentC) / 2;
      for (Quantity q : x.quantities()) {
        Entry e = entry(q.name());
        if (e != null) {
          double sx = e.sent ? e.sentX : 0;
          double sw = e.sent ? e.sentW : 0;
          e.x += (q.xa() - sx) / 2;
          e.w += (q.wa() - sw) / 2;
        }
      }
      for (int i = 0; i < entryList.size(); i++) {
        entryList.get(i).sent = false;
      }
      stats.exchanges++;
      return;
    }
    if (x.kind() != KIND_REQUEST) {
      return;
    }
    if (pendingPeer != null) {
      stats.refused++;
      send(x.sender(), new Exchange(epoch, leader, KIND_BUSY, x.seq(), ctx.localEndpoint(), 0, 0, List.of()), out);
      return;
    }
    List<Quantity> theirs = x.quantities();
    List<Quantity> reply = new ArrayList<>(entryList.size());
    double oldC = c;
    c = (c + x.ca()) / 2;
    for (int i = 0; i < entryList.size(); i++) {
      Entry e = entryList.get(i);
      Quantity q = find(theirs, e.name, i);
      reply.add(new Quantity(e.name, e.x, 0, e.w, 0, e.min, e.max));
      e.x = (e.x + (q == null ? 0 : q.xa())) / 2;
      e.w = (e.w + (q == null ? 0 : q.wa())) / 2;
    }
    stats.exchanges++;
    int written = send(x.sender(), new Exchange(epoch, leader, KIND_REPLY, x.seq(), ctx.localEndpoint(), oldC, 0, reply),
        out);
    if (written < reply.size()) {
      // Names that did not fit the reply: undo their averaging, or the initiator would never
      // receive its half.
      for (int i = written; i < reply.size(); i++) {
        Entry e = entryList.get(i);
        Quantity q = find(theirs, e.name, i);
        e.x = 2 * e.x - (q == null ? 0 : q.xa());
        e.w = 2 * e.w - (q == null ? 0 : q.wa());
      }
    }
  }

  private void onPushSum(Exchange x) {
    if (x.kind() != KIND_PUSH) {
      return;
    }
    c += x.ca();
    omega += x.cb();
    for (Quantity q : x.quantities()) {
      Entry e = entry(q.name());
      if (e != null) {
        e.x += q.xa();
        e.w += q.wa();
      }
    }
    stats.exchanges++;
  }

  @Override
  public void onPeerEvent(long nowMillis, MemberEvent me, Outbox out) {
    if ((me.type() == MemberEvent.Type.DEAD || me.type() == MemberEvent.Type.LEFT
            || me.type() == MemberEvent.Type.REAPED)) {
      // The gone node's share of the mass leaves with its flows.
      Neighbor nb = neighbors.get(me.member().endpoint());
      if (nb != null) {
        stats.neighborsLost++;
        dropNeighbor(nowMillis, nb);
      }
    }
  }

  // ------------------------------------------------------------------ codec

  /** Sends {@code x}; returns how many of its quantities fit the datagram (the rest wait). */
  private int send(Endpoint to, Exchange x, Outbox out) {
    List<Quantity> qs = x.quantities();
    int n = qs.size();
    if (writer == null) {
      // Sized to what this node sends (a couple of hundred bytes for a few names), not to the
      // datagram budget: a million simulated nodes each hold one. Grown on the first overflow.
      int needed = WireFormat.overhead(ctx.clusterName().getBytes(StandardCharsets.UTF_8).length) + sizeOf(x, n);
      writerCapacity = Math.min(ctx.datagramBytes(), Math.max(needed + 32, 192));
      writer = new PacketWriter(writerCapacity, ctx.clusterName());
    }
    while (true) {
      PacketWriter w = writer;
      try {
        w.begin();
        w.beginMessage(MessageType.AGGREGATE_EXCHANGE);
        w.putLong(x.epoch()).putString8(x.leader())
            .putByte(x.kind() | (reader ? FROM_READER : 0))
            .putByte(Math.min(255, epochAge())).putInt(x.seq()).putEndpoint(x.sender());
        w.putLong(Double.doubleToRawLongBits(x.ca())).putLong(Double.doubleToRawLongBits(x.cb()));
        w.putByte(n);
        for (int i = 0; i < n; i++) {
          Quantity q = qs.get(i);
          w.putString8(q.name());
          w.putLong(Double.doubleToRawLongBits(q.xa())).putLong(Double.doubleToRawLongBits(q.xb()));
          w.putLong(Double.doubleToRawLongBits(q.wa())).putLong(Double.doubleToRawLongBits(q.wb()));
          w.putLong(Double.doubleToRawLongBits(q.min())).putLong(Double.doubleToRawLongBits(q.max()));
        }
        w.endMessage();
        break;
      } catch (BufferOverflowException full) {
        if (writerCapacity < ctx.datagramBytes()) {
          writerCapacity = ctx.datagramBytes();
          writer = new PacketWriter(writerCapacity, ctx.clusterName());
        } else {
          // Names that do not fit this datagram wait for a later round.
          n = n / 2;
        }
      }
    }
    PacketWriter w = writer;
    var packet = w.finish();
    stats.messagesSent++;
    stats.bytesSent += packet.remaining();
    out.send(to, packet, Delivery.DATAGRAM);
    return n;
  }

  private int writerCapacity;

  /** Bytes of the message (header included) carrying the first {@code n} quantities of {@code x}. */
  private static int sizeOf(Exchange x, int n) {
    int size = WireFormat.MESSAGE_HEADER_LENGTH + 8 + 1 + utf8Length(x.leader()) + 1 + 1 + 4
        + 3 + x.sender().addressLength() + 16 + 1;
    for (int i = 0; i < n; i++) {
      size += 1 + utf8Length(x.quantities().get(i).name()) + 6 * 8;
    }
    return size;
  }

  private static int utf8Length(String s) {
    int len = s.length();
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) >= 0x80) {
        return s.getBytes(StandardCharsets.UTF_8).length;
      }
    }
    return len;
  }

  @Override
  public Exchange decode(PacketReader r) throws MalformedPacketException {
    if (r.type() != MessageType.AGGREGATE_EXCHANGE.code()) {
      throw new MalformedPacketException(DropReason.UNKNOWN_TYPE, "not an aggregation message");
    }
    long number = r.getLong();
    String leaderName = readName(r, leader);
    int kindByte = r.getByte();
    int kind = kindByte & KIND_MASK;
    int age = r.getByte();
    int exchangeSeq = r.getInt();
    if (kind > KIND_BUSY || number < 0) {
      throw new MalformedPacketException(DropReason.BAD_FIELD, "aggregation kind/epoch");
    }
    Endpoint sender = r.getEndpoint();
    double ca = finite(r.getLong());
    double cb = finite(r.getLong());
    int n = r.getByte();
    List<Quantity> qs = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      String name = readName(r, i < entryList.size() ? entryList.get(i).name : null);
      double xa = finite(r.getLong());
      double xb = finite(r.getLong());
      double wa = finite(r.getLong());
      double wb = finite(r.getLong());
      double min = notNaN(r.getLong());
      double max = notNaN(r.getLong());
      qs.add(new Quantity(name, xa, xb, wa, wb, min, max));
    }
    if (r.remaining() != 0) {
      throw new MalformedPacketException(DropReason.BAD_FIELD, "trailing bytes in aggregation exchange");
    }
    return new Exchange(number, leaderName, kind, exchangeSeq, sender, ca, cb, qs, (kindByte & FROM_READER) != 0, age);
  }

  /**
   * A str8 field. When its bytes spell {@code known} (the current leader, or the name this node
   * keeps at the same position) that very String is returned: no decoding and no copy for the
   * common case; anything else is decoded strictly, invalid UTF-8 rejected.
   */
  private static String readName(PacketReader r, String known) throws MalformedPacketException {
    int len = r.getByte();
    if (len == 0) {
      throw new MalformedPacketException(DropReason.BAD_FIELD, "empty string");
    }
    byte[] b = new byte[len];
    for (int i = 0; i < len; i++) {
      b[i] = (byte) r.getByte();
    }
    if (known != null && known.length() == len) {
      boolean same = true;
      for (int i = 0; i < len && same; i++) {
        same = known.charAt(i) == b[i];
      }
      if (same) {
        return known;
      }
    }
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
          .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT)
          .decode(java.nio.ByteBuffer.wrap(b))
          .toString();
    } catch (java.nio.charset.CharacterCodingException e) {
      throw new MalformedPacketException(DropReason.BAD_FIELD, "invalid UTF-8");
    }
  }

  private static double finite(long bits) throws MalformedPacketException {
    double d = Double.longBitsToDouble(bits);
    if (!Double.isFinite(d)) {
      throw new MalformedPacketException(DropReason.BAD_FIELD, "non-finite quantity");
    }
    return d;
  }

  private static double notNaN(long bits) throws MalformedPacketException {
    double d = Double.longBitsToDouble(bits);
    if (Double.isNaN(d)) {
      throw new MalformedPacketException(DropReason.BAD_FIELD, "non-finite quantity");
    }
    return d;
  }
}
