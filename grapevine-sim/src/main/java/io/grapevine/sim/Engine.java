// SPDX-License-Identifier: Apache-2.0
package io.grapevine.sim;

import io.grapevine.node.Delivery;
import io.grapevine.node.Endpoint;
import io.grapevine.node.Outbox;
import io.grapevine.node.ProtocolEvent;
import io.grapevine.node.ProtocolNode;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.zip.CRC32C;

/**
 * The discrete-event engine: virtual time, one event queue, and the modelled network between
 * {@link ProtocolNode}s.
 *
 * <p>Time is kept in microseconds so random latencies order messages finely; nodes see whole
 * milliseconds ({@code now / 1000}), as the sans-I/O contract asks. Each node has at most one live
 * wake-up event, at its {@link ProtocolNode#nextDeadlineMillis()} re-read after every call into it;
 * an earlier wake-up left in the queue when the deadline moves is recognised as stale and skipped.
 * Each sent packet is copied, so the node may reuse its buffer.
 *
 * <p>Node {@code i} lives at the synthetic address {@code 10.0.0.0 + i + 1}, port {@value #PORT}; no
 * packet ever reaches a real network. A run is deterministic: all randomness comes from streams
 * derived from the scenario seed, and ties in time are broken by insertion order.
 *
 * <p>Not thread-safe: one thread runs it.
 */
public final class Engine implements Outbox {
  /** Port of every synthetic endpoint. */
  public static final int PORT = 7946;
  /**
   * Whether decoded addresses of simulated nodes resolve to shared endpoints (default true); {@code
   * -Dgrapevine.sim.sharedEndpoints=false} turns it off, to measure what it saves.
   */
  static final boolean SHARED_ENDPOINTS =
      !"false".equals(System.getProperty("grapevine.sim.sharedEndpoints"));
  private static final int BASE_ADDRESS = 10 << 24;

  private static final byte KIND_DATAGRAM = 0;
  private static final byte KIND_STREAM = 1;
  private static final byte KIND_CONTROL = 2;

  /** Receives what nodes emit. */
  public interface EventSink {
    /**
     * Handles one event of node {@code node}.
     *
     * @return a digest of the event (stable across runs) that goes into the trace hash
     */
    long onEvent(int node, ProtocolEvent event, long nowMillis);
  }

  private final int n;
  private final NetworkModel network;
  private final SplittableRandom netRandom;
  private final EventQueue queue;
  private final ProtocolNode[] nodes;
  private final long[] wakeAt;
  private final boolean[] up;
  private final long[] slowMicros;
  /** Per node: probability that a packet to it is lost on the way in (a flaky host); null until set. */
  private double[] inboundLoss;
  private final long[] linkFreeMicros;
  private final long[] packetsOut;
  private final long[] bytesOut;
  private final Endpoint[] endpoints;
  private final EventSink sink;
  private final boolean trace;
  private final CRC32C crc = new CRC32C();

  // Event pool: slots for packets in flight and control actions; payload >= 0 in the queue.
  private int[] evSrc = new int[1024];
  private int[] evDst = new int[1024];
  private byte[] evKind = new byte[1024];
  private Object[] evObj = new Object[1024];
  private int[] free = new int[1024];
  private int freeTop;
  private int poolSize;

  private long nowMicros;
  private int current = -1;
  private boolean stopRequested;
  private long traceHash = 0x6a09e667f3bcc909L;

  // Counters.
  private long nodeCalls;
  private long eventsProcessed;
  private long delivered;
  private long lost;
  private long lostInbound;
  private long duplicated;
  private long droppedPartition;
  private long droppedDown;
  private long unroutable;
  private long packetsSent;
  private long bytesSent;

  public Engine(int nodeCount, NetworkModel network, long masterSeed, EventSink sink, boolean trace) {
    if (nodeCount <= 0 || nodeCount >= (1 << 24) - 2) {
      throw new IllegalArgumentException("node count must be 1..16777213, got " + nodeCount);
    }
    this.n = nodeCount;
    this.network = network;
    this.netRandom = new SplittableRandom(Seeds.derive(masterSeed, Seeds.NETWORK, 0));
    this.queue = new EventQueue(Math.min(1 << 22, nodeCount * 4));
    this.nodes = new ProtocolNode[nodeCount];
    this.wakeAt = new long[nodeCount];
    Arrays.fill(wakeAt, Long.MAX_VALUE);
    this.up = new boolean[nodeCount];
    this.slowMicros = new long[nodeCount];
    this.linkFreeMicros = new long[nodeCount];
    this.packetsOut = new long[nodeCount];
    this.bytesOut = new long[nodeCount];
    this.endpoints = new Endpoint[nodeCount];
    this.sink = sink;
    this.trace = trace;
  }

  // ------------------------------------------------------------------ nodes

  public int size() {
    return n;
  }

  /** The synthetic endpoint of node {@code i}. */
  public Endpoint endpoint(int i) {
    Endpoint e = endpoints[i];
    if (e == null) {
      e = Endpoint.ipv4(BASE_ADDRESS + i + 1, PORT);
      endpoints[i] = e;
    }
    return e;
  }

  /** The engine's shared endpoint for a simulated node's address, or null for any other address. */
  private Endpoint resolveIpv4(int address, int port) {
    long index = (address & 0xFFFFFFFFL) - (BASE_ADDRESS & 0xFFFFFFFFL) - 1;
    return port == PORT && index >= 0 && index < endpoints.length ? endpoint((int) index) : null;
  }

  /** The node index behind a synthetic endpoint, or -1 if it is not one. */
  public int indexOf(Endpoint e) {
    if (e.addressLength() != 4 || e.port() != PORT) {
      return -1;
    }
    byte[] a = scratchAddress;
    e.copyAddress(a, 0);
    int addr = ((a[0] & 0xff) << 24) | ((a[1] & 0xff) << 16) | ((a[2] & 0xff) << 8) | (a[3] & 0xff);
    int i = addr - BASE_ADDRESS - 1;
    return i >= 0 && i < n ? i : -1;
  }

  private final byte[] scratchAddress = new byte[16];

  /** Puts {@code node} at index {@code i} and marks it up; call {@link #call} to start it. */
  public void install(int i, ProtocolNode node) {
    // Decoded addresses of simulated nodes resolve to the engine's shared endpoints: a million nodes
    // otherwise each keep their own copies of the same few dozen endpoints (and allocate one per
    // address field of every packet).
    if (SHARED_ENDPOINTS) {
      node.endpointResolver(this::resolveIpv4);
    }
    nodes[i] = node;
    up[i] = true;
    wakeAt[i] = Long.MAX_VALUE;
  }

  /** Crashes node {@code i}: it stops at once, its state is discarded, packets to it are lost. */
  public void crash(int i) {
    nodes[i] = null;
    up[i] = false;
    wakeAt[i] = Long.MAX_VALUE;
  }

  public boolean isUp(int i) {
    return up[i];
  }

  public ProtocolNode node(int i) {
    return nodes[i];
  }

  /**
   * Makes node {@code i} handle every inbound packet {@code delayMillis} late (0 = normal speed): a
   * degraded node whose receive path lags while its timers still fire.
   */
  public void setSlow(int i, long delayMillis) {
    slowMicros[i] = delayMillis * 1000;
  }

  public long slowMillis(int i) {
    return slowMicros[i] / 1000;
  }

  /**
   * Makes node {@code i} lose a fraction {@code loss} of the packets sent to it, datagrams and stream
   * messages alike (0 = none), while what it sends goes out normally: a flaky host. A stream message
   * lost here stands for a connection that did not get through in time.
   */
  public void setInboundLoss(int i, double loss) {
    if (inboundLoss == null) {
      inboundLoss = new double[n];
    }
    inboundLoss[i] = loss;
  }

  public double inboundLoss(int i) {
    return inboundLoss == null ? 0 : inboundLoss[i];
  }

  /** Runs {@code action} against node {@code i} as if it were the node's own step, then re-reads its deadline. */
  public void call(int i, Consumer<Outbox> action) {
    if (!up[i]) {
      return;
    }
    current = i;
    // A stack with a seal seals what commands send, as it does what it sends itself.
    action.accept(nodes[i] instanceof io.grapevine.stack.ProtocolStack stack ? stack.outbox(this) : this);
    current = -1;
    nodeCalls++;
    reschedule(i, false);
  }

  // ------------------------------------------------------------------ time and control

  public long nowMicros() {
    return nowMicros;
  }

  public long nowMillis() {
    return nowMicros / 1000;
  }

  /** Schedules {@code action} at {@code atMicros}, ordered with all other events. */
  public void schedule(long atMicros, Runnable action) {
    int slot = allocate();
    evKind[slot] = KIND_CONTROL;
    evObj[slot] = action;
    queue.push(Math.max(atMicros, nowMicros), slot);
  }

  /** Makes {@link #runUntil} return after the current event. */
  public void stop() {
    stopRequested = true;
  }

  /**
   * Processes events in time order until none is left at or before {@code endMicros}, {@link #stop}
   * is called, or {@code budgetEvents} events have run.
   *
   * @return true if more events remain to run before {@code endMicros}
   */
  public boolean runUntil(long endMicros, long budgetEvents) {
    stopRequested = false;
    long done = 0;
    while (!queue.isEmpty() && done < budgetEvents && !stopRequested) {
      long t = queue.peekTime();
      if (t > endMicros) {
        break;
      }
      int payload = queue.pop();
      nowMicros = t;
      done++;
      if (payload < 0) {
        wake(-payload - 1, t);
      } else {
        dispatch(payload);
      }
    }
    eventsProcessed += done;
    if (stopRequested) {
      return false;
    }
    if (queue.isEmpty() || queue.peekTime() > endMicros) {
      nowMicros = Math.max(nowMicros, endMicros);
      return false;
    }
    return true;
  }

  private void wake(int i, long t) {
    if (wakeAt[i] != t || !up[i]) {
      return; // stale: the deadline moved since this wake-up was queued
    }
    wakeAt[i] = Long.MAX_VALUE;
    current = i;
    nodes[i].onTick(t / 1000, this);
    current = -1;
    nodeCalls++;
    reschedule(i, true);
  }

  private void dispatch(int slot) {
    byte kind = evKind[slot];
    Object obj = evObj[slot];
    int src = evSrc[slot];
    int dst = evDst[slot];
    release(slot);
    if (kind == KIND_CONTROL) {
      ((Runnable) obj).run();
      return;
    }
    if (!up[dst]) {
      droppedDown++;
      return;
    }
    if (network.blocked(src, dst, nowMicros)) {
      droppedPartition++;
      return;
    }
    byte[] data = (byte[]) obj;
    delivered++;
    long nowMs = nowMicros / 1000;
    if (trace) {
      crc.reset();
      crc.update(data, 0, data.length);
      traceHash = Seeds.mix(traceHash ^ nowMicros);
      traceHash = Seeds.mix(traceHash ^ (((long) src << 32) | dst));
      traceHash = Seeds.mix(traceHash ^ (crc.getValue() << 8 | kind));
    }
    current = dst;
    nodes[dst].onPacket(nowMs, endpoint(src), ByteBuffer.wrap(data),
        kind == KIND_STREAM ? Delivery.STREAM : Delivery.DATAGRAM, this);
    current = -1;
    nodeCalls++;
    reschedule(dst, false);
  }

  private void reschedule(int i, boolean afterTick) {
    ProtocolNode node = nodes[i];
    if (node == null || !up[i]) {
      return;
    }
    long d = node.nextDeadlineMillis();
    long t;
    if (d == Long.MAX_VALUE) {
      t = Long.MAX_VALUE;
    } else {
      // Timers fire on time even on a slow node: what is late is the handling of inbound packets
      // (a starved receive path, full socket buffers), which is what makes a slow node accuse
      // healthy members and what Lifeguard's local health guards against.
      t = d * 1000;
      // A deadline already passed fires now; after a tick it must move on, or a node that keeps
      // reporting a past deadline would spin at one instant.
      long floor = afterTick ? nowMicros + 1000 : nowMicros;
      if (t < floor) {
        t = floor;
      }
    }
    if (t != wakeAt[i]) {
      wakeAt[i] = t;
      if (t != Long.MAX_VALUE) {
        queue.push(t, -i - 1);
      }
    }
  }

  // ------------------------------------------------------------------ Outbox

  @Override
  public void send(Endpoint to, ByteBuffer packet, Delivery delivery) {
    int src = current;
    int dst = indexOf(to);
    if (src < 0) {
      throw new IllegalStateException("send outside a node step");
    }
    int len = packet.remaining();
    packetsSent++;
    bytesSent += len;
    packetsOut[src]++;
    bytesOut[src] += len;
    if (dst < 0) {
      unroutable++;
      return;
    }
    byte[] data;
    if (packet.hasArray()) {
      // A copy of the array range is allocated without zeroing it first (every gossip round sends one).
      int from = packet.arrayOffset() + packet.position();
      data = Arrays.copyOfRange(packet.array(), from, from + len);
    } else {
      data = new byte[len];
      packet.get(packet.position(), data);
    }
    boolean datagram = delivery == Delivery.DATAGRAM;
    if (datagram && network.loss > 0 && netRandom.nextDouble() < network.loss) {
      lost++;
      return;
    }
    // Drawn only for a flaky destination, so scenarios without one keep their random sequence.
    if (inboundLoss != null && inboundLoss[dst] > 0 && netRandom.nextDouble() < inboundLoss[dst]) {
      lostInbound++;
      return;
    }
    if (network.blocked(src, dst, nowMicros)) {
      droppedPartition++;
      return;
    }
    long depart = nowMicros;
    if (network.bandwidthBytesPerSecond > 0) {
      // Egress serialisation: a node's packets leave one after another at the capped rate.
      depart = Math.max(depart, linkFreeMicros[src]);
      linkFreeMicros[src] = depart + (len * 1_000_000L) / network.bandwidthBytesPerSecond;
    }
    byte kind = datagram ? KIND_DATAGRAM : KIND_STREAM;
    long arrival = depart + network.latency.drawMicros(netRandom) + slowMicros[dst];
    if (!datagram) {
      arrival += network.streamExtraMicros;
    }
    enqueuePacket(arrival, src, dst, kind, data);
    if (datagram && network.duplicate > 0 && netRandom.nextDouble() < network.duplicate) {
      duplicated++;
      if (inboundLoss != null && inboundLoss[dst] > 0 && netRandom.nextDouble() < inboundLoss[dst]) {
        lostInbound++;
        return;
      }
      enqueuePacket(depart + network.latency.drawMicros(netRandom) + slowMicros[dst], src, dst, kind, data);
    }
  }

  private void enqueuePacket(long at, int src, int dst, byte kind, byte[] data) {
    int slot = allocate();
    evSrc[slot] = src;
    evDst[slot] = dst;
    evKind[slot] = kind;
    evObj[slot] = data;
    queue.push(at, slot);
  }

  @Override
  public void emit(ProtocolEvent event) {
    long digest = sink.onEvent(current, event, nowMicros / 1000);
    if (trace) {
      traceHash = Seeds.mix(traceHash ^ (nowMicros * 31 + current));
      traceHash = Seeds.mix(traceHash ^ digest);
    }
  }

  private int allocate() {
    if (freeTop > 0) {
      return free[--freeTop];
    }
    if (poolSize == evKind.length) {
      int cap = poolSize * 2;
      evSrc = Arrays.copyOf(evSrc, cap);
      evDst = Arrays.copyOf(evDst, cap);
      evKind = Arrays.copyOf(evKind, cap);
      evObj = Arrays.copyOf(evObj, cap);
      free = Arrays.copyOf(free, cap);
    }
    return poolSize++;
  }

  private void release(int slot) {
    evObj[slot] = null;
    free[freeTop++] = slot;
  }

  // ------------------------------------------------------------------ results

  /** A 64-bit hash of every delivered packet (time, source, destination, bytes) and emitted event. */
  public long traceHash() {
    return traceHash;
  }

  /** Calls into nodes (packets handled + timer ticks + commands). */
  public long nodeCalls() {
    return nodeCalls;
  }

  public long eventsProcessed() {
    return eventsProcessed;
  }

  public int pendingEvents() {
    return queue.size();
  }

  public long delivered() {
    return delivered;
  }

  public long lost() {
    return lost;
  }

  /** Packets lost on the way into a flaky node ({@link #setInboundLoss}). */
  public long lostInbound() {
    return lostInbound;
  }

  public long duplicated() {
    return duplicated;
  }

  public long droppedPartition() {
    return droppedPartition;
  }

  public long droppedDown() {
    return droppedDown;
  }

  public long unroutable() {
    return unroutable;
  }

  public long packetsSent() {
    return packetsSent;
  }

  public long bytesSent() {
    return bytesSent;
  }

  public long packetsOut(int i) {
    return packetsOut[i];
  }

  public long bytesOut(int i) {
    return bytesOut[i];
  }

  public NetworkModel network() {
    return network;
  }
}
