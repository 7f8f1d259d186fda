// SPDX-License-Identifier: Apache-2.0
package io.grapevine.sim.experiments;

import io.grapevine.antientropy.Entry;
import io.grapevine.antientropy.ReplicaStore;
import io.grapevine.antientropy.StoreKey;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.WeakHashMap;
import java.util.function.Consumer;

/**
 * A {@link ReplicaStore} in a plain hash map, for simulations of many replicas in one heap.
 *
 * <p>Point lookups are the hot path (every received version is looked up before it is merged). The
 * core's {@code InMemoryReplicaStore} keeps a concurrent sorted map for prefix scans from other
 * threads; with thousands of replicas in one heap its lookups (a dozen key comparisons, each a cache
 * miss) were 40% of a simulation's time. Scans here sort the matching keys on demand.
 *
 * <p>Replicas that agree hold equal versions, each decoded from its own packet: 10,000 copies of
 * every version. Stores sharing a {@link Pool} keep one instance of each (versions are immutable
 * and compared by content, so which equal instance a replica holds changes nothing it does); that
 * divides the heap the data takes, and the garbage collector's copying, by the number of replicas.
 */
final class HashReplicaStore implements ReplicaStore {

  /** Canonical instances of equal versions, forgotten once no store holds them. One thread. */
  static final class Pool {
    private final WeakHashMap<Entry, WeakReference<Entry>> versions = new WeakHashMap<>();

    Entry canonical(Entry e) {
      WeakReference<Entry> ref = versions.get(e);
      Entry c = ref == null ? null : ref.get();
      if (c != null) {
        return c;
      }
      versions.put(e, new WeakReference<>(e));
      return e;
    }

    int size() {
      return versions.size();
    }
  }

  private final HashMap<StoreKey, Entry> entries = new HashMap<>();
  private final Pool pool;

  /** @param pool shared with the other replicas' stores, or null for none */
  HashReplicaStore(Pool pool) {
    this.pool = pool;
  }

  @Override
  public Entry get(StoreKey key) {
    return entries.get(key);
  }

  @Override
  public void write(List<Entry> puts, List<StoreKey> removals, boolean durable) {
    for (Entry e : puts) {
      Entry c = pool == null ? e : pool.canonical(e);
      entries.put(c.key(), c);
    }
    for (StoreKey k : removals) {
      entries.remove(k);
    }
  }

  @Override
  public void forEach(Consumer<Entry> action) {
    entries.values().forEach(action);
  }

  @Override
  public void scan(String map, String prefix, Consumer<Entry> action) {
    List<StoreKey> keys = new ArrayList<>();
    for (StoreKey k : entries.keySet()) {
      if (k.map().equals(map) && k.key().startsWith(prefix)) {
        keys.add(k);
      }
    }
    keys.sort(null);
    for (StoreKey k : keys) {
      action.accept(entries.get(k));
    }
  }

  @Override
  public long size() {
    return entries.size();
  }

  @Override
  public void close() {}
}
