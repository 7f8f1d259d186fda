// SPDX-License-Identifier: Apache-2.0
package io.grapevine.sim.overlay;

import io.grapevine.node.Endpoint;
import io.grapevine.node.PeerSampler;
import io.grapevine.node.ProtocolEvent;
import io.grapevine.stack.ProtocolStack;
import io.grapevine.overlay.HyParView;
import io.grapevine.config.HyParViewConfig;
import io.grapevine.overlay.Plumtree;
import io.grapevine.config.PlumtreeConfig;
import io.grapevine.sim.Engine;
import io.grapevine.sim.Latency;
import io.grapevine.sim.NetworkModel;
import io.grapevine.sim.Seeds;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * N simulated nodes, each a {@link ProtocolStack} running the core's {@link HyParView} (as the
 * host's peer sampler) and {@link Plumtree} (or its flood-only baseline), driven by the simulator's
 * {@link Engine}. Builds the overlay by staggered joins through random earlier nodes, and measures
 * connectivity and broadcast reach.
 */
public final class OverlayCluster implements Engine.EventSink {
  /** Per-broadcast bookkeeping filled from {@link Plumtree.Delivered} events. */
  public static final class Broadcast {
    public long startMillis;
    public long delivered;
    public long lastMillis;
    public int maxHops;
  }

  public final int n;
  public final Engine engine;
  public final HyParView[] hpv;
  public final Plumtree[] plumtree;
  private final SplittableRandom random;
  private final Map<Long, Broadcast> broadcasts = new HashMap<>();
  private int seedNodes;

  public OverlayCluster(int n, long seed, HyParViewConfig hpvConfig, PlumtreeConfig ptConfig, Latency latency) {
    this.n = n;
    this.random = new SplittableRandom(Seeds.derive(seed, Seeds.TOPOLOGY, 7));
    this.engine = new Engine(n, new NetworkModel(latency, 0, 0, 0, 0), seed, this, false);
    this.hpv = new HyParView[n];
    this.plumtree = ptConfig == null ? null : new Plumtree[n];
    for (int i = 0; i < n; i++) {
      SplittableRandom r = new SplittableRandom(Seeds.derive(seed, i, 1));
      HyParView h = new HyParView(hpvConfig, r);
      ProtocolStack.Builder host = ProtocolStack.builder("n" + i, engine.endpoint(i), "sim").add(h);
      if (ptConfig != null) {
        Plumtree p = new Plumtree(ptConfig, h, r);
        host.add(p);
        plumtree[i] = p;
      }
      hpv[i] = h;
      engine.install(i, host.build());
    }
  }

  /** Node 0 starts alone; node i joins through a random node in [0, i) at i × spacing. */
  public void scheduleJoins(long spacingMicros) {
    scheduleJoins(spacingMicros, 0);
  }

  /**
   * Node 0 starts alone; node i joins at i × spacing with a seed list of a random node in [0, i)
   * and the first {@code seedNodes} nodes (those that exist by then), as a deployment configures
   * every node with the same seeds: HyParView joins, and re-joins when stranded, through one of them.
   */
  public void scheduleJoins(long spacingMicros, int seedNodes) {
    this.seedNodes = seedNodes;
    engine.call(0, out -> hpv[0].start(0));
    for (int i = 1; i < n; i++) {
      final int node = i;
      List<Endpoint> seeds = new ArrayList<>();
      seeds.add(engine.endpoint(random.nextInt(i)));
      for (int s = 0; s < Math.min(i, seedNodes); s++) {
        seeds.add(engine.endpoint(s));
      }
      engine.schedule(i * spacingMicros, () -> engine.call(node,
          out -> hpv[node].join(engine.nowMillis(), seeds, out)));
    }
  }

  public void runUntilMillis(long millis) {
    if (n < 100_000) {
      engine.runUntil(millis * 1000, Long.MAX_VALUE);
      return;
    }
    // Large runs take minutes per simulated second: report progress on stderr once a second.
    for (long t = engine.nowMillis() + 1000; ; t += 1000) {
      engine.runUntil(Math.min(t, millis) * 1000, Long.MAX_VALUE);
      System.err.printf("[t=%d s] packets %d, node calls %d%n", engine.nowMillis() / 1000,
          engine.packetsSent(), engine.nodeCalls());
      if (t >= millis) {
        return;
      }
    }
  }

  /**
   * Crashes round(fraction × N) random nodes at once; the seed nodes of {@link #scheduleJoins(long,
   * int)} are spared (the entry points a deployment keeps up).
   */
  public int crashFraction(double fraction) {
    int k = (int) Math.round(fraction * n);
    int crashed = 0;
    while (crashed < k) {
      int i = seedNodes + random.nextInt(n - seedNodes);
      if (engine.isUp(i)) {
        engine.crash(i);
        crashed++;
      }
    }
    return crashed;
  }

  public int live() {
    int c = 0;
    for (int i = 0; i < n; i++) {
      if (engine.isUp(i)) {
        c++;
      }
    }
    return c;
  }

  public int randomLive() {
    while (true) {
      int i = random.nextInt(n);
      if (engine.isUp(i)) {
        return i;
      }
    }
  }

  /** Broadcasts a small payload from node {@code origin}; returns its bookkeeping. */
  public Broadcast broadcast(int origin) {
    Broadcast b = new Broadcast();
    b.startMillis = engine.nowMillis();
    long[] id = new long[1];
    pendingBroadcast = b;
    engine.call(origin, out -> id[0] = plumtree[origin].broadcast(engine.nowMillis(), new byte[32], out));
    pendingBroadcast = null;
    broadcasts.put(id[0], b);
    return b;
  }

  private Broadcast pendingBroadcast;

  @Override
  public long onEvent(int node, ProtocolEvent event, long nowMillis) {
    if (event instanceof Plumtree.Delivered d) {
      Broadcast b = broadcasts.get(d.messageId());
      if (b == null) {
        b = pendingBroadcast;
      }
      if (b != null) {
        b.delivered++;
        b.lastMillis = Math.max(b.lastMillis, nowMillis);
        b.maxHops = Math.max(b.maxHops, d.hops());
      }
    }
    return 0;
  }

  /** Sum of payload messages sent by live and dead nodes so far. */
  public long gossipSent() {
    long s = 0;
    for (Plumtree p : plumtree) {
      s += p.stats().gossipSent();
    }
    return s;
  }

  public long ihaveSent() {
    long s = 0;
    for (Plumtree p : plumtree) {
      s += p.stats().ihaveSent();
    }
    return s;
  }

  /** Connectivity of the live overlay (undirected union of active views). */
  public static final class Connectivity {
    public int live;
    public int largestComponent;
    public int components;
    public double meanActive;
    public double meanPassive;
    /** Fraction of active-view entries whose peer has this node in its active view too. */
    public double symmetric;
  }

  public Connectivity connectivity() {
    Connectivity c = new Connectivity();
    int[] comp = new int[n];
    long activeSum = 0;
    long passiveSum = 0;
    long entries = 0;
    long symmetric = 0;
    // adjacency: union of directed active edges; build reverse lists in arrays
    int[] deg = new int[n];
    for (int i = 0; i < n; i++) {
      if (!engine.isUp(i)) {
        continue;
      }
      c.live++;
      HyParView h = hpv[i];
      activeSum += h.activeSize();
      passiveSum += h.passiveSize();
      for (int k = 0; k < h.activeSize(); k++) {
        int j = engine.indexOf(h.activePeer(k));
        if (j >= 0 && engine.isUp(j)) {
          deg[i]++;
          deg[j]++;
          entries++;
          if (hpv[j].isActive(engine.endpoint(i))) {
            symmetric++;
          }
        }
      }
    }
    int[] start = new int[n + 1];
    for (int i = 0; i < n; i++) {
      start[i + 1] = start[i] + deg[i];
    }
    int[] adj = new int[start[n]];
    int[] fill = start.clone();
    for (int i = 0; i < n; i++) {
      if (!engine.isUp(i)) {
        continue;
      }
      HyParView h = hpv[i];
      for (int k = 0; k < h.activeSize(); k++) {
        int j = engine.indexOf(h.activePeer(k));
        if (j >= 0 && engine.isUp(j)) {
          adj[fill[i]++] = j;
          adj[fill[j]++] = i;
        }
      }
    }
    ArrayDeque<Integer> queue = new ArrayDeque<>();
    int label = 0;
    for (int s = 0; s < n; s++) {
      if (!engine.isUp(s) || comp[s] != 0) {
        continue;
      }
      label++;
      int size = 0;
      comp[s] = label;
      queue.add(s);
      while (!queue.isEmpty()) {
        int u = queue.poll();
        size++;
        for (int e = start[u]; e < start[u + 1]; e++) {
          int v = adj[e];
          if (comp[v] == 0) {
            comp[v] = label;
            queue.add(v);
          }
        }
      }
      c.largestComponent = Math.max(c.largestComponent, size);
    }
    c.components = label;
    c.meanActive = activeSum / (double) Math.max(1, c.live);
    c.meanPassive = passiveSum / (double) Math.max(1, c.live);
    c.symmetric = symmetric / (double) Math.max(1, entries);
    return c;
  }

  /** Sum of the peak usage of every heap memory pool since JVM start, bytes. */
  public static long peakHeapBytes() {
    long sum = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP && pool.getPeakUsage() != null) {
        sum += pool.getPeakUsage().getUsed();
      }
    }
    return sum;
  }

  /** A uniform random peer sampler over all N simulated nodes (for protocols run without HyParView). */
  public static PeerSampler uniform(Engine engine, int self, SplittableRandom random) {
    return new PeerSampler() {
      @Override
      public void sample(int k, List<Endpoint> out) {
        int n = engine.size();
        for (int t = 0; t < 4 * k && out.size() < k && n > 1; t++) {
          int j = random.nextInt(n - 1);
          if (j >= self) {
            j++;
          }
          Endpoint e = engine.endpoint(j);
          if (!out.contains(e)) {
            out.add(e);
          }
        }
      }

      @Override
      public int size() {
        return engine.size() - 1;
      }
    };
  }
}
