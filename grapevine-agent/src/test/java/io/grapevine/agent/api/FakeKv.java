// SPDX-License-Identifier: Apache-2.0
package io.grapevine.agent.api;

import io.grapevine.KvChange;
import io.grapevine.ReplicatedMap;
import io.grapevine.api.AntiEntropyStats;
import io.grapevine.antientropy.Entry;
import io.grapevine.antientropy.StoreKey;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/** An in-memory map for handler tests: plain values, the runtime's key and size checks mimicked. */
final class FakeKv implements ReplicatedMap {
  record Watcher(String prefix, Consumer<KvChange> listener) {}

  private final String name;
  final ConcurrentSkipListMap<String, byte[]> values = new ConcurrentSkipListMap<>();
  final List<Watcher> watchers = new CopyOnWriteArrayList<>();
  private long hlc;

  FakeKv(String name) {
    this.name = name;
  }

  @Override
  public String name() {
    return name;
  }

  private static void checkKey(String key) {
    if (key.isEmpty() || key.length() > 512) {
      throw new IllegalArgumentException("key must be 1..512 UTF-8 bytes");
    }
  }

  @Override
  public synchronized void put(String key, byte[] value) {
    checkKey(key);
    if (value.length > 65536) {
      throw new IllegalArgumentException("value is " + value.length + " bytes, more than 65536");
    }
    values.put(key, value.clone());
    fire(Entry.value(new StoreKey(name, key), ++hlc, "n1", value, 0));
  }

  @Override
  public void put(String key, byte[] value, Duration ttl) {
    put(key, value);
  }

  @Override
  public CompletableFuture<Void> putAsync(String key, byte[] value, Duration ttl) {
    put(key, value);
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public Optional<byte[]> get(String key) {
    checkKey(key);
    return Optional.ofNullable(values.get(key)).map(byte[]::clone);
  }

  @Override
  public synchronized void delete(String key) {
    checkKey(key);
    values.remove(key);
    fire(Entry.tombstone(new StoreKey(name, key), ++hlc, "n1"));
  }

  private void fire(Entry e) {
    for (Watcher w : watchers) {
      if (e.key().key().startsWith(w.prefix)) {
        w.listener.accept(new KvChange(name, e.key().key(), e, true));
      }
    }
  }

  @Override
  public CompletableFuture<Void> deleteAsync(String key) {
    delete(key);
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public SortedMap<String, byte[]> scan(String prefix) {
    SortedMap<String, byte[]> out = new TreeMap<>();
    values.tailMap(prefix).forEach((k, v) -> {
      if (k.startsWith(prefix)) {
        out.put(k, v);
      }
    });
    return out;
  }

  // Counters and sets: one replica's view, with the runtime's kind and range checks mimicked.
  final java.util.Map<String, Long> counters = new java.util.concurrent.ConcurrentHashMap<>();
  final java.util.Map<String, Set<String>> sets = new java.util.concurrent.ConcurrentHashMap<>();

  private void checkKind(String key, Object mine) {
    checkKey(key);
    if (values.containsKey(key) || (mine != counters && counters.containsKey(key))
        || (mine != sets && sets.containsKey(key))) {
      throw new IllegalStateException("key '" + key + "' in map '" + name + "' holds another kind");
    }
  }

  @Override
  public synchronized long increment(String key, long delta) {
    checkKind(key, counters);
    if (delta == Long.MIN_VALUE) {
      throw new ArithmeticException("delta out of range");
    }
    long v = Math.addExact(counters.getOrDefault(key, 0L), delta);
    counters.put(key, v);
    return v;
  }

  @Override
  public long counter(String key) {
    return counters.getOrDefault(key, 0L);
  }

  private static void checkElement(String element) {
    if (element.isEmpty() || element.length() > 512) {
      throw new IllegalArgumentException("set element: element must be 1..512 UTF-8 bytes");
    }
  }

  @Override
  public synchronized void addToSet(String key, String element) {
    checkKind(key, sets);
    checkElement(element);
    sets.computeIfAbsent(key, k -> new java.util.TreeSet<>()).add(element);
  }

  @Override
  public synchronized void removeFromSet(String key, String element) {
    checkKind(key, sets);
    checkElement(element);
    sets.computeIfAbsent(key, k -> new java.util.TreeSet<>()).remove(element);
  }

  @Override
  public Set<String> members(String key) {
    return Set.copyOf(sets.getOrDefault(key, Set.of()));
  }

  @Override
  public AutoCloseable watch(String prefix, Consumer<KvChange> listener) {
    Watcher w = new Watcher(prefix, listener);
    watchers.add(w);
    return () -> watchers.remove(w);
  }

  @Override
  public AntiEntropyStats stats() {
    return AntiEntropyStats.empty();
  }
}
