// SPDX-License-Identifier: Apache-2.0
package io.grapevine.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.grapevine.config.MembershipConfig;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The membership timeseries counts state exchanges per sample beside gossip: {@code push_pulls}
 * (full push-pull messages sent plus merged, over all nodes: four per exchange), {@code
 * backlog_syncs} (exchanges started because a node's gossip queue was backlogged), {@code
 * digest_syncs} (digests sent) and {@code digest_repairs} (digests that differed, answered with a
 * partial exchange).
 */
class SyncColumnsTest {

  private static Scenario plain(int n, long durationMillis, long seed) {
    Scenario s = new Scenario();
    s.name = "sync-columns-test";
    s.nodes = n;
    s.seed = seed;
    s.seedNodes = 1;
    s.joinOverMillis = 1000;
    s.durationMillis = durationMillis;
    s.latencyType = Scenario.LatencyType.CONSTANT;
    s.latencyMicros = 1000;
    return s;
  }

  /**
   * Two nodes: the join (one exchange with the seed, four messages); the seed's periodic push-pull
   * (30 s, at a random phase) may add one more. The joiner's second sync, 1–5 s later, is a digest
   * sync, as are the periodic ones every 5 s (±25%) at both nodes: their tables agree, so none
   * repairs.
   */
  @Test
  void twoNodesCountTheJoinAndTheSyncAfterIt() {
    SimulationResult r = Simulation.run(plain(2, 10_000, 3));
    double total = Arrays.stream(r.column("push_pulls")).sum();
    assertThat(total).isIn(4.0, 8.0);
    assertThat(Arrays.stream(r.column("backlog_syncs")).sum()).isZero();
    assertThat(Arrays.stream(r.column("digest_syncs")).sum()).isBetween(2.0, 5.0);
    assertThat(Arrays.stream(r.column("digest_repairs")).sum()).isZero();
    // Nothing before the joiner starts (at 1 s at the latest, in the first sample or the next).
    assertThat(r.column("push_pulls")).hasSize(10);
  }

  /**
   * N = 150 through one seed: the join of each of 149 joiners, and its digest sync 1–5 s later and
   * every 5 s after; some digests find tables that differ while the joins spread.
   */
  @Test
  void everyJoinerCountsItsJoinAndItsSecondSync() {
    SimulationResult r = Simulation.run(plain(150, 20_000, 7));
    assertThat(r.converged).isTrue();
    double[] pushPulls = r.column("push_pulls");
    double total = Arrays.stream(pushPulls).sum();
    assertThat(total).isGreaterThanOrEqualTo(4.0 * 149);
    assertThat(Arrays.stream(r.column("digest_syncs")).sum()).isGreaterThanOrEqualTo(2.0 * 149);
    assertThat(Arrays.stream(r.column("digest_repairs")).sum()).isPositive();
    // The joins are over within the first second: most of the traffic is in the first 7 samples.
    double early = Arrays.stream(pushPulls, 0, 7).sum();
    assertThat(early).isGreaterThan(total / 2);
    assertThat(Arrays.stream(r.column("backlog_syncs")).min().getAsDouble()).isGreaterThanOrEqualTo(0);
  }

  /**
   * A join storm with gossip cut to one small packet a round: backlogged queues start syncs, which
   * the column counts, and which are push-pulls too; with the syncs off the column stays at zero.
   */
  @Test
  void aBackloggedStormShowsItsSyncs() {
    MembershipConfig slowGossip = MembershipConfig.lan().toBuilder().gossipNodes(1).udpPayloadBytes(512)
        .pushPullInterval(Duration.ofMinutes(10)).backlogSyncAfter(Duration.ofSeconds(5)).build();
    Scenario on = plain(250, 20_000, 1);
    on.joinOverMillis = 0;
    on.membership = slowGossip;
    SimulationResult r = Simulation.run(on);
    double syncs = Arrays.stream(r.column("backlog_syncs")).sum();
    // Most of the 249 joiners are backlogged; the doubling wait bounds the syncs per node.
    assertThat(syncs).isGreaterThan(100).isLessThan(3 * 250);
    // Each sync is an exchange of four push-pull messages beside the joins.
    assertThat(Arrays.stream(r.column("push_pulls")).sum()).isGreaterThanOrEqualTo(4.0 * 249 + 4 * syncs);
    Scenario off = plain(250, 20_000, 1);
    off.joinOverMillis = 0;
    off.membership = slowGossip.toBuilder().backlogSyncAfter(Duration.ZERO).build();
    assertThat(Arrays.stream(Simulation.run(off).column("backlog_syncs")).sum()).isZero();
  }
}
