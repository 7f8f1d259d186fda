// SPDX-License-Identifier: Apache-2.0
package io.grapevine.antientropy;

import io.grapevine.config.AntiEntropyConfig;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Tombstones and expired values: invisible at once, removed after the grace period, not revived. */
class GarbageCollectionTest {
  private static final long GRACE = 60_000;
  private static final AntiEntropyConfig CONFIG = AntiEntropyConfig.builder()
      .tombstoneGrace(Duration.ofMillis(GRACE)).build();

  @Test
  void tombstoneIsRemovedAfterGraceAndAStaleCopyIsIgnored() {
    Replica r = new Replica("a", new InMemoryReplicaStore(), CONFIG);
    long t = 1_000_000;
    r.put(t, "m", "k", new byte[] {1}, 0);
    Entry tomb = r.delete(t + 10, "m", "k");
    assertThat(r.get(new StoreKey("m", "k")).isLive(t + 10)).isFalse();
    assertThat(r.collectGarbage(t + GRACE)).isZero();
    assertThat(r.nextRemovalMillis()).isEqualTo(t + 10 + GRACE);
    assertThat(r.collectGarbage(t + 10 + GRACE)).isEqualTo(1);
    assertThat(r.get(new StoreKey("m", "k"))).isNull();
    assertThat(r.tree().root()).isZero();
    // A peer that has not collected yet sends the tombstone back: ignored, not resurrected.
    assertThat(r.merge(List.of(tomb), t + 20 + GRACE)).isEmpty();
    assertThat(r.staleIgnored()).isEqualTo(1);
    assertThat(r.store().size()).isZero();
  }

  @Test
  void expiringValueDisappearsAtExpiryAndIsRemovedAfterGrace() {
    Replica r = new Replica("a", new InMemoryReplicaStore(), CONFIG);
    long t = 2_000_000;
    Entry e = r.put(t, "m", "session", new byte[] {1}, 5_000);
    assertThat(e.isLive(t + 4_999)).isTrue();
    assertThat(e.isLive(t + 5_000)).isFalse();
    assertThat(r.collectGarbage(t + 5_000 + GRACE - 1)).isZero();
    assertThat(r.collectGarbage(t + 5_000 + GRACE)).isEqualTo(1);
    assertThat(r.store().size()).isZero();
  }

  @Test
  void overwrittenTombstoneIsNotCollected() {
    Replica r = new Replica("a", new InMemoryReplicaStore(), CONFIG);
    long t = 3_000_000;
    r.delete(t, "m", "k");
    r.put(t + 1, "m", "k", new byte[] {2}, 0);
    assertThat(r.collectGarbage(t + 10 * GRACE)).isZero();
    assertThat(r.get(new StoreKey("m", "k")).value()).containsExactly(2);
  }

  @Test
  void counterAfterDeleteStartsFromZeroAndTypeConflictsAreClearErrors() {
    Replica r = new Replica("a", new InMemoryReplicaStore(), CONFIG);
    long t = 4_000_000;
    r.increment(t, "m", "c", 5);
    r.delete(t + 1, "m", "c");
    assertThat(r.increment(t + 2, "m", "c", 2).counter().value()).isEqualTo(2);
    r.put(t + 3, "m", "v", new byte[] {1}, 0);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> r.increment(t + 4, "m", "v", 1))
        .isInstanceOf(IllegalStateException.class).hasMessage("key 'v' in map 'm' holds a value, not a counter");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> r.put(t, "bad map", "k", new byte[0], 0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("may only contain");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> r.put(t, "m", "k", new byte[40_000], 0))
        .hasMessage("value is 40000 bytes, above valueMaxBytes 32768");
  }
}
