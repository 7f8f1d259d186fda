// SPDX-License-Identifier: Apache-2.0
package io.grapevine.membership;

import static org.assertj.core.api.Assertions.assertThat;

import io.grapevine.config.MembershipConfig;
import io.grapevine.testkit.StackCluster;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What a {@link MembershipObserver} hears, on the test kit's virtual clock and fixed link latency, so
 * every duration is known exactly.
 */
class MembershipObserverTest {
  private static final MembershipConfig LAN = MembershipConfig.lan();
  private static final long LATENCY = 7;

  /** Records everything, as a runtime's histograms would. */
  private static final class Recorder implements MembershipObserver {
    final List<Long> rtts = new ArrayList<>();
    final List<Long> dead = new ArrayList<>();
    final List<Long> refuted = new ArrayList<>();

    @Override
    public void probeAcked(long rttMillis) {
      rtts.add(rttMillis);
    }

    @Override
    public void suspicionResolved(long suspectedMillis, boolean isDead) {
      (isDead ? dead : refuted).add(suspectedMillis);
    }
  }

  private static List<Recorder> observe(StackCluster c) {
    List<Recorder> recorders = new ArrayList<>();
    for (Membership m : Members.all(c)) {
      Recorder r = new Recorder();
      m.observer(r);
      recorders.add(r);
    }
    return recorders;
  }

  @Test
  void everyDirectAckIsObservedWithItsRoundTrip() {
    StackCluster c = Members.cluster(4, 31, LATENCY, LAN);
    List<Recorder> recorders = observe(c);
    c.runFor(10_000);
    for (int i = 0; i < 4; i++) {
      Recorder r = recorders.get(i);
      // No loss: every probe is answered directly, one link each way.
      assertThat(r.rtts).as("n%d", i).isNotEmpty().containsOnly(2 * LATENCY);
      // One ack per probe but the one that may still be in flight when the run stops.
      long answered = Members.all(c).get(i).stats().probes() - Members.all(c).get(i).stats().probeFailures();
      assertThat((long) r.rtts.size()).isBetween(answered - 1, answered);
      assertThat(r.dead).isEmpty();
      assertThat(r.refuted).isEmpty();
    }
  }

  @Test
  void aCrashedMemberEndsItsSuspicionDeadWithinTheSuspicionTimeout() {
    StackCluster c = Members.cluster(5, 32, LATENCY, LAN);
    c.runFor(5_000);
    List<Recorder> recorders = observe(c);
    long raisedBefore = Members.all(c).stream().mapToLong(m -> m.stats().suspicionsRaised()).sum();
    c.crash(2);
    c.runFor(6 * LAN.probeInterval.toMillis() + LAN.suspicionMaxMillis(5) + 5_000);
    List<Long> dead = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      if (i != 2) {
        assertThat(recorders.get(i).refuted).isEmpty();
        dead.addAll(recorders.get(i).dead);
      }
    }
    // Each survivor that suspected n2 reached the verdict: by its own timer (after at least the
    // minimum) or by a verdict gossiped to it (sooner); never later than the maximum. A survivor
    // that heard the verdict before it suspected n2 itself has no suspicion to time.
    long raised = Members.all(c).stream().mapToLong(m -> m.stats().suspicionsRaised()).sum() - raisedBefore;
    assertThat(raised).isPositive();
    assertThat(dead).hasSize((int) raised).allSatisfy(d -> assertThat(d).isBetween(0L, LAN.suspicionMaxMillis(5)));
    assertThat(dead).anySatisfy(d -> assertThat(d).isGreaterThanOrEqualTo(LAN.suspicionMinMillis(5)));
  }

  @Test
  void aSuspectThatComesBackEndsItsSuspicionRefuted() {
    StackCluster c = Members.cluster(5, 33, LATENCY, LAN);
    c.runFor(5_000);
    List<Recorder> recorders = observe(c);
    // Cut n3 off for a few probe intervals, shorter than the suspicion timeout: it is suspected,
    // then hears of it once the links heal and refutes.
    var cut = c.network().isolate(c.node(3));
    c.runFor(4 * LAN.probeInterval.toMillis());
    cut.remove();
    c.runFor(LAN.suspicionMaxMillis(5) + 5_000);
    List<Long> refuted = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      if (i != 3) {
        assertThat(recorders.get(i).dead).as("n%d declared nobody dead", i).isEmpty();
        refuted.addAll(recorders.get(i).refuted);
      }
    }
    assertThat(refuted).isNotEmpty().allSatisfy(d -> assertThat(d).isBetween(0L, LAN.suspicionMaxMillis(5)));
    // A refutation counted while the member was only held (shown suspect for its flapping, no
    // suspicion running) ends no suspicion: the counter may exceed the observations, never the reverse.
    assertThat(Members.all(c).stream().mapToLong(m -> m.stats().suspicionsRefuted()).sum())
        .isGreaterThanOrEqualTo(refuted.size());
  }

  @Test
  void noObserverIsNone() {
    StackCluster c = Members.cluster(2, 34, LATENCY, LAN);
    Membership m = c.protocol(0, Membership.class);
    m.observer(new Recorder());
    m.observer(null);
    c.runFor(5_000);
    assertThat(m.stats().probes()).isPositive();
  }
}
