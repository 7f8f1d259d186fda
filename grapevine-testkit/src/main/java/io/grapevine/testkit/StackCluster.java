// SPDX-License-Identifier: Apache-2.0
package io.grapevine.testkit;

import io.grapevine.node.Endpoint;
import io.grapevine.node.PeerSampler;
import io.grapevine.stack.Protocol;
import io.grapevine.stack.ProtocolStack;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.function.BooleanSupplier;
import java.util.function.IntFunction;

/**
 * N {@link ProtocolStack}s on a {@link VirtualNetwork}, built by one callback: nodes {@code n0},
 * {@code n1}... at {@link VirtualNetwork#endpointOf endpoints} 10.0.0.1, 10.0.0.2..., each seeded from
 * the cluster's one seed, and (unless {@linkplain Builder#deferStart() deferred}) started together.
 *
 * <pre>{@code
 * StackCluster cluster = StackCluster.of(50, 7, (node, stack) ->
 *     stack.add(new Dissemination(config, 1, node.random("events"))));
 * RumorId id = cluster.node(0).apply((now, out) ->
 *     cluster.protocol(0, Dissemination.class).publish(now, "t", payload, null, out));
 * cluster.network().runFor(10_000);
 * }</pre>
 *
 * <p><b>Peers.</b> By default each stack's gossip partners are drawn uniformly among the nodes of the
 * network that are up ({@link VirtualNetwork#uniformPeers}), for protocols that run without
 * membership; a stack that carries its own peer-sampling protocol (membership, HyParView) uses that
 * one instead, as {@link ProtocolStack.Builder#peers} describes, and a setup callback may still set any
 * sampler of its own. {@link Builder#uniformPeers(boolean) uniformPeers(false)} turns the uniform
 * sampling off.
 *
 * <p>Nodes can be added later ({@link #addNode()}), and crashed and restarted with a stack built anew
 * by the same callback ({@link #restart}).
 */
public final class StackCluster {

  /** Builds one node's stack: adds its protocols to {@code stack} (its name, endpoint and seed are set). */
  @FunctionalInterface
  public interface Setup {
    /**
     * Configures the stack of {@code node}.
     *
     * @param node which node, and in which life, is being built
     * @param stack the stack's builder; the callback adds protocols and may change any setting
     */
    void configure(Slot node, ProtocolStack.Builder stack);
  }

  /**
   * What a {@link Setup} callback knows of the node it builds.
   *
   * @param index the node's position in the cluster
   * @param life 0 for the first stack, 1 after the first {@link #restart}, and so on
   * @param name {@code n<index>} unless the builder names nodes otherwise
   * @param endpoint where it runs
   * @param clusterName the cluster name written into packets
   * @param seed this stack's seed (a new one in every life), from which {@link #random} derives
   */
  public record Slot(int index, int life, String name, Endpoint endpoint, String clusterName, long seed) {
    /**
     * A generator of its own for {@code purpose} (a protocol's name, say), seeded from this node's
     * seed: for protocols that take their randomness at construction. Equal to what {@link
     * ProtocolStack.Builder#randomFor} gives for the same name.
     */
    public SplittableRandom random(String purpose) {
      return new SplittableRandom(ProtocolStack.seedFor(seed, purpose));
    }
  }

  private final VirtualNetwork network;
  private final Builder config;
  private final Setup setup;
  private final List<VirtualNetwork.Node> nodes = new ArrayList<>();
  private final List<Integer> lives = new ArrayList<>();

  private StackCluster(Builder config, Setup setup) {
    this.config = config;
    this.setup = setup;
    this.network = new VirtualNetwork(config.seed).latency(config.latency);
    if (config.startMillis > 0) {
      network.runUntil(config.startMillis);
    }
  }

  /**
   * {@code n} nodes built by {@code setup} on a network with a fixed 1 ms latency, uniform peers, all
   * started at time 0.
   */
  public static StackCluster of(int n, long seed, Setup setup) {
    return builder(seed).build(n, setup);
  }

  /** Starts describing a cluster whose every random choice derives from {@code seed}. */
  public static Builder builder(long seed) {
    return new Builder(seed);
  }

  // ------------------------------------------------------------------ nodes

  /**
   * Adds one more node (index {@link #size()}), built by the cluster's setup; started at once unless
   * the cluster defers starting.
   */
  public VirtualNetwork.Node addNode() {
    int i = nodes.size();
    ProtocolStack stack = build(i, 0);
    VirtualNetwork.Node node = network.add(stack);
    nodes.add(node);
    lives.add(0);
    if (!config.deferStart) {
      node.start();
    }
    return node;
  }

  /**
   * Restarts node {@code i} with a stack built anew by the setup (its next {@linkplain Slot#life()
   * life}, with a new seed), at the same endpoint, started at once. A node that is up is crashed first.
   */
  public VirtualNetwork.Node restart(int i) {
    int life = lives.get(i) + 1;
    lives.set(i, life);
    ProtocolStack stack = build(i, life);
    return nodes.get(i).restart(stack);
  }

  private ProtocolStack build(int i, int life) {
    String name = config.names.apply(i);
    Endpoint endpoint = config.endpoints.apply(i);
    long seed = ProtocolStack.seedFor(config.seed, "testkit/node/" + i + "/" + life);
    ProtocolStack.Builder builder = ProtocolStack.builder(name, endpoint, config.clusterName).seed(seed);
    FallbackPeers peers = null;
    if (config.uniformPeers) {
      peers = new FallbackPeers(network.uniformPeers(endpoint));
      builder.peers(peers);
    }
    setup.configure(new Slot(i, life, name, endpoint, config.clusterName, seed), builder);
    ProtocolStack stack = builder.build();
    if (peers != null && stack.peers() == peers) {
      for (Protocol<?> p : stack.protocols()) {
        if (p instanceof PeerSampler own) {
          peers.delegate = own; // the stack's own sampler, as ProtocolStack would choose without ours
          break;
        }
      }
    }
    return stack;
  }

  /**
   * Starts node {@code i}'s stack now (for a cluster built with {@link Builder#deferStart()}); no-op if
   * it is started already.
   */
  public VirtualNetwork.Node start(int i) {
    return nodes.get(i).start();
  }

  /**
   * Starts every node's stack that is not started yet, now, in index order (for a cluster built with
   * {@link Builder#deferStart()}).
   */
  public void startAll() {
    for (VirtualNetwork.Node n : nodes) {
      n.start();
    }
  }

  /** The network the nodes run on. */
  public VirtualNetwork network() {
    return network;
  }

  /** Number of nodes, crashed ones included. */
  public int size() {
    return nodes.size();
  }

  /** Node {@code i}. */
  public VirtualNetwork.Node node(int i) {
    return nodes.get(i);
  }

  /** Every node, in index order. */
  public List<VirtualNetwork.Node> nodes() {
    return java.util.Collections.unmodifiableList(nodes);
  }

  /** Node {@code i}'s current stack. */
  public ProtocolStack stack(int i) {
    return nodes.get(i).stack();
  }

  /** Node {@code i}'s endpoint. */
  public Endpoint endpoint(int i) {
    return nodes.get(i).endpoint();
  }

  /**
   * The first protocol of class {@code type} on node {@code i}'s current stack.
   *
   * @throws IllegalArgumentException if it has none
   */
  public <P> P protocol(int i, Class<P> type) {
    return nodes.get(i).protocol(type);
  }

  /** The first protocol of class {@code type} of every node's current stack, in index order (crashed nodes too). */
  public <P> List<P> protocols(Class<P> type) {
    List<P> list = new ArrayList<>(nodes.size());
    for (VirtualNetwork.Node n : nodes) {
      list.add(n.protocol(type));
    }
    return list;
  }

  /** The cluster name written into every packet. */
  public String clusterName() {
    return config.clusterName;
  }

  // ------------------------------------------------------------------ shorthands for the network's

  /** The virtual time. */
  public long now() {
    return network.now();
  }

  /** See {@link VirtualNetwork#runUntil(long)}. */
  public void runUntil(long untilMillis) {
    network.runUntil(untilMillis);
  }

  /** See {@link VirtualNetwork#runFor(long)}. */
  public void runFor(long millis) {
    network.runFor(millis);
  }

  /** See {@link VirtualNetwork#runUntil(BooleanSupplier, long)}. */
  public boolean runUntil(BooleanSupplier condition, long maxMillis) {
    return network.runUntil(condition, maxMillis);
  }

  /** Runs a command against node {@code i}; see {@link VirtualNetwork.Node#call}. */
  public void call(int i, VirtualNetwork.Command command) {
    nodes.get(i).call(command);
  }

  /** Runs a command returning a value against node {@code i}; see {@link VirtualNetwork.Node#apply}. */
  public <T> T apply(int i, VirtualNetwork.Query<T> query) {
    return nodes.get(i).apply(query);
  }

  /** Crashes node {@code i}; see {@link VirtualNetwork.Node#crash()}. */
  public void crash(int i) {
    nodes.get(i).crash();
  }

  @Override
  public String toString() {
    return "StackCluster[" + nodes.size() + " nodes on " + network + "]";
  }

  /**
   * Uniform peers that hand over to the stack's own peer-sampling protocol when it has one: what
   * {@link ProtocolStack.Builder#peers} would pick by default, with "no peers" replaced by uniform.
   */
  private static final class FallbackPeers implements PeerSampler {
    private final PeerSampler uniform;
    private PeerSampler delegate;

    FallbackPeers(PeerSampler uniform) {
      this.uniform = uniform;
    }

    @Override
    public void sample(int k, List<Endpoint> out) {
      (delegate != null ? delegate : uniform).sample(k, out);
    }

    @Override
    public int size() {
      return (delegate != null ? delegate : uniform).size();
    }
  }

  /** How to build a {@link StackCluster}. */
  public static final class Builder {
    private final long seed;
    private String clusterName = "test";
    private LinkLatency latency = LinkLatency.fixed(1);
    private boolean uniformPeers = true;
    private boolean deferStart;
    private long startMillis;
    private IntFunction<String> names = i -> "n" + i;
    private IntFunction<Endpoint> endpoints = VirtualNetwork::endpointOf;

    private Builder(long seed) {
      this.seed = seed;
    }

    private Builder(Builder b) {
      this.seed = b.seed;
      this.clusterName = b.clusterName;
      this.latency = b.latency;
      this.uniformPeers = b.uniformPeers;
      this.deferStart = b.deferStart;
      this.startMillis = b.startMillis;
      this.names = b.names;
      this.endpoints = b.endpoints;
    }

    /** The cluster name written into packets (default {@code test}). */
    public Builder clusterName(String name) {
      this.clusterName = Objects.requireNonNull(name);
      return this;
    }

    /** The network's latency model (default a fixed 1 ms); it can be changed later on the network. */
    public Builder latency(LinkLatency model) {
      this.latency = Objects.requireNonNull(model);
      return this;
    }

    /**
     * Whether stacks without a peer-sampling protocol of their own draw peers uniformly among the live
     * nodes (default true); if false they have none unless the setup sets some.
     */
    public Builder uniformPeers(boolean uniform) {
      this.uniformPeers = uniform;
      return this;
    }

    /**
     * Builds the stacks without starting them, so the test can run commands first (a protocol's own
     * start with arguments, say) and then {@link StackCluster#start(int)} or {@link
     * StackCluster#startAll()}; nodes added later are not started either.
     */
    public Builder deferStart() {
      this.deferStart = true;
      return this;
    }

    /** The virtual time at which the cluster is built and started (default 0). */
    public Builder startAt(long millis) {
      if (millis < 0) {
        throw new IllegalArgumentException("start time must be at least 0, got " + millis);
      }
      this.startMillis = millis;
      return this;
    }

    /** Names of the nodes by index (default {@code n0}, {@code n1}...). */
    public Builder names(IntFunction<String> names) {
      this.names = Objects.requireNonNull(names);
      return this;
    }

    /** Endpoints of the nodes by index (default {@link VirtualNetwork#endpointOf}). */
    public Builder endpoints(IntFunction<Endpoint> endpoints) {
      this.endpoints = Objects.requireNonNull(endpoints);
      return this;
    }

    /** Builds {@code n} nodes with {@code setup}, in index order, and (unless deferred) starts them in that order. */
    public StackCluster build(int n, Setup setup) {
      if (n < 0) {
        throw new IllegalArgumentException("node count must be at least 0, got " + n);
      }
      StackCluster cluster = new StackCluster(new Builder(this), Objects.requireNonNull(setup));
      for (int i = 0; i < n; i++) {
        ProtocolStack stack = cluster.build(i, 0);
        cluster.nodes.add(cluster.network.add(stack));
        cluster.lives.add(0);
      }
      if (!deferStart) {
        cluster.startAll();
      }
      return cluster;
    }
  }
}
