// SPDX-License-Identifier: Apache-2.0
package io.grapevine.antientropy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** A tree that never held a key (its arrays not yet allocated) reads as one whose keys were all removed. */
class MerkleTreeTest {
  private static final int DEPTH = 3;

  private static void sameHashes(MerkleTree a, MerkleTree b) {
    assertThat(a.root()).isEqualTo(b.root());
    assertThat(a.size()).isEqualTo(b.size());
    assertThat(a.bucketCount()).isEqualTo(b.bucketCount()).isEqualTo(1 << (4 * DEPTH));
    long[] ca = new long[16];
    long[] cb = new long[16];
    for (int level = 0; level < DEPTH; level++) {
      for (int i = 0; i < 1 << (4 * level); i++) {
        assertThat(a.node(level, i)).isEqualTo(b.node(level, i));
        java.util.Arrays.fill(ca, 7L);
        a.children(level, i, ca);
        b.children(level, i, cb);
        assertThat(ca).containsExactly(cb);
      }
    }
    for (int bucket = 0; bucket < a.bucketCount(); bucket++) {
      assertThat(a.node(DEPTH, bucket)).isEqualTo(b.node(DEPTH, bucket));
      assertThat(a.bucket(bucket)).isEqualTo(b.bucket(bucket));
    }
  }

  @Test
  void anUntouchedTreeReadsAsAnEmptiedOne() {
    MerkleTree untouched = new MerkleTree(DEPTH);
    MerkleTree emptied = new MerkleTree(DEPTH);
    StoreKey k = new StoreKey("m", "k");
    long kh = MerkleTree.keyHash(k);
    emptied.put(k, kh, 12345L);
    assertThat(emptied.root()).isEqualTo(12345L);
    emptied.remove(k, kh);
    sameHashes(untouched, emptied);
    assertThat(untouched.root()).isZero();
    // Removing from an untouched tree is a no-op, as for an absent key.
    untouched.remove(k, kh);
    sameHashes(untouched, emptied);
  }

  @Test
  void anUntouchedTreeRejectsOutOfRangeIndexesAsAnAllocatedOneDoes() {
    MerkleTree untouched = new MerkleTree(DEPTH);
    MerkleTree used = new MerkleTree(DEPTH);
    StoreKey k = new StoreKey("m", "k");
    used.put(k, MerkleTree.keyHash(k), 1L);
    for (MerkleTree t : new MerkleTree[] {untouched, used}) {
      assertThatThrownBy(() -> t.node(1, 16)).isInstanceOf(IndexOutOfBoundsException.class);
      assertThatThrownBy(() -> t.bucket(1 << (4 * DEPTH))).isInstanceOf(IndexOutOfBoundsException.class);
      assertThatThrownBy(() -> t.children(DEPTH - 1, 1 << (4 * (DEPTH - 1)), new long[16]))
          .isInstanceOf(IndexOutOfBoundsException.class);
    }
  }
}
