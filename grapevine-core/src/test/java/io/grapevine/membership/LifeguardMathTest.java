// SPDX-License-Identifier: Apache-2.0
package io.grapevine.membership;

import io.grapevine.config.MembershipConfig;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The pure formulas: suspicion timeout, awareness, config scaling and validation. */
class LifeguardMathTest {

  @Test
  void suspicionTimeoutFallsOnALogScaleFromMaxToMin() {
    long min = 4_000;
    long max = 24_000;
    assertThat(Suspicion.timeoutMillis(0, 3, min, max)).isEqualTo(max);
    assertThat(Suspicion.timeoutMillis(3, 3, min, max)).isEqualTo(min);
    // n=1 of k=3: max - (max-min) * log2/log4 = max - (max-min)/2
    assertThat(Suspicion.timeoutMillis(1, 3, min, max)).isEqualTo(14_000);
    assertThat(Suspicion.timeoutMillis(2, 3, min, max)).isBetween(min, 14_000L);
    assertThat(Suspicion.timeoutMillis(10, 3, min, max)).isEqualTo(min);
    assertThat(Suspicion.timeoutMillis(0, 0, min, max)).as("k=0: fixed").isEqualTo(min);
  }

  @Test
  void awarenessScalesTimeoutsAndIsClamped() {
    Awareness a = new Awareness(8);
    assertThat(a.scale(500)).isEqualTo(500);
    a.apply(3);
    assertThat(a.scale(500)).isEqualTo(2_000);
    a.apply(100);
    assertThat(a.score()).isEqualTo(7);
    assertThat(a.scale(1_000)).isEqualTo(8_000);
    a.apply(-100);
    assertThat(a.score()).isZero();
  }

  @Test
  void formulasFollowClusterSize() {
    MembershipConfig c = MembershipConfig.lan();
    assertThat(c.retransmitLimit(1)).isEqualTo(4);
    assertThat(c.retransmitLimit(9)).isEqualTo(4);
    assertThat(c.retransmitLimit(10)).isEqualTo(8);
    assertThat(c.retransmitLimit(1000)).isEqualTo(16);
    assertThat(c.suspicionMinMillis(5)).isEqualTo(4_000);
    assertThat(c.suspicionMinMillis(100)).isEqualTo(8_000);
    assertThat(c.suspicionMaxMillis(100)).isEqualTo(48_000);
    assertThat(c.pushPullIntervalMillis(32)).isEqualTo(30_000);
    assertThat(c.pushPullIntervalMillis(64)).isEqualTo(60_000);
    assertThat(c.pushPullIntervalMillis(1000)).isEqualTo(30_000L * 6);
  }

  @Test
  void profilesDiffer() {
    assertThat(MembershipConfig.profile("wan").probeInterval).isEqualTo(Duration.ofSeconds(5));
    assertThat(MembershipConfig.profile("LOCAL").probeTimeout).isEqualTo(Duration.ofMillis(200));
    assertThat(MembershipConfig.profile("lan").probeInterval).isEqualTo(Duration.ofSeconds(1));
    assertThatThrownBy(() -> MembershipConfig.profile("moon"))
        .hasMessage("unknown profile 'moon' (expected lan, wan or local)");
  }

  @Test
  void badConfigNamesTheKnob() {
    assertThatThrownBy(() -> MembershipConfig.lan().toBuilder().probeTimeout(Duration.ofSeconds(2)).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("probeTimeout (2000ms) must be shorter than probeInterval (1000ms)");
    assertThatThrownBy(() -> MembershipConfig.lan().toBuilder().pushPullReuse(Duration.ofMinutes(1)).build())
        .hasMessageContaining("pushPullReuse (60000ms) must not exceed pushPullInterval (30000ms)");
    assertThatThrownBy(() -> MembershipConfig.lan().toBuilder().gossipNodes(0).udpPayloadBytes(10).build())
        .hasMessageContaining("gossipNodes must be in 1..64, got 0")
        .hasMessageContaining("udpPayloadBytes must be in 512..65000, got 10");
    assertThatThrownBy(() -> MembershipConfig.lan().toBuilder().gossipInterval(Duration.ZERO).build())
        .hasMessageContaining("gossipInterval must be a positive duration");
  }
}
