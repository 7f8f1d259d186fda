package io.grapevine.node;

import io.grapevine.stack.Protocol;
import io.grapevine.stack.ProtocolStack;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.BiFunction;

/**
 * N nodes, each a {@link ProtocolStack} running one extension, with uniform random peers over an
 * in-memory network with a fake clock: a small, deterministic harness for protocol tests (the
 * simulator module is the full-featured one).
 */
public final class ExtensionNetwork<E extends Protocol<?>> {
  private record Packet(long at, long seq, int from, int to, byte[] bytes, Delivery delivery) {}

  public final List<Endpoint> endpoints = new ArrayList<>();
  public final List<E> protocols = new ArrayList<>();
  public final List<List<ProtocolEvent>> events = new ArrayList<>();
  private final List<ProtocolStack> hosts = new ArrayList<>();
  private final PriorityQueue<Packet> inFlight =
      new PriorityQueue<>((a, b) -> a.at != b.at ? Long.compare(a.at, b.at) : Long.compare(a.seq, b.seq));
  private final PriorityQueue<long[]> wakeups =
      new PriorityQueue<>((a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0]) : Long.compare(a[1], b[1]));
  private final long[] scheduled;
  private final Set<Integer> crashed = new HashSet<>();
  private final SplittableRandom lossRandom;
  /** Probability that a datagram is lost. */
  public double loss;
  public long now;
  private long seq;
  public long datagramsSent;

  /** @param factory builds node i's extension from (i, a seeded random) */
  public ExtensionNetwork(int n, long seed, BiFunction<Integer, SplittableRandom, E> factory) {
    SplittableRandom random = new SplittableRandom(seed);
    lossRandom = random.split();
    scheduled = new long[n];
    for (int i = 0; i < n; i++) {
      endpoints.add(Endpoint.ipv4(0x0A000000 + i + 1, 7946));
    }
    for (int i = 0; i < n; i++) {
      final int self = i;
      SplittableRandom peerRandom = random.split();
      PeerSampler uniform = new PeerSampler() {
        @Override
        public void sample(int k, List<Endpoint> out) {
          int live = n - 1 - crashedOthers(self);
          int added = 0;
          for (int tries = 0; added < Math.min(k, live) && tries < 20 * (k + 1); tries++) {
            int j = peerRandom.nextInt(n);
            Endpoint e = endpoints.get(j);
            if (j != self && !crashed.contains(j) && !out.contains(e)) {
              out.add(e);
              added++;
            }
          }
        }

        @Override
        public int size() {
          return n - 1 - crashedOthers(self);
        }
      };
      E protocol = factory.apply(i, random.split());
      ProtocolStack host = ProtocolStack.builder("n" + i, endpoints.get(i), "test").peers(uniform).add(protocol).build();
      protocols.add(protocol);
      hosts.add(host);
      events.add(new ArrayList<>());
    }
  }

  private int crashedOthers(int self) {
    return crashed.size() - (crashed.contains(self) ? 1 : 0);
  }

  public void crash(int node) {
    crashed.add(node);
  }

  /** Brings a crashed (or never started) node into the network; call {@link #touch} after starting it. */
  public void revive(int node) {
    crashed.remove(node);
  }

  public Outbox outbox(int self) {
    return new Outbox() {
      @Override
      public void send(Endpoint to, ByteBuffer packet, Delivery delivery) {
        byte[] b = new byte[packet.remaining()];
        packet.get(b);
        if (delivery == Delivery.DATAGRAM) {
          datagramsSent++;
          if (loss > 0 && lossRandom.nextDouble() < loss) {
            return;
          }
        }
        int target = (to.address()[3] & 0xff) + ((to.address()[2] & 0xff) << 8) - 1;
        inFlight.add(new Packet(now + 1, seq++, self, target, b, delivery));
      }

      @Override
      public void emit(ProtocolEvent event) {
        events.get(self).add(event);
      }
    };
  }

  private void schedule(int i) {
    long d = hosts.get(i).nextDeadlineMillis();
    scheduled[i] = d;
    if (d != Long.MAX_VALUE) {
      wakeups.add(new long[] {d, i});
    }
  }

  /** Call after changing a node from outside (publish, start...) so its timers are seen. */
  public void touch(int i) {
    schedule(i);
  }

  public void runUntil(long until) {
    if (wakeups.isEmpty()) {
      for (int i = 0; i < hosts.size(); i++) {
        schedule(i);
      }
    }
    while (true) {
      long[] w = wakeups.peek();
      while (w != null && (scheduled[(int) w[1]] != w[0] || crashed.contains((int) w[1]))) {
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
        if (!crashed.contains(p.to)) {
          hosts.get(p.to).onPacket(now, endpoints.get(p.from), ByteBuffer.wrap(p.bytes), p.delivery, outbox(p.to));
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
      hosts.get(i).onTick(now, outbox(i));
      schedule(i);
    }
    now = Math.max(now, until);
  }
}
