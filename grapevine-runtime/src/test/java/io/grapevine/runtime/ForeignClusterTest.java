// SPDX-License-Identifier: Apache-2.0
package io.grapevine.runtime;

import static io.grapevine.runtime.TestNodes.countIn;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grapevine.Cluster;
import io.grapevine.api.Member;
import io.grapevine.api.MemberState;
import io.grapevine.wire.DropReason;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/** Two clusters with different names on one host: packets cross, memberships never mix. */
class ForeignClusterTest {

  @Test
  void clustersWithDifferentNamesNeverMix() throws Exception {
    try (TestNodes blue = new TestNodes("blue", TestNodes.fastConfig(), 1, false);
        TestNodes green = new TestNodes("green", TestNodes.fastConfig(), 1, false)) {
      Cluster blueSeed = blue.start("blue-0");
      Cluster greenSeed = green.start("green-0");
      Cluster blue1 = blue.start("blue-1", "127.0.0.1:0", b -> b.joinTimeout(Duration.ofSeconds(2)));
      Cluster green1 = green.start("green-1");
      Cluster green2 = green.start("green-2");

      // A blue node pointed at the green seed only: nobody of its cluster answers.
      assertThatThrownBy(() -> blue1.join(List.of(greenSeed.endpoint().toString())).get(10, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .cause().isInstanceOf(TimeoutException.class).hasMessageContaining("no seed");
      assertThat(greenSeed.stats().dropped(DropReason.FOREIGN_CLUSTER)).isGreaterThan(0);
      assertThat(blue1.isJoined()).isFalse();

      // Seeds of both clusters: each node joins its own and the other cluster drops its packets.
      String both = blueSeed.endpoint() + "," + greenSeed.endpoint();
      List<String> seeds = List.of(both.split(","));
      blue1.join(seeds).get(10, TimeUnit.SECONDS);
      green1.join(seeds).get(10, TimeUnit.SECONDS);
      green2.join(seeds).get(10, TimeUnit.SECONDS);
      await().atMost(Duration.ofSeconds(10)).until(() -> countIn(blueSeed, MemberState.ALIVE) == 2
          && countIn(greenSeed, MemberState.ALIVE) == 3);
      long foreignAtBlue = blueSeed.stats().dropped(DropReason.FOREIGN_CLUSTER);
      assertThat(foreignAtBlue).isGreaterThan(0);

      // Some protocol periods later, still no mixing anywhere.
      await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5)).until(() ->
          blue.nodes.values().stream().allMatch(c -> c.members().stream().map(Member::name)
              .allMatch(n -> n.startsWith("blue-")))
          && green.nodes.values().stream().allMatch(c -> c.members().stream().map(Member::name)
              .allMatch(n -> n.startsWith("green-"))));
      assertThat(blue1.isJoined()).isTrue();
    }
  }
}
