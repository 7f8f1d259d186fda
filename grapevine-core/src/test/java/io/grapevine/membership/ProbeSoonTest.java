// SPDX-License-Identifier: Apache-2.0
package io.grapevine.membership;

import static io.grapevine.membership.Members.stateOf;
import static org.assertj.core.api.Assertions.assertThat;

import io.grapevine.api.MemberState;
import io.grapevine.config.MembershipConfig;
import io.grapevine.testkit.StackCluster;
import org.junit.jupiter.api.Test;

/** A hint that a member may have failed makes a node probe it out of turn, and no more often. */
class ProbeSoonTest {

  // LAN: probe every 1 s, probe timeout 500 ms; 30 nodes, so that a given prober reaches a given
  // target in its own turn only once in 29 intervals
  private static final MembershipConfig LAN = MembershipConfig.lan();

  @Test
  void aHintedCrashedMemberIsSuspectedByTheHintedNodeWithinOneProbeInterval() {
    StackCluster c = Members.cluster(30, 11, 1, LAN);
    c.runFor(20_000);
    Membership prober = c.protocol(0, Membership.class);
    long raisedBefore = prober.stats().suspicionsRaised();
    long probesBefore = prober.stats().probes();
    c.crash(17);
    boolean accepted = c.apply(0, (now, out) -> prober.probeSoon(now, "n17", out));
    assertThat(accepted).isTrue();
    // the probe out of turn went out at once, beside the schedule's own
    assertThat(prober.stats().probes()).isEqualTo(probesBefore + 1);
    c.runFor(1_050); // the probe's round ends (direct timeout, indirect probes, no ack): a suspicion
    assertThat(prober.stats().suspicionsRaised()).as("suspicions n0 raised itself").isEqualTo(raisedBefore + 1);
    assertThat(stateOf(prober, "n17")).isIn(MemberState.SUSPECT, MemberState.DEAD);
  }

  @Test
  void aHintAboutALiveMemberRaisesNoSuspicion() {
    StackCluster c = Members.cluster(10, 12, 1, LAN);
    c.runFor(10_000);
    Membership prober = c.protocol(0, Membership.class);
    long failuresBefore = prober.stats().probeFailures();
    boolean accepted = c.apply(0, (now, out) -> prober.probeSoon(now, "n4", out));
    assertThat(accepted).isTrue();
    c.runFor(5_000);
    assertThat(prober.stats().probeFailures()).isEqualTo(failuresBefore);
    for (Membership m : Members.all(c)) {
      assertThat(m.stats().suspicionsRaised()).isZero();
    }
  }

  @Test
  void hintsNeverRaiseTheProbeRateAboveOneExtraProbePerInterval() {
    StackCluster c = Members.cluster(10, 13, 1, LAN);
    c.runFor(10_000);
    Membership prober = c.protocol(0, Membership.class);
    long probesBefore = prober.stats().probes();
    // a hint every 50 ms for a second, each about a live member that answers within milliseconds:
    // without the limit each would start a probe of its own
    for (int i = 0; i < 20; i++) {
      String name = "n" + (1 + i % 9);
      c.apply(0, (now, out) -> prober.probeSoon(now, name, out));
      c.runFor(50);
    }
    // one second: one or two rounds of the schedule, one or two probes out of turn
    assertThat(prober.stats().probes() - probesBefore).isBetween(2L, 4L);
  }

  @Test
  void hintsAboutUnknownSelfOrGoneMembersAreRefused() {
    StackCluster c = Members.cluster(5, 14, 1, LAN);
    c.runFor(5_000);
    Membership prober = c.protocol(0, Membership.class);
    boolean unknown = c.apply(0, (now, out) -> prober.probeSoon(now, "nobody", out));
    boolean self = c.apply(0, (now, out) -> prober.probeSoon(now, "n0", out));
    assertThat(unknown).isFalse();
    assertThat(self).isFalse();
    c.crash(3);
    c.runFor(60_000);
    assertThat(stateOf(prober, "n3")).isIn(MemberState.DEAD, null);
    boolean gone = c.apply(0, (now, out) -> prober.probeSoon(now, "n3", out));
    assertThat(gone).isFalse();
  }
}
