package io.grapevine.store.bench;

import io.grapevine.antientropy.AntiEntropy;
import io.grapevine.antientropy.AntiEntropyConfig;
import io.grapevine.antientropy.InMemoryReplicaStore;
import io.grapevine.antientropy.Replica;
import io.grapevine.node.Delivery;
import io.grapevine.node.Endpoint;
import io.grapevine.node.Outbox;
import io.grapevine.node.PeerSampler;
import io.grapevine.node.ProtocolEvent;
import io.grapevine.node.StandaloneHost;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.PriorityQueue;
import java.util.SplittableRandom;

/**
 * The replicated store at scale, on the real protocol code ({@link AntiEntropy} on {@link
 * StandaloneHost}s with uniform peer sampling) in a deterministic discrete-event simulation: N
 * replicas, a stream of writes at random live nodes, random loss on every packet, churn (nodes
 * going silent for a while and coming back with their data, as after a restart with a data dir).
 * Reports how long after the writes stop until every replica has the same hash-tree root, and the
 * keys repaired by each path. Not a test: {@code bench/kv-simulation.sh [nodes] [writes] [loss]
 * [churnPerSecond] [seed]}.
 */
public final class KvSimulation {
  private static final String CLUSTER = "sim";

  private record Packet(long at, long seq, int from, int to, byte[] bytes, Delivery delivery) {}

  private record Timer(long at, int node) {}

  private final int n;
  private final double loss;
  private final SplittableRandom random;
  private final StandaloneHost[] hosts;
  private final AntiEntropy[] kv;
  private final Endpoint[] endpoints;
  private final boolean[] down;
  private final long[] upAt;
  private final long[] armed;
  private final PriorityQueue<Packet> packets =
      new PriorityQueue<>((a, b) -> a.at != b.at ? Long.compare(a.at, b.at) : Long.compare(a.seq, b.seq));
  private final PriorityQueue<Timer> timers = new PriorityQueue<>((a, b) -> Long.compare(a.at, b.at));
  private long now;
  private long seq;
  private long packetsSent;
  private long bytesSent;
  private long packetsLost;

  private KvSimulation(int n, double loss, long seed, AntiEntropyConfig config) {
    this.n = n;
    this.loss = loss;
    this.random = new SplittableRandom(seed);
    this.hosts = new StandaloneHost[n];
    this.kv = new AntiEntropy[n];
    this.endpoints = new Endpoint[n];
    this.down = new boolean[n];
    this.upAt = new long[n];
    this.armed = new long[n];
    for (int i = 0; i < n; i++) {
      endpoints[i] = Endpoint.ipv4(0x0A000000 + i, 7000);
    }
    PeerSampler uniform = new PeerSampler() {
      @Override
      public void sample(int k, List<Endpoint> out) {
        for (int j = 0; j < k; j++) {
          out.add(endpoints[random.nextInt(n)]);
        }
      }

      @Override
      public int size() {
        return n - 1;
      }
    };
    for (int i = 0; i < n; i++) {
      hosts[i] = new StandaloneHost("n" + i, endpoints[i], CLUSTER, 1400, uniform);
      kv[i] = new AntiEntropy(new Replica("n" + i, new InMemoryReplicaStore(), config), random.split(), 0);
      hosts[i].attach(kv[i]);
      armed[i] = Long.MAX_VALUE;
      rearm(i);
    }
  }

  private int index(Endpoint e) {
    byte[] a = e.address();
    return ((a[1] & 0xff) << 16) | ((a[2] & 0xff) << 8) | (a[3] & 0xff);
  }

  private void rearm(int i) {
    long d = Math.max(hosts[i].nextDeadlineMillis(), now);
    if (d < armed[i]) {
      armed[i] = d;
      timers.add(new Timer(d, i));
    }
  }

  private Outbox outbox(int self) {
    return new Outbox() {
      @Override
      public void send(Endpoint to, ByteBuffer packet, Delivery delivery) {
        byte[] bytes = new byte[packet.remaining()];
        packet.get(bytes);
        packetsSent++;
        bytesSent += bytes.length;
        if (random.nextDouble() < loss) {
          packetsLost++;
          return;
        }
        // 1..20 ms one-way latency: a LAN with some queueing.
        packets.add(new Packet(now + 1 + random.nextInt(20), seq++, self, index(to), bytes, delivery));
      }

      @Override
      public void emit(ProtocolEvent event) {}
    };
  }

  /** Runs every event up to {@code until}. */
  private void runUntil(long until) {
    while (true) {
      Packet p = packets.peek();
      Timer t = timers.peek();
      long next = Math.min(p == null ? Long.MAX_VALUE : p.at, t == null ? Long.MAX_VALUE : t.at);
      if (next > until) {
        break;
      }
      now = next;
      if (p != null && p.at == next) {
        packets.poll();
        if (!down[p.to]) {
          hosts[p.to].onPacket(now, endpoints[p.from], ByteBuffer.wrap(p.bytes), p.delivery, outbox(p.to));
          rearm(p.to);
        }
      } else {
        timers.poll();
        if (t.at != armed[t.node]) {
          continue; // superseded
        }
        armed[t.node] = Long.MAX_VALUE;
        if (!down[t.node]) {
          hosts[t.node].onTick(now, outbox(t.node));
          rearm(t.node);
        } // a silent node is re-armed when it comes back
      }
    }
    now = until;
  }

  private boolean converged() {
    long root = kv[0].replica().tree().root();
    for (int i = 1; i < n; i++) {
      if (kv[i].replica().tree().root() != root) {
        return false;
      }
    }
    return true;
  }

  private int agreeingWithMajorityRoot() {
    java.util.HashMap<Long, Integer> counts = new java.util.HashMap<>();
    for (int i = 0; i < n; i++) {
      counts.merge(kv[i].replica().tree().root(), 1, Integer::sum);
    }
    return counts.values().stream().max(Integer::compare).orElse(0);
  }

  public static void main(String[] args) {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
    int writes = args.length > 1 ? Integer.parseInt(args[1]) : 1_000;
    double loss = args.length > 2 ? Double.parseDouble(args[2]) : 0.05;
    double churnPerSecond = args.length > 3 ? Double.parseDouble(args[3]) : 0.01;
    long seed = args.length > 4 ? Long.parseLong(args[4]) : 1;
    long writeWindowMillis = 20_000;
    AntiEntropyConfig config = AntiEntropyConfig.builder().merkleDepth(2).build();
    System.out.printf("Simulation: %,d replicas, %,d writes over %d s, %.0f%% loss, churn %.1f%% of nodes/s"
        + " (silent 2-10 s), sync every %d ms, rumor fanout %d, seed %d%n", n, writes, writeWindowMillis / 1000,
        loss * 100, churnPerSecond * 100, config.syncInterval.toMillis(), config.rumorFanout, seed);
    long wall = System.nanoTime();
    KvSimulation sim = new KvSimulation(n, loss, seed, config);
    SplittableRandom r = new SplittableRandom(seed * 7919);
    sim.runUntil(3_000);
    long start = sim.now;
    long writeEvery = Math.max(1, writeWindowMillis / writes);
    int written = 0;
    while (written < writes) {
      sim.runUntil(sim.now + writeEvery);
      // Churn: some nodes go silent for 2..10 s (they miss everything), then come back.
      for (int i = 0; i < n; i++) {
        if (sim.down[i] && sim.now >= sim.upAt[i]) {
          sim.down[i] = false;
          sim.rearm(i);
        }
      }
      int toChurn = (int) Math.floor(churnPerSecond * n * writeEvery / 1000.0 + r.nextDouble());
      for (int c = 0; c < toChurn; c++) {
        int v = r.nextInt(n);
        sim.down[v] = true;
        sim.upAt[v] = sim.now + 2_000 + r.nextInt(8_000);
      }
      int w;
      do {
        w = r.nextInt(n);
      } while (sim.down[w]);
      String key = "k" + r.nextInt(Math.max(1, writes / 4));
      switch (r.nextInt(10)) {
        case 0 -> sim.kv[w].delete(sim.now, "m", key, sim.outbox(w));
        case 1 -> sim.kv[w].increment(sim.now, "c", "counter", 1, sim.outbox(w));
        default -> sim.kv[w].put(sim.now, "m", key, new byte[] {(byte) written}, 0, sim.outbox(w));
      }
      sim.rearm(w);
      written++;
    }
    long stop = sim.now;
    long lastBack = stop;
    for (int i = 0; i < n; i++) {
      if (sim.down[i]) {
        lastBack = Math.max(lastBack, sim.upAt[i]);
      }
    }
    // Writes stop; silent nodes come back when their time is up (churn stops with the writes).
    long converged = -1;
    long ninetyNine = -1;
    while (sim.now < stop + 600_000) {
      sim.runUntil(sim.now + 100);
      for (int i = 0; i < n; i++) {
        if (sim.down[i] && sim.now >= sim.upAt[i]) {
          sim.down[i] = false;
          sim.rearm(i);
        }
      }
      int agree = sim.agreeingWithMajorityRoot();
      if (ninetyNine < 0 && agree >= n * 0.99) {
        ninetyNine = sim.now - stop;
      }
      if (agree == n && sim.converged()) {
        converged = sim.now - stop;
        break;
      }
    }
    long byRumor = 0;
    long byAe = 0;
    for (AntiEntropy k : sim.kv) {
      byRumor += k.stats().keysRepairedByRumor();
      byAe += k.stats().keysRepairedByAntiEntropy();
    }
    double simSeconds = (sim.now - start) / 1000.0;
    System.out.printf("after the writes stopped: 99%% of replicas agree at %.1f s, all %,d at %s"
        + " (the last silent node came back at %.1f s)%n", ninetyNine / 1000.0, n,
        converged < 0 ? "NOT within 600 s" : String.format("%.1f s", converged / 1000.0), (lastBack - stop) / 1000.0);
    System.out.printf("keys repaired: %,d by rumor, %,d by anti-entropy; packets %,d (%.1f%% lost), %.1f MB,"
        + " %.0f packets/s per node%n", byRumor, byAe, sim.packetsSent, 100.0 * sim.packetsLost / sim.packetsSent,
        sim.bytesSent / 1e6, sim.packetsSent / simSeconds / n);
    System.out.printf("simulated %.0f s in %.1f s of wall time%n", simSeconds, (System.nanoTime() - wall) / 1e9);
    if (converged < 0) {
      System.exit(1);
    }
  }
}
