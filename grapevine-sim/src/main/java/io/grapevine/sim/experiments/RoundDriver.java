// SPDX-License-Identifier: Apache-2.0
package io.grapevine.sim.experiments;

import io.grapevine.node.Delivery;
import io.grapevine.node.Endpoint;
import io.grapevine.node.Outbox;
import io.grapevine.node.PeerSampler;
import io.grapevine.node.ProtocolEvent;
import io.grapevine.node.ProtocolNode;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Synchronous rounds (the cycles of Demers et al.) for real protocol nodes, without the event queue:
 * in round {@code r} every node is ticked once at time {@code r * roundMillis} (in index order from
 * a random offset, in a random direction); then the packets sent are delivered first-in first-out, and so are the packets sent while
 * handling them, until none is left. So everything a round's contacts cause (a pull reply, feedback,
 * the second half of an exchange, an anti-entropy reply) happens within that round, breadth first:
 * all requests of the round are answered before any answer is handled, so a pull is answered with
 * the state the node had when the round began. Packets of one generation are still handled one
 * after another: a node that learns a rumor from a push-pull exchange answers the later exchanges of
 * that round with it.
 *
 * <p>No latency, no loss: this driver measures the protocol's logic, not the network. Packets are
 * copied into one arena reused every round, so the driver allocates nothing per packet but the
 * {@link ByteBuffer} view handed to the receiver.
 */
final class RoundDriver implements Outbox {
  private static final int BASE_ADDRESS = 10 << 24;
  private static final int PORT = 7946;

  /** Receives the events nodes emit. */
  interface Events {
    void on(int node, ProtocolEvent event);
  }

  /**
   * Packets whose delivery is known to change nothing at the receiver (so the driver need not decode
   * them); the packet is still counted as sent by its sender.
   */
  interface NoOp {
    boolean test(int dst, byte[] data, int offset, int length);
  }

  final int n;
  final long roundMillis;
  private final ProtocolNode[] nodes;
  private final Endpoint[] endpoints;
  private final SplittableRandom orderRandom;
  private final SplittableRandom peerRandom;
  private final Events events;
  private NoOp noOp = (dst, data, off, len) -> false;
  private boolean sequential;
  private final byte[] scratch = new byte[16];

  private int[] qSrc = new int[4096];
  private int[] qDst = new int[4096];
  private int[] qOff = new int[4096];
  private int[] qLen = new int[4096];
  private boolean[] qStream = new boolean[4096];
  private int qTail;
  private byte[] arena = new byte[1 << 20];
  private int arenaTop;

  private int current = -1;
  private long nowMillis;
  private long round;
  long delivered;
  long skipped;

  RoundDriver(int n, long roundMillis, long seed, Events events) {
    this.n = n;
    this.roundMillis = roundMillis;
    this.nodes = new ProtocolNode[n];
    this.endpoints = new Endpoint[n];
    for (int i = 0; i < n; i++) {
      endpoints[i] = Endpoint.ipv4(BASE_ADDRESS + i + 1, PORT);
    }
    this.orderRandom = new SplittableRandom(seed ^ 0x9E3779B97F4A7C15L);
    this.peerRandom = new SplittableRandom(seed ^ 0x5DEECE66DL);
    this.events = events;
  }

  Endpoint endpoint(int i) {
    return endpoints[i];
  }

  void install(int i, ProtocolNode node) {
    nodes[i] = node;
  }

  void noOp(NoOp test) {
    this.noOp = test;
  }

  /**
   * Sequential contacts: each node's contact is completed (request, reply, feedback) before the
   * next node ticks, so a node can lose interest, or learn the rumor and pass it on, within a
   * round. The default, simultaneous contacts, answers all of a round's requests first.
   */
  void sequential(boolean on) {
    this.sequential = on;
  }

  /** Uniform choice among the other nodes, from one stream shared by all nodes. */
  PeerSampler uniformPeers(int self) {
    return new PeerSampler() {
      @Override
      public void sample(int k, List<Endpoint> out) {
        int want = Math.min(k, n - 1);
        int added = 0;
        while (added < want) {
          int j = peerRandom.nextInt(n - 1);
          if (j >= self) {
            j++;
          }
          Endpoint e = endpoints[j];
          if (!out.contains(e)) {
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
  }

  /** The round last run (0 before the first). */
  long round() {
    return round;
  }

  long nowMillis() {
    return nowMillis;
  }

  /** Runs {@code action} as node {@code i} at the current time, then delivers what it caused. */
  void call(int i, java.util.function.Consumer<Outbox> action) {
    current = i;
    action.accept(this);
    current = -1;
    deliverAll();
  }

  /** Runs the next round: every node ticked once in random order, then every packet delivered. */
  void runRound() {
    round++;
    nowMillis = round * roundMillis;
    // Tick order: the node indices rotated by a random offset, forwards or backwards. Over rounds
    // each node is ahead of any other half of the time (which matters when two contacts of one
    // round reach the same node), and the nodes' state, allocated in index order, is walked
    // nearly sequentially: at N = 10^4 a shuffled order spends most of a round on cache misses.
    int offset = orderRandom.nextInt(n);
    int step = orderRandom.nextBoolean() ? 1 : n - 1;
    int i = offset;
    for (int idx = 0; idx < n; idx++, i = (i + step) % n) {
      ProtocolNode node = nodes[i];
      if (node.nextDeadlineMillis() <= nowMillis) {
        current = i;
        node.onTick(nowMillis, this);
        if (sequential) {
          deliverAll();
        }
      }
    }
    current = -1;
    deliverAll();
  }

  private void deliverAll() {
    for (int q = 0; q < qTail; q++) {
      int dst = qDst[q];
      if (noOp.test(dst, arena, qOff[q], qLen[q])) {
        skipped++;
        continue;
      }
      delivered++;
      current = dst;
      nodes[dst].onPacket(nowMillis, endpoints[qSrc[q]], ByteBuffer.wrap(arena, qOff[q], qLen[q]),
          qStream[q] ? Delivery.STREAM : Delivery.DATAGRAM, this);
    }
    current = -1;
    qTail = 0;
    arenaTop = 0;
  }

  @Override
  public void send(Endpoint to, ByteBuffer packet, Delivery delivery) {
    if (current < 0) {
      throw new IllegalStateException("send outside a node step");
    }
    to.copyAddress(scratch, 0);
    int addr = ((scratch[0] & 0xff) << 24) | ((scratch[1] & 0xff) << 16) | ((scratch[2] & 0xff) << 8)
        | (scratch[3] & 0xff);
    int dst = addr - BASE_ADDRESS - 1;
    if (to.addressLength() != 4 || to.port() != PORT || dst < 0 || dst >= n) {
      throw new IllegalArgumentException("not a node of this driver: " + to);
    }
    int len = packet.remaining();
    if (arenaTop + len > arena.length) {
      // The old array stays valid for a packet being handled right now.
      arena = Arrays.copyOf(arena, Math.max(arena.length * 2, arenaTop + len));
    }
    packet.get(packet.position(), arena, arenaTop, len);
    if (qTail == qDst.length) {
      int cap = qTail * 2;
      qSrc = Arrays.copyOf(qSrc, cap);
      qDst = Arrays.copyOf(qDst, cap);
      qOff = Arrays.copyOf(qOff, cap);
      qLen = Arrays.copyOf(qLen, cap);
      qStream = Arrays.copyOf(qStream, cap);
    }
    qSrc[qTail] = current;
    qDst[qTail] = dst;
    qOff[qTail] = arenaTop;
    qLen[qTail] = len;
    qStream[qTail] = delivery == Delivery.STREAM;
    qTail++;
    arenaTop += len;
  }

  @Override
  public void emit(ProtocolEvent event) {
    events.on(current, event);
  }
}
