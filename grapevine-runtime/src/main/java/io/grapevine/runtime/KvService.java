package io.grapevine.runtime;

import io.grapevine.KvChange;
import io.grapevine.ReplicatedMap;
import io.grapevine.antientropy.AntiEntropy;
import io.grapevine.antientropy.AntiEntropyConfig;
import io.grapevine.antientropy.AntiEntropyStats;
import io.grapevine.antientropy.Entry;
import io.grapevine.antientropy.InMemoryReplicaStore;
import io.grapevine.antientropy.Names;
import io.grapevine.antientropy.Replica;
import io.grapevine.antientropy.ReplicaStore;
import io.grapevine.antientropy.StoreKey;
import io.grapevine.node.Outbox;
import io.grapevine.store.MvReplicaStore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The replicated store of one node in the socket runtime: the {@link Replica} (in memory, or in an
 * MVStore file under the data directory), its {@link AntiEntropy} extension attached to the node's
 * membership, and the thread-safe {@link ReplicatedMap} facades. Writes run on the event loop (the
 * protocol's only thread) and complete when durable; reads go straight to the store.
 */
public final class KvService {
  private static final Logger log = LoggerFactory.getLogger(KvService.class);
  private static final long WAIT_SECONDS = 30;

  /** Runs a call into the protocol on the loop thread and re-arms the node's timers afterwards. */
  public interface Stepper {
    <T> CompletableFuture<T> submit(BiFunction<Long, Outbox, T> call);
  }

  private record Watcher(String map, String prefix, Consumer<KvChange> listener) {}

  private final String nodeName;
  private final ReplicaStore store;
  private final Replica replica;
  private final AntiEntropy extension;
  private final Stepper stepper;
  private final ConcurrentHashMap<String, ReplicatedMap> maps = new ConcurrentHashMap<>();
  private final List<Watcher> watchers = new CopyOnWriteArrayList<>();

  private KvService(String nodeName, ReplicaStore store, Replica replica, AntiEntropy extension, Stepper stepper) {
    this.nodeName = nodeName;
    this.store = store;
    this.replica = replica;
    this.extension = extension;
    this.stepper = stepper;
    replica.addListener(this::onChange);
  }

  /**
   * Opens the store and builds the replica.
   *
   * @param dataDir null for an in-memory replica
   * @param incarnation this process life's incarnation: makes the replica id unique per life when
   *     nothing is kept on disk
   * @param loopNowMillis the loop clock now, to derive the wall-clock offset
   */
  public static KvService create(String nodeName, long incarnation, Path dataDir, AntiEntropyConfig config,
      RandomGenerator random, long loopNowMillis, Stepper stepper) {
    ReplicaStore store = dataDir == null ? new InMemoryReplicaStore() : MvReplicaStore.open(dataDir, config);
    try {
      String replicaId = dataDir == null ? nodeName + "@" + incarnation : nodeName;
      Replica replica = new Replica(replicaId, store, config);
      long offset = System.currentTimeMillis() - loopNowMillis;
      AntiEntropy ext = new AntiEntropy(replica, random, offset);
      if (dataDir != null) {
        log.info("{}: replicated store at {} holds {} entries", nodeName, dataDir, store.size());
      }
      return new KvService(nodeName, store, replica, ext, stepper);
    } catch (RuntimeException e) {
      store.close();
      throw e;
    }
  }

  /** The protocol extension to attach to the node's membership. */
  public AntiEntropy extension() {
    return extension;
  }

  public Replica replica() {
    return replica;
  }

  /** The facade of map {@code name}. @throws IllegalArgumentException for a bad map name */
  public ReplicatedMap map(String name) {
    String problem = Names.mapNameProblem(name);
    if (problem != null) {
      throw new IllegalArgumentException(problem);
    }
    return maps.computeIfAbsent(name, MapFacade::new);
  }

  /** Closes the store; call on the loop thread after the node stopped stepping. */
  public void close() {
    store.close();
  }

  private void onChange(Entry before, Entry after, boolean local) {
    if (watchers.isEmpty()) {
      return;
    }
    StoreKey k = after.key();
    KvChange change = new KvChange(k.map(), k.key(), after, local);
    for (Watcher w : watchers) {
      if (w.map.equals(k.map()) && k.key().startsWith(w.prefix)) {
        try {
          w.listener.accept(change);
        } catch (RuntimeException e) {
          log.error("{}: watcher of {}/{}* failed on {}", nodeName, w.map, w.prefix, k, e);
        }
      }
    }
  }

  private <T> T await(CompletableFuture<T> f) {
    try {
      return f.get(WAIT_SECONDS, TimeUnit.SECONDS);
    } catch (ExecutionException | CompletionException e) {
      Throwable c = e.getCause();
      if (c instanceof RuntimeException re) {
        throw re;
      }
      throw new IllegalStateException(c);
    } catch (TimeoutException e) {
      throw new IllegalStateException("node " + nodeName + ": write not acknowledged within " + WAIT_SECONDS + " s");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for a write");
    }
  }

  private final class MapFacade implements ReplicatedMap {
    private final String name;

    MapFacade(String name) {
      this.name = name;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public void put(String key, byte[] value) {
      await(putAsync(key, value, null));
    }

    @Override
    public void put(String key, byte[] value, Duration ttl) {
      await(putAsync(key, value, ttl));
    }

    @Override
    public CompletableFuture<Void> putAsync(String key, byte[] value, Duration ttl) {
      if (value == null) {
        throw new IllegalArgumentException("value must not be null");
      }
      if (ttl != null && ttl.isNegative()) {
        throw new IllegalArgumentException("ttl must not be negative, got " + ttl);
      }
      byte[] copy = value.clone();
      long ttlMillis = ttl == null ? 0 : Math.max(ttl.toMillis(), ttl.isZero() ? 0 : 1);
      return stepper.submit((now, out) -> {
        extension.put(now, name, key, copy, ttlMillis, out);
        return null;
      });
    }

    @Override
    public Optional<byte[]> get(String key) {
      Entry e = replica.get(new StoreKey(name, key));
      if (e == null || e.kind() != Entry.Kind.VALUE || !e.isLive(System.currentTimeMillis())) {
        return Optional.empty();
      }
      return Optional.of(e.value());
    }

    @Override
    public void delete(String key) {
      await(deleteAsync(key));
    }

    @Override
    public CompletableFuture<Void> deleteAsync(String key) {
      return stepper.submit((now, out) -> {
        extension.delete(now, name, key, out);
        return null;
      });
    }

    @Override
    public SortedMap<String, byte[]> scan(String prefix) {
      TreeMap<String, byte[]> out = new TreeMap<>();
      long now = System.currentTimeMillis();
      store.scan(name, prefix == null ? "" : prefix, e -> {
        if (e.kind() == Entry.Kind.VALUE && e.isLive(now)) {
          out.put(e.key().key(), e.value());
        }
      });
      return out;
    }

    @Override
    public long increment(String key, long delta) {
      return await(stepper.submit((now, out) -> extension.increment(now, name, key, delta, out).counter().value()));
    }

    @Override
    public long counter(String key) {
      Entry e = replica.get(new StoreKey(name, key));
      return e != null && e.kind() == Entry.Kind.COUNTER ? e.counter().value() : 0;
    }

    @Override
    public void addToSet(String key, String element) {
      await(stepper.submit((now, out) -> extension.addToSet(now, name, key, element, out)));
    }

    @Override
    public void removeFromSet(String key, String element) {
      await(stepper.submit((now, out) -> extension.removeFromSet(now, name, key, element, out)));
    }

    @Override
    public Set<String> members(String key) {
      Entry e = replica.get(new StoreKey(name, key));
      return e != null && e.kind() == Entry.Kind.SET ? e.set().elements() : Collections.emptySet();
    }

    @Override
    public AutoCloseable watch(String prefix, Consumer<KvChange> listener) {
      Watcher w = new Watcher(name, prefix == null ? "" : prefix, listener);
      watchers.add(w);
      return () -> watchers.remove(w);
    }

    @Override
    public AntiEntropyStats stats() {
      return extension.stats();
    }

    @Override
    public String toString() {
      return "ReplicatedMap[" + name + " on " + nodeName + "]";
    }
  }
}
