// SPDX-License-Identifier: Apache-2.0
package io.grapevine.membership;

import static org.assertj.core.api.Assertions.assertThat;

import io.grapevine.config.MembershipConfig;
import io.grapevine.node.Delivery;
import io.grapevine.testkit.Packet;
import io.grapevine.testkit.StackCluster;
import io.grapevine.wire.MessageType;
import io.grapevine.wire.WireFormat;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * {@link MembershipConfig#pushPullReuse}: a seed answering many joins at once sends one encoding of
 * its state to all of them within the period, the joiners still end with the whole view, and a
 * change of the seed's own entry is never sent stale.
 */
class PushPullReuseTest {
  private static final int TYPE_AT = WireFormat.CLUSTER_OFFSET + Members.CLUSTER.length();

  private static MembershipConfig config(Duration reuse) {
    return MembershipConfig.local().toBuilder().pushPullReuse(reuse).build();
  }

  /** The push-pulls node 0 sent during the run, as bytes. */
  private static List<ByteBuffer> seedPushPulls(StackCluster c) {
    List<ByteBuffer> sent = new ArrayList<>();
    c.network().onSend(p -> {
      if (p.from().equals(c.endpoint(0)) && p.delivery() == Delivery.STREAM
          && p.bytes()[TYPE_AT] == MessageType.PUSH_PULL.code()) {
        sent.add(ByteBuffer.wrap(p.bytes().clone()));
      }
    });
    return sent;
  }

  @Test
  void aSeedAnsweringAJoinStormSendsOneEncodingPerPeriodAndEveryoneStillLearnsEveryone() {
    int n = 40;
    // Off: each reply is encoded anew, so each holds the joiners merged so far and no two are alike.
    StackCluster off = Members.cluster(n, 3, 2, config(Duration.ZERO));
    List<ByteBuffer> offSent = seedPushPulls(off);
    off.runFor(300);
    assertThat(offSent).hasSizeGreaterThanOrEqualTo(n - 1);
    assertThat(new HashSet<>(offSent.subList(0, n - 1))).hasSize(n - 1);
    assertThat(Members.membership(off.node(0)).stats().pushPullsReused()).isZero();

    StackCluster on = Members.cluster(n, 3, 2, config(Duration.ofMillis(250)));
    List<ByteBuffer> onSent = seedPushPulls(on);
    on.runFor(300);
    // The 39 joins arrive within a few milliseconds: one encoding answers them all.
    Set<ByteBuffer> distinct = new HashSet<>(onSent.subList(0, n - 1));
    assertThat(distinct).hasSize(1);
    assertThat(Members.membership(on.node(0)).stats().pushPullsReused()).isEqualTo(n - 2);

    // The members the shared reply left out arrive by gossip.
    boolean complete = on.runUntil(() -> Members.all(on).stream().allMatch(m -> m.liveCount() == n), 30_000);
    assertThat(complete).as("every node sees all %d members", n).isTrue();
  }

  @Test
  void aChangeOfTheSeedsOwnEntryIsNeverSentFromAnEarlierEncoding() {
    for (boolean change : new boolean[] {false, true}) {
      StackCluster c = Members.cluster(3, 5, 2, config(Duration.ofSeconds(1)));
      // Members.cluster joins n1 and n2 at once; a third joiner comes after n0 changed (or not).
      c.runFor(50);
      Membership seed = Members.membership(c.node(0));
      long reusedBefore = seed.stats().pushPullsReused();
      if (change) {
        c.call(0, (now, out) -> seed.updateMetadata(now, "zone=b".getBytes(), out));
      }
      // n2 joins again: a join push-pull to n0, answered within the reuse period of the first replies.
      Members.join(c.node(2), c.node(0));
      c.runFor(50);
      long reused = seed.stats().pushPullsReused() - reusedBefore;
      assertThat(reused).as("replies from the earlier encoding, seed changed: %s", change).isEqualTo(change ? 0 : 1);
    }
  }

}
