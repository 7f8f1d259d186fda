// SPDX-License-Identifier: Apache-2.0
package io.grapevine.aggregate;

import io.grapevine.config.AggregationConfig;
import io.grapevine.api.AggregateEstimate;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.grapevine.config.AggregationConfig.Mode;
import io.grapevine.testkit.StackCluster;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Aggregation over uniform random peers on the test kit's network (1 ms latency). */
class AggregationTest {

  /** {@code n} nodes, built but not started. */
  private static StackCluster nodes(int n, AggregationConfig config, long seed) {
    return StackCluster.builder(seed).deferStart()
        .build(n, (node, stack) -> stack.add(new Aggregation(config, node.random("aggregation"))));
  }

  /** Starts node {@code i} in epoch 0, led by n0, publishing {@code value}. */
  private static void start(StackCluster net, int i, double value) {
    Aggregation a = net.protocol(i, Aggregation.class);
    net.call(i, (now, out) -> {
      a.start(now, 0, "n0");
      a.publish("load", value);
    });
    net.start(i);
  }

  /** {@code n} nodes started together in epoch 0 led by n0, node i publishing i + 1. */
  private static StackCluster network(int n, AggregationConfig config, long seed) {
    StackCluster net = nodes(n, config, seed);
    for (int i = 0; i < n; i++) {
      start(net, i, i + 1);
    }
    return net;
  }

  private static AggregationConfig config(Mode mode) {
    return AggregationConfig.defaults().toBuilder().mode(mode).roundInterval(Duration.ofMillis(100))
        .epochRounds(1000).reportAfterRounds(0).build();
  }

  private static void assertConverged(StackCluster net, int n, double tolerance) {
    double avg = (n + 1) / 2.0;
    for (int i = 0; i < n; i++) {
      AggregateEstimate e = net.protocol(i, Aggregation.class).estimate("load");
      assertThat(e.avg()).as("avg at n%d", i).isCloseTo(avg, within(avg * tolerance));
      assertThat(e.count()).as("count at n%d", i).isCloseTo(n, within(n * tolerance));
      assertThat(e.sum()).as("sum at n%d", i).isCloseTo(avg * n, within(avg * n * 2 * tolerance));
      assertThat(e.min()).isEqualTo(1.0);
      assertThat(e.max()).isEqualTo(n);
    }
  }

  @Test
  void everyModeConvergesWithoutLoss() {
    for (Mode mode : Mode.values()) {
      StackCluster net = network(200, config(mode), 1);
      net.runUntil(6_000);
      assertConverged(net, 200, 0.01);
    }
  }

  @Test
  void flowUpdatingStaysAccurateUnderFivePercentLoss() {
    StackCluster net = network(200, config(Mode.FLOW), 2);
    net.network().loss(0.05);
    net.runUntil(8_000);
    assertConverged(net, 200, 0.01);
  }

  @Test
  void lossDestroysMassInPushPullButNotInFlowUpdating() {
    double[] drift = new double[2];
    Mode[] modes = {Mode.PUSH_PULL, Mode.FLOW};
    for (int m = 0; m < 2; m++) {
      StackCluster net = network(200, config(modes[m]), 3);
      net.network().loss(0.2);
      net.runUntil(8_000);
      // Mass of the leader indicator should stay exactly 1 (sum over nodes of their estimates).
      double mass = 0;
      for (Aggregation a : net.protocols(Aggregation.class)) {
        mass += a.meanIndicator();
      }
      // Let in-flight repairs land: no loss for a few rounds.
      net.network().loss(0);
      net.runFor(3_000);
      double settled = 0;
      for (Aggregation a : net.protocols(Aggregation.class)) {
        settled += a.meanIndicator();
      }
      drift[m] = Math.abs(settled - 1.0);
    }
    // Flow updating: asymmetric flows left by lost replies are repaired by the pair's next exchange.
    assertThat(drift[1]).as("flow updating conserves mass").isLessThan(1e-4);
    assertThat(drift[0]).as("push-pull loses or creates mass under loss").isGreaterThan(1e-2);
  }

  @Test
  void pushPullReducesVarianceByAboutOneOverTwoRootE() {
    int n = 4000;
    StackCluster net = network(n, config(Mode.PUSH_PULL), 4);
    double v0 = variance(net, n);
    net.runUntil(100 * 8 + 50);
    double v8 = variance(net, n);
    double perRound = Math.pow(v8 / v0, 1.0 / 8);
    // Theory (Jelasity et al. 2005): 1/(2*sqrt(e)) = 0.303 per round.
    assertThat(perRound).isBetween(0.25, 0.36);
  }

  private static double variance(StackCluster net, int n) {
    double mean = (n + 1) / 2.0;
    double sum = 0;
    for (Aggregation a : net.protocols(Aggregation.class)) {
      double x = a.estimate("load").avg();
      sum += (x - mean) * (x - mean);
    }
    return sum / n;
  }

  @Test
  void countFollowsCrashesAtTheNextEpoch() {
    AggregationConfig c = AggregationConfig.defaults().toBuilder().roundInterval(Duration.ofMillis(100))
        .epochRounds(40).reportAfterRounds(30).build();
    StackCluster net = network(100, c, 5);
    net.runUntil(8_000);
    for (Aggregation a : net.protocols(Aggregation.class)) {
      assertThat(a.clusterSize()).isCloseTo(100, within(1.0));
    }
    for (int i = 0; i < 20; i++) {
      net.crash(80 + i);
    }
    net.runFor(3 * 40 * 100 + 2_000);
    for (int i = 0; i < 80; i++) {
      assertThat(net.protocol(i, Aggregation.class).clusterSize()).as("n%d", i).isCloseTo(80, within(0.8));
    }
  }

  /**
   * 1% churn per round (one node crashes, a fresh one starts) for 40 rounds of an epoch. A node gone
   * leaves its share behind and a node started after the census only reads, so the epoch keeps
   * counting the 200 nodes it began with, which is also the live count; the next epoch takes the
   * fresh nodes in.
   */
  @Test
  void churnLeavesCountAtTheNodesTheEpochBeganWith() {
    int n = 200;
    int churnRounds = 40;
    AggregationConfig c = AggregationConfig.defaults().toBuilder().roundInterval(Duration.ofMillis(100))
        .epochRounds(80).reportAfterRounds(30).censusRounds(0).neighborTimeout(Duration.ofMillis(1_200)).build();
    StackCluster net = nodes(n, c, 21);
    for (int i = 0; i < n; i++) {
      start(net, i, i + 1);
    }
    net.runUntil(1_500);
    java.util.SplittableRandom pick = new java.util.SplittableRandom(5);
    java.util.Set<Integer> gone = new java.util.HashSet<>();
    int next = n;
    for (int r = 0; r < churnRounds; r++) {
      int victim;
      do {
        victim = 1 + pick.nextInt(next - 1); // never n0, the epoch's leader
      } while (gone.contains(victim));
      gone.add(victim);
      net.crash(victim);
      int fresh = next++;
      net.addNode();
      Aggregation a = net.protocol(fresh, Aggregation.class);
      net.call(fresh, (now, out) -> {
        a.start(now);
        a.publish("load", 1);
      });
      net.start(fresh);
      net.runFor(100);
    }
    net.runUntil(7_500);
    long freshAlive = java.util.stream.IntStream.range(n, next).filter(i -> !gone.contains(i)).count();
    int readers = 0;
    for (int i = 0; i < next; i++) {
      if (!gone.contains(i)) {
        Aggregation a = net.protocol(i, Aggregation.class);
        readers += a.isReader() ? 1 : 0;
        assertThat(a.epoch()).isZero();
        assertThat(a.clusterSize()).as("n%d", i).isCloseTo(n, within(n * 0.01));
      }
    }
    assertThat(readers).as("nodes started after the epoch began only read").isEqualTo(freshAlive);
    assertThat(gone.stream().filter(i -> i < n).count()).as("crashed among the first nodes").isGreaterThan(30);
    // Epoch 1 starts at round 80 and is reported from its round 30: the fresh nodes take part.
    net.runUntil(8_000 + 3_000 + 1_000);
    for (int i = 0; i < next; i++) {
      if (!gone.contains(i)) {
        Aggregation a = net.protocol(i, Aggregation.class);
        assertThat(a.isReader()).as("n%d", i).isFalse();
        assertThat(a.epoch()).isEqualTo(1);
        assertThat(a.clusterSize()).as("n%d", i).isCloseTo(n, within(n * 0.01));
      }
    }
  }

  @Test
  void valuesChangedMidEpochAreFollowed() {
    StackCluster net = network(100, config(Mode.FLOW), 6);
    net.runUntil(4_000);
    for (int i = 0; i < 100; i++) {
      Aggregation a = net.protocol(i, Aggregation.class);
      net.call(i, (now, out) -> a.publish("load", 7.0));
    }
    net.runFor(4_000);
    for (Aggregation a : net.protocols(Aggregation.class)) {
      assertThat(a.estimate("load").avg()).isCloseTo(7.0, within(0.07));
    }
  }

  @Test
  void flowRetriesRepairLostRepliesWithinTheRound() {
    // 10% loss: about one exchange in five loses its request or its reply. Without retries a lost
    // reply leaves the pair half-applied until they next meet, rounds later; with them it is
    // repaired within the round. Same seed, same network: only requestRetries differs.
    int n = 300;
    double[] worst = new double[2];
    long[] retries = new long[2];
    for (int k = 0; k < 2; k++) {
      AggregationConfig c = config(Mode.FLOW).toBuilder().requestRetries(k == 0 ? 0 : 2).build();
      StackCluster net = network(n, c, 8);
      net.network().loss(0.10);
      net.runUntil(3_000);
      for (Aggregation a : net.protocols(Aggregation.class)) {
        double count = a.estimate("load").count();
        worst[k] = Math.max(worst[k], Double.isFinite(count) ? Math.abs(count / n - 1) : Double.POSITIVE_INFINITY);
        retries[k] += a.stats().retries();
      }
    }
    assertThat(retries[0]).isZero();
    assertThat(retries[1]).isGreaterThan(0);
    assertThat(worst[1]).as("worst COUNT error with retries (without: %s)", worst[0]).isLessThan(0.01);
    assertThat(worst[1] * 20).as("with retries %s, without %s", worst[1], worst[0]).isLessThan(worst[0]);
  }

  @Test
  void retryAfterDefaultsToFiftyMillisecondsOrWhatFitsTheRound() {
    assertThat(AggregationConfig.defaults().retryAfter).isEqualTo(Duration.ofMillis(50));
    assertThat(AggregationConfig.defaults().requestRetries).isEqualTo(2);
    AggregationConfig fast = AggregationConfig.defaults().toBuilder().roundInterval(Duration.ofMillis(90)).build();
    assertThat(fast.retryAfter).isEqualTo(Duration.ofMillis(30));
    // Derived again from a new round, not carried over from the config it was copied from.
    assertThat(fast.toBuilder().roundInterval(Duration.ofMillis(600)).build().retryAfter)
        .isEqualTo(Duration.ofMillis(50));
    assertThatThrownBy(() -> AggregationConfig.defaults().toBuilder().retryAfter(Duration.ofMillis(200)).build())
        .hasMessageContaining("(requestRetries + 1) × retryAfter must fit in roundInterval (500 ms)")
        .hasMessageContaining("got 3 × 200 ms");
    assertThatThrownBy(() -> AggregationConfig.defaults().toBuilder().requestRetries(9).build())
        .hasMessageContaining("requestRetries must be in 0..8, got 9");
    assertThatThrownBy(() -> AggregationConfig.defaults().toBuilder().retryAfter(Duration.ZERO).build())
        .hasMessageContaining("retryAfter must be a positive duration, got PT0S");
  }

  @Test
  void badInputIsRefusedClearly() {
    assertThatThrownBy(() -> AggregationConfig.defaults().toBuilder().epochRounds(1).build())
        .hasMessageContaining("epochRounds must be in 2..1000000, got 1");
    assertThatThrownBy(() -> AggregationConfig.defaults().toBuilder().censusRounds(61).build())
        .hasMessageContaining("censusRounds must be in 0..epochRounds (60), got 61");
    Aggregation a = new Aggregation(AggregationConfig.defaults(), new java.util.SplittableRandom(1));
    assertThatThrownBy(() -> a.publish("x", Double.NaN)).hasMessage("aggregate value must be a finite number, got NaN");
    assertThatThrownBy(() -> a.publish("", 1)).hasMessage("aggregate name must be 1..255 UTF-8 bytes, got 0");
  }
}
