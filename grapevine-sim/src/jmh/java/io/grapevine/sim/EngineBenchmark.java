// SPDX-License-Identifier: Apache-2.0
package io.grapevine.sim;

import io.grapevine.node.Delivery;
import io.grapevine.node.Endpoint;
import io.grapevine.node.Outbox;
import io.grapevine.node.ProtocolNode;
import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The engine's hot loop: the event queue alone (the classic "hold" model: pop the earliest event,
 * push one a random delay later, at a steady queue size) and the full dispatch path (pop, copy and
 * deliver a packet to a node, the node answers, re-read its deadline) with minimal nodes, so the
 * numbers are the engine's own cost and not a protocol's.
 *
 * <p>Run: {@code bench/jmh-engine.sh} (builds with {@code -Pjmh}).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g"})
public class EngineBenchmark {

  @State(Scope.Thread)
  public static class QueueState {
    @Param({"1000", "1000000"})
    int size;

    EventQueue queue;
    SplittableRandom random;

    @Setup(Level.Trial)
    public void setUp() {
      random = new SplittableRandom(1);
      queue = new EventQueue(size);
      for (int i = 0; i < size; i++) {
        queue.push(random.nextLong(1_000_000), i);
      }
    }
  }

  /** One pop plus one push at a steady queue size. */
  @Benchmark
  public int queueHold(QueueState s) {
    long t = s.queue.peekTime();
    int p = s.queue.pop();
    s.queue.push(t + 1 + s.random.nextLong(1_000_000), p);
    return p;
  }

  /** A node that, every 100 ms, sends 16 bytes to a random peer; receivers answer once. */
  static final class PingNode implements ProtocolNode {
    final int self;
    final int n;
    final Engine engine;
    final SplittableRandom random;
    final ByteBuffer buf = ByteBuffer.allocate(16);
    long next;

    PingNode(int self, int n, Engine engine, long seed) {
      this.self = self;
      this.n = n;
      this.engine = engine;
      this.random = new SplittableRandom(seed);
      this.next = 1 + random.nextLong(100);
    }

    @Override
    public void onPacket(long now, Endpoint from, ByteBuffer packet, Delivery d, Outbox out) {
      if (packet.get(packet.position()) == 0) {
        buf.clear();
        buf.put((byte) 1).putLong(now).putInt(self).putShort((short) 0).put((byte) 0);
        buf.flip();
        out.send(from, buf, Delivery.DATAGRAM);
      }
    }

    @Override
    public void onTick(long now, Outbox out) {
      if (now >= next) {
        next = now + 100;
        buf.clear();
        buf.put((byte) 0).putLong(now).putInt(self).putShort((short) 0).put((byte) 0);
        buf.flip();
        out.send(engine.endpoint(random.nextInt(n)), buf, Delivery.DATAGRAM);
      }
    }

    @Override
    public long nextDeadlineMillis() {
      return next;
    }
  }

  @State(Scope.Thread)
  public static class EngineState {
    @Param({"1000", "100000"})
    int nodes;

    Engine engine;

    @Setup(Level.Trial)
    public void setUp() {
      NetworkModel net = new NetworkModel(Latency.uniform(1000, 5000), 0.01, 0, 0, 0);
      engine = new Engine(nodes, net, 1, (node, event, now) -> 0, true);
      for (int i = 0; i < nodes; i++) {
        engine.install(i, new PingNode(i, nodes, engine, i));
        engine.call(i, out -> { });
      }
    }
  }

  static final int BATCH = 10_000;

  /** Events per second through the whole engine: queue, network model, packet copy, dispatch, trace hash. */
  @Benchmark
  @OperationsPerInvocation(BATCH)
  public long dispatch(EngineState s) {
    s.engine.runUntil(Long.MAX_VALUE / 2, BATCH);
    return s.engine.eventsProcessed();
  }
}
