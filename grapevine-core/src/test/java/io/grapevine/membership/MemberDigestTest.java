// SPDX-License-Identifier: Apache-2.0
package io.grapevine.membership;

import static org.assertj.core.api.Assertions.assertThat;

import io.grapevine.api.MemberState;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class MemberDigestTest {

  private static List<String> names(long seed, int n) {
    SplittableRandom random = new SplittableRandom(seed);
    List<String> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add("node-" + Long.toHexString(random.nextLong()));
    }
    return out;
  }

  private static void add(MemberDigest d, String name, long incarnation, MemberState state) {
    d.add(name, MemberDigest.value(MemberDigest.nameHash(name), incarnation, state));
  }

  @Test
  void tablesAddedInAnyOrderHaveEqualSumsAtEveryResolution() {
    for (long seed = 1; seed <= 5; seed++) {
      List<String> names = names(seed, 3_000);
      MemberDigest a = new MemberDigest();
      MemberDigest b = new MemberDigest();
      for (String n : names) {
        add(a, n, 1, MemberState.ALIVE);
      }
      for (int i = names.size() - 1; i >= 0; i--) {
        add(b, names.get(i), 1, MemberState.ALIVE);
      }
      for (int buckets = 1; buckets <= MemberDigest.FINE; buckets *= 2) {
        assertThat(a.sums(buckets)).isEqualTo(b.sums(buckets));
      }
    }
  }

  /** One member more, or at another incarnation, or gone: exactly its bucket differs, at every resolution. */
  @Test
  void oneDifferingMemberShowsInItsBucketAlone() {
    List<String> names = names(7, 2_000);
    String odd = names.get(1234);
    for (int variant = 0; variant < 3; variant++) {
      MemberDigest a = new MemberDigest();
      MemberDigest b = new MemberDigest();
      for (String n : names) {
        add(a, n, 3, MemberState.ALIVE);
        if (!n.equals(odd)) {
          add(b, n, 3, MemberState.ALIVE);
        } else if (variant == 1) {
          add(b, n, 4, MemberState.ALIVE);
        } else if (variant == 2) {
          add(b, n, 3, MemberState.DEAD);
        }
      }
      for (int buckets = 1; buckets <= MemberDigest.FINE; buckets *= 2) {
        long[] sa = a.sums(buckets);
        long[] sb = b.sums(buckets);
        int expected = MemberDigest.bucket(odd, buckets);
        for (int i = 0; i < buckets; i++) {
          assertThat(sa[i] != sb[i]).as("variant %d, bucket %d of %d", variant, i, buckets).isEqualTo(i == expected);
        }
      }
    }
  }

  /** Suspicion travels by gossip: alive and suspect at one incarnation agree; dead and left do too. */
  @Test
  void suspectCountsAsLiveAndLeftAsGone() {
    long h = MemberDigest.nameHash("n1");
    assertThat(MemberDigest.value(h, 5, MemberState.SUSPECT)).isEqualTo(MemberDigest.value(h, 5, MemberState.ALIVE));
    assertThat(MemberDigest.value(h, 5, MemberState.LEFT)).isEqualTo(MemberDigest.value(h, 5, MemberState.DEAD));
    assertThat(MemberDigest.value(h, 5, MemberState.DEAD)).isNotEqualTo(MemberDigest.value(h, 5, MemberState.ALIVE));
    assertThat(MemberDigest.value(h, 5, MemberState.ALIVE)).isNotEqualTo(MemberDigest.value(h, 6, MemberState.ALIVE));
  }

  @Test
  void removingUndoesAddingAndCountsFollow() {
    List<String> names = names(11, 500);
    MemberDigest d = new MemberDigest();
    for (String n : names) {
      add(d, n, 1, MemberState.ALIVE);
    }
    int total = 0;
    for (int b = 0; b < 64; b++) {
      total += d.count(b, 64);
    }
    assertThat(total).isEqualTo(500);
    for (String n : names) {
      d.remove(n, MemberDigest.value(MemberDigest.nameHash(n), 1, MemberState.ALIVE));
    }
    assertThat(d.sums(MemberDigest.FINE)).containsOnly(0L);
    assertThat(d.count(0, 1)).isZero();
  }

  @Test
  void digestSizeFollowsTheTableAndIsCapped() {
    assertThat(MemberDigest.bucketsFor(1)).isEqualTo(1);
    assertThat(MemberDigest.bucketsFor(30)).isEqualTo(8);
    assertThat(MemberDigest.bucketsFor(1_000)).isEqualTo(128);
    assertThat(MemberDigest.bucketsFor(3_000)).isEqualTo(512);
    assertThat(MemberDigest.bucketsFor(10_000)).isEqualTo(MemberDigest.FINE);
    assertThat(MemberDigest.bucketsFor(1_000_000)).isEqualTo(MemberDigest.FINE);
    assertThat(MemberDigest.validBuckets(3)).isFalse();
    assertThat(MemberDigest.validBuckets(0)).isFalse();
    assertThat(MemberDigest.validBuckets(2 * MemberDigest.FINE)).isFalse();
    assertThat(MemberDigest.validBuckets(256)).isTrue();
  }
}
