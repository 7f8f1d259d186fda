// SPDX-License-Identifier: Apache-2.0
package io.grapevine.runtime;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.PriorityQueue;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One thread that drives any number of nodes: socket readiness (one NIO {@link Selector} for every
 * channel of every node), a timer queue and a task queue.
 *
 * <p>Everything a node does happens on this thread, so protocol state needs no locks; public API
 * calls from other threads are {@link #execute submitted} as tasks and the selector is woken. When
 * there is nothing to do the thread parks in {@code select(timeout)} until the earliest timer: no
 * busy spinning. A hundred nodes in one JVM can share one loop.
 *
 * <p>Time is {@link #nowMillis()}: monotonic milliseconds from {@link System#nanoTime()} unless a
 * clock is injected. An exception thrown by a task, timer or I/O handler is logged and counted
 * ({@link #errors()}); it never stops the loop.
 */
public final class EventLoop implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EventLoop.class);
  private static final AtomicLong THREAD_IDS = new AtomicLong();

  /** Reacts to readiness of a registered channel. Runs on the loop thread. */
  @FunctionalInterface
  public interface IoHandler {
    void onReady(SelectionKey key) throws IOException;
  }

  /** A scheduled action; {@link #cancel()} is cheap (lazy removal) and loop-thread only. */
  public static final class Timer implements Comparable<Timer> {
    final long deadlineMillis;
    final long seq;
    final Runnable action;
    boolean cancelled;

    Timer(long deadlineMillis, long seq, Runnable action) {
      this.deadlineMillis = deadlineMillis;
      this.seq = seq;
      this.action = action;
    }

    /** Prevents the action from running, if it has not run yet. */
    public void cancel() {
      cancelled = true;
    }

    public long deadlineMillis() {
      return deadlineMillis;
    }

    @Override
    public int compareTo(Timer o) {
      int c = Long.compare(deadlineMillis, o.deadlineMillis);
      return c != 0 ? c : Long.compare(seq, o.seq);
    }
  }

  private final Selector selector;
  private final Thread thread;
  private final LongSupplier clock;
  private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
  private final PriorityQueue<Timer> timers = new PriorityQueue<>();
  private final AtomicLong errors = new AtomicLong();
  private final AtomicLong wakeups = new AtomicLong();
  private final AtomicLong iterations = new AtomicLong();
  private long timerSeq;
  private boolean inKeyProcessing;
  private ByteBuffer receiveBuffer;
  private volatile boolean running = true;
  private final CompletableFuture<Void> terminated = new CompletableFuture<>();

  /** A loop on the monotonic system clock, with its own daemon thread, started at once. */
  public EventLoop() {
    this("grapevine-loop-" + THREAD_IDS.incrementAndGet(), () -> System.nanoTime() / 1_000_000L);
  }

  /**
   * A loop with a named thread and an injected clock (monotonic milliseconds). Tests may pass a
   * clock that runs ahead of real time; the loop still waits in real time between timers, bounded
   * by what the clock reports.
   */
  public EventLoop(String threadName, LongSupplier clockMillis) {
    try {
      this.selector = Selector.open();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open a selector", e);
    }
    this.clock = clockMillis;
    this.thread = new Thread(this::run, threadName);
    thread.setDaemon(true);
    thread.start();
  }

  /** Current loop time, monotonic milliseconds. Any thread. */
  public long nowMillis() {
    return clock.getAsLong();
  }

  /** True when called on this loop's thread. */
  public boolean inLoop() {
    return Thread.currentThread() == thread;
  }

  /** Queues {@code task} to run on the loop thread and wakes the loop. Any thread. */
  public void execute(Runnable task) {
    if (!running) {
      throw new IllegalStateException("event loop " + thread.getName() + " is closed");
    }
    tasks.add(task);
    if (!inLoop()) {
      wakeups.incrementAndGet();
      selector.wakeup();
    }
  }

  /** Runs {@code action} on the loop thread and returns its result as a future. Any thread. */
  public <T> CompletableFuture<T> submit(Supplier<T> action) {
    CompletableFuture<T> f = new CompletableFuture<>();
    if (inLoop()) {
      try {
        f.complete(action.get());
      } catch (RuntimeException e) {
        f.completeExceptionally(e);
      }
      return f;
    }
    execute(() -> {
      try {
        f.complete(action.get());
      } catch (RuntimeException e) {
        f.completeExceptionally(e);
      }
    });
    return f;
  }

  /**
   * Runs {@code action} on the loop thread and waits for it (directly if already there).
   *
   * @throws IllegalStateException if the loop does not answer within 10 s (it is stuck or closed)
   */
  public <T> T call(Supplier<T> action) {
    if (inLoop()) {
      return action.get();
    }
    try {
      return submit(action).get(10, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException re) {
        throw re;
      }
      throw new IllegalStateException(e.getCause());
    } catch (TimeoutException e) {
      throw new IllegalStateException("event loop " + thread.getName() + " did not answer within 10 s");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for the event loop");
    }
  }

  /** Schedules {@code action} at loop time {@code deadlineMillis}. Loop thread only. */
  public Timer schedule(long deadlineMillis, Runnable action) {
    assertInLoop();
    Timer t = new Timer(deadlineMillis, timerSeq++, action);
    timers.add(t);
    return t;
  }

  /** Schedules {@code action} {@code delayMillis} from now. Loop thread only. */
  public Timer scheduleAfter(long delayMillis, Runnable action) {
    return schedule(nowMillis() + delayMillis, action);
  }

  /** Registers {@code channel} (non-blocking) with this loop's selector. Loop thread only. */
  public SelectionKey register(SelectableChannel channel, int ops, IoHandler handler)
      throws ClosedChannelException {
    assertInLoop();
    return channel.register(selector, ops, handler);
  }

  /**
   * Makes the selector drop the keys of channels closed since the last select, so their sockets are
   * released now (a restarted node can bind the same port at once). Loop thread only.
   */
  public void flushCancelledKeys() {
    assertInLoop();
    if (inKeyProcessing) {
      // Selecting now would change the selected-key set under the iteration; the next turn's select
      // drops the keys anyway.
      return;
    }
    try {
      // Ready keys it finds stay in the selected set and are handled on the next turn.
      selector.selectNow();
    } catch (IOException e) {
      log.debug("selectNow failed", e);
    }
  }

  /**
   * A receive buffer shared by every transport on this loop, at least {@code capacity} bytes, cleared.
   * Safe because reads happen one at a time on this thread and receivers must not keep the buffer;
   * it saves a 64 KiB datagram buffer per node when a hundred nodes share the loop. Loop thread only.
   */
  public ByteBuffer sharedReceiveBuffer(int capacity) {
    assertInLoop();
    if (receiveBuffer == null || receiveBuffer.capacity() < capacity) {
      receiveBuffer = ByteBuffer.allocateDirect(capacity);
    }
    receiveBuffer.clear();
    return receiveBuffer;
  }

  /** Exceptions caught from tasks, timers and handlers since start. */
  public long errors() {
    return errors.get();
  }

  /** Loop iterations so far (each is one select): shows the loop parks rather than spins. */
  public long iterations() {
    return iterations.get();
  }

  /** Pending timers (including cancelled ones not yet removed). */
  public int timerCount() {
    return call(timers::size);
  }

  /** CPU time used by the loop thread so far, in nanoseconds, or -1 if the JVM cannot measure it. */
  public long cpuTimeNanos() {
    java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
    if (!mx.isThreadCpuTimeSupported()) {
      return -1;
    }
    @SuppressWarnings("deprecation") // Thread.threadId() is Java 19+; the baseline is 17.
    long id = thread.getId();
    return mx.getThreadCpuTime(id);
  }

  public String threadName() {
    return thread.getName();
  }

  /** Stops the loop and closes its selector; channels still registered are closed too. Idempotent. */
  @Override
  public void close() {
    if (!running) {
      return;
    }
    running = false;
    selector.wakeup();
    if (!inLoop()) {
      try {
        terminated.get(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (ExecutionException | TimeoutException e) {
        log.warn("event loop {} did not stop cleanly: {}", thread.getName(), e.toString());
      }
    }
  }

  private void assertInLoop() {
    if (!inLoop()) {
      throw new IllegalStateException("must be called on the event-loop thread " + thread.getName());
    }
  }

  private void run() {
    try {
      while (running) {
        iterations.incrementAndGet();
        long timeout = selectTimeoutMillis();
        if (timeout == 0) {
          selector.selectNow();
        } else {
          selector.select(timeout);
        }
        processKeys();
        runTimers();
        runTasks();
      }
    } catch (IOException | RuntimeException e) {
      log.error("event loop {} failed; closing it", thread.getName(), e);
    } finally {
      running = false;
      for (SelectionKey key : selector.keys()) {
        closeQuietly(key);
      }
      try {
        selector.close();
      } catch (IOException e) {
        log.debug("selector close failed", e);
      }
      // Tasks queued after the last turn: run them so waiting callers are not left hanging.
      Runnable task;
      while ((task = tasks.poll()) != null) {
        safely(task);
      }
      terminated.complete(null);
    }
  }

  /** 0 = poll, otherwise the wait until the next timer (at least 1 ms, at most 1 s). */
  private long selectTimeoutMillis() {
    if (!tasks.isEmpty()) {
      return 0;
    }
    Timer next = timers.peek();
    while (next != null && next.cancelled) {
      timers.poll();
      next = timers.peek();
    }
    if (next == null) {
      return 1000;
    }
    long wait = next.deadlineMillis - nowMillis();
    if (wait <= 0) {
      return 0;
    }
    return Math.min(wait, 1000);
  }

  private void processKeys() {
    var selected = selector.selectedKeys();
    if (selected.isEmpty()) {
      return;
    }
    var it = selected.iterator();
    inKeyProcessing = true;
    try {
      processSelected(it);
    } finally {
      inKeyProcessing = false;
    }
  }

  private void processSelected(java.util.Iterator<SelectionKey> it) {
    while (it.hasNext()) {
      SelectionKey key = it.next();
      it.remove();
      if (!key.isValid()) {
        continue;
      }
      try {
        ((IoHandler) key.attachment()).onReady(key);
      } catch (CancelledKeyException e) {
        // Closed by the handler itself or by another node: nothing to do.
      } catch (IOException | RuntimeException e) {
        errors.incrementAndGet();
        log.warn("I/O handler failed on {}: {}", key.channel(), e.toString(), e);
      }
    }
  }

  private void runTimers() {
    long now = nowMillis();
    Timer t;
    while ((t = timers.peek()) != null && t.deadlineMillis <= now) {
      timers.poll();
      if (!t.cancelled) {
        t.cancelled = true;
        safely(t.action);
      }
    }
  }

  private void runTasks() {
    // Bounded: tasks queued by these tasks wait for the next turn, so I/O is not starved.
    int n = tasks.size();
    for (int i = 0; i < n; i++) {
      Runnable task = tasks.poll();
      if (task == null) {
        break;
      }
      safely(task);
    }
  }

  private void safely(Runnable r) {
    try {
      r.run();
    } catch (RuntimeException | AssertionError e) {
      errors.incrementAndGet();
      log.error("task on event loop {} failed", thread.getName(), e);
    }
  }

  private static void closeQuietly(SelectionKey key) {
    try {
      key.channel().close();
    } catch (IOException e) {
      // Closing anyway.
    }
  }

  @Override
  public String toString() {
    return "EventLoop[" + thread.getName() + "]";
  }
}
