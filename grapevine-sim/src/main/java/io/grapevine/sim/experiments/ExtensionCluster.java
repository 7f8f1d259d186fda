// SPDX-License-Identifier: Apache-2.0
package io.grapevine.sim.experiments;

import io.grapevine.node.Endpoint;
import io.grapevine.stack.Protocol;
import io.grapevine.node.PeerSampler;
import io.grapevine.node.ProtocolEvent;
import io.grapevine.stack.ProtocolStack;
import io.grapevine.sim.Engine;
import io.grapevine.sim.Latency;
import io.grapevine.sim.NetworkModel;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The real core extensions ({@code Dissemination}, {@code Aggregation}, {@code AntiEntropy}), each in
 * a {@link ProtocolStack}, run by the simulator's {@link Engine} over uniform random peer sampling
 * among the nodes in view. Slots beyond the initial size are kept for nodes that join later (churn).
 *
 * <p>Two kinds of outage: {@link #crash} takes a node out of the view at once (a perfect failure
 * detector), {@link #silence} stops it but leaves it in the view, as a membership protocol would for
 * the seconds it takes to notice; packets sent to it meanwhile are lost.
 */
final class ExtensionCluster<E extends Protocol<?>> {
  /** Receives the events nodes emit (deliveries). */
  interface Events {
    void on(int node, ProtocolEvent event, long nowMillis);
  }

  final Engine engine;
  final Object[] extensions;
  private final ProtocolStack[] hosts;
  private final int[] live;
  private final int[] position;
  private int liveCount;
  private final SplittableRandom peerRandom;

  /**
   * @param capacity slots (initial nodes plus later joiners)
   * @param latencyMicros constant one-way latency
   * @param loss datagram loss probability
   */
  ExtensionCluster(int capacity, long seed, long latencyMicros, double loss, Events events) {
    this(capacity, seed, new NetworkModel(Latency.constant(latencyMicros), loss, 0, 0, 0), events, false);
  }

  /**
   * @param capacity slots (initial nodes plus later joiners)
   * @param net latency, loss and the rest of the network model
   * @param trace whether the engine hashes every delivered packet (for determinism checks)
   */
  ExtensionCluster(int capacity, long seed, NetworkModel net, Events events, boolean trace) {
    this.engine = new Engine(capacity, net, seed, (node, event, now) -> {
      if (events != null) {
        events.on(node, event, now);
      }
      return 0;
    }, trace);
    this.extensions = new Object[capacity];
    this.hosts = new ProtocolStack[capacity];
    this.live = new int[capacity];
    this.position = new int[capacity];
    java.util.Arrays.fill(position, -1);
    this.peerRandom = new SplittableRandom(seed ^ 0x5DEECE66DL);
  }

  /** Installs node {@code i} running {@code ext}; the caller starts it with {@link #call}. */
  void add(int i, E ext) {
    Endpoint self = engine.endpoint(i);
    ProtocolStack host = ProtocolStack.builder("n" + i, self, "sim").peers(new Uniform(i)).add(ext).build();
    engine.install(i, host);
    extensions[i] = ext;
    hosts[i] = host;
    if (position[i] < 0) {
      position[i] = liveCount;
      live[liveCount++] = i;
    }
  }

  /**
   * Stops node {@code i} (no timers, packets to it lost) but keeps it, its state and its place in
   * everyone's view; {@link #resume} brings it back as it was, {@link #add} with a new extension as
   * after a restart.
   */
  void silence(int i) {
    engine.crash(i);
  }

  /** Restarts a silenced node with the state it had; the caller re-arms it with {@link #call}. */
  void resume(int i) {
    engine.install(i, hosts[i]);
  }

  /** Crashes node {@code i}: gone at once, packets to it lost, no longer sampled. */
  void crash(int i) {
    engine.crash(i);
    extensions[i] = null;
    hosts[i] = null;
    int p = position[i];
    int last = live[--liveCount];
    live[p] = last;
    position[last] = p;
    position[i] = -1;
  }

  @SuppressWarnings("unchecked")
  E ext(int i) {
    return (E) extensions[i];
  }

  int liveCount() {
    return liveCount;
  }

  int live(int k) {
    return live[k];
  }

  int randomLive(SplittableRandom r) {
    return live[r.nextInt(liveCount)];
  }

  /** Runs {@code action} as node {@code i}'s own step (so its sends and timers are seen). */
  void call(int i, java.util.function.Consumer<io.grapevine.node.Outbox> action) {
    engine.call(i, action);
  }

  /** Uniform sampling over the live nodes, this one excluded. */
  private final class Uniform implements PeerSampler {
    private final int self;

    Uniform(int self) {
      this.self = self;
    }

    @Override
    public void sample(int k, List<Endpoint> out) {
      int others = liveCount - (position[self] >= 0 ? 1 : 0);
      int want = Math.min(k, others);
      int added = 0;
      for (int tries = 0; added < want && tries < 20 * (want + 1); tries++) {
        int j = live[peerRandom.nextInt(liveCount)];
        if (j == self) {
          continue;
        }
        Endpoint e = engine.endpoint(j);
        if (!out.contains(e)) {
          out.add(e);
          added++;
        }
      }
    }

    @Override
    public int size() {
      return liveCount - (position[self] >= 0 ? 1 : 0);
    }
  }
}
