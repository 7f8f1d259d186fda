// SPDX-License-Identifier: Apache-2.0
package io.grapevine.runtime;

import io.grapevine.antientropy.Entry;
import io.grapevine.antientropy.ReplicaStore;
import io.grapevine.antientropy.StoreKey;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * A test decorator of a real store (see {@code ClusterBuilder.storeDecorator}): a slow disk, whose
 * {@link #sync()} takes a fixed time longer, or a failing one. It records the keys each finished
 * sync covered (those written before the sync started) and the threads syncs ran on.
 */
final class SlowStore implements ReplicaStore {
  private final ReplicaStore inner;
  private final long syncMillis;
  private Set<StoreKey> written = new HashSet<>();
  /** Keys a finished sync has covered. */
  final Set<StoreKey> durable = ConcurrentHashMap.newKeySet();
  final AtomicLong syncs = new AtomicLong();
  final ConcurrentLinkedQueue<String> syncThreads = new ConcurrentLinkedQueue<>();
  /** Cleared when a test is over, so closing does not wait for the slow disk. */
  volatile boolean slow = true;
  /** When set, syncs throw it (after the delay) instead of syncing. */
  volatile RuntimeException failure;

  SlowStore(ReplicaStore inner, long syncMillis) {
    this.inner = inner;
    this.syncMillis = syncMillis;
  }

  @Override
  public Entry get(StoreKey key) {
    return inner.get(key);
  }

  @Override
  public void write(List<Entry> puts, List<StoreKey> removals, boolean durable) {
    inner.write(puts, removals, durable);
    synchronized (this) {
      for (Entry e : puts) {
        written.add(e.key());
      }
    }
  }

  @Override
  public void forEach(Consumer<Entry> action) {
    inner.forEach(action);
  }

  @Override
  public void scan(String map, String prefix, Consumer<Entry> action) {
    inner.scan(map, prefix, action);
  }

  @Override
  public long size() {
    return inner.size();
  }

  @Override
  public boolean persistent() {
    return inner.persistent();
  }

  @Override
  public void sync() {
    Set<StoreKey> covered;
    synchronized (this) {
      covered = written;
      written = new HashSet<>();
    }
    String thread = Thread.currentThread().getName();
    if (!syncThreads.contains(thread)) {
      syncThreads.add(thread);
    }
    // The slow disk: this long per fsync, whatever the amount written. (parkNanos may return early,
    // e.g. on a permit left by the executor's queue: loop to the deadline.)
    long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(syncMillis);
    for (long left = until - System.nanoTime(); slow && left > 0; left = until - System.nanoTime()) {
      LockSupport.parkNanos(left);
    }
    RuntimeException f = failure;
    if (f != null) {
      synchronized (this) {
        written.addAll(covered);
      }
      throw f;
    }
    inner.sync();
    durable.addAll(covered);
    syncs.incrementAndGet();
  }

  @Override
  public void close() {
    inner.close();
  }
}
