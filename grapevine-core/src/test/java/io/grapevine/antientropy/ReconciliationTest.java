package io.grapevine.antientropy;

import static org.assertj.core.api.Assertions.assertThat;

import io.grapevine.membership.Member;
import io.grapevine.membership.MemberEvent;
import io.grapevine.membership.MemberState;
import io.grapevine.node.Delivery;
import io.grapevine.wire.MalformedPacketException;
import io.grapevine.wire.MessageType;
import io.grapevine.wire.PacketReader;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** One reconciliation at a time, on a lossless network: what it repairs, what it costs, how it chunks. */
class ReconciliationTest {
  /** Periodic exchanges effectively off: each test starts the exchanges it measures. */
  private static final AntiEntropyConfig QUIET = AntiEntropyConfig.builder()
      .syncInterval(Duration.ofDays(1)).rumorFanout(0).merkleDepth(2).build();

  @Test
  void oneExchangeRepairsBothDirections() {
    KvNetwork net = new KvNetwork(1);
    KvNetwork.Node a = net.add(QUIET);
    KvNetwork.Node b = net.add(QUIET);
    for (int i = 0; i < 50; i++) {
      a.replica.put(net.now, "m", "a" + i, new byte[] {1}, 0);
      b.replica.put(net.now, "m", "b" + i, new byte[] {2}, 0);
    }
    net.runFor(10); // first tick: timers armed
    a.kv.sync(net.now, b.endpoint, a.outbox());
    net.runFor(1000);
    assertThat(a.replica.tree().root()).isEqualTo(b.replica.tree().root());
    assertThat(a.replica.store().size()).isEqualTo(100);
    assertThat(a.kv.stats().keysRepairedByAntiEntropy()).isEqualTo(50);
    assertThat(b.kv.stats().keysRepairedByAntiEntropy()).isEqualTo(50);
    assertThat(a.kv.stats().syncsStarted() + b.kv.stats().syncsStarted()).isEqualTo(1);
  }

  @Test
  void replicasInSyncSpendOneSmallMessage() {
    KvNetwork net = new KvNetwork(2);
    KvNetwork.Node a = net.add(QUIET);
    KvNetwork.Node b = net.add(QUIET);
    for (int i = 0; i < 1000; i++) {
      Entry e = a.replica.put(net.now, "m", "k" + i, new byte[] {(byte) i}, 0);
      b.replica.merge(List.of(e), net.now);
    }
    net.runFor(10);
    long before = net.packetsSent;
    long bytesBefore = net.bytesSent;
    a.kv.sync(net.now, b.endpoint, a.outbox());
    net.runFor(1000);
    assertThat(net.packetsSent - before).isEqualTo(1);
    assertThat(net.bytesSent - bytesBefore).isLessThan(200);
    assertThat(b.kv.stats().syncsAlreadyEqual()).isEqualTo(1);
  }

  @Test
  void costFollowsDifferencesNotKeys() {
    AntiEntropyConfig deep = QUIET.toBuilder().merkleDepth(3).build();
    long[] bytes = new long[2];
    long[] packets = new long[2];
    int[] diffs = {1, 10};
    for (int t = 0; t < 2; t++) {
      KvNetwork net = new KvNetwork(3);
      KvNetwork.Node a = net.add(deep);
      KvNetwork.Node b = net.add(deep);
      int n = 20_000;
      for (int i = 0; i < n; i++) {
        Entry e = a.replica.put(net.now, "m", "k" + i, new byte[] {(byte) i}, 0);
        if (i >= diffs[t]) {
          b.replica.merge(List.of(e), net.now);
        }
      }
      net.runFor(10);
      long p0 = net.packetsSent;
      long b0 = net.bytesSent;
      b.kv.sync(net.now, a.endpoint, b.outbox());
      net.runFor(1000);
      assertThat(a.replica.tree().root()).isEqualTo(b.replica.tree().root());
      bytes[t] = net.bytesSent - b0;
      packets[t] = net.packetsSent - p0;
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
    KvNetwork net = new KvNetwork(4);
    KvNetwork.Node a = net.add(tight);
    KvNetwork.Node b = net.add(tight);
    List<Entry> written = new ArrayList<>();
    for (int i = 0; i < 600; i++) {
      written.add(a.replica.put(net.now + i, "m", "k" + i, new byte[1000], 0));
    }
    net.runFor(10);
    net.sniff = true;
    b.kv.sync(net.now, a.endpoint, b.outbox());
    net.runFor(1000);

    List<Long> shipped = new ArrayList<>();
    int entryPackets = 0;
    for (KvNetwork.Packet p : net.sniffed) {
      assertThat(p.bytes().length).isLessThanOrEqualTo(70_000 + 64);
      assertThat(p.delivery()).isEqualTo(Delivery.STREAM);
      PacketReader r = new PacketReader(KvNetwork.CLUSTER);
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
    assertThat(b.replica.store().size()).isEqualTo(shipped.size());
    // Whatever arrived is whole and identical to the source version.
    for (Entry e : written.subList(0, shipped.size())) {
      assertThat(b.replica.get(e.key())).isEqualTo(e);
    }
    assertThat(a.kv.stats().exchangesTruncated()).isGreaterThan(0);
    // Further exchanges finish the job.
    for (int i = 0; i < 12 && a.replica.tree().root() != b.replica.tree().root(); i++) {
      b.kv.sync(net.now, a.endpoint, b.outbox());
      net.runFor(1000);
    }
    assertThat(b.replica.tree().root()).isEqualTo(a.replica.tree().root());
  }

  @Test
  void aJoinedMemberIsReconciledWithAtOnce() {
    KvNetwork net = new KvNetwork(5);
    KvNetwork.Node a = net.add(QUIET);
    KvNetwork.Node b = net.add(QUIET);
    a.replica.put(net.now, "m", "only-on-a", new byte[] {7}, 0);
    net.runFor(10);
    Member m = new Member("n1", b.endpoint, MemberState.ALIVE, 2, new byte[0], 1, 1, net.now);
    a.kv.onPeerEvent(net.now, new MemberEvent(MemberEvent.Type.JOINED, m), a.outbox());
    net.runFor(200);
    assertThat(b.replica.get(new StoreKey("m", "only-on-a"))).isNotNull();
    assertThat(a.kv.stats().syncsStarted()).isEqualTo(1);
  }

  @Test
  void rumorsSpreadAWriteWithoutReconciliation() {
    AntiEntropyConfig rumors = QUIET.toBuilder().rumorFanout(3).build();
    KvNetwork net = new KvNetwork(6);
    for (int i = 0; i < 8; i++) {
      net.add(rumors);
    }
    net.runFor(10);
    KvNetwork.Node a = net.nodes.get(0);
    a.kv.put(net.now, "m", "hot", new byte[] {1}, 0, a.outbox());
    net.runFor(500);
    long byRumor = 0;
    long got = 0;
    for (KvNetwork.Node n : net.nodes) {
      byRumor += n.kv.stats().keysRepairedByRumor();
      got += n.replica.get(new StoreKey("m", "hot")) != null ? 1 : 0;
      assertThat(n.kv.stats().keysRepairedByAntiEntropy()).isZero();
    }
    assertThat(got).isEqualTo(8);
    assertThat(byRumor).isEqualTo(7);
  }

  @Test
  void peersWithAnotherTreeDepthAreRefusedAndCounted() {
    KvNetwork net = new KvNetwork(7);
    KvNetwork.Node a = net.add(QUIET);
    KvNetwork.Node b = net.add(QUIET.toBuilder().merkleDepth(3).build());
    a.replica.put(net.now, "m", "x", new byte[] {1}, 0);
    net.runFor(10);
    a.kv.sync(net.now, b.endpoint, a.outbox());
    net.runFor(100);
    assertThat(b.kv.stats().unexpected()).isEqualTo(1);
    assertThat(b.replica.store().size()).isZero();
  }
}
