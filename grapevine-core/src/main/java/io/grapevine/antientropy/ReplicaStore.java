// SPDX-License-Identifier: Apache-2.0
package io.grapevine.antientropy;

import java.util.List;
import java.util.function.Consumer;

/**
 * Where a replica keeps its entries: in memory, or on disk (grapevine-store). One writer (the
 * node's driver thread); reads ({@link #get}, {@link #scan}) may come from any thread at the same
 * time and see each written entry whole, and {@link #sync()} may come from another thread too.
 */
public interface ReplicaStore extends AutoCloseable {

  /** The stored entry for {@code key}, or null. */
  Entry get(StoreKey key);

  /**
   * Applies a batch atomically: every put and removal, or (after a crash) none of them.
   *
   * @param durable true to return only once the batch survives a process crash under the store's
   *     documented policy (the same as this write followed by {@link #sync()}); false to return at
   *     once, the batch visible to readers but made durable only by a later {@link #sync()} or by
   *     the store's own background commits. A {@link Replica} always passes false and asks its
   *     {@link Durability} for the sync instead, so the driver can run it off the protocol thread.
   */
  void write(List<Entry> puts, List<StoreKey> removals, boolean durable);

  /**
   * True if the store keeps its entries across process lives (on disk), so that a write survives a
   * crash only once {@link #sync()} has covered it. False (the default) for a store that keeps
   * nothing across lives: every write counts as durable as soon as it is applied, and nobody needs
   * to call {@link #sync()}.
   */
  default boolean persistent() {
    return false;
  }

  /**
   * Makes every write applied before this call durable: it survives a process crash when this
   * returns. May block for as long as the disk takes (an fsync), so drivers call it off the
   * protocol thread: any thread may call it, concurrently with {@link #write}, {@link #get}, {@link
   * #scan} and other syncs (writes applied during the call may or may not be covered), but not
   * after {@link #close}. The default does nothing, which is right for a store that is not {@link
   * #persistent()}.
   *
   * @throws RuntimeException if the store cannot be made durable (I/O error, store closed)
   */
  default void sync() {}

  /** Every stored entry, in no particular order (used once, at start, to rebuild the hash tree). */
  void forEach(Consumer<Entry> action);

  /** Entries of {@code map} whose key starts with {@code prefix}, in key order. */
  void scan(String map, String prefix, Consumer<Entry> action);

  /** Number of stored entries, tombstones included. */
  long size();

  /** Flushes and releases resources. Idempotent. */
  @Override
  void close();
}
