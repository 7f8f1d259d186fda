package io.grapevine.antientropy;

import io.grapevine.node.Delivery;
import io.grapevine.node.Endpoint;
import io.grapevine.node.Outbox;
import io.grapevine.node.PeerSampler;
import io.grapevine.node.ProtocolEvent;
import io.grapevine.stack.ProtocolStack;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.BiPredicate;

/**
 * A deterministic in-memory network of replicas on {@link ProtocolStack}s, with a fake clock and
 * seeded faults: loss, duplication and reordering (random latency) of every packet, datagram or
 * stream alike, and partitions.
 */
final class KvNetwork {
  static final String CLUSTER = "kv-test";

  final class Node {
    final int index;
    final Endpoint endpoint;
    final ProtocolStack host;
    final AntiEntropy kv;
    final Replica replica;
    boolean down;

    Node(int index, AntiEntropyConfig config, ReplicaStore store, Durability durability) {
      this.index = index;
      this.endpoint = Endpoint.ipv4(0x0A000000 + index, 7000);
      this.replica = durability == null ? new Replica("r" + index, store, config)
          : new Replica("r" + index, store, config, durability);
      this.kv = new AntiEntropy(replica, random.split(), 0);
      PeerSampler sampler = new PeerSampler() {
        @Override
        public void sample(int k, List<Endpoint> out) {
          List<Node> others = new ArrayList<>();
          for (Node n : nodes) {
            if (n != Node.this) {
              others.add(n);
            }
          }
          for (int i = 0; i < k && !others.isEmpty(); i++) {
            out.add(others.remove(random.nextInt(others.size())).endpoint);
          }
        }

        @Override
        public int size() {
          return nodes.size() - 1;
        }
      };
      this.host = ProtocolStack.builder("n" + index, endpoint, CLUSTER).peers(sampler).add(kv).build();
    }

    Outbox outbox() {
      return new Outbox() {
        @Override
        public void send(Endpoint to, ByteBuffer packet, Delivery delivery) {
          byte[] bytes = new byte[packet.remaining()];
          packet.get(bytes);
          packetsSent++;
          bytesSent += bytes.length;
          if (sniff) {
            sniffed.add(new Packet(now, seq, endpoint, to, bytes, delivery));
          }
          if (down || blocked.test(endpoint, to) || random.nextDouble() < loss) {
            return;
          }
          int copies = random.nextDouble() < duplication ? 2 : 1;
          for (int c = 0; c < copies; c++) {
            long delay = minLatency + (maxLatency > minLatency ? random.nextLong(maxLatency - minLatency + 1) : 0);
            inFlight.add(new Packet(now + delay, seq++, endpoint, to, bytes, delivery));
          }
        }

        @Override
        public void emit(ProtocolEvent event) {}
      };
    }
  }

  record Packet(long at, long seq, Endpoint from, Endpoint to, byte[] bytes, Delivery delivery) {}

  final SplittableRandom random;
  final List<Node> nodes = new ArrayList<>();
  final PriorityQueue<Packet> inFlight =
      new PriorityQueue<>((a, b) -> a.at != b.at ? Long.compare(a.at, b.at) : Long.compare(a.seq, b.seq));
  long now = 1_000_000;
  long seq;
  long packetsSent;
  boolean sniff;
  final List<Packet> sniffed = new ArrayList<>();
  long bytesSent;
  double loss;
  double duplication;
  long minLatency = 1;
  long maxLatency = 1;
  BiPredicate<Endpoint, Endpoint> blocked = (a, b) -> false;

  KvNetwork(long seed) {
    this.random = new SplittableRandom(seed);
  }

  Node add(AntiEntropyConfig config) {
    return add(config, new InMemoryReplicaStore());
  }

  Node add(AntiEntropyConfig config, ReplicaStore store) {
    return add(config, store, null);
  }

  /** A node whose local writes ask {@code durability} to be made durable (null: the replica's default). */
  Node add(AntiEntropyConfig config, ReplicaStore store, Durability durability) {
    Node n = new Node(nodes.size(), config, store, durability);
    nodes.add(n);
    return n;
  }

  Node node(Endpoint e) {
    for (Node n : nodes) {
      if (n.endpoint.equals(e)) {
        return n;
      }
    }
    return null;
  }

  /** Splits the nodes: packets between the two groups are dropped. */
  void partition(Set<Integer> side) {
    Set<Endpoint> a = new HashSet<>();
    for (Node n : nodes) {
      if (side.contains(n.index)) {
        a.add(n.endpoint);
      }
    }
    blocked = (x, y) -> a.contains(x) != a.contains(y);
  }

  void heal() {
    blocked = (x, y) -> false;
  }

  void runUntil(long until) {
    while (true) {
      long next = Long.MAX_VALUE;
      Node due = null;
      for (Node n : nodes) {
        if (n.down) {
          continue;
        }
        long d = n.host.nextDeadlineMillis();
        if (d < next) {
          next = d;
          due = n;
        }
      }
      Packet p = inFlight.peek();
      if (p != null && p.at <= next) {
        if (p.at > until) {
          break;
        }
        inFlight.poll();
        now = Math.max(now, p.at);
        Node target = node(p.to);
        if (target != null && !target.down) {
          target.host.onPacket(now, p.from, ByteBuffer.wrap(p.bytes), p.delivery, target.outbox());
        }
        continue;
      }
      if (due == null || next > until) {
        break;
      }
      now = Math.max(now, next);
      due.host.onTick(now, due.outbox());
    }
    now = Math.max(now, until);
  }

  void runFor(long millis) {
    runUntil(now + millis);
  }

  boolean converged() {
    long root = nodes.get(0).replica.tree().root();
    for (Node n : nodes) {
      if (n.replica.tree().root() != root) {
        return false;
      }
    }
    return true;
  }

  /** Runs until every root agrees and nothing is in flight, or {@code maxMillis} passes. */
  boolean runUntilConverged(long maxMillis) {
    long end = now + maxMillis;
    while (now < end) {
      runFor(100);
      if (converged() && inFlight.isEmpty()) {
        return true;
      }
    }
    return converged();
  }
}
