// SPDX-License-Identifier: Apache-2.0
package io.grapevine.membership;

import io.grapevine.config.MembershipConfig;
import io.grapevine.api.MemberEvent;
import static org.assertj.core.api.Assertions.assertThat;

import io.grapevine.testkit.StackCluster;
import io.grapevine.testkit.VirtualNetwork;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A member that already suspects a node and then fails its own probe of it must count as an
 * independent confirmation (Lifeguard): otherwise every suspicion learned by gossip runs to its
 * maximum timeout, six times the minimum.
 */
class ProbeConfirmationTest {

  @Test
  void ownFailedProbeOfASuspectConfirmsTheSuspicion() {
    MembershipConfig config = MembershipConfig.lan();
    int n = 30;
    StackCluster c = Members.cluster(n, 42, 1, config);
    VirtualNetwork net = c.network();
    List<Long> deaths = new ArrayList<>();
    List<Long> suspicions = new ArrayList<>();
    net.onEvent((node, now, event) -> {
      if (event instanceof MemberEvent e && e.type() == MemberEvent.Type.DEAD) {
        deaths.add(now);
      } else if (event instanceof MemberEvent e && e.type() == MemberEvent.Type.SUSPECTED) {
        suspicions.add(now);
      }
    });
    c.runUntil(20_000);
    assertThat(Members.all(c)).allMatch(m -> m.liveCount() == n);

    suspicions.clear();
    long crashAt = net.now();
    c.crash(n - 1);
    c.runUntil(crashAt + 60_000);

    assertThat(suspicions).isNotEmpty();
    assertThat(deaths).isNotEmpty();
    long firstSuspect = suspicions.get(0);
    long firstDead = deaths.get(0);
    long max = config.suspicionMaxMillis(n - 1);
    long min = config.suspicionMinMillis(n - 1);
    // 29 probers find the crashed node within a few intervals, most of them after gossip told them
    // of the suspicion; their confirmations bring it down to the minimum (5.8 s here; max 35 s).
    // Counting only nodes that suspected before hearing the gossip gave 8.5 s with this seed.
    assertThat(firstDead - firstSuspect)
        .as("suspicion time with confirmations (min %d ms, max %d ms)", min, max)
        .isLessThan(min + min / 4);
  }
}
