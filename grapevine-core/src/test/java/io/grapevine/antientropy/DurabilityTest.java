// SPDX-License-Identifier: Apache-2.0
package io.grapevine.antientropy;

import io.grapevine.config.AntiEntropyConfig;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grapevine.testkit.VirtualNetwork;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Local writes ask for durability instead of forcing the disk; until the driver reports it they are
 * not acknowledged and do not leave the node.
 */
class DurabilityTest {
  private static final AntiEntropyConfig CONFIG = AntiEntropyConfig.builder()
      .syncInterval(Duration.ofMillis(200)).rumorFanout(2).build();

  /** A driver that records the requests and reports nothing by itself. */
  private static final class Deferred implements Durability {
    final List<Long> requests = new ArrayList<>();

    @Override
    public boolean requestSync(long seq) {
      requests.add(seq);
      return false;
    }
  }

  /** An in-memory store that says it is persistent and counts its syncs. */
  private static final class CountingStore implements ReplicaStore {
    final InMemoryReplicaStore inner = new InMemoryReplicaStore();
    int syncs;

    @Override public Entry get(StoreKey key) { return inner.get(key); }
    @Override public void write(List<Entry> puts, List<StoreKey> removals, boolean durable) {
      inner.write(puts, removals, false);
      if (durable) {
        sync();
      }
    }
    @Override public void forEach(Consumer<Entry> action) { inner.forEach(action); }
    @Override public void scan(String map, String prefix, Consumer<Entry> action) { inner.scan(map, prefix, action); }
    @Override public long size() { return inner.size(); }
    @Override public boolean persistent() { return true; }
    @Override public void sync() { syncs++; }
    @Override public void close() {}
  }

  @Test
  void writesAreNumberedAndDurableOnlyWhenReported() {
    Deferred d = new Deferred();
    Replica r = new Replica("a", new InMemoryReplicaStore(), CONFIG, d);
    r.put(1000, "m", "x", new byte[] {1}, 0);
    r.put(1000, "m", "y", new byte[] {2}, 0);
    r.put(1000, "m", "x", new byte[] {3}, 0);
    assertThat(d.requests).containsExactly(1L, 2L, 3L);
    assertThat(r.writeSeq()).isEqualTo(3);
    assertThat(r.durableSeq()).isZero();
    // Visible to local reads at once.
    assertThat(r.get(new StoreKey("m", "x")).value()).containsExactly(3);

    // Write 2 durable: y is done; x still has write 3 pending.
    assertThat(r.markDurable(2)).containsExactly(new StoreKey("m", "y"));
    assertThat(r.awaitingDurability(new StoreKey("m", "x"))).isTrue();
    assertThat(r.awaitingDurability(new StoreKey("m", "y"))).isFalse();
    assertThat(r.markDurable(1)).isEmpty(); // already covered
    assertThat(r.markDurable(3)).containsExactly(new StoreKey("m", "x"));
    assertThat(r.durableSeq()).isEqualTo(3);
    assertThatThrownBy(() -> r.markDurable(4)).isInstanceOf(IllegalArgumentException.class);
    // Replicated versions are not numbered: they need no acknowledgement.
    Replica other = new Replica("b", new InMemoryReplicaStore(), CONFIG);
    r.merge(List.of(other.put(2000, "m", "z", new byte[] {4}, 0)), 2000);
    assertThat(r.writeSeq()).isEqualTo(3);
  }

  @Test
  void theDefaultIsImmediateInMemoryAndBlockingOnAPersistentStore() {
    Replica mem = new Replica("a", new InMemoryReplicaStore(), CONFIG);
    mem.put(1000, "m", "k", new byte[] {1}, 0);
    assertThat(mem.durableSeq()).isEqualTo(mem.writeSeq()).isEqualTo(1);

    CountingStore disk = new CountingStore();
    Replica r = new Replica("a", disk, CONFIG);
    r.put(1000, "m", "k", new byte[] {1}, 0);
    r.increment(1000, "m", "c", 2);
    assertThat(disk.syncs).isEqualTo(2);
    assertThat(r.durableSeq()).isEqualTo(r.writeSeq()).isEqualTo(2);
  }

  @Test
  void aWriteLeavesTheNodeOnlyOnceDurableAndGroupCommitsAreCounted() {
    VirtualNetwork net = Replicas.network(7);
    Deferred d = new Deferred();
    VirtualNetwork.Node a = Replicas.add(net, CONFIG, new InMemoryReplicaStore(), d);
    VirtualNetwork.Node b = Replicas.add(net, CONFIG);
    VirtualNetwork.Node c = Replicas.add(net, CONFIG);
    net.runFor(10);
    AntiEntropy ka = Replicas.kv(a);

    a.call((now, out) -> ka.increment(now, "m", "hits", 5, out));
    a.call((now, out) -> ka.put(now, "m", "k", new byte[] {1}, 0, out));
    // A peer's update of the same counter reaches a, which merges it and must not pass it on: the
    // merged version carries a's own slot, not yet durable.
    b.call((now, out) -> Replicas.kv(b).increment(now, "m", "hits", 1, out));
    long before = net.packetsSent();
    net.runFor(3_000); // many reconciliation rounds
    assertThat(net.packetsSent()).isGreaterThan(before);
    assertThat(Replicas.replica(a).get(new StoreKey("m", "hits")).counter().value()).isEqualTo(6);
    for (VirtualNetwork.Node n : List.of(b, c)) {
      Replica r = Replicas.replica(n);
      assertThat(r.get(new StoreKey("m", "k"))).as("a's write on %s", n.name()).isNull();
      assertThat(r.get(new StoreKey("m", "hits")).counter().slots()).doesNotContainKey("r0");
    }
    assertThat(ka.stats().durabilitySyncs()).isZero();

    // One sync covers both writes.
    long last = d.requests.get(d.requests.size() - 1);
    a.call((now, out) -> ka.onDurable(now, last, out));
    assertThat(ka.stats().durabilitySyncs()).isEqualTo(1);
    assertThat(ka.stats().durableWrites()).isEqualTo(2);
    assertThat(ka.stats().largestSyncGroup()).isEqualTo(2);
    assertThat(Replicas.runUntilConverged(net, 10_000)).isTrue();
    for (VirtualNetwork.Node n : List.of(b, c)) {
      Replica r = Replicas.replica(n);
      assertThat(r.get(new StoreKey("m", "k")).value()).containsExactly(1);
      assertThat(r.get(new StoreKey("m", "hits")).counter().value()).isEqualTo(6);
    }
    // Reported twice: nothing more is counted.
    a.call((now, out) -> ka.onDurable(now, Replicas.replica(a).writeSeq(), out));
    assertThat(ka.stats().durabilitySyncs()).isEqualTo(1);
  }
}
