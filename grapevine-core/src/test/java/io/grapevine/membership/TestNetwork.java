package io.grapevine.membership;

import io.grapevine.node.Delivery;
import io.grapevine.node.Endpoint;
import io.grapevine.node.Outbox;
import io.grapevine.stack.ProtocolStack;
import io.grapevine.node.ProtocolEvent;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.BiPredicate;

/**
 * A deterministic in-memory network for stepping several {@link Membership} nodes with a fake clock:
 * packets are delivered after a fixed latency, in order; crashed nodes receive nothing. Small on
 * purpose: the simulator module is the full-featured version.
 */
final class TestNetwork {
  static final String CLUSTER = "test";

  private record Packet(long at, long seq, Endpoint from, Endpoint to, byte[] bytes, Delivery delivery) {}

  private final PriorityQueue<Packet> inFlight = new PriorityQueue<>(
      (a, b) -> a.at != b.at ? Long.compare(a.at, b.at) : Long.compare(a.seq, b.seq));
  final Map<Endpoint, Membership> nodes = new LinkedHashMap<>();
  final Map<Membership, ProtocolStack> stacks = new java.util.IdentityHashMap<>();
  final Map<String, List<ProtocolEvent>> events = new LinkedHashMap<>();
  private final Set<Endpoint> crashed = new HashSet<>();
  final SplittableRandom random;
  private final long latencyMillis;
  private long seq;
  long now;
  long packetsSent;
  /** Every packet sent, in order, if {@link #sniff} is set. */
  final List<Object[]> sniffed = new ArrayList<>();
  boolean sniff;
  /** Whether {@link #drop} also applies to stream (TCP) packets: true for partitions; false for
   * random loss, since TCP retransmits what IP loses. */
  boolean dropStreams = true;
  /** Drops a packet when it returns true (from, to). */
  BiPredicate<Endpoint, Endpoint> drop = (a, b) -> false;

  TestNetwork(long seed, long latencyMillis) {
    this.random = new SplittableRandom(seed);
    this.latencyMillis = latencyMillis;
  }

  static Endpoint endpoint(int i) {
    return Endpoint.ipv4(0x0A000000 + i, 7946);
  }

  Membership add(String name, int index, MembershipConfig config) {
    return add(name, endpoint(index), 1, config);
  }

  Membership add(String name, Endpoint endpoint, long incarnation, MembershipConfig config) {
    return add(name, endpoint, incarnation, config, m -> {});
  }

  /** Adds a node, letting {@code beforeStart} attach extensions first. */
  Membership add(String name, Endpoint endpoint, long incarnation, MembershipConfig config,
      java.util.function.Consumer<ProtocolStack.Builder> beforeStart) {
    Membership m = new Membership(CLUSTER, name, endpoint, incarnation, new byte[0], config, random.split());
    ProtocolStack.Builder b = ProtocolStack.builder(name, endpoint, CLUSTER).datagramBytes(config.udpPayloadBytes)
        .streamMessageMaxBytes(config.streamMessageMaxBytes).add(m);
    beforeStart.accept(b);
    ProtocolStack stack = b.build();
    nodes.put(endpoint, m);
    stacks.put(m, stack);
    crashed.remove(endpoint);
    events.computeIfAbsent(name, k -> new ArrayList<>());
    stack.start(now, outbox(m));
    return m;
  }

  /** The stack {@code node} runs on. */
  ProtocolStack stack(Membership node) {
    return stacks.get(node);
  }

  Outbox outbox(Membership node) {
    Endpoint self = node.endpoint();
    return new Outbox() {
      @Override
      public void send(Endpoint to, ByteBuffer packet, Delivery delivery) {
        byte[] bytes = new byte[packet.remaining()];
        packet.get(bytes);
        packetsSent++;
        if (sniff) {
          sniffed.add(new Object[] {self, to, bytes, delivery});
        }
        if (crashed.contains(self) || ((dropStreams || delivery == Delivery.DATAGRAM) && drop.test(self, to))) {
          return;
        }
        inFlight.add(new Packet(now + latencyMillis, seq++, self, to, bytes, delivery));
      }

      @Override
      public void emit(ProtocolEvent event) {
        events.computeIfAbsent(node.name(), k -> new ArrayList<>()).add(event);
      }
    };
  }

  void join(Membership node, Membership seed) {
    node.join(now, List.of(seed.endpoint()), outbox(node));
  }

  /** Stops a node without a word: it neither sends nor receives from now on. */
  void crash(Membership node) {
    crashed.add(node.endpoint());
  }

  /** Runs the network until {@code until} (inclusive). */
  void runUntil(long until) {
    while (true) {
      long next = Long.MAX_VALUE;
      Membership due = null;
      for (Map.Entry<Endpoint, Membership> e : nodes.entrySet()) {
        if (crashed.contains(e.getKey())) {
          continue;
        }
        long d = stacks.get(e.getValue()).nextDeadlineMillis();
        if (d < next) {
          next = d;
          due = e.getValue();
        }
      }
      Packet p = inFlight.peek();
      if (p != null && p.at <= next) {
        if (p.at > until) {
          break;
        }
        inFlight.poll();
        now = Math.max(now, p.at);
        Membership target = nodes.get(p.to);
        if (target != null && !crashed.contains(p.to)) {
          stacks.get(target).onPacket(now, p.from, ByteBuffer.wrap(p.bytes), p.delivery, outbox(target));
        }
        continue;
      }
      if (due == null || next > until) {
        break;
      }
      now = Math.max(now, next);
      stacks.get(due).onTick(now, outbox(due));
    }
    now = Math.max(now, until);
  }

  void runFor(long millis) {
    runUntil(now + millis);
  }

  MemberState stateOf(Membership observer, String name) {
    Member m = observer.member(name);
    return m == null ? null : m.state();
  }

  /** Events of type {@code type} about {@code about}, as seen by {@code observer}. */
  long count(Membership observer, MemberEvent.Type type, String about) {
    return events.getOrDefault(observer.name(), List.of()).stream()
        .filter(e -> e instanceof MemberEvent me && me.type() == type && me.member().name().equals(about))
        .count();
  }

  /** Nodes not crashed. */
  List<Membership> live() {
    List<Membership> list = new ArrayList<>();
    for (Map.Entry<Endpoint, Membership> e : nodes.entrySet()) {
      if (!crashed.contains(e.getKey())) {
        list.add(e.getValue());
      }
    }
    return list;
  }
}
