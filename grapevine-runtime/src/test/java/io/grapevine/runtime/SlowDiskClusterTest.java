// SPDX-License-Identifier: Apache-2.0
package io.grapevine.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grapevine.Cluster;
import io.grapevine.api.AntiEntropyStats;
import io.grapevine.antientropy.StoreKey;
import io.grapevine.api.MemberEvent;
import io.grapevine.api.MemberState;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Twenty nodes on one shared event loop, each with a replicated store on disk whose sync takes
 * 500 ms, under a steady write load for 30 s. The disk is forced off the loop, so the loop keeps
 * answering probes: nobody is ever suspected. And every write is acknowledged only after a sync
 * that covered it has returned.
 */
class SlowDiskClusterTest {
  private static final int N = 20;
  private static final long SYNC_MILLIS = 500;
  private static final long WRITE_FOR_MILLIS = 30_000;
  /** Each node writes a key this often; the writer visits the nodes in turn. */
  private static final long WRITE_EVERY_MILLIS = 200;

  @TempDir
  Path dir;

  @Test
  void aSlowDiskDelaysAcknowledgementsButNeverTheLoop() {
    ConcurrentLinkedQueue<String> suspicions = new ConcurrentLinkedQueue<>();
    List<SlowStore> stores = new ArrayList<>();
    try (TestNodes cluster = new TestNodes("slow-disk", TestNodes.fastConfig(), 1, false)) {
      try {
        run(cluster, stores, suspicions);
      } finally {
        stores.forEach(s -> s.slow = false);
      }
    }
  }

  private void run(TestNodes cluster, List<SlowStore> stores, ConcurrentLinkedQueue<String> suspicions) {
    ConcurrentLinkedQueue<String> earlyAcks = new ConcurrentLinkedQueue<>();
    ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
    List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
    List<CompletableFuture<Void>> puts = new ArrayList<>();
    List<Cluster> nodes = new ArrayList<>();
    for (int i = 0; i < N; i++) {
      SlowStore[] holder = new SlowStore[1];
      String name = String.format("slow-%02d", i);
      Cluster c = cluster.start(name, "127.0.0.1:0", b -> b.dataDir(dir.resolve(name)).storeDecorator(s -> {
        holder[0] = new SlowStore(s, SYNC_MILLIS);
        return holder[0];
      }));
      stores.add(holder[0]);
      nodes.add(c);
      c.addListener(e -> {
        if (e.type() == MemberEvent.Type.SUSPECTED || e.type() == MemberEvent.Type.DEAD) {
          suspicions.add(name + " saw " + e.member().name() + " " + e.type());
        }
      });
    }
    try {
      cluster.joinAllThrough("slow-00");
    } catch (Exception e) {
      throw new AssertionError("join failed", e);
    }
    await().atMost(Duration.ofSeconds(30))
        .until(() -> nodes.stream().allMatch(c -> TestNodes.countIn(c, MemberState.ALIVE) == N));

    // Writers: each node puts a new key every WRITE_EVERY_MILLIS, for WRITE_FOR_MILLIS.
    long start = System.nanoTime();
    long stepNanos = TimeUnit.MILLISECONDS.toNanos(WRITE_EVERY_MILLIS) / N;
    long end = start + TimeUnit.MILLISECONDS.toNanos(WRITE_FOR_MILLIS);
    long next = start;
    for (int i = 0; next < end; i++) {
      int n = i % N;
      SlowStore store = stores.get(n);
      String key = "k-" + n + "-" + i / N;
      StoreKey storeKey = new StoreKey("load", key);
      long issued = System.nanoTime();
      CompletableFuture<Void> f = nodes.get(n).kv("load").putAsync(key, new byte[] {(byte) i}, null);
      f.whenComplete((v, error) -> {
        if (error != null) {
          failures.add(error);
          return;
        }
        latencies.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - issued));
        if (!store.durable.contains(storeKey)) {
          earlyAcks.add(key);
        }
      });
      puts.add(f);
      next += stepNanos;
      LockSupport.parkNanos(next - System.nanoTime());
    }
    long writingMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    // First what the test is about: while the writes flowed, every node kept answering probes.
    assertThat(suspicions).as("SUSPECTED/DEAD events while writing (%d puts issued, %d acknowledged, %d events)",
        puts.size(), latencies.size(), suspicions.size()).isEmpty();
    await().atMost(Duration.ofSeconds(15)).until(() -> puts.stream().allMatch(CompletableFuture::isDone));
    int total = puts.size();
    // Every write reaches every node (rumors go out once durable; anti-entropy does the rest).
    await().atMost(Duration.ofSeconds(30))
        .until(() -> nodes.stream().allMatch(c -> c.kv("load").scan("").size() == total));

    List<Long> sorted = new ArrayList<>(latencies);
    Collections.sort(sorted);
    long syncs = stores.stream().mapToLong(s -> s.syncs.get()).sum();
    long durabilitySyncs = 0;
    long durableWrites = 0;
    long largestGroup = 0;
    for (Cluster c : nodes) {
      AntiEntropyStats st = c.kv("load").stats();
      durabilitySyncs += st.durabilitySyncs();
      durableWrites += st.durableWrites();
      largestGroup = Math.max(largestGroup, st.largestSyncGroup());
    }
    System.out.printf(Locale.ROOT, "slow disk: %d puts in %d ms, %d completed, %d failed, %d acked early;"
            + " put latency p50 %d ms, p99 %d ms, max %d ms; %d store syncs (%d reported), %.2f writes per sync,"
            + " largest group %d; suspicions/deaths %d %s; sync threads %s%n",
        total, writingMillis, sorted.size(), failures.size(), earlyAcks.size(),
        sorted.isEmpty() ? -1 : sorted.get(sorted.size() / 2),
        sorted.isEmpty() ? -1 : sorted.get(sorted.size() * 99 / 100),
        sorted.isEmpty() ? -1 : sorted.get(sorted.size() - 1),
        syncs, durabilitySyncs, durabilitySyncs == 0 ? 0.0 : durableWrites / (double) durabilitySyncs, largestGroup,
        suspicions.size(), suspicions.stream().limit(5).toList(),
        stores.stream().flatMap(s -> s.syncThreads.stream()).distinct().limit(3).toList());

    assertThat(suspicions).as("membership events SUSPECTED/DEAD").isEmpty();
    assertThat(failures).isEmpty();
    assertThat(sorted).hasSize(total);
    assertThat(total).isGreaterThanOrEqualTo((int) (WRITE_FOR_MILLIS / WRITE_EVERY_MILLIS * N * 9 / 10));
    assertThat(earlyAcks).as("puts completed before a sync covering them had finished").isEmpty();
    // Every acknowledgement waited for a sync: at least one, at most the one running plus its own.
    assertThat(sorted.get(0)).isGreaterThanOrEqualTo(SYNC_MILLIS);
    assertThat(sorted.get(sorted.size() - 1)).isLessThan(4 * SYNC_MILLIS);
    // Group commit: one sync covers several writes.
    assertThat(durableWrites).isEqualTo(total);
    assertThat(durableWrites / (double) durabilitySyncs).isGreaterThan(1.5);
    assertThat(stores.stream().flatMap(s -> s.syncThreads.stream()))
        .noneMatch(t -> t.equals(cluster.loops.get(0).threadName()));
  }
}
