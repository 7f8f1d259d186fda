// SPDX-License-Identifier: Apache-2.0
package io.grapevine.redis;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The keyspace: string values with optional expiry (absolute wall-clock milliseconds, so a
 * replica applying a replicated expiry agrees with its primary). Not thread-safe: the node's lock
 * guards it.
 */
final class Store {
  record Value(byte[] data, long expireAtMillis) {
    boolean expired(long now) {
      return expireAtMillis > 0 && now >= expireAtMillis;
    }
  }

  private final Map<String, Value> map = new HashMap<>();

  Value get(String key, long now) {
    Value v = map.get(key);
    if (v != null && v.expired(now)) {
      map.remove(key);
      return null;
    }
    return v;
  }

  void put(String key, byte[] data, long expireAt) {
    map.put(key, new Value(data, expireAt));
  }

  boolean remove(String key, long now) {
    Value v = map.remove(key);
    return v != null && !v.expired(now);
  }

  /** Entries held, expired ones not yet purged included (cheap: for the key limit). */
  int rawSize() {
    return map.size();
  }

  boolean contains(String key) {
    return map.containsKey(key);
  }

  int size(long now) {
    purge(now);
    return map.size();
  }

  void clear() {
    map.clear();
  }

  void purge(long now) {
    map.values().removeIf(v -> v.expired(now));
  }

  int countInSlot(int slot, long now) {
    int n = 0;
    for (Map.Entry<String, Value> e : map.entrySet()) {
      if (!e.getValue().expired(now) && KeySlot.slot(e.getKey()) == slot) {
        n++;
      }
    }
    return n;
  }

  List<String> keysInSlot(int slot, int max, long now) {
    List<String> out = new ArrayList<>();
    for (Iterator<Map.Entry<String, Value>> it = map.entrySet().iterator(); it.hasNext() && out.size() < max; ) {
      Map.Entry<String, Value> e = it.next();
      if (!e.getValue().expired(now) && KeySlot.slot(e.getKey()) == slot) {
        out.add(e.getKey());
      }
    }
    return out;
  }

  Map<String, Value> snapshot() {
    return new HashMap<>(map);
  }
}
