// SPDX-License-Identifier: Apache-2.0
package io.grapevine.membership;

import static org.assertj.core.api.Assertions.assertThat;

import io.grapevine.api.MemberState;
import io.grapevine.config.MembershipConfig;
import io.grapevine.testkit.StackCluster;
import io.grapevine.testkit.VirtualNetwork;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Crash detection at 50 nodes on the LAN profile, over twelve seeded simulations: how long until the
 * first survivor suspects the crashed node and until every survivor has declared it dead. The bounds
 * are the medians measured before idle gossip rounds stopped asking for wake-ups (first suspicion
 * 1.41 s, all dead 8.61 s), with 100 ms of slack: skipping idle rounds must not delay detection.
 */
class FiftyNodeCrashTimingTest {
  private static final int SEEDS = 12;

  @Test
  void crashDetectionAtFiftyNodesIsNoSlowerThanBefore() {
    MembershipConfig lan = MembershipConfig.lan();
    long[] firstSuspect = new long[SEEDS];
    long[] allDead = new long[SEEDS];
    for (int s = 0; s < SEEDS; s++) {
      StackCluster c = Members.cluster(50, s + 1, 1, lan);
      VirtualNetwork net = c.network();
      c.runFor(40_000);
      long crashAt = net.now();
      c.crash(17);
      List<Membership> survivors = Members.live(net);
      firstSuspect[s] = -1;
      allDead[s] = -1;
      while (net.now() - crashAt < 60_000) {
        net.runFor(10);
        if (firstSuspect[s] < 0
            && survivors.stream().anyMatch(m -> Members.stateOf(m, "n17") == MemberState.SUSPECT)) {
          firstSuspect[s] = net.now() - crashAt;
        }
        if (survivors.stream().allMatch(m -> Members.stateOf(m, "n17") == MemberState.DEAD)) {
          allDead[s] = net.now() - crashAt;
          break;
        }
      }
      assertThat(allDead[s]).as("seed %d: every survivor declared n17 dead", s + 1).isPositive();
    }
    System.out.println("first suspicion ms " + Arrays.toString(firstSuspect) + ", all dead ms " + Arrays.toString(allDead));
    assertThat(median(firstSuspect)).as("median first suspicion, ms").isLessThanOrEqualTo(1_510);
    assertThat(median(allDead)).as("median time until all survivors declare it dead, ms").isLessThanOrEqualTo(8_710);
  }

  private static long median(long[] v) {
    long[] s = v.clone();
    Arrays.sort(s);
    return (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }
}
