// SPDX-License-Identifier: Apache-2.0
package io.grapevine.membership;

import io.grapevine.api.MemberState;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Every (new state, old state, incarnation order) combination against the written-out table. */
class PrecedenceTest {
  private static final MemberState A = MemberState.ALIVE;
  private static final MemberState S = MemberState.SUSPECT;
  private static final MemberState D = MemberState.DEAD;
  private static final MemberState L = MemberState.LEFT;

  /** expected[new][old][cmp], cmp 0: new inc lower, 1: equal, 2: higher. */
  private static final boolean[][][] EXPECTED = {
    // new ALIVE: only a higher incarnation, whatever the old state
    {{false, false, true}, {false, false, true}, {false, false, true}, {false, false, true}},
    // new SUSPECT: over ALIVE at >=, over SUSPECT at >, never over DEAD/LEFT
    {{false, true, true}, {false, false, true}, {false, false, false}, {false, false, false}},
    // new DEAD: over ALIVE/SUSPECT at >=, over DEAD/LEFT at >
    {{false, true, true}, {false, true, true}, {false, false, true}, {false, false, true}},
    // new LEFT: over ALIVE/SUSPECT/DEAD at >=, over LEFT at >
    {{false, true, true}, {false, true, true}, {false, true, true}, {false, false, true}},
  };

  @Test
  void matchesTheTableExhaustively() {
    MemberState[] states = MemberState.values();
    for (MemberState n : states) {
      for (MemberState o : states) {
        for (int cmp = 0; cmp < 3; cmp++) {
          long oldInc = 10;
          long newInc = 9 + cmp;
          assertThat(Precedence.overrides(n, newInc, o, oldInc))
              .as("%s@%d over %s@%d", n, newInc, o, oldInc)
              .isEqualTo(EXPECTED[n.ordinal()][o.ordinal()][cmp]);
        }
      }
    }
  }

  @Test
  void atEqualIncarnationWorseNewsWins() {
    assertThat(Precedence.overrides(S, 5, A, 5)).isTrue();
    assertThat(Precedence.overrides(A, 5, S, 5)).isFalse();
    assertThat(Precedence.overrides(D, 5, S, 5)).isTrue();
    assertThat(Precedence.overrides(L, 5, D, 5)).isTrue();
    assertThat(Precedence.overrides(D, 5, L, 5)).isFalse();
  }
}
