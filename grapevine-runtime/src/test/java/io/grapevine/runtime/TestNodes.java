// SPDX-License-Identifier: Apache-2.0
package io.grapevine.runtime;

import io.grapevine.Cluster;
import io.grapevine.ClusterBuilder;
import io.grapevine.api.Member;
import io.grapevine.api.MemberState;
import io.grapevine.config.MembershipConfig;
import io.grapevine.transport.FaultInjectingTransport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/** Starts many nodes on loopback sharing a few event loops, and closes everything afterwards. */
final class TestNodes implements AutoCloseable {
  /**
   * A fast profile for loopback tests: LOCAL with a 500 ms probe interval, a shorter push-pull and
   * LAN's retransmit multiplier (LOCAL's 2 leaves about one node in 50 to wait for push-pull), so
   * failures are detected and spread in seconds and the suite stays quick.
   */
  static MembershipConfig fastConfig() {
    return MembershipConfig.local().toBuilder()
        .probeInterval(Duration.ofMillis(500))
        .probeTimeout(Duration.ofMillis(200))
        .suspicionMult(2)
        .retransmitMult(4)
        .gossipInterval(Duration.ofMillis(100))
        .pushPullInterval(Duration.ofSeconds(5))
        .gossipToTheDeadTime(Duration.ofSeconds(10))
        .leavePropagateTime(Duration.ofMillis(500))
        .build();
  }

  final List<EventLoop> loops = new ArrayList<>();
  final Map<String, Cluster> nodes = new ConcurrentHashMap<>();
  final Map<String, FaultInjectingTransport> faults = new ConcurrentHashMap<>();
  private final String clusterName;
  private final MembershipConfig config;
  private final boolean injectFaults;
  private int next;

  TestNodes(String clusterName, MembershipConfig config, int loopCount, boolean injectFaults) {
    this.clusterName = clusterName;
    this.config = config;
    this.injectFaults = injectFaults;
    for (int i = 0; i < loopCount; i++) {
      loops.add(new EventLoop());
    }
  }

  Cluster start(String name) {
    return start(name, "127.0.0.1:0", b -> {});
  }

  Cluster start(String name, String bind, Consumer<ClusterBuilder> tweak) {
    EventLoop loop = loops.get(next++ % loops.size());
    ClusterBuilder b = Cluster.builder().name(name).clusterName(clusterName).bind(bind).config(config)
        .eventLoop(loop).joinTimeout(Duration.ofSeconds(20)).randomSeed(name.hashCode());
    if (injectFaults) {
      b.transportDecorator(t -> {
        FaultInjectingTransport f = new FaultInjectingTransport(t, loop, name.hashCode());
        faults.put(name, f);
        return f;
      });
    }
    tweak.accept(b);
    Cluster c = b.start();
    nodes.put(name, c);
    return c;
  }

  /** Nodes other than those named. */
  /**
   * Joins every node but {@code seedName} through it, concurrently, and waits (30 s each) for every
   * join; returns what each join reported (the number of nodes contacted), in node order.
   */
  List<Integer> joinAllThrough(String seedName) throws Exception {
    String seed = nodes.get(seedName).endpoint().toString();
    List<CompletableFuture<Integer>> joins = new ArrayList<>();
    for (Cluster c : except(seedName)) {
      joins.add(c.join(List.of(seed)));
    }
    List<Integer> contacted = new ArrayList<>();
    for (CompletableFuture<Integer> j : joins) {
      contacted.add(j.get(30, TimeUnit.SECONDS));
    }
    return contacted;
  }

  List<Cluster> except(String... names) {
    List<Cluster> out = new ArrayList<>(nodes.values());
    out.removeIf(c -> List.of(names).contains(c.localMember().name()));
    return out;
  }

  static long countIn(Cluster c, MemberState state) {
    return c.members().stream().filter(m -> m.state() == state).count();
  }

  static MemberState stateOf(Cluster c, String name) {
    return c.member(name).map(Member::state).orElse(null);
  }

  static boolean allSee(Collection<Cluster> observers, String name, MemberState state) {
    return observers.stream().allMatch(c -> stateOf(c, name) == state);
  }

  @Override
  public void close() {
    nodes.values().forEach(Cluster::close);
    loops.forEach(EventLoop::close);
  }
}
