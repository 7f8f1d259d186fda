// SPDX-License-Identifier: Apache-2.0
package io.grapevine.runtime;

import static io.grapevine.runtime.TestNodes.countIn;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grapevine.Cluster;
import io.grapevine.api.MemberEvent;
import io.grapevine.api.MemberState;
import io.grapevine.transport.FaultInjectingTransport;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** 10% of all datagrams lost, every node, for 20 s of protocol time: suspicions maybe, deaths never. */
class LossyClusterTest {
  private static final int N = 20;

  @Test
  void tenPercentLossCausesNoFalseDeath() throws Exception {
    try (TestNodes cluster = new TestNodes("lossy", TestNodes.fastConfig(), 1, true)) {
      ConcurrentLinkedQueue<String> deaths = new ConcurrentLinkedQueue<>();
      Cluster seed = cluster.start("lossy-00");
      for (int i = 1; i < N; i++) {
        cluster.start(String.format("lossy-%02d", i));
      }
      for (Cluster c : cluster.nodes.values()) {
        c.addListener(e -> {
          if (e.type() == MemberEvent.Type.DEAD) {
            deaths.add(c.localMember().name() + " declared " + e.member().name() + " dead");
          }
        });
      }
      for (Cluster c : cluster.except("lossy-00")) {
        c.join(List.of(seed.endpoint().toString())).get(20, TimeUnit.SECONDS);
      }
      await().atMost(Duration.ofSeconds(30))
          .until(() -> cluster.nodes.values().stream().allMatch(c -> countIn(c, MemberState.ALIVE) == N));

      // Loss starts once the cluster has formed; joins are not what this test is about.
      cluster.faults.values().forEach(f -> f.drop(0.10));
      EventLoop loop = cluster.loops.get(0);
      long start = loop.nowMillis();
      await().during(Duration.ofSeconds(20)).atMost(Duration.ofSeconds(30))
          .until(() -> deaths.isEmpty() && cluster.nodes.values().stream()
              .allMatch(c -> countIn(c, MemberState.DEAD) == 0));
      assertThat(loop.nowMillis() - start).isGreaterThanOrEqualTo(20_000);

      long dropped = cluster.faults.values().stream().mapToLong(FaultInjectingTransport::dropped).sum();
      // Loss applies to datagrams only (TCP retransmits), so the rate is over datagrams.
      long passed = cluster.faults.values().stream().mapToLong(FaultInjectingTransport::passedLossy).sum();
      double rate = dropped / (double) (dropped + passed);
      assertThat(rate).as("injected loss rate").isBetween(0.08, 0.12);
      assertThat(deaths).isEmpty();
      cluster.faults.values().forEach(FaultInjectingTransport::reset);
    }
  }
}
