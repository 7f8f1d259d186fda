// SPDX-License-Identifier: Apache-2.0
package io.grapevine.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Defaults of the failure detection and election, and the command line that sets them. */
class RedisNodeConfigTest {

  @Test
  void defaultsDetectACrashAboutAsFastAsRedisWithA1sNodeTimeout() {
    RedisNodeConfig c = RedisNodeConfig.builder().build();
    assertThat(c.probeInterval).isEqualTo(Duration.ofMillis(300));
    assertThat(c.suspicionMult).isEqualTo(1);
    assertThat(c.failoverDelayScale).isEqualTo(0.5);
    BusState.Timing t = BusState.Timing.redis(c.nodeTimeout.toMillis()).scaled(c.failoverDelayScale);
    assertThat(t.failoverDelayMillis()).isEqualTo(250);
    assertThat(t.failoverJitterMillis()).isEqualTo(250);
    assertThat(t.rankDelayMillis()).isEqualTo(500);
  }

  @Test
  void commandLineSetsTheSuspicionMultiplier() {
    RedisNodeConfig c = RedisNodeMain.parse(new String[] {"--port", "7000", "--suspicion-mult", "4",
        "--probe-interval-ms", "1000", "--failover-delay-scale", "1"});
    assertThat(c.suspicionMult).isEqualTo(4);
    assertThat(c.probeInterval).isEqualTo(Duration.ofSeconds(1));
    assertThat(c.failoverDelayScale).isEqualTo(1.0);
  }

  @Test
  void suspicionMultiplierOutOfRangeIsNamed() {
    assertThatThrownBy(() -> RedisNodeConfig.builder().suspicionMult(0).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("suspicion multiplier");
    assertThatThrownBy(() -> RedisNodeMain.parse(new String[] {"--port", "7000", "--suspicion-mult", "101"}))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("suspicion multiplier");
  }
}
