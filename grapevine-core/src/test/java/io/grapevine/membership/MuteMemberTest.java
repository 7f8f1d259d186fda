// SPDX-License-Identifier: Apache-2.0
package io.grapevine.membership;

import static io.grapevine.membership.Members.stateOf;
import static org.assertj.core.api.Assertions.assertThat;

import io.grapevine.api.MemberEvent;
import io.grapevine.api.MemberState;
import io.grapevine.config.MembershipConfig;
import io.grapevine.node.Endpoint;
import io.grapevine.testkit.StackCluster;
import io.grapevine.testkit.Traffic;
import io.grapevine.testkit.VirtualNetwork;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * A node that cannot send (docs/flaky-members.md, "Verdicts reached in trouble"): its probes all
 * fail, so it suspects members that are healthy. Those suspicions were its own, made while its
 * local health was at its worst; they must not become deaths, neither while it is mute nor after
 * the heal, when its verdicts would reach everyone at once.
 */
class MuteMemberTest {
  private static final int N = 10;
  private static final int MUTE = 9;
  /**
   * Accusing on any failed probe (the behaviour before {@code accuseWhenHealthy}, still a setting):
   * the mute node then suspects the others, which is what makes the stale verdicts.
   */
  private static final MembershipConfig ACCUSING = MembershipConfig.lan().toBuilder().accuseWhenHealthy(false).build();

  /** Who declared which healthy member dead ("observer saw member"), from the fault on. */
  private static Set<String> healthyDeclaredDead(MembershipConfig config, long seed, long muteMillis) {
    StackCluster c = Members.cluster(N, seed, 1, config);
    VirtualNetwork net = c.network();
    c.runFor(10_000);
    String mute = "n" + MUTE;
    Set<String> wrong = new TreeSet<>();
    long faultStart = net.now();
    net.onEvent((node, now, event) -> {
      if (now >= faultStart && event instanceof MemberEvent e && e.type() == MemberEvent.Type.DEAD
          && !e.member().name().equals(mute)) {
        wrong.add(node.name() + " saw " + e.member().name());
      }
    });
    Endpoint from = c.endpoint(MUTE);
    VirtualNetwork.LinkRule cut = net.drop((a, b) -> a.equals(from), Traffic.ALL);
    c.runFor(muteMillis);
    cut.remove();
    List<Membership> nodes = Members.all(c);
    // After the heal: everyone alive everywhere again, and nothing healthy died on the way.
    assertThat(net.runUntil(() -> nodes.stream().allMatch(m -> Members.all(c).stream()
        .allMatch(o -> stateOf(m, o.localMember().name()) == MemberState.ALIVE)), 120_000))
        .as("seed %d: all alive everywhere after the heal", seed).isTrue();
    c.runFor(20_000);
    return wrong;
  }

  @Test
  void aMuteNodeDoesNotKillHealthyMembersWithItsOwnVerdicts() {
    for (long seed : new long[] {1, 2, 3}) {
      for (long muteMillis : new long[] {15_000, 60_000}) {
        assertThat(healthyDeclaredDead(ACCUSING, seed, muteMillis))
            .as("seed %d, mute for %d ms: healthy members declared dead", seed, muteMillis).isEmpty();
      }
    }
  }

  /**
   * The other side of the rule: a node in a partition still hears its own side, so it is not in
   * trouble and its verdicts on the far side stand. (A rule keyed on local health alone failed
   * here: the far side's relays never nack, which drives the health score to its maximum.)
   */
  @Test
  void partitionedSidesStillDeclareEachOtherDead() {
    for (long seed : new long[] {1, 2}) {
      for (MembershipConfig config : new MembershipConfig[] {ACCUSING, MembershipConfig.lan()}) {
        StackCluster c = Members.cluster(N, seed, 1, config);
        VirtualNetwork net = c.network();
        c.runFor(10_000);
        List<Membership> nodes = Members.all(c);
        net.partition(c.node(0), c.node(1), c.node(2), c.node(3), c.node(4));
        assertThat(net.runUntil(() -> {
          for (int i = 0; i < N; i++) {
            for (int j = 0; j < N; j++) {
              boolean sameSide = (i < 5) == (j < 5);
              if (!sameSide && stateOf(nodes.get(i), "n" + j) != MemberState.DEAD) {
                return false;
              }
            }
          }
          return true;
        }, 120_000)).as("seed %d, accuseWhenHealthy %s: each side sees the other dead", seed,
            config.accuseWhenHealthy).isTrue();
      }
    }
  }

  @Test
  void withTheDefaultsTooNoHealthyMemberDies() {
    for (long seed : new long[] {1, 2}) {
      assertThat(healthyDeclaredDead(MembershipConfig.lan(), seed, 60_000)).as("seed %d", seed).isEmpty();
    }
  }
  /**
   * A node cut off alone, both ways, with the defaults: the others (who have witnesses on their
   * side) declare it dead; it cannot tell its isolation from everyone's failure, so it declares no
   * one dead (no relay's nack comes back, and what it raises anyway is withdrawn: it is in
   * trouble); once the link is back it refutes and everyone is alive everywhere.
   */
  @Test
  void aNodeCutOffAloneDeclaresNoOneDead() {
    for (long seed : new long[] {1, 2}) {
      StackCluster c = Members.cluster(N, seed, 1, MembershipConfig.lan());
      VirtualNetwork net = c.network();
      c.runFor(10_000);
      List<Membership> nodes = Members.all(c);
      Membership island = nodes.get(MUTE);
      VirtualNetwork.LinkRule cut = net.partition(c.node(MUTE));
      assertThat(net.runUntil(() -> nodes.stream().filter(m -> m != island)
          .allMatch(m -> stateOf(m, "n" + MUTE) == MemberState.DEAD), 120_000))
          .as("seed %d: the others declare the island dead", seed).isTrue();
      c.runFor(60_000);
      for (int i = 0; i < N - 1; i++) {
        assertThat(stateOf(island, "n" + i)).as("seed %d: the island's view of n%d", seed, i)
            .isNotEqualTo(MemberState.DEAD);
      }
      cut.remove();
      assertThat(net.runUntil(() -> nodes.stream().allMatch(m -> nodes.stream()
          .allMatch(o -> stateOf(m, o.localMember().name()) == MemberState.ALIVE)), 120_000))
          .as("seed %d: all alive everywhere after the heal", seed).isTrue();
    }
  }
}
