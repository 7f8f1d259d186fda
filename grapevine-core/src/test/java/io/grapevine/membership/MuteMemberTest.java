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

  @Test
  void withTheDefaultsTooNoHealthyMemberDies() {
    for (long seed : new long[] {1, 2}) {
      assertThat(healthyDeclaredDead(MembershipConfig.lan(), seed, 60_000)).as("seed %d", seed).isEmpty();
    }
  }
}
