// SPDX-License-Identifier: Apache-2.0
package io.grapevine.antientropy;

import io.grapevine.config.AntiEntropyConfig;
import static io.grapevine.antientropy.Replicas.kv;
import static io.grapevine.antientropy.Replicas.replica;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import io.grapevine.node.Endpoint;
import io.grapevine.testkit.LinkLatency;
import io.grapevine.testkit.Traffic;
import io.grapevine.testkit.VirtualNetwork;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Property: whatever the interleaving of puts, deletes, TTL puts, counter and set operations on any
 * replicas, whatever the loss, duplication, reordering and partitions while they happen, once the
 * network is healed every replica ends with the same hash-tree root and the same entries, and that
 * state is the join of every acknowledged write (none lost). Seeded; the seed is printed on failure
 * and can be replayed with {@code -Dgrapevine.seed=N}.
 */
class ConvergencePropertyTest {
  private static final int RUNS = Integer.getInteger("grapevine.runs", 40);

  @Test
  void anyInterleavingOfOperationsAndFaultsConverges() {
    long base = Long.getLong("grapevine.seed", 0x6a09e667f3bcc908L);
    boolean single = System.getProperty("grapevine.seed") != null;
    for (int run = 0; run < (single ? 1 : RUNS); run++) {
      long seed = single ? base : new SplittableRandom(base + run).nextLong();
      try {
        runOnce(seed);
      } catch (AssertionError | RuntimeException e) {
        fail("convergence property failed; replay with -Dgrapevine.seed=" + seed + ": " + e.getMessage(), e);
      }
    }
  }

  private static void runOnce(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    VirtualNetwork net = Replicas.network(r.nextLong());
    AntiEntropyConfig config = AntiEntropyConfig.builder()
        .merkleDepth(1 + r.nextInt(3))
        .syncInterval(Duration.ofMillis(200 + r.nextInt(800)))
        .rumorFanout(r.nextInt(4))
        .build();
    int nodes = 2 + r.nextInt(5);
    for (int i = 0; i < nodes; i++) {
      Replicas.add(net, config);
    }
    // Every packet, stream messages included: harsher than a real network, where TCP hides loss.
    net.loss(r.nextDouble() * 0.3, Traffic.ALL);
    net.duplication(r.nextDouble() * 0.2, Traffic.ALL);
    net.latency(LinkLatency.uniform(1, 1 + r.nextInt(200)));
    if (r.nextInt(3) == 0) {
      Set<Endpoint> side = new HashSet<>();
      for (int i = 0; i < nodes; i++) {
        if (r.nextBoolean()) {
          side.add(net.node(i).endpoint());
        }
      }
      net.partition(side);
    }

    Map<StoreKey, Entry> expected = new HashMap<>();
    Map<StoreKey, Long> counterSums = new HashMap<>();
    int ops = 30 + r.nextInt(250);
    for (int op = 0; op < ops; op++) {
      VirtualNetwork.Node n = net.node(r.nextInt(nodes));
      long now = net.now();
      String key = "k" + r.nextInt(12);
      Entry written = null;
      try {
        written = switch (r.nextInt(9)) {
          case 0, 1 -> kv(n).put(now, "reg", key, ("v" + op).getBytes(StandardCharsets.UTF_8), 0, n.outbox());
          case 2 -> kv(n).put(now, "reg", key, new byte[r.nextInt(3000)], 3_600_000, n.outbox());
          case 3 -> kv(n).delete(now, "reg", key, n.outbox());
          case 4 -> {
            long delta = r.nextInt(21) - 10;
            counterSums.merge(new StoreKey("ctr", key), delta, Long::sum);
            yield kv(n).increment(now, "ctr", key, delta, n.outbox());
          }
          case 5 -> kv(n).addToSet(now, "set", key, "e" + r.nextInt(5), n.outbox());
          case 6 -> kv(n).removeFromSet(now, "set", key, "e" + r.nextInt(5), n.outbox());
          // One map where every kind meets on the same keys: type conflicts, deletes of CRDTs.
          case 7 -> switch (r.nextInt(4)) {
            case 0 -> kv(n).put(now, "mix", key, new byte[] {(byte) op}, 0, n.outbox());
            case 1 -> kv(n).delete(now, "mix", key, n.outbox());
            case 2 -> kv(n).increment(now, "mix", key, 1, n.outbox());
            default -> kv(n).addToSet(now, "mix", key, "x" + r.nextInt(3), n.outbox());
          };
          default -> kv(n).increment(now, "ctr", key, 1, n.outbox()) != null
              ? accumulate(counterSums, new StoreKey("ctr", key), replica(n).get(new StoreKey("ctr", key))) : null;
        };
      } catch (IllegalStateException typeConflict) {
        // A counter op on a key holding a live value (or the like) is refused locally: no write.
      }
      if (written != null) {
        expected.merge(written.key(), written, Entry::merge);
      }
      net.runFor(r.nextInt(120));
    }

    net.heal();
    net.loss(0);
    net.duplication(0);
    boolean converged = Replicas.runUntilConverged(net, 300_000);
    assertThat(converged).as("roots equal after healing (nodes=%d depth=%d)", nodes, config.merkleDepth).isTrue();

    for (VirtualNetwork.Node n : net.nodes()) {
      assertThat(replica(n).store().size()).as("entries on r%d", n.index()).isEqualTo(expected.size());
      for (Map.Entry<StoreKey, Entry> e : expected.entrySet()) {
        Entry actual = replica(n).get(e.getKey());
        assertThat(actual).as("%s on r%d", e.getKey(), n.index()).isEqualTo(e.getValue());
      }
    }
    // The PN-counter loses no concurrent increment: its value is the sum of all deltas.
    for (Map.Entry<StoreKey, Long> e : counterSums.entrySet()) {
      Entry actual = replica(net.node(0)).get(e.getKey());
      assertThat(actual.counter().value()).as("counter %s", e.getKey()).isEqualTo(e.getValue());
    }
  }

  private static Entry accumulate(Map<StoreKey, Long> sums, StoreKey key, Entry after) {
    sums.merge(key, 1L, Long::sum);
    return after;
  }
}
