// SPDX-License-Identifier: Apache-2.0
package io.grapevine.transport;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;

/** The per-source token bucket, stepped with explicit times. */
class SourceRateLimiterTest {
  private static InetAddress addr(int i) throws Exception {
    return InetAddress.getByAddress(new byte[] {10, 0, (byte) (i >> 8), (byte) i});
  }

  @Test
  void aBurstOfTheRateThenTheRatePerSecond() throws Exception {
    SourceRateLimiter l = new SourceRateLimiter(3, 16);
    InetAddress a = addr(1);
    int allowed = 0;
    for (int i = 0; i < 10; i++) {
      allowed += l.tryAcquire(a, 1_000) ? 1 : 0;
    }
    assertThat(allowed).isEqualTo(3);
    assertThat(l.tryAcquire(a, 1_300)).isFalse(); // 0.9 of a token
    assertThat(l.tryAcquire(a, 1_334)).isTrue(); // one token after a third of a second
    assertThat(l.tryAcquire(a, 1_334)).isFalse();
    // Idle for long: back to a full burst, never more.
    allowed = 0;
    for (int i = 0; i < 10; i++) {
      allowed += l.tryAcquire(a, 60_000) ? 1 : 0;
    }
    assertThat(allowed).isEqualTo(3);
  }

  @Test
  void sourcesAreLimitedApartAndTheTableStaysBounded() throws Exception {
    SourceRateLimiter l = new SourceRateLimiter(1, 8);
    assertThat(l.tryAcquire(addr(1), 0)).isTrue();
    assertThat(l.tryAcquire(addr(1), 0)).isFalse();
    assertThat(l.tryAcquire(addr(2), 0)).isTrue();
    for (int i = 0; i < 10_000; i++) {
      l.tryAcquire(addr(100 + i), 0);
    }
    assertThat(l.sources()).isEqualTo(8);
  }

  @Test
  void zeroTurnsTheLimitOff() throws Exception {
    SourceRateLimiter l = new SourceRateLimiter(0, 8);
    for (int i = 0; i < 1000; i++) {
      assertThat(l.tryAcquire(addr(1), 0)).isTrue();
    }
    assertThat(l.sources()).isZero();
  }
}
