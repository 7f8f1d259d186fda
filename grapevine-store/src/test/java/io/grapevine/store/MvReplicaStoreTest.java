// SPDX-License-Identifier: Apache-2.0
package io.grapevine.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grapevine.config.AntiEntropyConfig;
import io.grapevine.antientropy.Entry;
import io.grapevine.antientropy.Replica;
import io.grapevine.antientropy.StoreKey;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The MVStore replica store on a real file in a temporary directory. */
class MvReplicaStoreTest {
  private static final AntiEntropyConfig CONFIG = AntiEntropyConfig.defaults();

  @TempDir
  Path dir;

  @Test
  void everyKindSurvivesReopenAndTheTreeIsRebuiltIdentically() {
    long root;
    long t = 1_700_000_000_000L;
    try (MvReplicaStore store = MvReplicaStore.open(dir, CONFIG)) {
      Replica r = new Replica("a", store, CONFIG);
      r.put(t, "flags", "dark-mode", new byte[] {1}, 0);
      r.put(t, "flags", "beta", new byte[] {0}, 60_000);
      r.delete(t, "flags", "gone");
      r.increment(t, "stats", "hits", 41);
      r.increment(t, "stats", "hits", 1);
      r.addToSet(t, "sets", "admins", "alice");
      r.addToSet(t, "sets", "admins", "bob");
      r.removeFromSet(t, "sets", "admins", "alice");
      // A replicated (not forced) write, too.
      Replica other = new Replica("b", new io.grapevine.antientropy.InMemoryReplicaStore(), CONFIG);
      r.merge(List.of(other.put(t, "flags", "from-peer", new byte[] {7}, 0)), t);
      root = r.tree().root();
      assertThat(store.size()).isEqualTo(6);
    }
    try (MvReplicaStore store = MvReplicaStore.open(dir, CONFIG)) {
      Replica r = new Replica("a", store, CONFIG);
      assertThat(r.tree().root()).isEqualTo(root);
      assertThat(r.get(new StoreKey("stats", "hits")).counter().value()).isEqualTo(42);
      assertThat(r.get(new StoreKey("sets", "admins")).set().elements()).containsExactly("bob");
      assertThat(r.get(new StoreKey("flags", "gone")).isLive(t)).isFalse();
      assertThat(r.get(new StoreKey("flags", "from-peer")).value()).containsExactly(7);
      // The clock resumes after everything stored: a new write outranks the old ones.
      Entry next = r.put(t - 10_000, "flags", "dark-mode", new byte[] {2}, 0);
      assertThat(next.value()).containsExactly(2);
    }
  }

  @Test
  void prefixScanIsOrderedAndStaysInItsMap() {
    try (MvReplicaStore store = MvReplicaStore.open(dir, CONFIG)) {
      Replica r = new Replica("a", store, CONFIG);
      for (String k : new String[] {"svc/b", "svc/a", "svc/c", "sv", "svd", "other"}) {
        r.put(1, "m", k, new byte[0], 0);
      }
      r.put(1, "m2", "svc/x", new byte[0], 0);
      List<String> keys = new ArrayList<>();
      store.scan("m", "svc/", e -> keys.add(e.key().key()));
      assertThat(keys).containsExactly("svc/a", "svc/b", "svc/c");
      keys.clear();
      store.scan("m", "", e -> keys.add(e.key().key()));
      assertThat(keys).hasSize(6).isSorted();
    }
  }

  @Test
  void aLockedOrUnwritableDirectoryIsAClearError() throws Exception {
    Path file = Files.createFile(dir.resolve("not-a-dir"));
    assertThatThrownBy(() -> MvReplicaStore.open(file, CONFIG)).isInstanceOf(UncheckedIOException.class)
        .hasMessageContaining("cannot create data directory");
    try (MvReplicaStore first = MvReplicaStore.open(dir.resolve("d"), CONFIG)) {
      assertThatThrownBy(() -> MvReplicaStore.open(dir.resolve("d"), CONFIG))
          .isInstanceOf(UncheckedIOException.class).hasMessageContaining("cannot open replica store");
    }
  }
}
