// SPDX-License-Identifier: Apache-2.0
package io.grapevine.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grapevine.Cluster;
import io.grapevine.api.Member;
import io.grapevine.api.MemberState;
import io.grapevine.config.MembershipConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ClusterSmokeTest {
  private final List<Cluster> nodes = new ArrayList<>();

  @AfterEach
  void closeAll() {
    nodes.forEach(Cluster::close);
  }

  private Cluster start(String name) {
    Cluster c = Cluster.builder().name(name).clusterName("smoke").bind("127.0.0.1:0")
        .config(MembershipConfig.local()).start();
    nodes.add(c);
    return c;
  }

  @Test
  void threeNodesJoinLeaveAndCrash() throws Exception {
    Cluster a = start("a");
    Cluster b = start("b");
    Cluster c = start("c");
    assertThat(b.join(List.of(a.endpoint().toString())).get(5, TimeUnit.SECONDS)).isEqualTo(1);
    assertThat(c.join(List.of(a.endpoint().toString())).get(5, TimeUnit.SECONDS)).isEqualTo(1);
    await().atMost(Duration.ofSeconds(10)).until(() -> nodes.stream().allMatch(n -> alive(n) == 3));

    c.leave().get(5, TimeUnit.SECONDS);
    await().atMost(Duration.ofSeconds(10)).until(() -> state(a, "c") == MemberState.LEFT
        && state(b, "c") == MemberState.LEFT);
    c.close();

    b.close();
    await().atMost(Duration.ofSeconds(30)).until(() -> state(a, "b") == MemberState.DEAD);
  }

  static long alive(Cluster n) {
    return n.members().stream().filter(m -> m.state() == MemberState.ALIVE).count();
  }

  static MemberState state(Cluster n, String name) {
    return n.member(name).map(Member::state).orElse(null);
  }
}
