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
    return runRounds(n, seed, variant, antiEntropyRounds, maxRounds, stopWhenAllInformed, sequential, true);
  }

  /** As above; {@code skipIdlePulls} false delivers every pull request (for the test that it changes nothing). */
  static Result runRounds(int n, long seed, DisseminationConfig variant, int antiEntropyRounds,
      int maxRounds, boolean stopWhenAllInformed, boolean sequential, boolean skipIdlePulls) {
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
      d.runRound();
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
      long end = (t0 + r * ROUND_MILLIS) * 1000;
      c.engine.runUntil(end, Long.MAX_VALUE);
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
}
