// SPDX-License-Identifier: Apache-2.0
package io.grapevine.sim.experiments;

import io.grapevine.config.CoordinatesConfig;
import io.grapevine.config.MembershipConfig;
import io.grapevine.coordinates.Coordinates;
import io.grapevine.membership.Membership;
import io.grapevine.testkit.GeometricLatency;
import io.grapevine.testkit.StackCluster;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Network coordinates over time on a network with geometry ({@link GeometricLatency}: hosts on a
 * plane plus access links, a small jitter per packet): N nodes run membership and coordinates, all
 * joined through node 0; every {@code --sample-s} virtual seconds the run prints the median and 90th
 * percentile of |estimate - true RTT| / true RTT over random ordered pairs that the first node of
 * the pair can estimate (from its own coordinate and the last one the other sent it on an ack), and
 * the share of pairs it can estimate at all: a node learns a peer's coordinate when it probes that
 * peer, and probes every member once per N probe intervals. Not a test: {@code bench/coordinates-sim.sh}.
 */
public final class CoordinatesRun {
  private CoordinatesRun() {}

  public static void main(String[] args) {
    int n = 1000;
    long seconds = 600;
    int dims = CoordinatesConfig.defaults().dimensions;
    long seed = 1;
    long sampleSeconds = 30;
    int pairs = 20_000;
    double side = 150;
    long jitter = 1;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--nodes" -> n = Integer.parseInt(args[++i]);
        case "--seconds" -> seconds = Long.parseLong(args[++i]);
        case "--dims" -> dims = Integer.parseInt(args[++i]);
        case "--seed" -> seed = Long.parseLong(args[++i]);
        case "--sample-s" -> sampleSeconds = Long.parseLong(args[++i]);
        case "--pairs" -> pairs = Integer.parseInt(args[++i]);
        case "--side-ms" -> side = Double.parseDouble(args[++i]);
        case "--jitter-ms" -> jitter = Long.parseLong(args[++i]);
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    System.out.printf("# coordinates: N=%d dims=%d plane=%.0f ms access=1..10 ms jitter=0..%d ms seed=%d%n",
        n, dims, side, jitter, seed);
    System.out.println("t_s,median_rel_error,p90_rel_error,estimable_share");
    long wall = System.nanoTime();
    CoordinatesConfig cc = new CoordinatesConfig.Builder().dimensions(dims).build();
    Result r = run(n, seconds * 1000, sampleSeconds * 1000, pairs, side, jitter, seed, cc, MembershipConfig.lan(),
        new Hooks() {
          @Override
          public void sample(Sample x) {
            if (x.estimable() == 0) {
              System.out.printf("%d,,,0%n", x.tMillis() / 1000);
            } else {
              System.out.printf("%d,%.4f,%.4f,%.3f%n", x.tMillis() / 1000, x.medianRelError(), x.p90RelError(),
                  x.estimable());
            }
          }
        });
    System.out.printf("# resets=%d wall=%.1f s%n", r.resets(), (System.nanoTime() - wall) / 1e9);
  }

  /** One sample: relative RTT error over random pairs (NaN when none estimable) and the share estimable. */
  public record Sample(long tMillis, double medianRelError, double p90RelError, double estimable) {}

  /** What a run measured: every sample, and the coordinate resets summed over the nodes. */
  public record Result(List<Sample> samples, long resets, long virtualMillis, boolean stopped) {}

  /** Watches a run: sees each sample, may end the run between samples. */
  public interface Hooks {
    default void sample(Sample s) {}

    default boolean stop() {
      return false;
    }
  }

  /**
   * Runs membership and coordinates over the geometric network for {@code millis} of virtual time.
   *
   * @param sideMillis side of the plane hosts are placed on, ms
   * @param jitterMillis per-packet jitter bound, ms
   */
  public static Result run(int n, long millis, long sampleMillis, int pairs, double sideMillis, long jitterMillis,
      long seed, CoordinatesConfig cc, MembershipConfig m, Hooks hooks) {
    GeometricLatency latency = new GeometricLatency(n, seed, sideMillis, 1, 10, jitterMillis);
    StackCluster c = StackCluster.builder(seed).clusterName("coords").latency(latency).build(n, (node, b) -> {
      b.datagramBytes(m.udpPayloadBytes).streamMessageMaxBytes(m.streamMessageMaxBytes)
          .add(new Membership("coords", node.name(), node.endpoint(), 1, new byte[0], m, node.random("membership")))
          .add(new Coordinates(cc, node.random(Coordinates.PROTOCOL_NAME)));
    });
    for (int i = 1; i < n; i++) {
      int k = i;
      c.call(k, (now, out) -> c.protocol(k, Membership.class).join(now, List.of(c.endpoint(0)), out));
    }
    SplittableRandom pick = new SplittableRandom(seed ^ 0x5eed);
    List<Sample> samples = new java.util.ArrayList<>();
    boolean stopped = false;
    for (long t = sampleMillis; t <= millis; t += sampleMillis) {
      if (hooks.stop()) {
        stopped = true;
        break;
      }
      c.runUntil(t);
      double[] err = new double[pairs];
      int known = 0;
      int all = 0;
      for (int p = 0; p < pairs; p++) {
        int i = pick.nextInt(n);
        int j = pick.nextInt(n - 1);
        if (j >= i) {
          j++;
        }
        all++;
        double est = c.protocol(i, Coordinates.class).estimateRttMillis(c.stack(i).name(), c.stack(j).name());
        if (!Double.isNaN(est)) {
          double truth = latency.rttMillis(i, j);
          err[known++] = Math.abs(est - truth) / truth;
        }
      }
      Sample s;
      if (known == 0) {
        s = new Sample(t, Double.NaN, Double.NaN, 0);
      } else {
        double[] e = Arrays.copyOf(err, known);
        Arrays.sort(e);
        s = new Sample(t, e[known / 2], e[known * 9 / 10], known / (double) all);
      }
      samples.add(s);
      hooks.sample(s);
    }
    long resets = 0;
    for (int i = 0; i < n; i++) {
      resets += c.protocol(i, Coordinates.class).resets();
    }
    return new Result(samples, resets, c.now(), stopped);
  }
}
