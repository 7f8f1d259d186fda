package io.grapevine.dissemination;

import io.grapevine.node.Delivery;
import io.grapevine.node.Endpoint;
import io.grapevine.node.Outbox;
import io.grapevine.node.PeerSampler;
import io.grapevine.node.ProtocolEvent;
import io.grapevine.node.ProtocolNode;
import io.grapevine.node.StandaloneHost;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.SplittableRandom;

/** N dissemination nodes with uniform random peers over an in-memory network with a fake clock. */
final class RumorNetwork {
  private record Packet(long at, long seq, Endpoint from, Endpoint to, byte[] bytes, Delivery delivery) {}

  final List<Endpoint> endpoints = new ArrayList<>();
  final List<Dissemination> protocols = new ArrayList<>();
  final Map<Endpoint, ProtocolNode> hosts = new HashMap<>();
  final Map<Endpoint, List<UserEvent>> delivered = new HashMap<>();
  private final PriorityQueue<Packet> inFlight =
      new PriorityQueue<>((a, b) -> a.at != b.at ? Long.compare(a.at, b.at) : Long.compare(a.seq, b.seq));
  private final SplittableRandom random;
  private final SplittableRandom lossRandom;
  double loss;
  long now;
  long seq;

  RumorNetwork(int n, DisseminationConfig config, long seed) {
    random = new SplittableRandom(seed);
    lossRandom = random.split();
    for (int i = 0; i < n; i++) {
      endpoints.add(Endpoint.ipv4(0x0A000000 + i + 1, 7946));
    }
    for (int i = 0; i < n; i++) {
      Endpoint self = endpoints.get(i);
      SplittableRandom peerRandom = random.split();
      PeerSampler uniform = new PeerSampler() {
        @Override
        public void sample(int k, List<Endpoint> out) {
          int added = 0;
          while (added < k && added < n - 1) {
            Endpoint e = endpoints.get(peerRandom.nextInt(n));
            if (!e.equals(self) && !out.contains(e)) {
              out.add(e);
              added++;
            }
          }
        }

        @Override
        public int size() {
          return n - 1;
        }
      };
      Dissemination d = new Dissemination(config, 1, random.split());
      StandaloneHost host = new StandaloneHost("n" + i, self, "test", 1400, uniform).attach(d);
      d.start(0);
      protocols.add(d);
      hosts.put(self, host);
      delivered.put(self, new ArrayList<>());
    }
  }

  Outbox outbox(Endpoint self) {
    return new Outbox() {
      @Override
      public void send(Endpoint to, ByteBuffer packet, Delivery delivery) {
        byte[] b = new byte[packet.remaining()];
        packet.get(b);
        if (delivery == Delivery.DATAGRAM && loss > 0 && lossRandom.nextDouble() < loss) {
          return;
        }
        inFlight.add(new Packet(now + 1, seq++, self, to, b, delivery));
      }

      @Override
      public void emit(ProtocolEvent event) {
        if (event instanceof UserEvent e) {
          delivered.get(self).add(e);
        }
      }
    };
  }

  RumorId publish(int node, String topic, byte[] payload, String key) {
    Endpoint self = endpoints.get(node);
    return protocols.get(node).publish(now, topic, payload, key, outbox(self));
  }

  void runUntil(long until) {
    while (true) {
      long next = Long.MAX_VALUE;
      Endpoint due = null;
      for (Endpoint e : endpoints) {
        long d = hosts.get(e).nextDeadlineMillis();
        if (d < next) {
          next = d;
          due = e;
        }
      }
      Packet p = inFlight.peek();
      if (p != null && p.at <= next) {
        if (p.at > until) {
          break;
        }
        inFlight.poll();
        now = Math.max(now, p.at);
        hosts.get(p.to).onPacket(now, p.from, ByteBuffer.wrap(p.bytes), p.delivery, outbox(p.to));
        continue;
      }
      if (due == null || next > until) {
        break;
      }
      now = Math.max(now, next);
      hosts.get(due).onTick(now, outbox(due));
    }
    now = Math.max(now, until);
  }

  /** Nodes that delivered {@code id}. */
  long informed(RumorId id) {
    return delivered.values().stream().filter(l -> l.stream().anyMatch(e -> e.id().equals(id))).count();
  }

  /** Largest number of deliveries of one id at one node. */
  long maxDeliveriesPerNode(RumorId id) {
    return delivered.values().stream()
        .mapToLong(l -> l.stream().filter(e -> e.id().equals(id)).count())
        .max()
        .orElse(0);
  }

  boolean quiescent() {
    return protocols.stream().allMatch(d -> d.hotCount() == 0);
  }
}
