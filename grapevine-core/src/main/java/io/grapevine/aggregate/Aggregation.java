package io.grapevine.aggregate;

import io.grapevine.aggregate.AggregationConfig.Mode;
import io.grapevine.membership.MemberEvent;
import io.grapevine.node.Delivery;
import io.grapevine.node.Endpoint;
import io.grapevine.node.Extension;
import io.grapevine.node.ExtensionContext;
import io.grapevine.node.Outbox;
import io.grapevine.node.ProtocolEvent;
import io.grapevine.wire.DropReason;
import io.grapevine.wire.MalformedPacketException;
import io.grapevine.wire.MessageType;
import io.grapevine.wire.PacketReader;
import io.grapevine.wire.PacketWriter;
import java.nio.BufferOverflowException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;

/**
 * Cluster-wide AVG, SUM, COUNT, MIN and MAX by fixed-size pairwise exchanges, as an {@link
 * Extension}.
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
 */
public final class Aggregation implements Extension {
  private static final int KIND_REQUEST = 0;
  private static final int KIND_REPLY = 1;
  private static final int KIND_PUSH = 2;
  private static final int KIND_NOTICE = 3;
  private static final int MAX_NEIGHBORS_ACCEPTED = 64;

  /** One quantity pair on the wire. */
  record Quantity(String name, double xa, double xb, double wa, double wb, double min, double max) {}

  record Exchange(long epoch, String leader, int kind, Endpoint sender, double ca, double cb, List<Quantity> quantities) {}

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

    Entry(String name) {
      this.name = name;
    }
  }

  /** FLOW: what this node has sent a neighbor, net, per quantity. */
  private static final class Neighbor {
    final Endpoint endpoint;
    double flowC;
    final Map<String, double[]> flows = new HashMap<>();

    Neighbor(Endpoint endpoint) {
      this.endpoint = endpoint;
    }

    double[] flow(String name) {
      return flows.computeIfAbsent(name, k -> new double[2]);
    }
  }

  private final AggregationConfig config;
  private final RandomGenerator random;
  private ExtensionContext ctx;

  private final Map<String, Double> published = new LinkedHashMap<>();
  private final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>();
  private final LinkedHashMap<Endpoint, Neighbor> neighbors = new LinkedHashMap<>();
  private final List<Endpoint> chosen = new ArrayList<>();
  private Map<String, AggregateEstimate> previous = Map.of();
  private final AggregationStats stats = new AggregationStats();

  private long epoch = -1;
  private String leader;
  private int rounds;
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
  public void attach(ExtensionContext context) {
    this.ctx = context;
  }

  @Override
  public int firstType() {
    return 0x60;
  }

  @Override
  public int lastType() {
    return 0x7F;
  }

  public AggregationConfig config() {
    return config;
  }

  public AggregationStats stats() {
    return stats;
  }

  public long epoch() {
    return epoch;
  }

  public String leader() {
    return leader;
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
      enterEpoch(nowMillis, epochNumber, leaderName);
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

  /** Mean of the leader indicator: 1/N once converged. Exposed for tests of mass conservation. */
  double meanIndicator() {
    return estimateC();
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
        double v = baseC;
        for (Neighbor nb : neighbors.values()) {
          v -= nb.flowC;
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
        double v = e.baseX;
        for (Neighbor nb : neighbors.values()) {
          double[] f = nb.flows.get(e.name);
          if (f != null) {
            v -= f[0];
          }
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
        double v = e.baseW;
        for (Neighbor nb : neighbors.values()) {
          double[] f = nb.flows.get(e.name);
          if (f != null) {
            v -= f[1];
          }
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

  private void enterEpoch(long now, long number, String newLeader) {
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
    omega = 1;
    neighbors.clear();
    entries.clear();
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
      entries.put(e.name, e);
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
      entries.put(name, e);
    }
    return e;
  }

  // ------------------------------------------------------------------ rounds

  @Override
  public long nextDeadlineMillis() {
    return Math.min(nextRoundMillis, epochEndMillis);
  }

  @Override
  public void onTick(long nowMillis, Outbox out) {
    if (nowMillis >= epochEndMillis) {
      enterEpoch(nowMillis, epoch + 1, ctx.localName());
    }
    if (nowMillis >= nextRoundMillis) {
      round(out);
      nextRoundMillis = nowMillis + config.roundInterval.toMillis();
    }
  }

  private void round(Outbox out) {
    rounds++;
    for (Entry e : entries.values()) {
      AggregateEstimate now = current(e);
      if (!Double.isNaN(e.lastAvg) && !Double.isNaN(now.avg())) {
        e.error = Math.abs(now.avg() - e.lastAvg) / Math.max(Math.abs(now.avg()), 1e-12);
      }
      e.lastAvg = now.avg();
    }
    if (entries.isEmpty()) {
      // Nothing published anywhere this node has heard of: stay silent (no idle traffic). The first
      // exchange from a node that publishes brings the names, and this node joins in.
      return;
    }
    Endpoint peer = pickPeer();
    if (peer == null) {
      return;
    }
    switch (config.mode) {
      case FLOW -> {
        Neighbor nb = neighbors.get(peer);
        List<Quantity> qs = new ArrayList<>(entries.size());
        for (Entry e : entries.values()) {
          double[] f = nb.flow(e.name);
          qs.add(new Quantity(e.name, f[0], estimateX(e), f[1], estimateW(e), e.min, e.max));
        }
        send(peer, new Exchange(epoch, leader, KIND_REQUEST, ctx.localEndpoint(), nb.flowC, estimateC(), qs), out);
      }
      case PUSH_PULL -> {
        List<Quantity> qs = new ArrayList<>(entries.size());
        for (Entry e : entries.values()) {
          qs.add(new Quantity(e.name, e.x, 0, e.w, 0, e.min, e.max));
        }
        send(peer, new Exchange(epoch, leader, KIND_REQUEST, ctx.localEndpoint(), c, 0, qs), out);
      }
      case PUSH_SUM -> {
        omega /= 2;
        c /= 2;
        List<Quantity> qs = new ArrayList<>(entries.size());
        for (Entry e : entries.values()) {
          e.x /= 2;
          e.w /= 2;
          qs.add(new Quantity(e.name, e.x, 0, e.w, 0, e.min, e.max));
        }
        send(peer, new Exchange(epoch, leader, KIND_PUSH, ctx.localEndpoint(), c, omega, qs), out);
      }
      default -> throw new AssertionError(config.mode);
    }
  }

  private Endpoint pickPeer() {
    chosen.clear();
    if (config.mode != Mode.FLOW) {
      ctx.peers().sample(1, chosen);
      return chosen.isEmpty() ? null : chosen.get(0);
    }
    if (neighbors.size() < config.neighbors) {
      ctx.peers().sample(config.neighbors - neighbors.size(), chosen);
      for (Endpoint e : chosen) {
        neighbors.computeIfAbsent(e, Neighbor::new);
      }
    }
    if (neighbors.isEmpty()) {
      return null;
    }
    int pick = random.nextInt(neighbors.size());
    for (Endpoint e : neighbors.keySet()) {
      if (pick-- == 0) {
        return e;
      }
    }
    return null;
  }

  // ------------------------------------------------------------------ receiving

  @Override
  public void onMessage(long nowMillis, Endpoint from, Object message, Delivery delivery, Outbox out) {
    Exchange x = (Exchange) message;
    if (epoch < 0) {
      return;
    }
    if (newer(x.epoch(), x.leader())) {
      enterEpoch(nowMillis, x.epoch(), x.leader());
    } else if (x.epoch() != epoch || !x.leader().equals(leader)) {
      stats.staleEpoch++;
      if (x.kind() == KIND_REQUEST || x.kind() == KIND_PUSH) {
        send(x.sender(), new Exchange(epoch, leader, KIND_NOTICE, ctx.localEndpoint(), 0, 0, List.of()), out);
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
      case FLOW -> onFlow(x, out);
      case PUSH_PULL -> onPushPull(x, out);
      case PUSH_SUM -> onPushSum(x);
      default -> throw new AssertionError(config.mode);
    }
  }

  private void onFlow(Exchange x, Outbox out) {
    Neighbor nb = neighbors.get(x.sender());
    if (nb == null) {
      if (x.kind() != KIND_REQUEST || neighbors.size() >= MAX_NEIGHBORS_ACCEPTED) {
        stats.refused++;
        return;
      }
      nb = new Neighbor(x.sender());
      neighbors.put(x.sender(), nb);
    }
    if (x.kind() == KIND_REPLY) {
      // Their flow toward us is the negation of ours toward them: state, not delta, so a lost
      // message costs nothing once the next one arrives.
      nb.flowC = -x.ca();
      for (Quantity q : x.quantities()) {
        if (entry(q.name()) != null) {
          double[] f = nb.flow(q.name());
          f[0] = -q.xa();
          f[1] = -q.wa();
        }
      }
      stats.exchanges++;
      return;
    }
    if (x.kind() != KIND_REQUEST) {
      return;
    }
    Map<String, Quantity> theirs = new HashMap<>();
    for (Quantity q : x.quantities()) {
      theirs.put(q.name(), q);
    }
    nb.flowC = -x.ca();
    double ec = estimateC();
    double tc = (ec + x.cb()) / 2;
    nb.flowC += ec - tc;
    List<Quantity> reply = new ArrayList<>(entries.size());
    for (Entry e : new ArrayList<>(entries.values())) {
      Quantity q = theirs.get(e.name);
      double[] f = nb.flow(e.name);
      f[0] = q == null ? 0 : -q.xa();
      f[1] = q == null ? 0 : -q.wa();
      double ex = estimateX(e);
      double ew = estimateW(e);
      double tx = (ex + (q == null ? 0 : q.xb())) / 2;
      double tw = (ew + (q == null ? 0 : q.wb())) / 2;
      f[0] += ex - tx;
      f[1] += ew - tw;
      reply.add(new Quantity(e.name, f[0], tx, f[1], tw, e.min, e.max));
    }
    stats.exchanges++;
    send(x.sender(), new Exchange(epoch, leader, KIND_REPLY, ctx.localEndpoint(), nb.flowC, tc, reply), out);
  }

  private void onPushPull(Exchange x, Outbox out) {
    if (x.kind() == KIND_REPLY) {
      // The reply carries the responder's value from before it averaged; averaging it with our
      // current value (not overwriting) keeps exchanges that interleave from losing updates.
      Map<String, Quantity> theirs = new HashMap<>();
      for (Quantity q : x.quantities()) {
        theirs.put(q.name(), q);
      }
      c = (c + x.ca()) / 2;
      for (Quantity q : x.quantities()) {
        entry(q.name());
      }
      for (Entry e : entries.values()) {
        Quantity q = theirs.get(e.name);
        e.x = (e.x + (q == null ? 0 : q.xa())) / 2;
        e.w = (e.w + (q == null ? 0 : q.wa())) / 2;
      }
      stats.exchanges++;
      return;
    }
    Map<String, Quantity> theirs = new HashMap<>();
    for (Quantity q : x.quantities()) {
      theirs.put(q.name(), q);
    }
    List<Quantity> reply = new ArrayList<>(entries.size());
    double oldC = c;
    c = (c + x.ca()) / 2;
    for (Entry e : entries.values()) {
      Quantity q = theirs.get(e.name);
      reply.add(new Quantity(e.name, e.x, 0, e.w, 0, e.min, e.max));
      e.x = (e.x + (q == null ? 0 : q.xa())) / 2;
      e.w = (e.w + (q == null ? 0 : q.wa())) / 2;
    }
    stats.exchanges++;
    send(x.sender(), new Exchange(epoch, leader, KIND_REPLY, ctx.localEndpoint(), oldC, 0, reply), out);
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
  public void onMembershipEvent(long nowMillis, ProtocolEvent event, Outbox out) {
    if (event instanceof MemberEvent me
        && (me.type() == MemberEvent.Type.DEAD || me.type() == MemberEvent.Type.LEFT
            || me.type() == MemberEvent.Type.REAPED)) {
      // The gone node's share of the mass leaves with its flows.
      if (neighbors.remove(me.member().endpoint()) != null) {
        stats.neighborsLost++;
      }
    }
  }

  // ------------------------------------------------------------------ codec

  private void send(Endpoint to, Exchange x, Outbox out) {
    PacketWriter w = new PacketWriter(ctx.datagramBytes(), ctx.clusterName()).begin();
    List<Quantity> qs = x.quantities();
    // Names that do not fit this datagram wait for a later round.
    int n = qs.size();
    while (true) {
      try {
        w.begin();
        w.beginMessage(MessageType.AGGREGATE_EXCHANGE);
        w.putLong(x.epoch()).putString8(x.leader()).putByte(x.kind()).putEndpoint(x.sender());
        w.putLong(Double.doubleToRawLongBits(x.ca())).putLong(Double.doubleToRawLongBits(x.cb()));
        w.putByte(n);
        for (int i = 0; i < n; i++) {
          Quantity q = qs.get(i);
          w.putString8(q.name());
          for (double d : new double[] {q.xa(), q.xb(), q.wa(), q.wb(), q.min(), q.max()}) {
            w.putLong(Double.doubleToRawLongBits(d));
          }
        }
        w.endMessage();
        break;
      } catch (BufferOverflowException full) {
        n = n / 2;
      }
    }
    var packet = w.finish();
    stats.messagesSent++;
    stats.bytesSent += packet.remaining();
    out.send(to, packet, Delivery.DATAGRAM);
  }

  @Override
  public Object decode(PacketReader r) throws MalformedPacketException {
    if (r.type() != MessageType.AGGREGATE_EXCHANGE.code()) {
      throw new MalformedPacketException(DropReason.UNKNOWN_TYPE, "not an aggregation message");
    }
    long number = r.getLong();
    String leaderName = r.getString8();
    int kind = r.getByte();
    if (kind > KIND_NOTICE || number < 0) {
      throw new MalformedPacketException(DropReason.BAD_FIELD, "aggregation kind/epoch");
    }
    Endpoint sender = r.getEndpoint();
    double ca = finite(r.getLong());
    double cb = finite(r.getLong());
    int n = r.getByte();
    List<Quantity> qs = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      String name = r.getString8();
      double[] d = new double[6];
      for (int j = 0; j < 6; j++) {
        d[j] = Double.longBitsToDouble(r.getLong());
        if (Double.isNaN(d[j]) || (j < 4 && Double.isInfinite(d[j]))) {
          throw new MalformedPacketException(DropReason.BAD_FIELD, "non-finite quantity");
        }
      }
      qs.add(new Quantity(name, d[0], d[1], d[2], d[3], d[4], d[5]));
    }
    if (r.remaining() != 0) {
      throw new MalformedPacketException(DropReason.BAD_FIELD, "trailing bytes in aggregation exchange");
    }
    return new Exchange(number, leaderName, kind, sender, ca, cb, qs);
  }

  private static double finite(long bits) throws MalformedPacketException {
    double d = Double.longBitsToDouble(bits);
    if (!Double.isFinite(d)) {
      throw new MalformedPacketException(DropReason.BAD_FIELD, "non-finite quantity");
    }
    return d;
  }
}
