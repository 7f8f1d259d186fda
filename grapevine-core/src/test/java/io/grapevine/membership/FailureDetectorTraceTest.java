// SPDX-License-Identifier: Apache-2.0
package io.grapevine.membership;

import static org.assertj.core.api.Assertions.assertThat;

import io.grapevine.api.FailureDetectorTrace;
import io.grapevine.api.FailureDetectorTrace.DeathReported;
import io.grapevine.api.FailureDetectorTrace.ProbeFailed;
import io.grapevine.api.FailureDetectorTrace.SuspicionConfirmed;
import io.grapevine.api.FailureDetectorTrace.SuspicionExpired;
import io.grapevine.api.FailureDetectorTrace.SuspicionRaised;
import io.grapevine.api.MemberState;
import io.grapevine.config.MembershipConfig;
import io.grapevine.node.ProtocolEvent;
import io.grapevine.testkit.StackCluster;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The failure detector's traces: what a failed probe saw, and how a suspicion went. */
class FailureDetectorTraceTest {
  private static final MembershipConfig LAN = MembershipConfig.lan();

  private static <T> List<T> of(List<ProtocolEvent> events, Class<T> type) {
    return events.stream().filter(type::isInstance).map(type::cast).toList();
  }

  @Test
  void aCrashIsExplainedProbeBySuspicionByExpiry() {
    StackCluster c = Members.cluster(6, 21, 1, LAN);
    Members.all(c).forEach(m -> m.traceFailureDetector(true));
    c.runFor(5_000);
    assertThat(c.network().events()).as("a healthy cluster traces nothing").noneMatch(e -> e instanceof FailureDetectorTrace);
    c.crash(3);
    c.runFor(6 * LAN.probeInterval.toMillis() + LAN.suspicionMaxMillis(6) + 5_000);
    List<ProtocolEvent> events = c.network().events();

    List<ProbeFailed> failed = of(events, ProbeFailed.class);
    assertThat(failed).isNotEmpty().allSatisfy(f -> {
      assertThat(f.member()).isEqualTo("n3");
      assertThat(f.endpoint()).isEqualTo(c.endpoint(3));
      // Relays were alive members other than the prober and the target; each could not reach n3 and nacked.
      assertThat(f.relays()).isNotEmpty().doesNotContain("n3").hasSizeLessThanOrEqualTo(LAN.indirectChecks);
      assertThat(f.nacksExpected()).isEqualTo(f.relays().size());
      assertThat(f.probeTimeoutMillis()).isGreaterThanOrEqualTo(LAN.probeTimeout.toMillis());
    });
    assertThat(failed).anySatisfy(f -> {
      assertThat(f.state()).isEqualTo(MemberState.ALIVE);
      assertThat(f.accused()).isTrue();
      assertThat(f.nacksReceived()).isEqualTo(f.nacksExpected());
    });

    List<SuspicionRaised> raised = of(events, SuspicionRaised.class);
    assertThat(raised).isNotEmpty().allSatisfy(r -> {
      assertThat(r.member()).isEqualTo("n3");
      assertThat(r.timeoutMillis()).isBetween(LAN.suspicionMinMillis(6), LAN.suspicionMaxMillis(6));
    });
    List<SuspicionConfirmed> confirmed = of(events, SuspicionConfirmed.class);
    assertThat(confirmed).isNotEmpty().allSatisfy(s -> {
      assertThat(s.member()).isEqualTo("n3");
      assertThat(s.confirmations()).isBetween(1, s.confirmationsWanted());
    });
    List<SuspicionExpired> expired = of(events, SuspicionExpired.class);
    assertThat(expired).isNotEmpty().allSatisfy(e -> {
      assertThat(e.member()).isEqualTo("n3");
      assertThat(e.suspectedMillis()).isBetween(LAN.suspicionMinMillis(6), LAN.suspicionMaxMillis(6));
    });
  }

  @Test
  void everySurvivorSaysWhyItHoldsTheCrashedNodeDead() {
    // Its own suspicion ran out, or another member's verdict came first and it took that: either way
    // a reason, so a node's log never shows a death it cannot explain.
    int taken = 0;
    for (long seed = 21; seed < 31; seed++) {
      StackCluster c = Members.cluster(6, seed, 1, LAN);
      Members.all(c).forEach(m -> m.traceFailureDetector(true));
      c.runFor(5_000);
      java.util.Map<String, String> why = new java.util.TreeMap<>();
      c.network().onEvent((node, now, e) -> {
        if (e instanceof SuspicionExpired x && x.member().equals("n3")) {
          why.putIfAbsent(node.name(), "expired");
        } else if (e instanceof DeathReported d && d.member().equals("n3")) {
          why.putIfAbsent(node.name(), "taken from " + d.reporter());
        }
      });
      c.crash(3);
      c.runFor(6 * LAN.probeInterval.toMillis() + LAN.suspicionMaxMillis(6) + 5_000);
      assertThat(Members.live(c.network()))
          .allSatisfy(m -> assertThat(Members.stateOf(m, "n3")).isEqualTo(MemberState.DEAD));
      assertThat(why).as("seed %d", seed).containsOnlyKeys("n0", "n1", "n2", "n4", "n5");
      taken += (int) why.values().stream().filter(v -> v.startsWith("taken")).count();
    }
    assertThat(taken).as("survivors that took another's verdict, over the seeds").isPositive();
  }

  @Test
  void aDeathByGossipNamesWhoDeclaredIt() {
    StackCluster c = Members.cluster(4, 23, 1, LAN);
    Members.all(c).forEach(m -> m.traceFailureDetector(true));
    c.runFor(5_000);
    List<ProtocolEvent> seen = new java.util.ArrayList<>();
    c.network().onEvent((node, now, e) -> {
      if (node.name().equals("n0")) {
        seen.add(e);
      }
    });
    long inc = c.protocol(2, Membership.class).localMember().incarnation();
    MembershipMessagesTestAccess.deliverDead(c.node(0), "n2", inc, "n1");
    assertThat(of(seen, DeathReported.class)).containsExactly(new DeathReported("n2", "n1", inc, -1));
  }

  @Test
  void offByDefault() {
    StackCluster c = Members.cluster(5, 22, 1, LAN);
    c.runFor(5_000);
    c.crash(2);
    c.runFor(5 * LAN.probeInterval.toMillis() + LAN.suspicionMaxMillis(5) + 5_000);
    assertThat(Members.all(c).stream().mapToLong(m -> m.stats().suspicionsRaised()).sum()).isPositive();
    assertThat(c.network().events()).noneMatch(e -> e instanceof FailureDetectorTrace);
  }
}
