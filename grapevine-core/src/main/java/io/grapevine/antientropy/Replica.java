// SPDX-License-Identifier: Apache-2.0
package io.grapevine.antientropy;

import io.grapevine.config.AntiEntropyConfig;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.PriorityQueue;

/**
 * One node's replica of every replicated map: the store, the hash tree over it, the clock, and the
 * merge rules. Local operations stamp a new version, apply it to the store (visible to reads at
 * once) and ask the {@link Durability} to make it durable; remote versions are merged with {@link
 * Entry#merge} and written without forcing. Sans-I/O: physical time is passed in, the disk is
 * forced by the driver, and only the driver thread calls it (reads of the store may come from any
 * thread).
 *
 * <p><b>Durability.</b> Local writes are numbered 1, 2, 3... ({@link #writeSeq()}); the driver
 * reports how far they are durable ({@link #markDurable}, {@link #durableSeq()}). A local write is
 * acknowledged once {@code durableSeq() >= } its number; until then {@link #awaitingDurability}
 * holds for its key, and {@link AntiEntropy} does not let the key's version leave the node.
 *
 * <p><b>Removal rule.</b> A tombstone is removed {@link AntiEntropyConfig#tombstoneGrace} after the
 * delete, an expiring value that long after its expiry; a received version already past that point
 * is ignored, so a removed key is not brought back by a peer that has not yet removed it. The risk,
 * as with Cassandra's gc_grace: a replica cut off for longer than the grace period, holding an older
 * live version, brings that version back when it returns.
 */
public final class Replica {

  /** Told of every change to a stored key (driver thread; must not block). */
  public interface Listener {
    /**
     * @param before the previous version, or null
     * @param after the version now stored
     * @param local true for this node's own write, false for a version learnt from a peer
     */
    void onChange(Entry before, Entry after, boolean local);
  }

  private record Removal(long atMillis, StoreKey key) {}

  private record Pending(long seq, StoreKey key) {}

  private final String replicaId;
  private final ReplicaStore store;
  private final AntiEntropyConfig config;
  private final MerkleTree tree;
  private final Hlc hlc;
  private final long graceMillis;
  private final PriorityQueue<Removal> removals =
      new PriorityQueue<>((a, b) -> Long.compare(a.atMillis, b.atMillis));
  private final List<Listener> listeners = new ArrayList<>();
  private final Durability durability;
  /** Local writes not yet reported durable, in sequence order. */
  private final ArrayDeque<Pending> undurable = new ArrayDeque<>();
  /** For each key with a local write not yet durable, the latest such write's number. */
  private final HashMap<StoreKey, Long> undurableKeys = new HashMap<>();
  private long writeSeq;
  private long durableSeq;
  private long staleIgnored;
  private long removed;

  /**
   * Opens a replica over {@code store} whose local writes are durable when they return: {@link
   * Durability#blocking} (an fsync on the calling thread per write) for a {@link
   * ReplicaStore#persistent() persistent} store, {@link Durability#IMMEDIATE} otherwise. For tools,
   * tests and simulations; a node's runtime passes a {@link Durability} that syncs on another
   * thread.
   *
   * @see #Replica(String, ReplicaStore, AntiEntropyConfig, Durability)
   */
  public Replica(String replicaId, ReplicaStore store, AntiEntropyConfig config) {
    this(replicaId, store, config, store.persistent() ? Durability.blocking(store) : Durability.IMMEDIATE);
  }

  /**
   * Opens a replica over {@code store}, rebuilding the hash tree from what it holds.
   *
   * @param replicaId this replica's id in counters and set tags: unique in the cluster and, for an
   *     in-memory store, unique per process life (a restarted node without its data must not reuse
   *     the id, or its new updates could hide behind its old ones)
   * @param durability where local writes ask to be made durable (see {@link Durability})
   */
  public Replica(String replicaId, ReplicaStore store, AntiEntropyConfig config, Durability durability) {
    if (replicaId == null || replicaId.isEmpty() || Entry.utf8(replicaId).length > 255) {
      throw new IllegalArgumentException("replicaId must be 1..255 UTF-8 bytes");
    }
    if (durability == null) {
      throw new IllegalArgumentException("durability must not be null (Durability.IMMEDIATE for none)");
    }
    this.replicaId = replicaId;
    this.store = store;
    this.config = config;
    this.durability = durability;
    this.tree = new MerkleTree(config.merkleDepth);
    this.hlc = new Hlc(config.maxClockSkew.toMillis());
    this.graceMillis = config.tombstoneGrace.toMillis();
    store.forEach(e -> {
      tree.put(e.key(), MerkleTree.keyHash(e.key()), e.hash());
      hlc.restore(e.hlc());
      scheduleRemoval(e);
    });
  }

  public String replicaId() {
    return replicaId;
  }

  public AntiEntropyConfig config() {
    return config;
  }

  public MerkleTree tree() {
    return tree;
  }

  public ReplicaStore store() {
    return store;
  }

  public Hlc clock() {
    return hlc;
  }

  public void addListener(Listener l) {
    listeners.add(l);
  }

  /** Received versions ignored because they were already past the removal point. */
  public long staleIgnored() {
    return staleIgnored;
  }

  /** Tombstones and expired values removed. */
  public long removed() {
    return removed;
  }

  /** The stored version of a key (tombstones and expired values included), or null. */
  public Entry get(StoreKey key) {
    return store.get(key);
  }

  // ------------------------------------------------------------------ durability

  /** Number of the latest local write (0 before the first); each local write that changes a key takes the next. */
  public long writeSeq() {
    return writeSeq;
  }

  /** Local writes up to this number are durable (0 before any is). */
  public long durableSeq() {
    return durableSeq;
  }

  /**
   * True while {@code key} has a local write not yet reported durable: its current version must not
   * leave the node (a crash could still take the write back).
   */
  public boolean awaitingDurability(StoreKey key) {
    return !undurableKeys.isEmpty() && undurableKeys.containsKey(key);
  }

  /**
   * The driver reports that local writes {@code 1..seq} are durable (a sync that started after write
   * {@code seq} was applied has finished). A number at or below {@link #durableSeq()} changes
   * nothing. Driver thread.
   *
   * @return the keys that have no write awaiting durability any more, in write order: their current
   *     versions may now be spread
   * @throws IllegalArgumentException if {@code seq} is above {@link #writeSeq()}
   */
  public List<StoreKey> markDurable(long seq) {
    if (seq > writeSeq) {
      throw new IllegalArgumentException(
          "write " + seq + " reported durable, but the latest local write is " + writeSeq);
    }
    if (seq <= durableSeq) {
      return List.of();
    }
    durableSeq = seq;
    List<StoreKey> done = new ArrayList<>();
    while (!undurable.isEmpty() && undurable.peek().seq <= seq) {
      StoreKey k = undurable.poll().key;
      Long last = undurableKeys.get(k);
      if (last != null && last <= seq) {
        undurableKeys.remove(k);
        done.add(k);
      }
    }
    return done;
  }

  // ------------------------------------------------------------------ local operations

  /**
   * Writes a value: in the store at once, acknowledged once durable (see the class doc).
   *
   * @param ttlMillis time to live, 0 for none
   * @return the version written
   * @throws IllegalArgumentException for a bad map name, key or value, with a one-line reason
   */
  public Entry put(long physicalMillis, String map, String key, byte[] value, long ttlMillis) {
    StoreKey k = checkKey(map, key);
    if (value == null) {
      throw new IllegalArgumentException("value must not be null");
    }
    if (value.length > config.valueMaxBytes) {
      throw new IllegalArgumentException(
          "value is " + value.length + " bytes, above valueMaxBytes " + config.valueMaxBytes);
    }
    if (ttlMillis < 0) {
      throw new IllegalArgumentException("ttl must be zero (none) or positive, got " + ttlMillis + " ms");
    }
    long ts = hlc.next(physicalMillis);
    long expires = ttlMillis == 0 ? 0 : Hlc.physicalOf(ts) + ttlMillis;
    return applyLocal(Entry.value(k, ts, replicaId, value, expires));
  }

  /** Deletes a key (writes a tombstone, whether or not a value is known here). */
  public Entry delete(long physicalMillis, String map, String key) {
    StoreKey k = checkKey(map, key);
    return applyLocal(Entry.tombstone(k, hlc.next(physicalMillis), replicaId));
  }

  /**
   * Adds {@code delta} (negative to decrement) to a PN-counter.
   *
   * @throws IllegalStateException if the key holds a live value or set
   */
  public Entry increment(long physicalMillis, String map, String key, long delta) {
    StoreKey k = checkKey(map, key);
    Entry cur = store.get(k);
    long[] gen = generationFor(cur, Entry.Kind.COUNTER, physicalMillis);
    PnCounter base = cur != null && cur.kind() == Entry.Kind.COUNTER ? cur.counter() : PnCounter.EMPTY;
    long ts = hlc.next(physicalMillis);
    return applyLocal(Entry.counter(k, gen[0], genOrigin(cur, gen), ts, base.add(replicaId, delta)));
  }

  /** Adds an element to an OR-set. @throws IllegalStateException if the key holds a live value or counter */
  public Entry addToSet(long physicalMillis, String map, String key, String element) {
    StoreKey k = checkKey(map, key);
    checkElement(element);
    Entry cur = store.get(k);
    long[] gen = generationFor(cur, Entry.Kind.SET, physicalMillis);
    OrSet base = cur != null && cur.kind() == Entry.Kind.SET ? cur.set() : OrSet.EMPTY;
    long ts = hlc.next(physicalMillis);
    return applyLocal(Entry.set(k, gen[0], genOrigin(cur, gen), ts, base.add(element, new Tag(replicaId, ts))));
  }

  /** Removes an element (the adds observed here) from an OR-set; a concurrent add elsewhere survives. */
  public Entry removeFromSet(long physicalMillis, String map, String key, String element) {
    StoreKey k = checkKey(map, key);
    checkElement(element);
    Entry cur = store.get(k);
    if (cur == null || cur.kind() != Entry.Kind.SET || !cur.set().contains(element)) {
      if (cur != null && cur.isLive(physicalMillis) && cur.kind() != Entry.Kind.SET) {
        throw new IllegalStateException("key '" + k.key() + "' in map '" + k.map() + "' holds a "
            + cur.kind().name().toLowerCase() + ", not a set");
      }
      return cur;
    }
    long ts = hlc.next(physicalMillis);
    return applyLocal(Entry.set(k, cur.genHlc(), cur.genOrigin(), ts, cur.set().remove(element)));
  }

  /** Generation an update of {@code kind} continues: the current one, or (0, "") for a new key. */
  private static long[] generationFor(Entry cur, Entry.Kind kind, long physicalMillis) {
    if (cur == null) {
      return new long[] {0, 0};
    }
    if (cur.kind() != kind && cur.isLive(physicalMillis)) {
      throw new IllegalStateException("key '" + cur.key().key() + "' in map '" + cur.key().map() + "' holds a "
          + cur.kind().name().toLowerCase() + ", not a " + kind.name().toLowerCase());
    }
    return new long[] {cur.genHlc(), 1};
  }

  private static String genOrigin(Entry cur, long[] gen) {
    return gen[1] == 0 ? "" : cur.genOrigin();
  }

  private void checkElement(String element) {
    String p = Names.keyProblem(element, config.keyMaxBytes);
    if (p != null) {
      throw new IllegalArgumentException("set element: " + p.replace("key", "element"));
    }
  }

  private StoreKey checkKey(String map, String key) {
    Names.checkMap(map);
    Names.checkKey(key, config.keyMaxBytes);
    return new StoreKey(map, key);
  }

  private Entry applyLocal(Entry e) {
    if (e.encodedSize() > AntiEntropyConfig.MAX_ENTRY_BYTES) {
      throw new IllegalArgumentException("entry for '" + e.key() + "' would be " + e.encodedSize()
          + " bytes encoded, above the limit of " + AntiEntropyConfig.MAX_ENTRY_BYTES);
    }
    Entry cur = store.get(e.key());
    Entry merged = cur == null ? e : Entry.merge(cur, e);
    if (cur != null && merged == cur) {
      return cur;
    }
    store.write(List.of(merged), List.of(), false);
    installed(cur, merged, true);
    long seq = ++writeSeq;
    // Recorded before asking: if the request throws (a blocking sync failed), the write stays
    // pending until a later sync covers it.
    undurable.add(new Pending(seq, merged.key()));
    undurableKeys.put(merged.key(), seq);
    if (durability.requestSync(seq)) {
      markDurable(seq);
    }
    return merged;
  }

  // ------------------------------------------------------------------ remote versions

  /**
   * Merges versions from a peer as one batch (one store write, not forced to disk).
   *
   * @return the versions that changed this replica, as now stored
   */
  public List<Entry> merge(List<Entry> incoming, long physicalMillis) {
    List<Entry> changed = new ArrayList<>();
    List<Entry> before = new ArrayList<>();
    for (Entry in : incoming) {
      if (in.removableAtMillis(graceMillis) <= physicalMillis) {
        staleIgnored++;
        continue;
      }
      hlc.observe(in.hlc(), physicalMillis);
      Entry cur = store.get(in.key());
      // A key may come twice in one batch: merge with what this batch already produced.
      for (int i = changed.size() - 1; i >= 0; i--) {
        if (changed.get(i).key().equals(in.key())) {
          cur = changed.get(i);
          break;
        }
      }
      Entry merged = cur == null ? in : Entry.merge(cur, in);
      if (cur != null && (merged == cur || merged.equals(cur))) {
        continue;
      }
      changed.add(merged);
      before.add(cur);
    }
    if (!changed.isEmpty()) {
      store.write(changed, List.of(), false);
      for (int i = 0; i < changed.size(); i++) {
        installed(before.get(i), changed.get(i), false);
      }
    }
    return changed;
  }

  private void installed(Entry before, Entry after, boolean local) {
    tree.put(after.key(), MerkleTree.keyHash(after.key()), after.hash());
    scheduleRemoval(after);
    for (Listener l : listeners) {
      l.onChange(before, after, local);
    }
  }

  // ------------------------------------------------------------------ removal of tombstones

  private void scheduleRemoval(Entry e) {
    long at = e.removableAtMillis(graceMillis);
    if (at != Long.MAX_VALUE) {
      removals.add(new Removal(at, e.key()));
    }
  }

  /** When {@link #collectGarbage} next has work, or {@link Long#MAX_VALUE}. */
  public long nextRemovalMillis() {
    Removal r = removals.peek();
    return r == null ? Long.MAX_VALUE : r.atMillis;
  }

  /**
   * Removes tombstones and expired values past the grace period (see the class doc).
   *
   * @return number removed
   */
  public int collectGarbage(long physicalMillis) {
    java.util.LinkedHashSet<StoreKey> gone = new java.util.LinkedHashSet<>();
    while (!removals.isEmpty() && removals.peek().atMillis <= physicalMillis) {
      StoreKey k = removals.poll().key;
      Entry cur = store.get(k);
      if (cur != null && cur.removableAtMillis(graceMillis) <= physicalMillis) {
        gone.add(k);
      }
    }
    if (!gone.isEmpty()) {
      store.write(List.of(), new ArrayList<>(gone), false);
      for (StoreKey k : gone) {
        tree.remove(k, MerkleTree.keyHash(k));
      }
      removed += gone.size();
    }
    return gone.size();
  }
}
