// SPDX-License-Identifier: Apache-2.0
package io.grapevine.runtime;

import io.grapevine.KvChange;
import io.grapevine.ReplicatedMap;
import io.grapevine.antientropy.AntiEntropy;
import io.grapevine.config.AntiEntropyConfig;
import io.grapevine.api.AntiEntropyStats;
import io.grapevine.antientropy.Durability;
import io.grapevine.antientropy.Entry;
import io.grapevine.antientropy.InMemoryReplicaStore;
import io.grapevine.antientropy.Names;
import io.grapevine.antientropy.Replica;
import io.grapevine.antientropy.ReplicaStore;
import io.grapevine.antientropy.ReplicaStoreProvider;
import io.grapevine.antientropy.StoreKey;
import io.grapevine.node.Outbox;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The replicated store of one node in the socket runtime: the {@link Replica} (in memory, or in an
 * MVStore file under the data directory), its {@link AntiEntropy} extension attached to the node's
 * membership, and the thread-safe {@link ReplicatedMap} facades. Writes run on the event loop (the
 * protocol's only thread) and complete when durable; reads go straight to the store.
 *
 * <p><b>Durability off the loop.</b> The event loop may serve many nodes and answers their
 * membership probes, so it never waits for the disk. A local write is applied on the loop and the
 * replica asks for a sync ({@link Durability}); with a {@link ReplicaStore#persistent() persistent}
 * store a thread of this service runs {@link ReplicaStore#sync()} (commit + fsync), one at a time.
 * Requests that arrive while a sync runs are covered by the next one, which starts as soon as the
 * running one returns: group commit, so a slow disk makes groups larger rather than the loop slower.
 * When a sync returns, the loop is told ({@link AntiEntropy#onDurable}) and the futures of the
 * writes it covered complete. An in-memory store needs no sync and no thread: its writes complete
 * in the same loop task.
 */
public final class KvService {
  private static final Logger log = LoggerFactory.getLogger(KvService.class);
  private static final long WAIT_SECONDS = 30;

  /** Runs a call into the protocol on the loop thread and re-arms the node's timers afterwards. */
  public interface Stepper {
    <T> CompletableFuture<T> submit(BiFunction<Long, Outbox, T> call);
  }

  private record Watcher(String map, String prefix, Consumer<KvChange> listener) {}

  /** A write waiting for the sync covering local write {@code seq}. */
  private record Waiter(long seq, Runnable complete, CompletableFuture<?> future) {}

  private final String nodeName;
  private final ReplicaStore store;
  private final Replica replica;
  private final AntiEntropy extension;
  private final Stepper stepper;
  private final ConcurrentHashMap<String, ReplicatedMap> maps = new ConcurrentHashMap<>();
  private final List<Watcher> watchers = new CopyOnWriteArrayList<>();
  /** Null for a store that needs no sync. */
  private final GroupCommit commits;
  /** Writes waiting for a sync, in sequence order. Loop thread, except in {@link #close()}: guarded by itself. */
  private final ArrayDeque<Waiter> waiters = new ArrayDeque<>();
  private volatile boolean closed;

  private KvService(String nodeName, ReplicaStore store, Replica replica, AntiEntropy extension, Stepper stepper,
      GroupCommit commits) {
    this.nodeName = nodeName;
    this.store = store;
    this.replica = replica;
    this.extension = extension;
    this.stepper = stepper;
    this.commits = commits;
    replica.addListener(this::onChange);
  }

  /**
   * Opens the store, wraps it with {@code storeDecorator}, and builds the replica.
   *
   * @param dataDir null for an in-memory replica
   * @param incarnation this process life's incarnation: makes the replica id unique per life when
   *     nothing is kept on disk
   * @param loopNowMillis the loop clock now, to derive the wall-clock offset
   * @param storeDecorator wraps the store the replica uses (tests: a slow disk); identity for none
   */
  public static KvService create(String nodeName, long incarnation, Path dataDir, AntiEntropyConfig config,
      RandomGenerator random, long loopNowMillis, Stepper stepper, UnaryOperator<ReplicaStore> storeDecorator) {
    ReplicaStore opened = dataDir == null ? new InMemoryReplicaStore() : durableStores().open(dataDir, config);
    ReplicaStore store = opened;
    try {
      store = storeDecorator.apply(opened);
      String replicaId = dataDir == null ? nodeName + "@" + incarnation : nodeName;
      GroupCommit commits = store.persistent() ? new GroupCommit(nodeName) : null;
      Replica replica = new Replica(replicaId, store, config, commits == null ? Durability.IMMEDIATE : commits);
      long offset = System.currentTimeMillis() - loopNowMillis;
      AntiEntropy ext = new AntiEntropy(replica, random, offset);
      if (dataDir != null) {
        log.info("{}: replicated store at {} holds {} entries", nodeName, dataDir, store.size());
      }
      KvService service = new KvService(nodeName, store, replica, ext, stepper, commits);
      if (commits != null) {
        commits.service = service;
      }
      return service;
    } catch (RuntimeException e) {
      store.close();
      if (store != opened) {
        opened.close();
      }
      throw e;
    }
  }

  /**
   * The durable store's provider (grapevine-store's, found through {@link java.util.ServiceLoader}).
   *
   * @throws IllegalStateException in one line when none is on the classpath
   */
  static ReplicaStoreProvider durableStores() {
    return java.util.ServiceLoader.load(ReplicaStoreProvider.class, KvService.class.getClassLoader()).findFirst()
        .orElseThrow(() -> new IllegalStateException(NO_DURABLE_STORE));
  }

  /** Said when a data directory is set but no durable store is on the classpath. */
  static final String NO_DURABLE_STORE = "a data directory needs the durable store on the classpath "
      + "(io.grapevine:grapevine-store); add it, or leave dataDir unset to keep the replicated store in memory";

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

  /**
   * Closes the store; call on the loop thread after the node stopped stepping. A sync in progress
   * is waited for (up to 5 s); writes still waiting for one are synced here and completed, or
   * failed if that sync fails. Idempotent.
   */
  public void close() {
    synchronized (waiters) {
      if (closed) {
        return;
      }
      closed = true;
    }
    if (commits != null) {
      commits.shutdown();
    }
    List<Waiter> left;
    synchronized (waiters) {
      left = new ArrayList<>(waiters);
      waiters.clear();
    }
    RuntimeException failure = null;
    if (!left.isEmpty()) {
      try {
        store.sync();
      } catch (RuntimeException e) {
        failure = e;
      }
    }
    for (Waiter w : left) {
      if (failure == null) {
        w.complete.run();
      } else {
        w.future.completeExceptionally(new IllegalStateException(
            "node " + nodeName + " closed before the write was durable: " + failure.getMessage(), failure));
      }
    }
    store.close();
  }

  // ------------------------------------------------------------------ durability

  /**
   * Runs a local write on the loop; the returned future completes with its result once the write is
   * durable (at once over a store that needs no sync), or fails as the call or the sync failed.
   */
  private <T> CompletableFuture<T> write(BiFunction<Long, Outbox, T> call) {
    CompletableFuture<T> result = new CompletableFuture<>();
    stepper.submit((now, out) -> {
      T value = call.apply(now, out);
      Runnable complete = () -> result.complete(value);
      // The latest local write: this call's, or (if it changed nothing) the one whose state it saw.
      long seq = replica.writeSeq();
      if (seq <= replica.durableSeq()) {
        return complete;
      }
      synchronized (waiters) {
        if (closed) {
          throw new IllegalStateException("node " + nodeName + " is closed");
        }
        waiters.add(new Waiter(seq, complete, result));
      }
      return null;
    }).whenComplete((complete, error) -> {
      if (error != null) {
        result.completeExceptionally(error instanceof CompletionException && error.getCause() != null
            ? error.getCause() : error);
      } else if (complete != null) {
        complete.run();
      }
    });
    return result;
  }

  /** Loop thread: a sync that started after local write {@code seq} has returned (error null) or failed. */
  private void synced(long now, Outbox out, long seq, RuntimeException error) {
    if (closed) {
      return;
    }
    List<Waiter> done = new ArrayList<>();
    synchronized (waiters) {
      while (!waiters.isEmpty() && waiters.peek().seq <= seq) {
        done.add(waiters.poll());
      }
    }
    if (error == null) {
      extension.onDurable(now, seq, out);
      done.forEach(w -> w.complete.run());
    } else {
      // The writes stay applied here and a later sync makes them durable; their callers learn that
      // this one failed (the outcome of a failed write is unknown).
      log.error("{}: replicated store sync failed; {} writes not acknowledged", nodeName, done.size(), error);
      IllegalStateException failure =
          new IllegalStateException("node " + nodeName + ": store sync failed: " + error.getMessage(), error);
      done.forEach(w -> w.future.completeExceptionally(failure));
    }
  }

  /**
   * The {@link Durability} of a persistent store: syncs on a thread of its own, one sync at a time,
   * each covering every request made before it started. State is the loop thread's; the sync
   * thread only runs {@link ReplicaStore#sync()} and posts the outcome back through the stepper.
   */
  private static final class GroupCommit implements Durability {
    private final String nodeName;
    private final ExecutorService thread;
    /** Set once, right after construction, before any write. */
    private KvService service;
    /** Highest write number asked for. */
    private long requested;
    private boolean syncing;
    private volatile Thread loopThread;

    GroupCommit(String nodeName) {
      this.nodeName = nodeName;
      this.thread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "grapevine-sync-" + nodeName);
        t.setDaemon(true);
        return t;
      });
    }

    @Override
    public boolean requestSync(long seq) {
      loopThread = Thread.currentThread();
      requested = Math.max(requested, seq);
      if (!syncing) {
        start();
      }
      return false;
    }

    private void start() {
      long target = requested;
      syncing = true;
      try {
        thread.execute(() -> runSync(target));
      } catch (RejectedExecutionException e) {
        // Closing: close() syncs what is left.
        syncing = false;
      }
    }

    /** Sync thread. */
    private void runSync(long target) {
      RuntimeException error = null;
      try {
        service.store.sync();
      } catch (RuntimeException e) {
        error = e;
      }
      RuntimeException outcome = error;
      try {
        service.stepper.submit((now, out) -> {
          finished(now, out, target, outcome);
          return null;
        });
      } catch (RuntimeException e) {
        // The loop is closed: close() completes or fails what is left.
      }
    }

    /** Loop thread. */
    private void finished(long now, Outbox out, long target, RuntimeException error) {
      syncing = false;
      service.synced(now, out, target, error);
      if (!service.closed && requested > Math.max(target, service.replica.durableSeq())) {
        start();
      }
    }

    /** True on the thread that steps the replica. */
    boolean onLoopThread() {
      return Thread.currentThread() == loopThread;
    }

    void shutdown() {
      thread.shutdown();
      try {
        if (!thread.awaitTermination(5, TimeUnit.SECONDS)) {
          log.warn("{}: a replicated store sync still runs after 5 s; closing the store anyway", nodeName);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
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
    if (!f.isDone() && commits != null && commits.onLoopThread()) {
      // A blocking write on the loop thread itself (from a listener or watcher): the sync thread
      // reports through the loop, which this call holds, so sync here, as the loop used to.
      stepper.submit((now, out) -> {
        long seq = replica.writeSeq();
        RuntimeException error = null;
        try {
          store.sync();
        } catch (RuntimeException e) {
          error = e;
        }
        synced(now, out, seq, error);
        return null;
      });
    }
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
      return write((now, out) -> {
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
      return write((now, out) -> {
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
      return await(write((now, out) -> extension.increment(now, name, key, delta, out).counter().value()));
    }

    @Override
    public long counter(String key) {
      Entry e = replica.get(new StoreKey(name, key));
      return e != null && e.kind() == Entry.Kind.COUNTER ? e.counter().value() : 0;
    }

    @Override
    public void addToSet(String key, String element) {
      await(write((now, out) -> extension.addToSet(now, name, key, element, out)));
    }

    @Override
    public void removeFromSet(String key, String element) {
      await(write((now, out) -> extension.removeFromSet(now, name, key, element, out)));
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
