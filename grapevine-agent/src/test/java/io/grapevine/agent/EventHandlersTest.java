// SPDX-License-Identifier: Apache-2.0
package io.grapevine.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grapevine.Cluster;
import io.grapevine.config.MembershipConfig;
import io.grapevine.query.QueryOptions;
import io.grapevine.query.QueryResult;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Handler specs, and query handlers answering with their output, on real nodes over loopback. */
class EventHandlersTest {
  private final List<AutoCloseable> open = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (int i = open.size() - 1; i >= 0; i--) {
      open.get(i).close();
    }
  }

  @Test
  void specsNameTheirEventsOrRunForEveryOne() {
    assertThat(EventHandlers.Spec.parse("member-join,user:deploy=./on-event.sh x"))
        .isEqualTo(new EventHandlers.Spec(List.of("member-join", "user:deploy"), "./on-event.sh x"));
    assertThat(EventHandlers.Spec.parse("./all.sh")).isEqualTo(new EventHandlers.Spec(List.of(), "./all.sh"));
    // A space before the first '=' means it belongs to the command; without one it is a filter.
    assertThat(EventHandlers.Spec.parse("env FOO=1 ./x.sh").command()).isEqualTo("env FOO=1 ./x.sh");
    assertThatThrownBy(() -> EventHandlers.Spec.parse("FOO=1 ./x.sh")).hasMessageStartingWith("unknown event 'FOO'");
    assertThat(EventHandlers.Spec.parse("echo a=b").filters()).isEmpty();
    assertThatThrownBy(() -> EventHandlers.Spec.parse("user:=x")).hasMessageContaining("unknown event 'user:'");
    assertThatThrownBy(() -> EventHandlers.Spec.parse("query=x")).hasMessageContaining("unknown event 'query'");
    assertThatThrownBy(() -> EventHandlers.Spec.parse("member-join=")).hasMessage("no command after 'member-join='");
    EventHandlers.Spec s = EventHandlers.Spec.parse("user,member-failed=x");
    assertThat(s.matches("user", "anything")).isTrue();
    assertThat(s.matches("member-failed", null)).isTrue();
    assertThat(s.matches("member-join", null)).isFalse();
    assertThat(EventHandlers.Spec.parse("user:deploy=x").matches("user", "other")).isFalse();
  }

  private Cluster node(String name, String meta) {
    Cluster c = Cluster.builder().name(name).clusterName("handlers").bind("127.0.0.1:0")
        .config(MembershipConfig.local()).metadata(meta.getBytes(StandardCharsets.UTF_8)).start();
    open.add(c);
    return c;
  }

  @Test
  void aQueryIsAnsweredWithTheCommandsOutputCutToTheLimitAndAHangingOneGivesNoAnswer() throws Exception {
    Cluster a = node("qa", "role=web");
    Cluster b = node("qb", "");
    b.join(List.of(a.endpoint().toString())).get(10, TimeUnit.SECONDS);
    await().atMost(Duration.ofSeconds(20)).until(() -> a.members().size() == 2 && b.members().size() == 2);
    EventHandlers handlers = new EventHandlers(a, List.of(
        EventHandlers.Spec.parse("query:load=echo \"$GRAPEVINE_EVENT $GRAPEVINE_QUERY_NAME on $GRAPEVINE_SELF_NAME"
            + " ($GRAPEVINE_TAG_ROLE): $(cat)\""),
        EventHandlers.Spec.parse("query:big=head -c 5000 /dev/zero | tr '\\0' x"),
        EventHandlers.Spec.parse("query:stuck=sleep 30")), 8, Duration.ofSeconds(1), 64);
    open.add(handlers);

    QueryResult load = b.query("load", "hello".getBytes(StandardCharsets.UTF_8),
        QueryOptions.defaults().timeout(Duration.ofSeconds(5))).result().get(15, TimeUnit.SECONDS);
    assertThat(new String(load.responses().get("qa"), StandardCharsets.UTF_8))
        .isEqualTo("query load on qa (web): hello\n");

    QueryResult big = b.query("big", new byte[0], QueryOptions.defaults().timeout(Duration.ofSeconds(5)))
        .result().get(15, TimeUnit.SECONDS);
    assertThat(new String(big.responses().get("qa"), StandardCharsets.UTF_8)).isEqualTo("x".repeat(64));

    long started = System.nanoTime();
    QueryResult stuck = b.query("stuck", new byte[0], QueryOptions.defaults().timeout(Duration.ofSeconds(3)))
        .result().get(15, TimeUnit.SECONDS);
    assertThat(stuck.responses()).doesNotContainKey("qa");
    await().atMost(Duration.ofSeconds(5)).until(() -> handlers.stats().timedOut() == 1);
    // Killed at the handler timeout (1 s), not left to the query's 3 s.
    assertThat(handlers.stats()).isEqualTo(new EventHandlers.Stats(2, 0, 1, 0));
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofSeconds(1));
  }

  @Test
  void aFullQueueDropsAndCounts() throws Exception {
    Cluster a = node("da", "");
    EventHandlers handlers = new EventHandlers(a, List.of(EventHandlers.Spec.parse("user:slow=sleep 5")), 2,
        Duration.ofSeconds(1), 64);
    open.add(handlers);
    for (int i = 0; i < 6; i++) {
      a.events().publish("slow", new byte[0]);
    }
    // One runs, two wait, three are dropped; the ones that ran are killed at the timeout.
    await().atMost(Duration.ofSeconds(15)).until(() -> handlers.stats().timedOut() == 3);
    assertThat(handlers.stats()).isEqualTo(new EventHandlers.Stats(0, 0, 3, 3));
  }
}
