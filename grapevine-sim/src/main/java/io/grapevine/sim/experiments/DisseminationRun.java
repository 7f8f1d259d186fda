// SPDX-License-Identifier: Apache-2.0
package io.grapevine.sim.experiments;

import io.grapevine.dissemination.Dissemination;
import io.grapevine.config.DisseminationConfig;
import io.grapevine.api.UserEvent;
import io.grapevine.stack.ProtocolStack;
import io.grapevine.wire.MessageType;
import io.grapevine.wire.WireFormat;
import java.time.Duration;
import java.util.SplittableRandom;

/**
 * One rumor published at node 0 and spread by the real {@link Dissemination} over N simulated nodes
 * with uniform random peers, in one of two models: {@link #runRounds synchronous rounds} (Demers'
 * cycles, driven by {@link RoundDriver}) or {@link #run unsynchronised rounds} on the event engine
 * (each node's round timer at a random phase, a constant one-way latency far below a round).
 */
public final class DisseminationRun {
  /** Round length of every run. */
  public static final long ROUND_MILLIS = 200;
  /** Constant one-way latency. */
  public static final long LATENCY_MICROS = 5_000;

  /** What one run measured. */
  public record Result(
      int n, long seed, String variant, boolean antiEntropy, int informed, double residue,
      double rumorsPerNode, double messagesPerNode, double roundsToLast, double roundsToQuiet,
      long repaired, boolean finished) {}

  private DisseminationRun() {}

  /**
   * Watches a run from outside: sees the informed count after every round and may end the run early
   * (a wall-time limit, an interrupt); a run stopped so reports {@code finished = false}.
   */
  public interface Hooks {
    /** After round {@code round}, {@code informed} nodes hold the rumor. */
    default void afterRound(int round, int informed) {}

    /** true: end the run now. */
    default boolean stop() {
      return false;
    }
  }

  private static final Hooks NONE = new Hooks() {};

  /**
   * Synchronous rounds: in round r every node ticks once, then everything sent in the round is
   * delivered, replies and feedback included (see {@link RoundDriver}). The rumor is published at
   * node 0 before round 1; a node informed in round r spreads from round r + 1 on. Runs until no
   * node is hot any more (and, with anti-entropy, every node is informed), or {@code maxRounds}.
   *
   * @param antiEntropyRounds digest exchange every so many rounds (each node at its own random
   *     phase); 0 = off
   * @param stopWhenAllInformed end as soon as every node has the rumor (traffic counted up to then)
   */
  public static Result runRounds(int n, long seed, DisseminationConfig variant, int antiEntropyRounds,
      int maxRounds, boolean stopWhenAllInformed) {
    return runRounds(n, seed, variant, antiEntropyRounds, maxRounds, stopWhenAllInformed, false);
  }

  /** As above; {@code sequential}: see {@link RoundDriver#sequential}. */
  public static Result runRounds(int n, long seed, DisseminationConfig variant, int antiEntropyRounds,
      int maxRounds, boolean stopWhenAllInformed, boolean sequential) {
    return runRounds(n, seed, variant, antiEntropyRounds, maxRounds, stopWhenAllInformed, sequential, true, NONE);
  }

  /** As above, watched by {@code hooks}. */
  public static Result runRounds(int n, long seed, DisseminationConfig variant, int antiEntropyRounds,
      int maxRounds, boolean stopWhenAllInformed, boolean sequential, Hooks hooks) {
    return runRounds(n, seed, variant, antiEntropyRounds, maxRounds, stopWhenAllInformed, sequential, true, hooks);
  }

  /** As above; {@code skipIdlePulls} false delivers every pull request (for the test that it changes nothing). */
  static Result runRounds(int n, long seed, DisseminationConfig variant, int antiEntropyRounds,
      int maxRounds, boolean stopWhenAllInformed, boolean sequential, boolean skipIdlePulls) {
    return runRounds(n, seed, variant, antiEntropyRounds, maxRounds, stopWhenAllInformed, sequential, skipIdlePulls,
        NONE);
  }

  private static Result runRounds(int n, long seed, DisseminationConfig variant, int antiEntropyRounds,
      int maxRounds, boolean stopWhenAllInformed, boolean sequential, boolean skipIdlePulls, Hooks hooks) {
    DisseminationConfig config = variant.toBuilder()
        .roundInterval(Duration.ofMillis(ROUND_MILLIS))
        .antiEntropyInterval(Duration.ofMillis(antiEntropyRounds * ROUND_MILLIS))
        .build();
    long[] informedAt = new long[n];
    java.util.Arrays.fill(informedAt, -1);
    int[] informed = {0};
    RoundDriver[] holder = new RoundDriver[1];
    RoundDriver d = new RoundDriver(n, ROUND_MILLIS, seed, (node, ev) -> {
      if (ev instanceof UserEvent && informedAt[node] < 0) {
        informedAt[node] = holder[0].round();
        informed[0]++;
      }
    });
    holder[0] = d;
    d.sequential(sequential);
    Dissemination[] ext = new Dissemination[n];
    SplittableRandom seeds = new SplittableRandom(seed);
    for (int i = 0; i < n; i++) {
      ext[i] = new Dissemination(config, 1, seeds.split());
      d.install(i, ProtocolStack.builder("n" + i, d.endpoint(i), CLUSTER).peers(d.uniformPeers(i)).add(ext[i]).build());
      ext[i].start(0);
    }
    // A pull request to a node with nothing hot changes nothing there (no reply, no state, no
    // randomness drawn), so it is counted as sent but not decoded. Pull requests are packets of
    // one message, sent only in pull mode.
    int typeOffset = WireFormat.CLUSTER_OFFSET + CLUSTER.length();
    byte pull = MessageType.RUMOR_PULL.code();
    if (skipIdlePulls) {
      d.noOp((dst, data, off, len) -> data[off + typeOffset] == pull && ext[dst].hotCount() == 0);
    }
    d.call(0, out -> ext[0].publish(0, "sim", new byte[16], null, out));
    long quietAt = -1;
    boolean finished = false;
    for (int r = 1; r <= maxRounds; r++) {
      if (hooks.stop()) {
        break;
      }
      d.runRound();
      hooks.afterRound(r, informed[0]);
      if (stopWhenAllInformed && informed[0] == n) {
        finished = true;
        break;
      }
      boolean hot = false;
      for (int i = 0; i < n && !hot; i++) {
        hot = ext[i].hotCount() > 0;
      }
      if (!hot && (antiEntropyRounds == 0 || informed[0] == n)) {
        quietAt = r;
        finished = true;
        break;
      }
    }
    long rumors = 0;
    long messages = 0;
    long repaired = 0;
    long last = 0;
    for (int i = 0; i < n; i++) {
      rumors += ext[i].stats().rumorsSent();
      messages += ext[i].stats().messagesSent();
      repaired += ext[i].stats().repaired();
      last = Math.max(last, informedAt[i]);
    }
    return new Result(n, seed, variant.toString(), antiEntropyRounds > 0, informed[0],
        (n - informed[0]) / (double) n, rumors / (double) n, messages / (double) n, last, quietAt, repaired,
        finished);
  }

  private static final String CLUSTER = "sim";

  /**
   * Runs until no node is hot any more (and, with anti-entropy, every node is informed), or
   * {@code maxRounds}.
   *
   * @param antiEntropyRounds digest exchange every so many rounds; 0 = off
   */
  public static Result run(int n, long seed, DisseminationConfig variant, int antiEntropyRounds, int maxRounds) {
    return run(n, seed, variant, antiEntropyRounds, maxRounds, false);
  }

  /**
   * As {@link #run(int, long, DisseminationConfig, int, int)}; with {@code stopWhenAllInformed} the
   * run ends as soon as every node has the rumor (for speed measurements: the quiet phase after it
   * costs time and changes nothing measured but the traffic, which is then counted up to that point).
   */
  public static Result run(int n, long seed, DisseminationConfig variant, int antiEntropyRounds, int maxRounds,
      boolean stopWhenAllInformed) {
    return run(n, seed, variant, antiEntropyRounds, maxRounds, stopWhenAllInformed, NONE);
  }

  /** As above, watched by {@code hooks}. */
  public static Result run(int n, long seed, DisseminationConfig variant, int antiEntropyRounds, int maxRounds,
      boolean stopWhenAllInformed, Hooks hooks) {
    DisseminationConfig config = variant.toBuilder()
        .roundInterval(Duration.ofMillis(ROUND_MILLIS))
        .antiEntropyInterval(Duration.ofMillis(antiEntropyRounds * ROUND_MILLIS))
        .build();
    long[] informedAt = new long[n];
    java.util.Arrays.fill(informedAt, -1);
    int[] informed = {0};
    ExtensionCluster<Dissemination> c = new ExtensionCluster<>(n, seed, LATENCY_MICROS, 0, (node, ev, now) -> {
      if (ev instanceof UserEvent && informedAt[node] < 0) {
        informedAt[node] = now;
        informed[0]++;
      }
    });
    SplittableRandom seeds = new SplittableRandom(seed);
    for (int i = 0; i < n; i++) {
      c.add(i, new Dissemination(config, 1, seeds.split()));
    }
    long t0 = ROUND_MILLIS; // publish after one round so every node's timer is running
    for (int i = 0; i < n; i++) {
      int node = i;
      c.call(node, out -> c.ext(node).start(0));
    }
    c.engine.runUntil(t0 * 1000, Long.MAX_VALUE);
    c.call(0, out -> c.ext(0).publish(t0, "sim", new byte[16], null, out));
    long quietAt = -1;
    boolean finished = false;
    for (int r = 1; r <= maxRounds; r++) {
      if (hooks.stop()) {
        break;
      }
      long end = (t0 + r * ROUND_MILLIS) * 1000;
      c.engine.runUntil(end, Long.MAX_VALUE);
      hooks.afterRound(r, informed[0]);
      if (stopWhenAllInformed && informed[0] == n) {
        quietAt = -1;
        finished = true;
        break;
      }
      int hot = 0;
      for (int i = 0; i < n && hot == 0; i++) {
        hot += c.ext(i).hotCount();
      }
      if (hot == 0 && (antiEntropyRounds == 0 || informed[0] == n)) {
        quietAt = r;
        finished = true;
        break;
      }
    }
    long rumors = 0;
    long messages = 0;
    long repaired = 0;
    for (int i = 0; i < n; i++) {
      rumors += c.ext(i).stats().rumorsSent();
      messages += c.ext(i).stats().messagesSent();
      repaired += c.ext(i).stats().repaired();
    }
    long last = 0;
    for (int i = 0; i < n; i++) {
      last = Math.max(last, informedAt[i]);
    }
    return new Result(n, seed, variant.toString(), antiEntropyRounds > 0, informed[0],
        (n - informed[0]) / (double) n, rumors / (double) n, messages / (double) n,
        (last - t0) / (double) ROUND_MILLIS, quietAt, repaired, finished);
  }

  /**
   * Piggyback mode, which needs a membership to ride on: N nodes run SWIM + Lifeguard ({@code
   * membership}) and {@link Dissemination} over the test kit's network (one-way latency uniform in
   * 1..5 ms), all join through node 0 and settle (everyone sees everyone, at most 300 s), then node 0
   * publishes the rumor, which travels on membership's gossip datagrams (and by push where it does not
   * fit). A round is one membership gossip interval. Runs until every node is informed or {@code
   * maxRounds}; rounds-to-quiet is not measured (the piggyback queue, not the protocol, decides it).
   */
  public static Result runPiggyback(int n, long seed, DisseminationConfig config,
      io.grapevine.config.MembershipConfig m, int maxRounds, Hooks hooks) {
    long[] informedAt = new long[n];
    java.util.Arrays.fill(informedAt, -1);
    int[] informed = {0};
    io.grapevine.testkit.StackCluster c = io.grapevine.testkit.StackCluster.builder(seed).clusterName(CLUSTER)
        .latency(io.grapevine.testkit.LinkLatency.uniform(1, 5)).build(n, (node, b) -> {
          b.datagramBytes(m.udpPayloadBytes).streamMessageMaxBytes(m.streamMessageMaxBytes)
              .add(new io.grapevine.membership.Membership(CLUSTER, node.name(), node.endpoint(), 1, new byte[0], m,
                  node.random("membership")))
              .add(new Dissemination(config, 1, node.random("dissemination")));
        });
    c.network().collectEvents(false);
    c.network().onEvent((node, now, event) -> {
      if (event instanceof UserEvent && informedAt[node.index()] < 0) {
        informedAt[node.index()] = now;
        informed[0]++;
      }
    });
    for (int i = 1; i < n; i++) {
      int k = i;
      c.call(k, (now, out) -> c.protocol(k, io.grapevine.membership.Membership.class)
          .join(now, java.util.List.of(c.endpoint(0)), out));
    }
    c.runUntil(() -> hooks.stop() || c.protocols(io.grapevine.membership.Membership.class).stream()
        .allMatch(x -> x.liveCount() == n), 300_000);
    long round = m.gossipInterval.toMillis();
    long t0 = c.now();
    c.call(0, (now, out) -> c.protocol(0, Dissemination.class).publish(now, "sim", new byte[16], null, out));
    boolean finished = false;
    for (int r = 1; r <= maxRounds && !hooks.stop(); r++) {
      c.runUntil(t0 + r * round);
      hooks.afterRound(r, informed[0]);
      if (informed[0] == n) {
        finished = true;
        break;
      }
    }
    long rumors = 0;
    long messages = 0;
    long repaired = 0;
    long last = t0;
    for (int i = 0; i < n; i++) {
      Dissemination d = c.protocol(i, Dissemination.class);
      rumors += d.stats().rumorsSent();
      messages += d.stats().messagesSent();
      repaired += d.stats().repaired();
      last = Math.max(last, informedAt[i]);
    }
    return new Result(n, seed, config.toString(), config.antiEntropyInterval.toMillis() > 0, informed[0],
        (n - informed[0]) / (double) n, rumors / (double) n, messages / (double) n, (last - t0) / (double) round, -1,
        repaired, finished);
  }
}
