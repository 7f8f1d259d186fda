// SPDX-License-Identifier: Apache-2.0
package io.grapevine.antientropy;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.Consumer;

/**
 * A {@link ReplicaStore} in memory: what a node without a data directory uses. Nothing survives the
 * process; a restarted node catches up from its peers. Writes of one batch are not atomic to
 * concurrent readers, but each entry is.
 */
public final class InMemoryReplicaStore implements ReplicaStore {
  private final ConcurrentSkipListMap<StoreKey, Entry> entries = new ConcurrentSkipListMap<>();

  @Override
  public Entry get(StoreKey key) {
    return entries.get(key);
  }

  @Override
  public void write(List<Entry> puts, List<StoreKey> removals, boolean durable) {
    for (Entry e : puts) {
      entries.put(e.key(), e);
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
    for (Map.Entry<StoreKey, Entry> e : entries.tailMap(new StoreKey(map, prefix), true).entrySet()) {
      StoreKey k = e.getKey();
      if (!k.map().equals(map) || !k.key().startsWith(prefix)) {
        break;
      }
      action.accept(e.getValue());
    }
  }

  @Override
  public long size() {
    return entries.size();
  }

  @Override
  public void close() {}
}
