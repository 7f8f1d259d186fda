// SPDX-License-Identifier: Apache-2.0
package io.grapevine.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

/** The agent warns when its API can be reached from other hosts without TLS, and only then. */
class PlainHttpWarningTest {
  @Test
  void offLoopbackWithoutTlsWarnsLoopbackOrTlsDoesNot() {
    assertThat(Agent.plainHttpWarning(new InetSocketAddress("0.0.0.0", 8946), false))
        .startsWith("the HTTP API listens on 0.0.0.0:8946 without TLS");
    assertThat(Agent.plainHttpWarning(new InetSocketAddress("0.0.0.0", 8946), true)).isNull();
    assertThat(Agent.plainHttpWarning(new InetSocketAddress("127.0.0.1", 8946), false)).isNull();
    assertThat(Agent.plainHttpWarning(new InetSocketAddress("::1", 8946), false)).isNull();
  }
}
