// SPDX-License-Identifier: Apache-2.0
package io.grapevine.runtime;

import io.grapevine.api.JoinResult;
import io.grapevine.api.Member;
import io.grapevine.membership.Membership;
import io.grapevine.node.Endpoint;
import io.grapevine.overlay.HyParView;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Joining and re-joining in the socket runtime: retries a join through its seeds with backoff until
 * one answers or the join timeout passes, and heals partitions by reconnecting (see {@link
 * #reconnect()}). Loop thread, except {@link #join}.
 */
final class Joiner {
  private static final Logger log = LoggerFactory.getLogger(Joiner.class);

  private final class Attempt {
    long backoffMillis;
    final CompletableFuture<Integer> future = new CompletableFuture<>();
    final List<Endpoint> seeds;
    final long deadlineMillis;
    EventLoop.Timer timer;

    Attempt(List<Endpoint> seeds, long deadlineMillis) {
      this.seeds = seeds;
      this.deadlineMillis = deadlineMillis;
    }
  }

  private final StackDriver driver;
  private final EventLoop loop;
  private final Membership membership;
  private final HyParView hyParView;
  private final long joinTimeoutMillis;
  private final long reconnectIntervalMillis;
  private final SplittableRandom random;
  private final List<Attempt> attempts = new ArrayList<>();
  private final Set<Endpoint> seedsAnswered = new HashSet<>();
  private final AtomicLong reconnectAttempts = new AtomicLong();
  private List<Endpoint> lastSeeds = List.of();
  private volatile boolean joined = true;
  private volatile boolean joinRequested;

  /**
   * @param hyParView the event overlay's partial view, joined beside membership; null without it
   * @param reconnectIntervalMillis 0 turns reconnecting off
   */
  Joiner(StackDriver driver, Membership membership, HyParView hyParView, long joinTimeoutMillis,
      long reconnectIntervalMillis, SplittableRandom random) {
    this.driver = driver;
    this.loop = driver.loop();
    this.membership = membership;
    this.hyParView = hyParView;
    this.joinTimeoutMillis = joinTimeoutMillis;
    this.reconnectIntervalMillis = reconnectIntervalMillis;
    this.random = random;
  }

  /** Arms the reconnect timer (loop thread). */
  void start() {
    if (reconnectIntervalMillis > 0) {
      loop.scheduleAfter(reconnectIntervalMillis, this::reconnect);
    }
  }

  /** Any thread. */
  CompletableFuture<Integer> join(List<Endpoint> endpoints) {
    if (driver.isClosed()) {
      return CompletableFuture.failedFuture(new IllegalStateException("node " + name() + " is closed"));
    }
    Endpoint self = membership.endpoint();
    List<Endpoint> others = endpoints.stream().filter(e -> !e.equals(self)).distinct().toList();
    if (others.isEmpty()) {
      // Only ourselves as seed: the first node of a cluster whose members share one seed list.
      joined = true;
      return CompletableFuture.completedFuture(0);
    }
    joinRequested = true;
    joined = false;
    lastSeeds = others;
    Attempt attempt = new Attempt(others, 0);
    loop.execute(() -> startJoin(attempt));
    return attempt.future;
  }

  private void startJoin(Attempt a) {
    if (driver.isClosed()) {
      a.future.completeExceptionally(new IllegalStateException("node " + name() + " closed before joining"));
      return;
    }
    long now = loop.nowMillis();
    Attempt attempt = new Attempt(a.seeds, now + joinTimeoutMillis);
    attempt.future.whenComplete((v, e) -> {
      if (e != null) {
        a.future.completeExceptionally(e);
      } else {
        a.future.complete(v);
      }
    });
    attempts.add(attempt);
    log.info("{}: joining through {}", name(), a.seeds);
    if (hyParView != null) {
      // HyParView retries its JOIN through the seeds by itself while its views stay empty.
      driver.stepOnLoop((t, out) -> {
        hyParView.join(t, a.seeds, out);
        return null;
      });
    }
    sendJoin(attempt);
  }

  private void sendJoin(Attempt a) {
    if (a.future.isDone() || driver.isClosed()) {
      return;
    }
    long now = loop.nowMillis();
    if (now >= a.deadlineMillis) {
      attempts.remove(a);
      a.future.completeExceptionally(new TimeoutException("join failed: no seed of " + a.seeds
          + " answered within " + joinTimeoutMillis + " ms (wrong address, seeds down, or another cluster name?)"));
      log.warn("{}: join through {} timed out after {} ms", name(), a.seeds, joinTimeoutMillis);
      return;
    }
    driver.stepOnLoop((t, out) -> {
      membership.join(t, a.seeds, out);
      // A seed that cannot open or accept our packets answers a hello with a refusal, which the
      // node logs as a key mismatch; a seed that can stays silent.
      for (Endpoint seed : a.seeds) {
        driver.stack().hello(t, seed, out);
      }
      return null;
    });
    // Retry while waiting (a seed may still be starting), backing off exponentially: during a join
    // storm a slow answer usually means a busy seed, and every retry costs it a full-state reply.
    a.backoffMillis = a.backoffMillis == 0 ? Math.max(200, Math.min(1000, joinTimeoutMillis / 10)) : 2 * a.backoffMillis;
    a.timer = loop.schedule(Math.min(a.deadlineMillis, now + a.backoffMillis), () -> sendJoin(a));
  }

  /** A seed (or a reconnect target) answered a join: every pending join completes. */
  void onJoinResult(JoinResult r) {
    seedsAnswered.add(r.seed());
    if (attempts.isEmpty()) {
      log.debug("{}: state exchanged with {} ({} members listed)", name(), r.seed(), r.membersLearned());
    } else {
      log.info("{}: joined through {} ({} members listed)", name(), r.seed(), r.membersLearned());
    }
    joined = true;
    for (Attempt a : attempts) {
      if (a.timer != null) {
        a.timer.cancel();
      }
      a.future.complete(seedsAnswered.size());
    }
    attempts.clear();
  }

  /**
   * Heals partitions. SWIM forgets dead members: nobody probes them, gossip to the dead stops after
   * {@code gossipToTheDeadTime}, push-pull picks live members only. So after a long partition each
   * side believes the other dead and they never merge again. Every reconnect interval this node
   * therefore sends a push-pull (the join message) to one random DEAD member, or, if it believes
   * itself alone, to one of the seeds of its last join. If the other side is alive, the exchange
   * tells each that the other declared it dead; both refute with a higher incarnation and the news
   * spreads. A truly dead target costs one refused connection.
   */
  private void reconnect() {
    if (driver.isClosed()) {
      return;
    }
    try {
      if (!membership.isLeaving()) {
        List<Endpoint> candidates = new ArrayList<>();
        for (Member m : membership.deadMembers()) {
          candidates.add(m.endpoint());
        }
        if (candidates.isEmpty() && membership.liveCount() <= 1) {
          candidates.addAll(lastSeeds);
        }
        if (hyParView != null && hyParView.activeSize() == 0 && hyParView.passiveSize() == 0
            && !lastSeeds.isEmpty()) {
          driver.stepOnLoop((t, out) -> {
            hyParView.join(t, lastSeeds, out);
            return null;
          });
        }
        if (!candidates.isEmpty()) {
          Endpoint target = candidates.get(random.nextInt(candidates.size()));
          reconnectAttempts.incrementAndGet();
          log.debug("{}: reconnect attempt to {}", name(), target);
          driver.stepOnLoop((t, out) -> {
            membership.join(t, List.of(target), out);
            return null;
          });
        }
      }
    } finally {
      if (!driver.isClosed()) {
        loop.scheduleAfter(reconnectIntervalMillis, this::reconnect);
      }
    }
  }

  /** Fails every pending join: the node closed (loop thread). */
  void close() {
    for (Attempt a : attempts) {
      if (a.timer != null) {
        a.timer.cancel();
      }
      a.future.completeExceptionally(new IllegalStateException("node " + name() + " closed before joining"));
    }
    attempts.clear();
  }

  long reconnectAttempts() {
    return reconnectAttempts.get();
  }

  boolean isJoined() {
    return joined || !joinRequested;
  }

  private String name() {
    return membership.name();
  }
}
