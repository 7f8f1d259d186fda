// SPDX-License-Identifier: Apache-2.0
package io.grapevine.sim.experiments;

import static org.assertj.core.api.Assertions.assertThat;

import io.grapevine.antientropy.AntiEntropy;
import io.grapevine.config.AntiEntropyConfig;
import io.grapevine.antientropy.Entry;
import io.grapevine.antientropy.InMemoryReplicaStore;
import io.grapevine.antientropy.Replica;
import io.grapevine.antientropy.StoreKey;
import io.grapevine.node.Outbox;
import io.grapevine.sim.Latency;
import io.grapevine.sim.NetworkModel;
import io.grapevine.testkit.LinkLatency;
import io.grapevine.testkit.StackCluster;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;

/**
 * The simulator's engine ({@link ExtensionCluster}) and the test kit's network are two independent
 * drivers of the same protocol classes. Given the same replicas, the same writes and a network of
 * the same shape (uniform 1-20 ms latency, 5% of datagrams lost, uniform random peers), both must
 * bring every replica of the real {@link AntiEntropy} to the same state: the join of the writes,
 * which an oracle replica computes by merging each one. How they get there (which packets are lost,
 * which keys are repaired by rumor and which by reconciliation, and when) is each driver's own; the
 * outcome is the protocol's, and must not differ.
 */
class EngineAgreesWithTestKitTest {
  private static final int NODES = 30;
  private static final long SEED = 17;
  private static final AntiEntropyConfig CONFIG = AntiEntropyConfig.builder().merkleDepth(2).rumorFanout(2)
      .syncInterval(Duration.ofMillis(500)).build();

  /** One application write: at node {@code node}, of kind {@code kind}, on {@code key}. */
  record Write(int node, int kind, String key, int value) {}

  /** 300 writes on 40 keys at random nodes: puts and deletes, counter increments, set adds and removes. */
  private static List<Write> writes(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    List<Write> list = new ArrayList<>();
    for (int w = 0; w < 300; w++) {
      list.add(new Write(r.nextInt(NODES), r.nextInt(5), "k" + r.nextInt(40), r.nextInt(1000)));
    }
    return list;
  }

  private static Entry apply(AntiEntropy kv, Write w, long now, Outbox out) {
    return switch (w.kind()) {
      case 0 -> kv.put(now, "reg", w.key(), ("v" + w.value()).getBytes(StandardCharsets.UTF_8), 0, out);
      case 1 -> kv.delete(now, "reg", w.key(), out);
      case 2 -> kv.increment(now, "ctr", w.key(), w.value() - 500, out);
      case 3 -> kv.addToSet(now, "set", w.key(), "e" + w.value() % 7, out);
      default -> kv.removeFromSet(now, "set", w.key(), "e" + w.value() % 7, out);
    };
  }

  private static AntiEntropy replica(int i, SplittableRandom random) {
    return new AntiEntropy(new Replica("r" + i, new InMemoryReplicaStore(), CONFIG), random, 0);
  }

  /** What one driver ended with. */
  record Outcome(List<Entry> written, boolean converged, long root, List<Entry> state, long repairsByRumor,
      long repairsByAntiEntropy) {}

  private static Outcome outcome(List<Entry> written, boolean converged, IntFunction<AntiEntropy> node,
      Set<StoreKey> keys) {
    long root = node.apply(0).replica().tree().root();
    List<Entry> state = new ArrayList<>();
    for (StoreKey k : keys) {
      state.add(node.apply(0).replica().get(k));
    }
    long byRumor = 0;
    long byAntiEntropy = 0;
    for (int i = 0; i < NODES; i++) {
      byRumor += node.apply(i).stats().keysRepairedByRumor();
      byAntiEntropy += node.apply(i).stats().keysRepairedByAntiEntropy();
    }
    return new Outcome(written, converged, root, state, byRumor, byAntiEntropy);
  }

  private static boolean allAgree(IntFunction<AntiEntropy> node) {
    long root = node.apply(0).replica().tree().root();
    for (int i = 1; i < NODES; i++) {
      if (node.apply(i).replica().tree().root() != root) {
        return false;
      }
    }
    return true;
  }

  /** Every write issued at time 0, before anything is delivered, so both drivers write the same versions. */
  private static Outcome onTheEngine(List<Write> writes, Set<StoreKey> keys) {
    ExtensionCluster<AntiEntropy> c = new ExtensionCluster<>(NODES, SEED,
        new NetworkModel(Latency.uniform(1_000, 20_000), 0.05, 0, 0, 0), null, false);
    SplittableRandom seeds = new SplittableRandom(SEED);
    for (int i = 0; i < NODES; i++) {
      c.add(i, replica(i, seeds.split()));
      c.call(i, out -> {}); // arms its first timer
    }
    List<Entry> written = new ArrayList<>();
    for (Write w : writes) {
      c.call(w.node(), out -> written.add(apply(c.ext(w.node()), w, c.engine.nowMillis(), out)));
    }
    boolean converged = false;
    for (long t = 100; t <= 120_000 && !converged; t += 100) {
      c.engine.runUntil(t * 1000, Long.MAX_VALUE);
      converged = allAgree(c::ext);
    }
    return outcome(written, converged, c::ext, keys);
  }

  private static Outcome onTheTestKit(List<Write> writes, Set<StoreKey> keys) {
    StackCluster c = StackCluster.builder(SEED).latency(LinkLatency.uniform(1, 20))
        .build(NODES, (node, stack) -> stack.add(replica(node.index(), node.random("kv"))));
    c.network().loss(0.05);
    List<Entry> written = new ArrayList<>();
    for (Write w : writes) {
      AntiEntropy kv = c.protocol(w.node(), AntiEntropy.class);
      c.call(w.node(), (now, out) -> written.add(apply(kv, w, now, out)));
    }
    IntFunction<AntiEntropy> node = i -> c.protocol(i, AntiEntropy.class);
    boolean converged = c.network().runUntil(() -> allAgree(node), 120_000, 100);
    return outcome(written, converged, node, keys);
  }

  @Test
  void bothDriversBringEveryReplicaToTheJoinOfTheWrites() {
    List<Write> writes = writes(SEED);
    Set<StoreKey> keys = new LinkedHashSet<>();
    for (Write w : writes) {
      keys.add(new StoreKey(w.kind() <= 1 ? "reg" : w.kind() == 2 ? "ctr" : "set", w.key()));
    }
    Outcome engine = onTheEngine(writes, keys);
    Outcome kit = onTheTestKit(writes, keys);

    assertThat(kit.written()).as("the same writes make the same versions").isEqualTo(engine.written());
    Replica oracle = new Replica("oracle", new InMemoryReplicaStore(), CONFIG);
    for (Entry e : engine.written()) {
      if (e != null) {
        oracle.merge(List.of(e), 0);
      }
    }
    List<Entry> join = new ArrayList<>();
    for (StoreKey k : keys) {
      join.add(oracle.get(k));
    }
    assertThat(engine.converged()).as("every replica agrees on the engine").isTrue();
    assertThat(kit.converged()).as("every replica agrees on the kit").isTrue();
    assertThat(engine.root()).as("root on the engine").isEqualTo(oracle.tree().root());
    assertThat(kit.root()).as("root on the kit").isEqualTo(oracle.tree().root());
    assertThat(engine.state()).isEqualTo(join);
    assertThat(kit.state()).isEqualTo(join);
    System.out.printf("%d writes on %d keys; repairs by rumor / by reconciliation: engine %d / %d, kit %d / %d%n",
        writes.size(), keys.size(), engine.repairsByRumor(), engine.repairsByAntiEntropy(), kit.repairsByRumor(),
        kit.repairsByAntiEntropy());
    // Both got there by both paths: rumors for most keys, reconciliation for what the loss cost.
    for (Outcome o : List.of(engine, kit)) {
      assertThat(o.repairsByRumor()).isPositive();
      assertThat(o.repairsByAntiEntropy()).isPositive();
    }
  }
}
