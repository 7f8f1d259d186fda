package io.grapevine.overlay;

import io.grapevine.node.Delivery;
import io.grapevine.node.Endpoint;
import io.grapevine.node.Outbox;
import io.grapevine.node.ProtocolEvent;
import io.grapevine.stack.ProtocolStack;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import java.util.function.BiFunction;

/**
 * An in-memory network of {@link ProtocolStack}s with a fake clock and random per-packet latency
 * (1..20 ms), for overlay tests. Each node's host is built by the test (which attaches HyParView and
 * what runs over it); nodes can crash and be replaced by a fresh one at the same endpoint.
 */
final class OverlayNetwork {
  private record Packet(long at, long seq, int from, int to, byte[] bytes, Delivery delivery) {}

  final int n;
  final List<Endpoint> endpoints = new ArrayList<>();
  final ProtocolStack[] hosts;
  final boolean[] up;
  /** Nodes cut off from the network: packets from or to them are dropped (they keep running). */
  final boolean[] cut;
  final List<List<ProtocolEvent>> events = new ArrayList<>();
  private final long[] scheduled;
  private final PriorityQueue<Packet> inFlight =
      new PriorityQueue<>((a, b) -> a.at != b.at ? Long.compare(a.at, b.at) : Long.compare(a.seq, b.seq));
  private final PriorityQueue<long[]> wakeups =
      new PriorityQueue<>((a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0]) : Long.compare(a[1], b[1]));
  private final SplittableRandom random;
  long now;
  private long seq;
  long packets;

  OverlayNetwork(int n, long seed) {
    this.n = n;
    this.random = new SplittableRandom(seed);
    this.hosts = new ProtocolStack[n];
    this.up = new boolean[n];
    this.cut = new boolean[n];
    this.scheduled = new long[n];
    for (int i = 0; i < n; i++) {
      endpoints.add(Endpoint.ipv4(0x0A000000 + i + 1, 7946));
      events.add(new ArrayList<>());
    }
  }

  /** Installs node {@code i} built by {@code factory(endpoint, random)} and runs {@code start} on it. */
  void install(int i, BiFunction<Endpoint, SplittableRandom, ProtocolStack> factory) {
    hosts[i] = factory.apply(endpoints.get(i), random.split());
    up[i] = true;
  }

  /** Runs {@code action} as node i's step (its outbox), then reschedules it. */
  void call(int i, java.util.function.Consumer<Outbox> action) {
    action.accept(outbox(i));
    schedule(i);
  }

  void crash(int i) {
    up[i] = false;
    hosts[i] = null;
  }

  int index(Endpoint e) {
    byte[] a = e.address();
    return ((a[1] & 0xff) << 16 | (a[2] & 0xff) << 8 | (a[3] & 0xff)) - 1;
  }

  Outbox outbox(int self) {
    return new Outbox() {
      @Override
      public void send(Endpoint to, ByteBuffer packet, Delivery delivery) {
        byte[] b = new byte[packet.remaining()];
        packet.get(packet.position(), b);
        packets++;
        int dest = index(to);
        if (cut[self] || (dest >= 0 && dest < n && cut[dest])) {
          return;
        }
        inFlight.add(new Packet(now + 1 + random.nextInt(20), seq++, self, index(to), b, delivery));
      }

      @Override
      public void emit(ProtocolEvent event) {
        events.get(self).add(event);
      }
    };
  }

  private void schedule(int i) {
    if (!up[i]) {
      return;
    }
    long d = hosts[i].nextDeadlineMillis();
    scheduled[i] = d;
    if (d != Long.MAX_VALUE) {
      wakeups.add(new long[] {Math.max(d, now), i});
    }
  }

  void runUntil(long until) {
    while (true) {
      long[] w = wakeups.peek();
      while (w != null && (!up[(int) w[1]] || scheduled[(int) w[1]] > w[0])) {
        wakeups.poll();
        w = wakeups.peek();
      }
      Packet p = inFlight.peek();
      long nextWake = w == null ? Long.MAX_VALUE : w[0];
      if (p != null && p.at <= nextWake) {
        if (p.at > until) {
          break;
        }
        inFlight.poll();
        now = Math.max(now, p.at);
        if (p.to >= 0 && p.to < n && up[p.to]) {
          hosts[p.to].onPacket(now, endpoints.get(p.from), ByteBuffer.wrap(p.bytes), p.delivery, outbox(p.to));
          schedule(p.to);
        }
        continue;
      }
      if (w == null || nextWake > until) {
        break;
      }
      wakeups.poll();
      int i = (int) w[1];
      now = Math.max(now, nextWake);
      hosts[i].onTick(now, outbox(i));
      if (scheduled[i] == nextWake) {
        scheduled[i] = Long.MAX_VALUE;
      }
      schedule(i);
    }
    now = Math.max(now, until);
  }

  /** Whether the live nodes form one component over the union of the given views. */
  static boolean connected(OverlayNetwork net, java.util.function.IntFunction<List<Endpoint>> views) {
    int first = -1;
    int live = 0;
    for (int i = 0; i < net.n; i++) {
      if (net.up[i]) {
        live++;
        if (first < 0) {
          first = i;
        }
      }
    }
    List<List<Integer>> adj = new ArrayList<>();
    for (int i = 0; i < net.n; i++) {
      adj.add(new ArrayList<>());
    }
    for (int i = 0; i < net.n; i++) {
      if (!net.up[i]) {
        continue;
      }
      for (Endpoint e : views.apply(i)) {
        int j = net.index(e);
        if (net.up[j]) {
          adj.get(i).add(j);
          adj.get(j).add(i);
        }
      }
    }
    boolean[] seen = new boolean[net.n];
    java.util.ArrayDeque<Integer> q = new java.util.ArrayDeque<>();
    q.add(first);
    seen[first] = true;
    int count = 0;
    while (!q.isEmpty()) {
      int u = q.poll();
      count++;
      for (int v : adj.get(u)) {
        if (!seen[v]) {
          seen[v] = true;
          q.add(v);
        }
      }
    }
    return count == live;
  }
}
