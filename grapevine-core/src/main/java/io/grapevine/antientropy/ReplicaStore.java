package io.grapevine.antientropy;

import java.util.List;
import java.util.function.Consumer;

/**
 * Where a replica keeps its entries: in memory, or on disk (grapevine-store). One writer (the
 * node's driver thread); reads ({@link #get}, {@link #scan}) may come from any thread at the same
 * time and see each written entry whole.
 */
public interface ReplicaStore extends AutoCloseable {

  /** The stored entry for {@code key}, or null. */
  Entry get(StoreKey key);

  /**
   * Applies a batch atomically: every put and removal, or (after a crash) none of them.
   *
   * @param durable true for writes a client is waiting to have acknowledged: return only once the
   *     batch survives a process crash under the store's documented policy. False for replicated
   *     writes, which peers still hold and anti-entropy restores.
   */
  void write(List<Entry> puts, List<StoreKey> removals, boolean durable);

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
