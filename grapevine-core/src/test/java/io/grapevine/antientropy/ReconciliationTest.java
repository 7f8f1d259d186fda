// SPDX-License-Identifier: Apache-2.0
package io.grapevine.antientropy;

import io.grapevine.config.AntiEntropyConfig;
import static io.grapevine.antientropy.Replicas.kv;
import static io.grapevine.antientropy.Replicas.replica;
import static org.assertj.core.api.Assertions.assertThat;

import io.grapevine.api.Member;
import io.grapevine.api.MemberEvent;
import io.grapevine.api.MemberState;
import io.grapevine.node.Delivery;
import io.grapevine.wire.MalformedPacketException;
import io.grapevine.wire.MessageType;
import io.grapevine.wire.PacketReader;
import io.grapevine.testkit.Packet;
import io.grapevine.testkit.VirtualNetwork;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * One reconciliation at a time, on the test kit's lossless network: what it repairs, what it costs,
 * how it chunks.
 */
class ReconciliationTest {
  /** Periodic exchanges effectively off: each test starts the exchanges it measures. */
  private static final AntiEntropyConfig QUIET = AntiEntropyConfig.builder()
      .syncInterval(Duration.ofDays(1)).rumorFanout(0).merkleDepth(2).build();

  @Test
  void oneExchangeRepairsBothDirections() {
    VirtualNetwork net = Replicas.network(1);
    VirtualNetwork.Node a = Replicas.add(net, QUIET);
    VirtualNetwork.Node b = Replicas.add(net, QUIET);
    for (int i = 0; i < 50; i++) {
      replica(a).put(net.now(), "m", "a" + i, new byte[] {1}, 0);
      replica(b).put(net.now(), "m", "b" + i, new byte[] {2}, 0);
    }
    net.runFor(10); // first tick: timers armed
    kv(a).sync(net.now(), b.endpoint(), a.outbox());
    net.runFor(1000);
    assertThat(replica(a).tree().root()).isEqualTo(replica(b).tree().root());
    assertThat(replica(a).store().size()).isEqualTo(100);
    assertThat(kv(a).stats().keysRepairedByAntiEntropy()).isEqualTo(50);
    assertThat(kv(b).stats().keysRepairedByAntiEntropy()).isEqualTo(50);
    assertThat(kv(a).stats().syncsStarted() + kv(b).stats().syncsStarted()).isEqualTo(1);
  }

  @Test
  void replicasInSyncSpendOneSmallMessage() {
    VirtualNetwork net = Replicas.network(2);
    VirtualNetwork.Node a = Replicas.add(net, QUIET);
    VirtualNetwork.Node b = Replicas.add(net, QUIET);
    for (int i = 0; i < 1000; i++) {
      Entry e = replica(a).put(net.now(), "m", "k" + i, new byte[] {(byte) i}, 0);
      replica(b).merge(List.of(e), net.now());
    }
    net.runFor(10);
    long before = net.packetsSent();
    long bytesBefore = net.bytesSent();
    kv(a).sync(net.now(), b.endpoint(), a.outbox());
    net.runFor(1000);
    assertThat(net.packetsSent() - before).isEqualTo(1);
    assertThat(net.bytesSent() - bytesBefore).isLessThan(200);
    assertThat(kv(b).stats().syncsAlreadyEqual()).isEqualTo(1);
  }

  @Test
  void costFollowsDifferencesNotKeys() {
    AntiEntropyConfig deep = QUIET.toBuilder().merkleDepth(3).build();
    long[] bytes = new long[2];
    long[] packets = new long[2];
    int[] diffs = {1, 10};
    for (int t = 0; t < 2; t++) {
      VirtualNetwork net = Replicas.network(3);
      VirtualNetwork.Node a = Replicas.add(net, deep);
      VirtualNetwork.Node b = Replicas.add(net, deep);
      int n = 20_000;
      for (int i = 0; i < n; i++) {
        Entry e = replica(a).put(net.now(), "m", "k" + i, new byte[] {(byte) i}, 0);
        if (i >= diffs[t]) {
          replica(b).merge(List.of(e), net.now());
        }
      }
      net.runFor(10);
      long p0 = net.packetsSent();
      long b0 = net.bytesSent();
      kv(b).sync(net.now(), a.endpoint(), b.outbox());
      net.runFor(1000);
      assertThat(replica(a).tree().root()).isEqualTo(replica(b).tree().root());
      bytes[t] = net.bytesSent() - b0;
      packets[t] = net.packetsSent() - p0;
    }
    // depth 3: NODES x3, BUCKETS, WANT, ENTRIES = 6 one-way packets at most.
    assertThat(packets[0]).isLessThanOrEqualTo(6);
    assertThat(bytes[0]).isLessThan(1500);
    // Ten differences cost well under ten times one (shared upper levels), and far below a full
    // digest exchange of 20,000 x 16 bytes.
    assertThat(bytes[1]).isLessThan(10 * bytes[0]).isLessThan(20_000L * 16 / 10);
  }

  @Test
  void backlogGoesInBoundedChunksOldestFirstOverSeveralExchanges() throws MalformedPacketException {
    AntiEntropyConfig tight = QUIET.toBuilder().syncChunkBytes(70_000).syncMaxBytesPerExchange(100_000).build();
    VirtualNetwork net = Replicas.network(4);
    VirtualNetwork.Node a = Replicas.add(net, tight);
    VirtualNetwork.Node b = Replicas.add(net, tight);
    List<Entry> written = new ArrayList<>();
    for (int i = 0; i < 600; i++) {
      written.add(replica(a).put(net.now() + i, "m", "k" + i, new byte[1000], 0));
    }
    net.runFor(10);
    List<Packet> sniffed = new ArrayList<>();
    net.onSend(sniffed::add);
    kv(b).sync(net.now(), a.endpoint(), b.outbox());
    net.runFor(1000);

    List<Long> shipped = new ArrayList<>();
    int entryPackets = 0;
    for (Packet p : sniffed) {
      assertThat(p.bytes().length).isLessThanOrEqualTo(70_000 + 64);
      assertThat(p.delivery()).isEqualTo(Delivery.STREAM);
      PacketReader r = new PacketReader(Replicas.CLUSTER);
      r.open(ByteBuffer.wrap(p.bytes()));
      boolean any = false;
      while (r.nextMessage()) {
        if (r.type() == MessageType.KV_SYNC_ENTRY.code()) {
          shipped.add(((AntiEntropyMessages.SyncEntry) AntiEntropyMessages.decode(r, tight)).entry().hlc());
          any = true;
        }
      }
      entryPackets += any ? 1 : 0;
    }
    // One exchange ships at most its budget, in more than one packet, oldest version first.
    assertThat(shipped.size()).isBetween(60, 100);
    assertThat(entryPackets).isGreaterThan(1);
    assertThat(shipped).isSorted();
    assertThat(shipped.get(shipped.size() - 1)).isLessThan(written.get(150).hlc());
    assertThat(replica(b).store().size()).isEqualTo(shipped.size());
    // Whatever arrived is whole and identical to the source version.
    for (Entry e : written.subList(0, shipped.size())) {
      assertThat(replica(b).get(e.key())).isEqualTo(e);
    }
    assertThat(kv(a).stats().exchangesTruncated()).isGreaterThan(0);
    // Further exchanges finish the job.
    for (int i = 0; i < 12 && replica(a).tree().root() != replica(b).tree().root(); i++) {
      kv(b).sync(net.now(), a.endpoint(), b.outbox());
      net.runFor(1000);
    }
    assertThat(replica(b).tree().root()).isEqualTo(replica(a).tree().root());
  }

  @Test
  void aJoinedMemberIsReconciledWithAtOnce() {
    VirtualNetwork net = Replicas.network(5);
    VirtualNetwork.Node a = Replicas.add(net, QUIET);
    VirtualNetwork.Node b = Replicas.add(net, QUIET);
    replica(a).put(net.now(), "m", "only-on-a", new byte[] {7}, 0);
    net.runFor(10);
    Member m = new Member("n1", b.endpoint(), MemberState.ALIVE, 2, new byte[0], 1, 1, net.now());
    a.call((now, out) -> kv(a).onPeerEvent(now, new MemberEvent(MemberEvent.Type.JOINED, m), out));
    net.runFor(200);
    assertThat(replica(b).get(new StoreKey("m", "only-on-a"))).isNotNull();
    assertThat(kv(a).stats().syncsStarted()).isEqualTo(1);
  }

  @Test
  void rumorsSpreadAWriteWithoutReconciliation() {
    AntiEntropyConfig rumors = QUIET.toBuilder().rumorFanout(3).build();
    // Pushed to 3 random peers by each node it is news to, a write reaches all 8 nodes in about 85%
    // of runs (339 of seeds 0..399); this seed is one of them.
    VirtualNetwork net = Replicas.network(3);
    for (int i = 0; i < 8; i++) {
      Replicas.add(net, rumors);
    }
    net.runFor(10);
    VirtualNetwork.Node a = net.node(0);
    kv(a).put(net.now(), "m", "hot", new byte[] {1}, 0, a.outbox());
    net.runFor(500);
    long byRumor = 0;
    long got = 0;
    for (VirtualNetwork.Node n : net.nodes()) {
      byRumor += kv(n).stats().keysRepairedByRumor();
      got += replica(n).get(new StoreKey("m", "hot")) != null ? 1 : 0;
      assertThat(kv(n).stats().keysRepairedByAntiEntropy()).isZero();
    }
    assertThat(got).isEqualTo(8);
    assertThat(byRumor).isEqualTo(7);
  }

  @Test
  void peersWithAnotherTreeDepthAreRefusedAndCounted() {
    VirtualNetwork net = Replicas.network(7);
    VirtualNetwork.Node a = Replicas.add(net, QUIET);
    VirtualNetwork.Node b = Replicas.add(net, QUIET.toBuilder().merkleDepth(3).build());
    replica(a).put(net.now(), "m", "x", new byte[] {1}, 0);
    net.runFor(10);
    kv(a).sync(net.now(), b.endpoint(), a.outbox());
    net.runFor(100);
    assertThat(kv(b).stats().unexpected()).isEqualTo(1);
    assertThat(replica(b).store().size()).isZero();
  }
}
