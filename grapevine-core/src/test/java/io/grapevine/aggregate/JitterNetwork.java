package io.grapevine.aggregate;

import io.grapevine.node.Delivery;
import io.grapevine.node.Endpoint;
import io.grapevine.node.Outbox;
import io.grapevine.node.PeerSampler;
import io.grapevine.node.ProtocolEvent;
import io.grapevine.stack.ProtocolStack;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.SplittableRandom;

/**
 * Aggregation nodes in {@link ProtocolStack}s over uniform random peers, with a fake clock and a
 * random one-way latency of 1..{@code maxLatencyMillis} ms, so that exchanges overlap as they do on
 * a real network. {@link #drain()} delivers everything in flight without firing any timer: the
 * moment at which the mass held by the nodes can be summed (none is travelling).
 */
final class JitterNetwork {
  private record Packet(long at, long seq, int from, int to, byte[] bytes) {}

  final List<Aggregation> nodes = new ArrayList<>();
  final List<Endpoint> endpoints = new ArrayList<>();
  private final List<ProtocolStack> hosts = new ArrayList<>();
  private final boolean[] crashed;
  private final long[] deadline;
  private final PriorityQueue<Packet> inFlight =
      new PriorityQueue<>((a, b) -> a.at != b.at ? Long.compare(a.at, b.at) : Long.compare(a.seq, b.seq));
  private final SplittableRandom net;
  private final int maxLatencyMillis;
  double loss;
  long now;
  private long seq;

  JitterNetwork(int n, long seed, int maxLatencyMillis, AggregationConfig config) {
    SplittableRandom random = new SplittableRandom(seed);
    this.net = random.split();
    this.maxLatencyMillis = maxLatencyMillis;
    this.crashed = new boolean[n];
    this.deadline = new long[n];
    for (int i = 0; i < n; i++) {
      endpoints.add(Endpoint.ipv4(0x0A000000 + i + 1, 7946));
    }
    for (int i = 0; i < n; i++) {
      int self = i;
      SplittableRandom peerRandom = random.split();
      PeerSampler uniform = new PeerSampler() {
        @Override
        public void sample(int k, List<Endpoint> out) {
          for (int tries = 0; out.size() < k && tries < 20 * (k + 1); tries++) {
            int j = peerRandom.nextInt(n);
            if (j != self && !crashed[j] && !out.contains(endpoints.get(j))) {
              out.add(endpoints.get(j));
            }
          }
        }

        @Override
        public int size() {
          return live() - 1;
        }
      };
      Aggregation a = new Aggregation(config, random.split());
      hosts.add(ProtocolStack.builder("n" + i, endpoints.get(i), "test").peers(uniform).add(a).build());
      nodes.add(a);
    }
  }

  int live() {
    int k = 0;
    for (boolean c : crashed) {
      k += c ? 0 : 1;
    }
    return k;
  }

  boolean isCrashed(int i) {
    return crashed[i];
  }

  void crash(int i) {
    crashed[i] = true;
  }

  /** Starts every node in epoch 0 led by n0 and publishes {@code values[i]} at node i. */
  void start(double[] values) {
    for (int i = 0; i < nodes.size(); i++) {
      nodes.get(i).start(0, 0, "n0");
      nodes.get(i).publish("v", values[i]);
      deadline[i] = hosts.get(i).nextDeadlineMillis();
    }
  }

  private Outbox outbox(int self) {
    return new Outbox() {
      @Override
      public void send(Endpoint to, ByteBuffer packet, Delivery delivery) {
        byte[] b = new byte[packet.remaining()];
        packet.get(b);
        if (loss > 0 && net.nextDouble() < loss) {
          return;
        }
        int target = endpoints.indexOf(to);
        inFlight.add(new Packet(now + 1 + net.nextInt(maxLatencyMillis), seq++, self, target, b));
      }

      @Override
      public void emit(ProtocolEvent event) {}
    };
  }

  private void deliver(Packet p) {
    if (!crashed[p.to]) {
      hosts.get(p.to).onPacket(now, endpoints.get(p.from), ByteBuffer.wrap(p.bytes), Delivery.DATAGRAM, outbox(p.to));
      deadline[p.to] = hosts.get(p.to).nextDeadlineMillis();
    }
  }

  /** Runs timers and packets in time order up to {@code until}, one millisecond at a time. */
  void runUntil(long until) {
    for (; now <= until; now++) {
      while (!inFlight.isEmpty() && inFlight.peek().at <= now) {
        deliver(inFlight.poll());
      }
      for (int i = 0; i < hosts.size(); i++) {
        if (!crashed[i] && deadline[i] <= now) {
          hosts.get(i).onTick(now, outbox(i));
          deadline[i] = hosts.get(i).nextDeadlineMillis();
        }
      }
    }
    now = until;
  }

  /** Delivers every packet in flight (and whatever they cause) without firing timers. */
  void drain() {
    while (!inFlight.isEmpty()) {
      Packet p = inFlight.poll();
      now = Math.max(now, p.at);
      deliver(p);
    }
  }
}
