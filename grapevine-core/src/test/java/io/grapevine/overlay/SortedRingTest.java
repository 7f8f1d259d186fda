package io.grapevine.overlay;

import static org.assertj.core.api.Assertions.assertThat;

import io.grapevine.node.Delivery;
import io.grapevine.node.Endpoint;
import io.grapevine.node.PeerSampler;
import io.grapevine.node.ProtocolEvent;
import io.grapevine.node.StandaloneHost;
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

  static PeerSampler uniform(OverlayNetwork net, int self, SplittableRandom r) {
    return new PeerSampler() {
      @Override
      public void sample(int k, List<Endpoint> out) {
        while (out.size() < k) {
          int j = r.nextInt(net.n - 1);
          out.add(net.endpoints.get(j >= self ? j + 1 : j));
        }
      }

      @Override
      public int size() {
        return net.n - 1;
      }
    };
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3})
  void ringConvergesAndTreeCountIsExactEverywhere(long seed) {
    int n = 1024;
    OverlayNetwork net = new OverlayNetwork(n, seed);
    SortedRing[] ring = new SortedRing[n];
    TreeAggregation[] agg = new TreeAggregation[n];
    long[] ids = new long[n];
    SplittableRandom idRandom = new SplittableRandom(seed * 31);
    for (int i = 0; i < n; i++) {
      ids[i] = idRandom.nextLong();
      final int node = i;
      net.install(i, (e, r) -> {
        ring[node] = new SortedRing(SortedRingConfig.defaults(), ids[node], r);
        agg[node] = new TreeAggregation(ring[node], Duration.ofSeconds(1), node);
        return new StandaloneHost("n" + node, e, "test", 1400, uniform(net, node, r)).attach(ring[node])
            .attach(agg[node]);
      });
      net.call(i, out -> {
        ring[node].start(0);
        agg[node].start(0);
      });
    }
    Long[] sorted = Arrays.stream(ids).boxed().sorted(Long::compareUnsigned).toArray(Long[]::new);
    int ringRound = -1;
    for (int r = 1; r <= 40 && ringRound < 0; r++) {
      net.runUntil(r * 1000L);
      boolean all = true;
      for (int i = 0; i < n && all; i++) {
        int pos = Arrays.binarySearch(sorted, ids[i], Long::compareUnsigned);
        all = ring[i].hasSuccessor() && ring[i].successorId() == sorted[(pos + 1) % n]
            && ring[i].predecessorId() == sorted[(pos - 1 + n) % n];
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
      if (ring[i].isRoot()) {
        roots++;
      }
      int depth = 0;
      SortedRing cur = ring[i];
      while (!cur.isRoot()) {
        cur = ring[net.index(cur.parent().endpoint())];
        depth++;
        assertThat(depth).as("cycle from node %d", i).isLessThan(n);
      }
      maxDepth = Math.max(maxDepth, depth);
    }
    assertThat(roots).isEqualTo(1);
    assertThat(maxDepth).isLessThanOrEqualTo(3 * 10);
    net.runUntil(net.now + (2L * maxDepth + 4) * 1000);
    double trueSum = n * (n - 1) / 2.0;
    for (int i = 0; i < n; i++) {
      assertThat(agg[i].known()).isTrue();
      assertThat(agg[i].count()).as("COUNT at node %d", i).isEqualTo(n);
      assertThat(agg[i].sum()).isEqualTo(trueSum);
    }
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
    StandaloneHost host = new StandaloneHost("a", self, "test", 1400, none).attach(ring).attach(agg);
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
  }
}
