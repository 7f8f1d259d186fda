// SPDX-License-Identifier: Apache-2.0
package io.grapevine.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grapevine.Cluster;
import io.grapevine.ReplicatedMap;
import io.grapevine.antientropy.StoreKey;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Writes on a node with a data dir: acknowledged after the sync off the loop, on close, on failure. */
class KvDurabilityTest {
  @TempDir
  Path dir;

  private static Cluster start(TestNodes cluster, String name, Path data, SlowStore[] holder, long syncMillis) {
    return cluster.start(name, "127.0.0.1:0", b -> b.dataDir(data).storeDecorator(s -> {
      holder[0] = new SlowStore(s, syncMillis);
      return holder[0];
    }));
  }

  @Test
  void writesCompleteAfterTheSyncThatCoversThem() throws Exception {
    try (TestNodes cluster = new TestNodes("kv-durable", TestNodes.fastConfig(), 1, false)) {
      SlowStore[] store = new SlowStore[1];
      Cluster a = start(cluster, "dur-a", dir.resolve("a"), store, 100);
      ReplicatedMap m = a.kv("m");
      m.put("k", new byte[] {1});
      assertThat(store[0].durable).contains(new StoreKey("m", "k"));
      assertThat(m.increment("c", 2)).isEqualTo(2);
      m.addToSet("s", "x");
      m.removeFromSet("s", "x");
      m.delete("k");
      assertThat(store[0].durable).contains(new StoreKey("m", "c"), new StoreKey("m", "s"));
      assertThat(store[0].syncThreads).allMatch(t -> t.startsWith("grapevine-sync-"));
      assertThat(m.stats().durabilitySyncs()).isPositive();
      assertThat(m.stats().durableWrites()).isEqualTo(5);
    }
  }

  @Test
  void aBlockingWriteFromAWatcherOnTheLoopDoesNotWaitForItself() throws Exception {
    try (TestNodes cluster = new TestNodes("kv-durable", TestNodes.fastConfig(), 1, false)) {
      SlowStore[] store = new SlowStore[1];
      Cluster a = start(cluster, "dur-w", dir.resolve("w"), store, 100);
      ReplicatedMap m = a.kv("m");
      ConcurrentLinkedQueue<Long> echoMillis = new ConcurrentLinkedQueue<>();
      ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
      // Watchers run on the loop thread; a blocking put there must not wait for a report that only
      // the (blocked) loop could deliver.
      m.watch("trigger", change -> {
        long t0 = System.nanoTime();
        try {
          m.put("echo", new byte[] {2});
          echoMillis.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
        } catch (RuntimeException e) {
          errors.add(e);
        }
      });
      m.put("trigger", new byte[] {1});
      await().atMost(Duration.ofSeconds(10)).until(() -> !echoMillis.isEmpty() || !errors.isEmpty());
      assertThat(errors).isEmpty();
      assertThat(echoMillis.peek()).isLessThan(5_000);
      assertThat(m.get("echo")).isPresent();
      assertThat(store[0].durable).contains(new StoreKey("m", "echo"), new StoreKey("m", "trigger"));
      // And the service is still in order: the next write completes the normal way.
      m.put("after", new byte[] {3});
      assertThat(store[0].durable).contains(new StoreKey("m", "after"));
    }
  }

  @Test
  void closingSyncsAndCompletesWritesStillWaiting() throws Exception {
    Path data = dir.resolve("c");
    List<CompletableFuture<Void>> puts = new ArrayList<>();
    try (TestNodes cluster = new TestNodes("kv-durable", TestNodes.fastConfig(), 1, false)) {
      SlowStore[] store = new SlowStore[1];
      Cluster a = start(cluster, "dur-c", data, store, 1_000);
      for (int i = 0; i < 5; i++) {
        puts.add(a.kv("m").putAsync("k" + i, new byte[] {(byte) i}, null));
      }
      a.close();
      for (CompletableFuture<Void> f : puts) {
        f.get(1, TimeUnit.SECONDS); // done by the time close returned
      }
    }
    try (TestNodes cluster = new TestNodes("kv-durable", TestNodes.fastConfig(), 1, false)) {
      Cluster back = start(cluster, "dur-c", data, new SlowStore[1], 0);
      for (int i = 0; i < 5; i++) {
        assertThat(back.kv("m").get("k" + i)).as("k%d", i).isPresent();
      }
    }
  }

  @Test
  void aFailedSyncFailsTheWritesItCoveredAndTheNextSyncRecovers() throws Exception {
    try (TestNodes cluster = new TestNodes("kv-durable", TestNodes.fastConfig(), 1, false)) {
      SlowStore[] store = new SlowStore[1];
      Cluster a = start(cluster, "dur-f", dir.resolve("f"), store, 0);
      store[0].failure = new IllegalStateException("disk on fire");
      CompletableFuture<Void> failed = a.kv("m").putAsync("lost?", new byte[] {1}, null);
      assertThat(failed).failsWithin(Duration.ofSeconds(10)).withThrowableOfType(ExecutionException.class)
          .withMessageContaining("store sync failed: disk on fire");
      // The write was applied here (its outcome is unknown to the client); the next sync covers it.
      assertThat(a.kv("m").get("lost?")).isPresent();
      store[0].failure = null;
      a.kv("m").put("next", new byte[] {2});
      assertThat(store[0].durable).contains(new StoreKey("m", "lost?"), new StoreKey("m", "next"));
    }
  }
}
