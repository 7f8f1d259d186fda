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
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Verdicts on flaky members (docs/flaky-members.md): a member that loses most of its inbound packets
 * is suspected once by every observer and shown suspect until it has been healthy for a while,
 * without healthy members being suspected; a real crash is detected as fast as without the feature.
 */
class FlakyMemberTest {
  private static final MembershipConfig ON = MembershipConfig.lan().toBuilder().accuseWhenHealthy(true).build();
  /** The behaviour before verdicts: refutations clear suspicion at once, any failed probe accuses. */
  private static final MembershipConfig OFF =
      ON.toBuilder().flapHalfLife(Duration.ZERO).accuseWhenHealthy(false).build();
  private static final int N = 10;
  private static final int FLAKY = 3;

  /** What healthy observers did about the flaky node, and about everyone else, during and after. */
  private record Outcome(Map<String, Integer> changesPerObserver, Set<String> healthySuspected,
      Map<String, MemberState> shownAtFaultEnd, Map<String, MemberState> shownAtEnd) {}

  private static Outcome runFlaky(MembershipConfig config, long seed) {
    StackCluster c = Members.cluster(N, seed, 1, config);
    VirtualNetwork net = c.network();
    c.runFor(10_000);
    String flaky = "n" + FLAKY;
    Map<String, Integer> changes = new HashMap<>();
    Set<String> healthySuspected = new HashSet<>();
    long faultStart = net.now();
    net.onEvent((node, now, event) -> {
      if (now < faultStart || !(event instanceof MemberEvent e) || node.name().equals(flaky)) {
        return;
      }
      String about = e.member().name();
      if (about.equals(flaky)) {
        if (e.type() != MemberEvent.Type.UPDATED && e.type() != MemberEvent.Type.REAPED) {
          changes.merge(node.name(), 1, Integer::sum);
        }
      } else if (e.type() == MemberEvent.Type.SUSPECTED || e.type() == MemberEvent.Type.DEAD) {
        healthySuspected.add(about);
      }
    });
    // 80% of what is sent to the flaky node is lost, datagrams and streams alike; what it sends goes out.
    Endpoint target = c.endpoint(FLAKY);
    SplittableRandom loss = new SplittableRandom(seed * 31 + 7);
    VirtualNetwork.LinkRule deaf = net.drop((from, to) -> to.equals(target) && loss.nextDouble() < 0.8, Traffic.ALL);
    c.runFor(120_000);
    Map<String, MemberState> atFaultEnd = shown(c, flaky);
    deaf.remove();
    c.runFor(60_000);
    return new Outcome(changes, healthySuspected, atFaultEnd, shown(c, flaky));
  }

  private static Map<String, MemberState> shown(StackCluster c, String about) {
    Map<String, MemberState> out = new HashMap<>();
    for (int i = 0; i < N; i++) {
      if (i != FLAKY) {
        out.put("n" + i, stateOf(c.protocol(i, Membership.class), about));
      }
    }
    return out;
  }

  @Test
  void aFlakyMemberGetsOneVerdictThatEveryObserverShares() {
    for (long seed : new long[] {1, 2, 3}) {
      Outcome o = runFlaky(ON, seed);
      assertThat(o.shownAtFaultEnd()).as("seed %d: every observer holds the flaky node suspect", seed)
          .hasSize(N - 1).allSatisfy((k, v) -> assertThat(v).isEqualTo(MemberState.SUSPECT));
      assertThat(o.changesPerObserver()).as("seed %d: changes per observer", seed).hasSize(N - 1)
          .allSatisfy((k, v) -> assertThat(v).isBetween(1, 2));
      assertThat(o.healthySuspected()).as("seed %d: healthy members suspected", seed).isEmpty();
      assertThat(o.shownAtEnd()).as("seed %d: alive again once healthy for a while", seed)
          .allSatisfy((k, v) -> assertThat(v).isEqualTo(MemberState.ALIVE));
    }
  }

  @Test
  void withoutVerdictsTheSameFlakyMemberFlaps() {
    Outcome o = runFlaky(OFF, 1);
    // The same run without the feature: what the test above guards against.
    assertThat(o.changesPerObserver().values()).allSatisfy(v -> assertThat(v).isGreaterThan(10));
  }

  @Test
  void aRefutedSuspectIsShownSuspectForOneHalfLifeThenAlive() {
    StackCluster c = Members.cluster(6, 4, 1, ON);
    VirtualNetwork net = c.network();
    List<Membership> nodes = Members.all(c);
    c.runFor(5_000);
    VirtualNetwork.LinkRule cut = net.isolate(c.node(3));
    assertThat(net.runUntil(() -> nodes.stream().anyMatch(m -> stateOf(m, "n3") == MemberState.SUSPECT), 20_000))
        .isTrue();
    // Cut off, n3 hears nothing and keeps its incarnation until it refutes after the heal.
    long accused = nodes.get(3).localMember().incarnation();
    cut.remove();
    // The refutation is taken at once (new incarnation everywhere), but n3 stays shown suspect...
    assertThat(net.runUntil(() -> nodes.stream().allMatch(m -> m.member("n3").incarnation() > accused), 5_000))
        .isTrue();
    long acceptedAt = net.now();
    assertThat(nodes.stream().filter(m -> m != nodes.get(3)))
        .allSatisfy(m -> assertThat(stateOf(m, "n3")).isEqualTo(MemberState.SUSPECT));
    // ...until its penalty of one refutation has halved once, then alive everywhere.
    assertThat(net.runUntil(() -> nodes.stream().allMatch(m -> stateOf(m, "n3") == MemberState.ALIVE), 30_000))
        .isTrue();
    long halfLife = ON.flapHalfLife.toMillis();
    assertThat(net.now() - acceptedAt).isBetween(halfLife - 5_000, halfLife + 1_000);
  }

  /** Time from a crash at 0% loss until every survivor shows the node dead. */
  private static long crashToAllDead(MembershipConfig config, long seed) {
    StackCluster c = Members.cluster(N, seed, 1, config);
    VirtualNetwork net = c.network();
    c.runFor(10_000);
    long crashAt = net.now();
    c.crash(5);
    List<Membership> survivors = Members.live(net);
    assertThat(net.runUntil(() -> survivors.stream().allMatch(m -> stateOf(m, "n5") == MemberState.DEAD),
        120_000, 10)).isTrue();
    return net.now() - crashAt;
  }

  @Test
  void aRealCrashIsDetectedNoSlowerThanWithoutVerdicts() {
    for (long seed : new long[] {1, 2, 3, 4, 5}) {
      long on = crashToAllDead(ON, seed);
      long off = crashToAllDead(OFF, seed);
      assertThat(on).as("seed %d: crash to dead everywhere, verdicts on vs off (%d ms)", seed, off)
          .isLessThanOrEqualTo(off);
    }
  }
}
