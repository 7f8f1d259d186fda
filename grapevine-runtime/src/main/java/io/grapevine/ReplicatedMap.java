// SPDX-License-Identifier: Apache-2.0
package io.grapevine;

import io.grapevine.api.AntiEntropyStats;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * A named map replicated on every node of the cluster: eventually consistent, always available
 * (reads and writes are local), self-repairing. Obtain one with {@link Cluster#kv(String)}.
 *
 * <pre>{@code
 * ReplicatedMap flags = cluster.kv("flags");
 * flags.put("dark-mode", "on".getBytes(UTF_8));        // returns once durable on this node
 * flags.get("dark-mode");                              // Optional of the bytes, read locally
 * flags.watch("", change -> log(change.key()));        // every change, local or remote
 * cluster.kv("stats").increment("logins", 1);           // PN-counter: concurrent adds all count
 * cluster.kv("groups").addToSet("admins", "alice");     // OR-set: an add beats a concurrent remove
 * }</pre>
 *
 * <p>Concurrent puts of one key resolve last-writer-wins by hybrid logical clock, the same way on
 * every node. A write returns once it is stored on this node (forced to disk with a data directory);
 * it then spreads by gossip within about a second and is repaired by anti-entropy if gossip missed
 * a node. Keys are 1..keyMaxBytes UTF-8 bytes; bad keys and oversize values throw {@link
 * IllegalArgumentException} with a one-line reason; a counter or set operation on a key holding
 * another kind throws {@link IllegalStateException}.
 *
 * <p>Thread-safe. Reads never wait for the network or the event loop. Watchers run on the node's
 * event-loop thread and must not block.
 */
public interface ReplicatedMap {

  /** The map's name. */
  String name();

  /** Stores {@code value} under {@code key}; returns once it is durable here. */
  void put(String key, byte[] value);

  /** Stores a value that disappears everywhere {@code ttl} after now (wall clock). */
  void put(String key, byte[] value, Duration ttl);

  /** Asynchronous put; the future completes when the write is durable here ({@code ttl} null or zero: none). */
  CompletableFuture<Void> putAsync(String key, byte[] value, Duration ttl);

  /** The value of {@code key}, if it has a live value (not deleted, not expired, not a counter or set). */
  Optional<byte[]> get(String key);

  /** Deletes {@code key} (a tombstone wins over every older write, on every node). */
  void delete(String key);

  /** Asynchronous delete. */
  CompletableFuture<Void> deleteAsync(String key);

  /** Live values whose keys start with {@code prefix} ("" for all), in key order. */
  SortedMap<String, byte[]> scan(String prefix);

  /** Adds {@code delta} (may be negative) to the counter {@code key}; returns its new value here. */
  long increment(String key, long delta);

  /** The counter's value here, 0 if absent. */
  long counter(String key);

  /** Adds {@code element} to the set {@code key}. */
  void addToSet(String key, String element);

  /** Removes {@code element} from the set {@code key} (a concurrent add elsewhere survives). */
  void removeFromSet(String key, String element);

  /** The elements of the set {@code key} here, empty if absent. */
  Set<String> members(String key);

  /**
   * Calls {@code listener} for every change of a key starting with {@code prefix}, local or
   * replicated. Runs on the event-loop thread; must not block.
   *
   * @return closing it stops the calls
   */
  AutoCloseable watch(String prefix, Consumer<KvChange> listener);

  /** Counters of the node's replicated store (all maps): repairs by rumor and by anti-entropy, traffic. */
  AntiEntropyStats stats();
}
