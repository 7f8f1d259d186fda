// SPDX-License-Identifier: Apache-2.0
package io.grapevine.transport;

import io.grapevine.node.Delivery;
import io.grapevine.node.Endpoint;
import io.grapevine.runtime.EventLoop;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Collection;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A transport decorator that misbehaves on purpose, like JGroups' DISCARD, DELAY and SHUFFLE layers:
 * drops packets with a probability, delays them (fixed or uniform), duplicates, reorders, and cuts
 * the node off from a set of endpoints (a partition) until healed. Usable in tests and, switched on
 * at run time, in a live system.
 *
 * <p>Faults apply to outbound packets, and to inbound ones too if {@link #inbound(boolean)} is set.
 * Loss, duplication and reordering apply to datagrams only unless {@link #streams(boolean)} is set,
 * since TCP does not lose or duplicate; partitions and delays apply to both. An inbound stream's
 * source is the peer's ephemeral port, so inbound partitions match datagrams only: decorate both
 * sides (or every node) for a symmetric cut. Delays are timers on the {@link EventLoop}, never
 * sleeps; a reordered packet is held back by {@link #reorderHold} so later ones overtake it.
 *
 * <p>Settings may change from any thread at any time; random choices come from one seeded generator
 * used on the loop thread only, so a run with the same seed and the same traffic repeats.
 */
public final class FaultInjectingTransport implements Transport {
  private final Transport inner;
  private final EventLoop loop;
  private final SplittableRandom random;
  private final Set<Endpoint> blocked = ConcurrentHashMap.newKeySet();
  private volatile double dropProbability;
  private volatile double duplicateProbability;
  private volatile double reorderProbability;
  private volatile long delayMinMillis;
  private volatile long delayMaxMillis;
  private volatile long reorderHoldMillis = 20;
  private volatile boolean applyInbound;
  private volatile boolean applyToStreams;
  private final AtomicLong dropped = new AtomicLong();
  private final AtomicLong delayed = new AtomicLong();
  private final AtomicLong duplicated = new AtomicLong();
  private final AtomicLong reordered = new AtomicLong();
  private final AtomicLong blockedCount = new AtomicLong();
  private final AtomicLong passed = new AtomicLong();
  private final AtomicLong passedLossy = new AtomicLong();

  /**
   * @param inner the transport that really sends
   * @param loop the loop driving {@code inner}; delayed packets are timers on it
   * @param seed seed of every random choice
   */
  public FaultInjectingTransport(Transport inner, EventLoop loop, long seed) {
    this.inner = inner;
    this.loop = loop;
    this.random = new SplittableRandom(seed);
  }

  // ------------------------------------------------------------------ settings

  /** Drops each packet with probability {@code p} (0..1). */
  public FaultInjectingTransport drop(double p) {
    dropProbability = probability("drop", p);
    return this;
  }

  /** Sends each packet twice with probability {@code p} (0..1). */
  public FaultInjectingTransport duplicate(double p) {
    duplicateProbability = probability("duplicate", p);
    return this;
  }

  /** Holds each packet back by {@link #reorderHold} with probability {@code p}, so later ones overtake it. */
  public FaultInjectingTransport reorder(double p) {
    reorderProbability = probability("reorder", p);
    return this;
  }

  /** How long a reordered packet is held back (default 20 ms). */
  public FaultInjectingTransport reorderHold(Duration hold) {
    reorderHoldMillis = nonNegative("reorderHold", hold);
    return this;
  }

  /** Delays every packet by exactly {@code delay}. */
  public FaultInjectingTransport delay(Duration delay) {
    return delay(delay, delay);
  }

  /** Delays every packet by a uniform random time in [{@code min}, {@code max}]. */
  public FaultInjectingTransport delay(Duration min, Duration max) {
    long lo = nonNegative("delay min", min);
    long hi = nonNegative("delay max", max);
    if (hi < lo) {
      throw new IllegalArgumentException("delay max (" + hi + " ms) is below delay min (" + lo + " ms)");
    }
    delayMinMillis = lo;
    delayMaxMillis = hi;
    return this;
  }

  /** Also apply faults to inbound packets (default: outbound only). */
  public FaultInjectingTransport inbound(boolean on) {
    applyInbound = on;
    return this;
  }

  /** Also drop, duplicate and reorder stream (TCP) messages (default: datagrams only). */
  public FaultInjectingTransport streams(boolean on) {
    applyToStreams = on;
    return this;
  }

  /** Cuts this node off from {@code endpoints} (added to any already blocked). */
  public FaultInjectingTransport partition(Collection<Endpoint> endpoints) {
    blocked.addAll(endpoints);
    return this;
  }

  /** Removes every partition. */
  public FaultInjectingTransport heal() {
    blocked.clear();
    return this;
  }

  /** Turns every fault off: packets pass unchanged. */
  public FaultInjectingTransport reset() {
    dropProbability = 0;
    duplicateProbability = 0;
    reorderProbability = 0;
    delayMinMillis = 0;
    delayMaxMillis = 0;
    blocked.clear();
    return this;
  }

  // ------------------------------------------------------------------ counters

  /** Packets dropped at random. */
  public long dropped() { return dropped.get(); }
  /** Packets sent late. */
  public long delayed() { return delayed.get(); }
  /** Extra copies sent. */
  public long duplicated() { return duplicated.get(); }
  /** Packets held back to be overtaken. */
  public long reordered() { return reordered.get(); }
  /** Packets dropped because of a partition. */
  public long blocked() { return blockedCount.get(); }
  /** Packets passed on (each copy counts). */
  public long passed() { return passed.get(); }
  /** Packets that loss applied to and that passed (datagrams, and streams if enabled): with {@link
   * #dropped()}, the measured loss rate. */
  public long passedLossy() { return passedLossy.get(); }

  public Transport inner() {
    return inner;
  }

  // ------------------------------------------------------------------ transport

  @Override
  public void start(Receiver receiver) throws IOException {
    inner.start((from, packet, delivery) -> {
      if (applyInbound) {
        apply(from, packet, delivery, (p) -> receiver.onPacket(from, p, delivery));
      } else {
        receiver.onPacket(from, packet, delivery);
      }
    });
  }

  @Override
  public void send(Endpoint to, ByteBuffer packet, Delivery delivery) {
    apply(to, packet, delivery, p -> inner.send(to, p, delivery));
  }

  private void apply(Endpoint peer, ByteBuffer packet, Delivery delivery, java.util.function.Consumer<ByteBuffer> pass) {
    if (!blocked.isEmpty() && blocked.contains(peer)) {
      blockedCount.incrementAndGet();
      return;
    }
    boolean lossy = delivery == Delivery.DATAGRAM || applyToStreams;
    if (lossy && dropProbability > 0 && random.nextDouble() < dropProbability) {
      dropped.incrementAndGet();
      return;
    }
    if (lossy) {
      passedLossy.incrementAndGet();
    }
    int copies = 1;
    if (lossy && duplicateProbability > 0 && random.nextDouble() < duplicateProbability) {
      duplicated.incrementAndGet();
      copies = 2;
    }
    for (int i = 0; i < copies; i++) {
      long delay = delayMinMillis;
      long spread = delayMaxMillis - delayMinMillis;
      if (spread > 0) {
        delay += random.nextLong(spread + 1);
      }
      if (lossy && reorderProbability > 0 && random.nextDouble() < reorderProbability) {
        reordered.incrementAndGet();
        delay += reorderHoldMillis;
      }
      passed.incrementAndGet();
      if (delay <= 0) {
        pass.accept(packet.duplicate());
      } else {
        delayed.incrementAndGet();
        ByteBuffer copy = ByteBuffer.allocate(packet.remaining());
        copy.put(packet.duplicate()).flip();
        loop.scheduleAfter(delay, () -> pass.accept(copy));
      }
    }
  }

  @Override
  public Endpoint localEndpoint() {
    return inner.localEndpoint();
  }

  @Override
  public TransportStats stats() {
    return inner.stats();
  }

  @Override
  public void close() {
    inner.close();
  }

  private static double probability(String name, double p) {
    if (!(p >= 0 && p <= 1)) {
      throw new IllegalArgumentException(name + " probability must be in 0..1, got " + p);
    }
    return p;
  }

  private static long nonNegative(String name, Duration d) {
    if (d == null || d.isNegative()) {
      throw new IllegalArgumentException(name + " must be zero or positive, got " + d);
    }
    return d.toMillis();
  }

  @Override
  public String toString() {
    return "FaultInjecting[drop=" + dropProbability + " dup=" + duplicateProbability + " reorder="
        + reorderProbability + " delay=" + delayMinMillis + ".." + delayMaxMillis + "ms blocked=" + blocked.size()
        + "] over " + inner;
  }
}
