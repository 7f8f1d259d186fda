// SPDX-License-Identifier: Apache-2.0
package io.grapevine.overlay;

import io.grapevine.config.SortedRingConfig;
import static org.assertj.core.api.Assertions.assertThat;

import io.grapevine.node.Delivery;
import io.grapevine.node.Endpoint;
import io.grapevine.node.PeerSampler;
import io.grapevine.node.ProtocolEvent;
import io.grapevine.stack.ProtocolStack;
import io.grapevine.testkit.LinkLatency;
import io.grapevine.testkit.StackCluster;
import io.grapevine.testkit.VirtualNetwork;
import io.grapevine.wire.MessageType;
import io.grapevine.wire.PacketWriter;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class SortedRingTest {

  /**
   * A sorted ring and a tree aggregation (value = node index) on {@code n} nodes, with random ids
   * drawn from {@code seed} into {@code ids}, over uniform random peers among the live nodes (as
   * membership's view would be once its verdicts are in) and a random 1..20 ms latency; all started
   * at time 0.
   */
  static StackCluster startRing(int n, long seed, long[] ids) {
    SplittableRandom idRandom = new SplittableRandom(seed * 31);
    for (int i = 0; i < n; i++) {
      ids[i] = idRandom.nextLong();
    }
    return StackCluster.builder(seed).latency(LinkLatency.uniform(1, 20)).build(n, (node, stack) -> {
      SortedRing ring = new SortedRing(SortedRingConfig.defaults(), ids[node.index()], node.random("ring"));
      stack.add(ring).add(new TreeAggregation(ring, Duration.ofSeconds(1), node.index()));
    });
  }

  static SortedRing ring(StackCluster net, int i) {
    return net.protocol(i, SortedRing.class);
  }

  static TreeAggregation agg(StackCluster net, int i) {
    return net.protocol(i, TreeAggregation.class);
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3})
  void ringConvergesAndTreeCountIsExactEverywhere(long seed) {
    int n = 1024;
    long[] ids = new long[n];
    StackCluster net = startRing(n, seed, ids);
    Long[] sorted = Arrays.stream(ids).boxed().sorted(Long::compareUnsigned).toArray(Long[]::new);
    int ringRound = -1;
    for (int r = 1; r <= 40 && ringRound < 0; r++) {
      net.runUntil(r * 1000L);
      boolean all = true;
      for (int i = 0; i < n && all; i++) {
        SortedRing ring = ring(net, i);
        int pos = Arrays.binarySearch(sorted, ids[i], Long::compareUnsigned);
        all = ring.hasSuccessor() && ring.successorId() == sorted[(pos + 1) % n]
            && ring.predecessorId() == sorted[(pos - 1 + n) % n];
      }
      if (all) {
        ringRound = r;
      }
    }
    System.out.println("seed " + seed + ": ring converged in " + ringRound + " rounds");
    assertThat(ringRound).as("seed %d stalled", seed).isPositive().isLessThanOrEqualTo(30);
    // One root, no cycles, depth about log2 N.
    int roots = 0;
    int maxDepth = 0;
    for (int i = 0; i < n; i++) {
      if (ring(net, i).isRoot()) {
        roots++;
      }
      int depth = 0;
      SortedRing cur = ring(net, i);
      while (!cur.isRoot()) {
        cur = net.network().node(cur.parent().endpoint()).protocol(SortedRing.class);
        depth++;
        assertThat(depth).as("cycle from node %d", i).isLessThan(n);
      }
      maxDepth = Math.max(maxDepth, depth);
    }
    assertThat(roots).isEqualTo(1);
    assertThat(maxDepth).isLessThanOrEqualTo(3 * 10);
    net.runFor((2L * maxDepth + 4) * 1000);
    double trueSum = n * (n - 1) / 2.0;
    for (int i = 0; i < n; i++) {
      assertThat(agg(net, i).known()).isTrue();
      assertThat(agg(net, i).count()).as("COUNT at node %d", i).isEqualTo(n);
      assertThat(agg(net, i).sum()).isEqualTo(trueSum);
    }
  }

  /**
   * 512 nodes build the ring; then 10% crash and every live node is told (as membership's DEAD
   * verdicts would tell it): the ring closes over the gaps among the live nodes, and the tree's COUNT
   * and SUM become exact for the survivors at every node.
   */
  @Test
  void ringClosesOverCrashedNodesAndTreeCountFollows() {
    int n = 512;
    long seed = 4;
    long[] ids = new long[n];
    StackCluster net = startRing(n, seed, ids);
    net.runUntil(40_000);
    assertThat(ringRoundsUntilSorted(net, ids, 0)).as("ring before the crash").isZero();
    SplittableRandom crash = new SplittableRandom(seed);
    List<Integer> crashed = new ArrayList<>();
    while (crashed.size() < n / 10) {
      int i = crash.nextInt(n);
      if (net.node(i).isUp()) {
        net.crash(i);
        crashed.add(i);
      }
    }
    for (VirtualNetwork.Node node : net.network().liveNodes()) {
      SortedRing ring = node.protocol(SortedRing.class);
      for (int c : crashed) {
        node.call((now, out) -> ring.forget(now, net.endpoint(c)));
      }
    }
    int rounds = ringRoundsUntilSorted(net, ids, 30);
    System.out.println("ring closed over " + crashed.size() + " crashed nodes in " + rounds + " rounds");
    assertThat(rounds).as("rounds until the live ring is sorted again").isBetween(0, 30);
    net.runFor(30_000);
    int live = n - crashed.size();
    double liveSum = 0;
    for (int i = 0; i < n; i++) {
      if (net.node(i).isUp()) {
        liveSum += i;
      }
    }
    for (int i = 0; i < n; i++) {
      if (net.node(i).isUp()) {
        assertThat(agg(net, i).count()).as("COUNT at node %d", i).isEqualTo(live);
        assertThat(agg(net, i).sum()).as("SUM at node %d", i).isEqualTo(liveSum);
      }
    }
  }

  /**
   * Rounds (of 1 s) run until every live node has its true live successor and predecessor, at most
   * {@code maxRounds}; 0 when already sorted, -1 when not sorted in time.
   */
  static int ringRoundsUntilSorted(StackCluster net, long[] ids, int maxRounds) {
    int n = net.size();
    Long[] sorted = java.util.stream.IntStream.range(0, n).filter(i -> net.node(i).isUp()).mapToObj(i -> ids[i])
        .sorted(Long::compareUnsigned).toArray(Long[]::new);
    int m = sorted.length;
    for (int r = 0; r <= maxRounds; r++) {
      if (r > 0) {
        net.runFor(1000);
      }
      boolean all = true;
      for (int i = 0; i < n && all; i++) {
        if (!net.node(i).isUp()) {
          continue;
        }
        SortedRing ring = ring(net, i);
        int pos = Arrays.binarySearch(sorted, ids[i], Long::compareUnsigned);
        all = ring.hasSuccessor() && ring.hasPredecessor()
            && ring.successorId() == sorted[(pos + 1) % m] && ring.predecessorId() == sorted[(pos - 1 + m) % m];
      }
      if (all) {
        return r;
      }
    }
    return -1;
  }

  @Test
  void malformedMessagesAreDroppedAndCounted() {
    Endpoint self = Endpoint.ipv4(0x0A000001, 7946);
    Endpoint other = Endpoint.ipv4(0x0A000002, 7946);
    SortedRing ring = new SortedRing(SortedRingConfig.defaults(), 5, new SplittableRandom(1));
    TreeAggregation agg = new TreeAggregation(ring, Duration.ofSeconds(1), 1);
    PeerSampler none = new PeerSampler() {
      @Override
      public void sample(int k, List<Endpoint> out) {}

      @Override
      public int size() {
        return 0;
      }
    };
    ProtocolStack host = ProtocolStack.builder("a", self, "test").peers(none).add(ring).add(agg).build();
    PacketWriter w = new PacketWriter(1400, "test");
    List<ByteBuffer> bad = new ArrayList<>();
    bad.add(HyParViewTest.copy(w.begin().beginMessage(MessageType.RING_EXCHANGE).putLong(7).putEndpoint(other)
        .putByte(2).putLong(9).endMessage().finish())); // 2 descriptors announced, half of one present
    bad.add(HyParViewTest.copy(w.begin().beginMessage(MessageType.RING_EXCHANGE).putLong(7).putEndpoint(other)
        .putByte(200).endMessage().finish())); // over the cap
    bad.add(HyParViewTest.copy(w.begin().beginMessage(MessageType.TREE_REPORT).putLong(7).putEndpoint(other)
        .putByte(0).putLong(Double.doubleToLongBits(1)).putLong(-4).endMessage().finish())); // negative count
    bad.add(HyParViewTest.copy(w.begin().beginMessage(MessageType.TREE_RESULT).putEndpoint(other).putLong(1)
        .putLong(Double.doubleToLongBits(Double.NaN)).putLong(3).endMessage().finish())); // NaN sum
    bad.add(HyParViewTest.copy(w.begin().beginMessage(MessageType.TREE_REPORT).putLong(7).putEndpoint(other)
        .putByte(3).putLong(0).putLong(1).endMessage().finish())); // bad flag
    List<ProtocolEvent> events = new ArrayList<>();
    for (ByteBuffer b : bad) {
      host.onPacket(0, other, b, Delivery.DATAGRAM, new HyParViewTest.Collect(events));
    }
    assertThat(host.dropped()).isEqualTo(bad.size());
    assertThat(ring.hasSuccessor()).isFalse();
    assertThat(agg.childCount()).isZero();
    host.onPacket(0, other, HyParViewTest.copy(w.begin().beginMessage(MessageType.RING_EXCHANGE).putLong(7)
        .putEndpoint(other).putByte(0).endMessage().finish()), Delivery.DATAGRAM, new HyParViewTest.Collect(events));
    assertThat(ring.successorId()).isEqualTo(7);
    assertThat(ring.predecessorId()).isEqualTo(7);
    // Reports from ever new "children" (remote input) are capped, not stored without bound.
    for (int i = 0; i < TreeAggregation.MAX_CHILDREN + 76; i++) {
      host.onPacket(0, other, HyParViewTest.copy(w.begin().beginMessage(MessageType.TREE_REPORT).putLong(1000 + i)
          .putEndpoint(other).putByte(0).putLong(Double.doubleToLongBits(1)).putLong(1).endMessage().finish()),
          Delivery.DATAGRAM, new HyParViewTest.Collect(events));
    }
    assertThat(agg.childCount()).isEqualTo(TreeAggregation.MAX_CHILDREN);
    assertThat(agg.reportsRefused()).isEqualTo(76);
  }
}
