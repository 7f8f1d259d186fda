// SPDX-License-Identifier: Apache-2.0
package io.grapevine.sim.experiments;

import static org.assertj.core.api.Assertions.assertThat;

import io.grapevine.config.DisseminationConfig;
import io.grapevine.config.DisseminationConfig.Mode;
import io.grapevine.config.DisseminationConfig.Stop;
import io.grapevine.config.MembershipConfig;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** DisseminationRun's drivers: speed in rounds, anti-entropy, piggyback, and the hooks. */
class DisseminationRunTest {

  private static double log2(int n) {
    return Math.log(n) / Math.log(2);
  }

  @Test
  void pushPullWithAntiEntropyReachesEveryNodeInLogarithmicRounds() {
    int n = 1000;
    DisseminationConfig v = DisseminationConfig.demers(Mode.PUSH_PULL, true, Stop.COUNTER, 2);
    List<int[]> rounds = new ArrayList<>();
    DisseminationRun.Result r = DisseminationRun.runRounds(n, 21, v, 2, 500, false, false,
        new DisseminationRun.Hooks() {
          @Override
          public void afterRound(int round, int informed) {
            rounds.add(new int[] {round, informed});
          }
        });
    assertThat(r.informed()).isEqualTo(n);
    assertThat(r.residue()).isZero();
    assertThat(r.roundsToLast()).isLessThanOrEqualTo(2 * log2(n));
    // The informed count never falls and ends at N.
    for (int i = 1; i < rounds.size(); i++) {
      assertThat(rounds.get(i)[1]).isGreaterThanOrEqualTo(rounds.get(i - 1)[1]);
    }
    assertThat(rounds.get(rounds.size() - 1)[1]).isEqualTo(n);
  }

  @Test
  void piggybackOnMembershipReachesEveryNodeWithinLogarithmicGossipIntervals() {
    int n = 100;
    DisseminationRun.Result r = DisseminationRun.runPiggyback(n, 5, DisseminationConfig.defaults(),
        MembershipConfig.lan(), 100, new DisseminationRun.Hooks() {});
    assertThat(r.finished()).isTrue();
    assertThat(r.informed()).isEqualTo(n);
    assertThat(r.roundsToLast()).isLessThanOrEqualTo(3 * log2(n));
    // It rode on membership's datagrams: hardly any rumor of its own was pushed.
    assertThat(r.rumorsPerNode()).isLessThan(0.5);
  }

  @Test
  void aStopHookEndsTheRunEarlyAndItSaysSo() {
    int[] calls = {0};
    DisseminationRun.Result r = DisseminationRun.runRounds(500, 1,
        DisseminationConfig.demers(Mode.PUSH, false, Stop.COIN, 1), 0, 500, false, false,
        new DisseminationRun.Hooks() {
          @Override
          public boolean stop() {
            return ++calls[0] > 1;
          }
        });
    assertThat(r.finished()).isFalse();
    assertThat(r.informed()).isLessThan(500);
  }
}
