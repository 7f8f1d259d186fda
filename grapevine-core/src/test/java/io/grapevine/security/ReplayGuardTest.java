// SPDX-License-Identifier: Apache-2.0
package io.grapevine.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.grapevine.wire.DropReason;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The bounded nonce memory: duplicates, expiry, and what happens when it is full. */
class ReplayGuardTest {

  @Test
  void remembersWithinTheWindowAndForgetsAfter() {
    ReplayGuard g = new ReplayGuard(10_000, 1024);
    assertThat(g.check(5, 1_000, 1_000)).isNull();
    assertThat(g.check(5, 1_000, 2_000)).isEqualTo(DropReason.REPLAY_DUPLICATE);
    assertThat(g.check(6, 1_500, 2_000)).isNull();
    // After the window, the entries are gone and the packets are stale anyway.
    assertThat(g.check(7, 20_000, 20_000)).isNull();
    assertThat(g.size()).isEqualTo(1);
    assertThat(g.check(5, 1_000, 20_000)).isEqualTo(DropReason.REPLAY_STALE);
  }

  @Test
  void whenFullTheOldestIsForgottenAndNothingOlderIsAccepted() {
    ReplayGuard g = new ReplayGuard(60_000, 1024);
    SplittableRandom r = new SplittableRandom(3);
    long[] ids = new long[3000];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = r.nextLong();
      assertThat(g.check(ids[i], 1_000 + i, 2_000 + i)).isNull();
    }
    assertThat(g.size()).isEqualTo(1024);
    // Every earlier packet is refused: remembered ones as duplicates, forgotten ones as stale.
    for (int i = 0; i < ids.length; i++) {
      DropReason d = g.check(ids[i], 1_000 + i, 5_000);
      assertThat(d).as("packet %d", i).isEqualTo(i < ids.length - 1024 ? DropReason.REPLAY_STALE
          : DropReason.REPLAY_DUPLICATE);
    }
    // A new packet is still accepted.
    assertThat(g.check(r.nextLong(), 4_900, 5_000)).isNull();
  }

  @Test
  void manyInsertsAndExpiriesKeepLookupsRight() {
    ReplayGuard g = new ReplayGuard(100, 4096);
    SplittableRandom r = new SplittableRandom(11);
    long[] recent = new long[50];
    long[] recentAt = new long[50];
    for (int t = 0; t < 20_000; t++) {
      long id = r.nextLong() & 0xFFF; // many collisions in the hash table's probe runs
      DropReason d = g.check(id, t, t);
      if (d == null) {
        recent[t % 50] = id;
        recentAt[t % 50] = t;
      }
      int j = (t + 7) % 50;
      if (recentAt[j] > 0 && t - recentAt[j] < 100) {
        assertThat(g.check(recent[j], t, t)).isEqualTo(DropReason.REPLAY_DUPLICATE);
      }
    }
    assertThat(g.size()).isLessThanOrEqualTo(4096);
  }
}
