// SPDX-License-Identifier: Apache-2.0
package io.grapevine.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grapevine.config.MembershipConfig;
import io.grapevine.config.QueryConfig;
import io.grapevine.membership.Membership;
import io.grapevine.node.Delivery;
import io.grapevine.node.Endpoint;
import io.grapevine.testkit.LinkLatency;
import io.grapevine.testkit.StackCluster;
import io.grapevine.testkit.VirtualNetwork;
import io.grapevine.wire.DropReason;
import io.grapevine.wire.MessageType;
import io.grapevine.wire.PacketWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntFunction;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Queries on membership stacks over the test kit's in-memory network (virtual clock, seeded
 * latency, loss and duplication): spread by gossip, answered directly, collected until the deadline.
 */
class QueryTest {
  private static final String CLUSTER = "test";

  /** What a node answers to a query, or null for no answer. */
  private interface Answerer {
    byte[] answer(int node, QueryRequest request);
  }

  /**
   * N membership + query stacks, joined through n0 and settled; node i's metadata is {@code
   * metadata.apply(i)}. {@link #run} steps the network in small slices and, like an application,
   * answers every query delivered since the last slice.
   */
  private static final class Nodes {
    final StackCluster c;
    final Map<Integer, Integer> seenRequests = new HashMap<>();
    final Map<String, Query.Outcome> outcomes = new HashMap<>();
    Answerer answerer = (i, r) -> ("from " + i).getBytes(StandardCharsets.UTF_8);

    Nodes(int n, long seed, QueryConfig config, IntFunction<byte[]> metadata) {
      MembershipConfig m = MembershipConfig.lan();
      c = StackCluster.builder(seed).clusterName(CLUSTER).latency(LinkLatency.uniform(1, 5))
          .build(n, (node, b) -> b.datagramBytes(m.udpPayloadBytes).streamMessageMaxBytes(m.streamMessageMaxBytes)
              .add(new Membership(CLUSTER, node.name(), node.endpoint(), 1, metadata.apply(node.index()), m,
                  node.random("membership")))
              .add(new Query(config, m.gossipInterval, 1)));
      for (int i = 1; i < n; i++) {
        VirtualNetwork.Node node = c.node(i);
        node.call((now, out) -> node.protocol(Membership.class).join(now, List.of(c.endpoint(0)), out));
      }
      c.runUntil(() -> c.protocols(Membership.class).stream().allMatch(x -> x.liveCount() == n), 30_000);
      c.runFor(2_000);
    }

    Query query(int i) {
      return c.protocol(i, Query.class);
    }

    QueryId issue(int i, String name, byte[] payload, QueryOptions options) {
      return c.apply(i, (now, out) -> query(i).issue(now, name, payload, options, out));
    }

    /** Runs {@code millis} in 10 ms slices, answering new requests after each. */
    void run(long millis) {
      long end = c.now() + millis;
      while (c.now() < end) {
        c.runFor(Math.min(10, end - c.now()));
        answerNew();
      }
    }

    void answerNew() {
      for (int i = 0; i < c.size(); i++) {
        List<QueryRequest> requests = c.node(i).events(QueryRequest.class);
        int from = seenRequests.getOrDefault(i, 0);
        seenRequests.put(i, requests.size());
        for (QueryRequest r : requests.subList(from, requests.size())) {
          byte[] a = answerer.answer(i, r);
          if (a != null) {
            int node = i;
            Query.Outcome o = c.apply(i, (now, out) -> query(node).respond(now, r.id(), a, out));
            outcomes.put(c.node(i).name() + " " + r.id(), o);
          }
        }
      }
    }

    QueryResult result(int i, QueryId id) {
      return c.node(i).events(QueryResult.class).stream().filter(r -> r.id().equals(id)).findFirst().orElse(null);
    }

    /** Nodes that delivered {@code id}, each with how many times. */
    Map<String, Long> deliveries(QueryId id) {
      Map<String, Long> m = new HashMap<>();
      for (VirtualNetwork.Node n : c.nodes()) {
        long k = n.events(QueryRequest.class).stream().filter(r -> r.id().equals(id)).count();
        if (k > 0) {
          m.put(n.name(), k);
        }
      }
      return m;
    }

    Set<String> names(int... indices) {
      return IntStream.of(indices).mapToObj(i -> c.node(i).name()).collect(Collectors.toSet());
    }

    Set<String> all() {
      return c.nodes().stream().map(VirtualNetwork.Node::name).collect(Collectors.toSet());
    }

    long sum(java.util.function.ToLongFunction<QueryStats> f) {
      return c.protocols(Query.class).stream().mapToLong(q -> f.applyAsLong(q.stats())).sum();
    }
  }

  private static Nodes nodes(int n, long seed) {
    return new Nodes(n, seed, QueryConfig.defaults(), i -> new byte[0]);
  }

  @Test
  void aQueryReachesAllTwentyNodesAndEachAnswersExactlyOnce() {
    Nodes n = nodes(20, 1);
    QueryId id = n.issue(0, "uptime", "?".getBytes(StandardCharsets.UTF_8),
        QueryOptions.defaults().requestAck(true).timeout(Duration.ofSeconds(5)));
    n.run(6_000);

    assertThat(n.deliveries(id)).hasSize(20).allSatisfy((node, k) -> assertThat(k).as(node).isEqualTo(1L));
    QueryResult r = n.result(0, id);
    assertThat(r).isNotNull();
    assertThat(r.expected()).isEqualTo(n.all());
    assertThat(r.responses().keySet()).isEqualTo(n.all());
    assertThat(r.acked()).isEqualTo(n.all());
    assertThat(r.missingResponses()).isEmpty();
    assertThat(r.missingAcks()).isEmpty();
    assertThat(new String(r.responses().get("n7"), StandardCharsets.UTF_8)).isEqualTo("from 7");
    // Every expected node answered: it finished before the deadline, with one event per answer.
    assertThat(r.timedOut()).isFalse();
    List<QueryResponse> responses = n.c.node(0).events(QueryResponse.class);
    assertThat(responses).hasSize(20);
    assertThat(responses.stream().map(QueryResponse::from).collect(Collectors.toSet())).hasSize(20);
    assertThat(n.c.node(0).events(QueryAck.class)).hasSize(20);
    assertThat(n.query(0).stats().finished()).isEqualTo(1);
    assertThat(n.query(0).outstandingQueries()).isZero();
  }

  @Test
  void duplicatesAreSuppressedBothWays() {
    Nodes n = nodes(20, 2);
    n.c.network().duplication(0.3);
    // Relay factor 3: every ack and answer also arrives through three other nodes.
    QueryId id = n.issue(4, "ping", new byte[0],
        QueryOptions.defaults().requestAck(true).relayFactor(3).timeout(Duration.ofSeconds(5)));
    n.run(6_000);

    assertThat(n.deliveries(id)).hasSize(20).allSatisfy((node, k) -> assertThat(k).isEqualTo(1L));
    assertThat(n.sum(QueryStats::duplicates)).as("copies of the query received again").isGreaterThan(20);
    QueryResult r = n.result(4, id);
    assertThat(r.responses().keySet()).isEqualTo(n.all());
    assertThat(n.c.node(4).events(QueryResponse.class)).hasSize(20);
    assertThat(n.c.node(4).events(QueryAck.class)).hasSize(20);
    QueryStats s = n.query(4).stats();
    assertThat(s.duplicateAnswers()).isGreaterThan(19);
    assertThat(s.responsesReceived()).isEqualTo(20);
    assertThat(n.sum(QueryStats::relaysSent)).isEqualTo(19L * 2 * 3);
    // Answering twice is refused where it is given.
    Query.Outcome again = n.c.apply(7, (now, out) -> n.query(7).respond(now, id, new byte[1], out));
    assertThat(again).isEqualTo(Query.Outcome.DUPLICATE);
  }

  @Test
  void theDeadlineIsRespectedAndLateAnswersAreDroppedAndCounted() {
    Nodes n = nodes(20, 3);
    n.answerer = (i, r) -> i == 5 || i == 6 ? null : new byte[] {(byte) i};
    long timeout = 2_000;
    long issuedAt = n.c.now();
    QueryId id = n.issue(0, "slow", new byte[0], QueryOptions.defaults().timeout(Duration.ofMillis(timeout)));
    n.run(timeout - 5);
    assertThat(n.result(0, id)).as("still collecting").isNull();
    n.run(issuedAt + timeout - n.c.now());
    // Node 5 answers at the originator's deadline: still before its own (it received the query
    // later), so it sends, and the answer arrives after the deadline.
    Query.Outcome late = n.c.apply(5, (now, out) -> n.query(5).respond(now, id, new byte[] {5}, out));
    assertThat(late).isEqualTo(Query.Outcome.SENT);
    n.run(100);
    QueryResult r = n.result(0, id);
    assertThat(r).isNotNull();
    assertThat(r.timedOut()).isTrue();
    assertThat(r.responses()).hasSize(18).doesNotContainKeys("n5", "n6");
    assertThat(r.missingResponses()).containsExactlyInAnyOrder("n5", "n6");
    QueryStats s = n.query(0).stats();
    assertThat(s.lateAnswers()).isEqualTo(1);
    assertThat(n.c.stack(0).stats().dropped(DropReason.UNEXPECTED)).isGreaterThanOrEqualTo(1);
    // Node 6 answers after its own deadline: refused where it is given, and counted.
    n.run(timeout);
    Query.Outcome refused = n.c.apply(6, (now, out) -> n.query(6).respond(now, id, new byte[] {6}, out));
    assertThat(refused).isEqualTo(Query.Outcome.LATE);
    assertThat(n.query(6).stats().lateResponsesRefused()).isEqualTo(1);
    assertThat(n.c.node(0).events(QueryResponse.class)).hasSize(18);
  }

  @Test
  void filtersSelectExactlyTheMatchingNodes() {
    Nodes n = new Nodes(20, 4, QueryConfig.defaults(),
        // The agent's tag format: key=value lines.
        i -> ("dc=" + (i < 10 ? "eu" : "us") + "\nrole=" + (i % 2 == 0 ? "web" : "db")).getBytes(StandardCharsets.UTF_8));

    QueryId byName = n.issue(0, "who", new byte[0],
        QueryOptions.defaults().nodes(List.of("n3", "n7", "n11", "nobody")).timeout(Duration.ofSeconds(3)));
    QueryId byMeta = n.issue(1, "who", new byte[0],
        QueryOptions.defaults().metadataRegex("role=web$").timeout(Duration.ofSeconds(3)));
    QueryId both = n.issue(2, "who", new byte[0], QueryOptions.defaults().nodes(List.of("n3", "n4", "n6"))
        .tag("role", "web").timeout(Duration.ofSeconds(3)));
    QueryId tags = n.issue(3, "who", new byte[0], QueryOptions.defaults().tag("role", "web|api").tag("dc", "eu")
        .timeout(Duration.ofSeconds(3)));
    n.run(4_000);

    assertThat(n.deliveries(byName).keySet()).isEqualTo(n.names(3, 7, 11));
    assertThat(n.result(0, byName).expected()).isEqualTo(n.names(3, 7, 11));
    assertThat(n.result(0, byName).responses().keySet()).isEqualTo(n.names(3, 7, 11));
    assertThat(n.result(0, byName).timedOut()).isFalse();

    Set<String> evens = IntStream.range(0, 20).filter(i -> i % 2 == 0).mapToObj(i -> "n" + i)
        .collect(Collectors.toSet());
    assertThat(n.deliveries(byMeta).keySet()).isEqualTo(evens);
    assertThat(n.result(1, byMeta).expected()).isEqualTo(evens);
    assertThat(n.result(1, byMeta).responses().keySet()).isEqualTo(evens);

    assertThat(n.deliveries(both).keySet()).isEqualTo(n.names(4, 6));
    assertThat(n.result(2, both).responses().keySet()).isEqualTo(n.names(4, 6));
    assertThat(n.deliveries(tags).keySet()).isEqualTo(n.names(0, 2, 4, 6, 8));
    assertThat(n.result(3, tags).expected()).isEqualTo(n.names(0, 2, 4, 6, 8));
    assertThat(n.result(3, tags).responses().keySet()).isEqualTo(n.names(0, 2, 4, 6, 8));
    assertThat(n.sum(QueryStats::filteredOut)).isEqualTo(17 + 10 + 18 + 15);
  }

  @Test
  void aPathologicalPatternCostsBoundedWorkAndMatchesNothing() {
    String aaa = "a".repeat(60);
    Nodes n = new Nodes(5, 5, QueryConfig.defaults(), i -> aaa.getBytes(StandardCharsets.UTF_8));
    // Polynomial backtracking of degree 8: 18 s on 40 characters here without the budget, hours on 60.
    QueryId id = n.issue(0, "evil", new byte[0], QueryOptions.defaults().metadataRegex("(.*a){8}b")
        .timeout(Duration.ofSeconds(2)));
    n.run(3_000);
    assertThat(n.deliveries(id)).isEmpty();
    assertThat(n.result(0, id).expected()).isEmpty();
    // The originator's own check (for the expected set) and each node's.
    assertThat(n.sum(QueryStats::filterBudgetExceeded)).isEqualTo(5 + 5);
  }

  @Test
  void withTwentyPercentLossTheQueryStillReachesEveryNodeBeforeTheDeadline() {
    Nodes n = nodes(20, 6);
    n.c.network().loss(0.20);
    long timeout = n.query(0).defaultTimeout(20).toMillis();
    assertThat(timeout).isEqualTo(16 * 200 * 2);
    QueryId id = n.issue(0, "lossy", new byte[0], QueryOptions.defaults().requestAck(true).relayFactor(2));
    long issued = n.c.now();
    long[] allAt = {-1};
    while (n.c.now() < issued + timeout) {
      n.run(10);
      if (allAt[0] < 0 && n.deliveries(id).size() == 20) {
        allAt[0] = n.c.now();
      }
    }
    n.run(100);
    assertThat(allAt[0]).as("every node delivered").isPositive().isLessThan(issued + timeout);
    assertThat(n.deliveries(id)).allSatisfy((node, k) -> assertThat(k).isEqualTo(1L));
    QueryResult r = n.result(0, id);
    // Answers are datagrams too: the relays make up for most losses.
    assertThat(r.responses().size()).isGreaterThanOrEqualTo(18);
    assertThat(r.responses().size() + r.missingResponses().size()).isEqualTo(r.expected().size());
  }

  @Test
  void aFloodOfDistinctQueryIdsCostsBoundedState() {
    QueryConfig config = QueryConfig.defaults().toBuilder().dedupeWindow(64).build();
    Nodes n = new Nodes(3, 7, config, i -> new byte[0]);
    Endpoint attacker = VirtualNetwork.endpointOf(200);
    for (int i = 1; i <= 10_000; i++) {
      n.c.node(1).deliverNow(attacker, forged("mallory", i, 1_000, 0), Delivery.DATAGRAM);
      assertThat(n.query(1).rememberedQueries()).isLessThanOrEqualTo(64);
    }
    QueryStats s = n.query(1).stats();
    assertThat(s.delivered()).isEqualTo(64);
    assertThat(s.windowFull()).isEqualTo(10_000 - 64);
    // Held twice the timeout, then forgotten everywhere; nothing echoes back.
    n.run(3_500);
    assertThat(n.c.protocols(Query.class)).allSatisfy(q -> assertThat(q.rememberedQueries()).isZero());
    assertThat(n.deliveries(new QueryId("mallory", 1, 1))).containsOnlyKeys("n0", "n1", "n2")
        .allSatisfy((node, k) -> assertThat(k).isEqualTo(1L));
    long delivered = n.sum(QueryStats::delivered);
    n.run(5_000);
    assertThat(n.sum(QueryStats::delivered)).isEqualTo(delivered);
    // A real query still works.
    QueryId id = n.issue(0, "after", new byte[0], QueryOptions.defaults().timeout(Duration.ofSeconds(2)));
    n.run(2_500);
    assertThat(n.result(0, id).responses()).hasSize(3);
  }

  @Test
  void receivedQueriesOutOfBoundsAreDroppedAndCounted() {
    Nodes n = nodes(3, 8);
    Endpoint attacker = VirtualNetwork.endpointOf(200);
    // Asking for more than query.maxTimeout (2 min).
    n.c.node(1).deliverNow(attacker, forged("mallory", 1, 3 * 60_000, 0), Delivery.DATAGRAM);
    assertThat(n.query(1).stats().timeoutTooLong()).isEqualTo(1);
    assertThat(n.query(1).stats().delivered()).isZero();
    // Unknown flag bits: the whole packet is dropped by the stack, counted by reason.
    long bad = n.c.stack(1).stats().dropped(DropReason.BAD_FIELD);
    n.c.node(1).deliverNow(attacker, forged("mallory", 2, 1_000, 0x80), Delivery.DATAGRAM);
    assertThat(n.c.stack(1).stats().dropped(DropReason.BAD_FIELD)).isEqualTo(bad + 1);
    assertThat(n.query(1).stats().delivered()).isZero();
    // An answer to a query this node never issued.
    PacketWriter w = new PacketWriter(1400, CLUSTER).begin();
    w.beginMessage(MessageType.QUERY_RESPONSE).putString8("mallory").putLong(1).putLong(1).putString8("x")
        .putBytes32(new byte[3]).endMessage();
    n.c.node(1).deliverNow(attacker, w.finish(), Delivery.DATAGRAM);
    assertThat(n.query(1).stats().unknownAnswers()).isEqualTo(1);
  }

  @Test
  void answersLargerThanADatagramTravelOverStreamsAndOversizedOnesAreRefused() {
    QueryConfig config = QueryConfig.defaults().toBuilder().maxResponseBytes(8_000).build();
    Nodes n = new Nodes(5, 9, config, i -> new byte[0]);
    n.answerer = (i, r) -> i == 3 ? new byte[9_000] : new byte[4_000];
    QueryId id = n.issue(0, "big", new byte[0], QueryOptions.defaults().timeout(Duration.ofSeconds(2)));
    n.run(2_500);
    QueryResult r = n.result(0, id);
    assertThat(r.responses().keySet()).isEqualTo(n.names(0, 1, 2, 4));
    assertThat(r.responses().get("n1")).hasSize(4_000);
    assertThat(n.outcomes.get("n3 " + id)).isEqualTo(Query.Outcome.TOO_LARGE);
    assertThat(n.query(3).stats().responsesTooLarge()).isEqualTo(1);
    // The originator's own answer is recorded in place; the other three went as stream messages.
    assertThat(n.sum(QueryStats::responsesOverTcp)).isEqualTo(3);
  }

  @Test
  void issuingChecksItsArgumentsAndTheOutstandingCap() {
    QueryConfig config = QueryConfig.defaults().toBuilder().maxOutstanding(2).build();
    Nodes n = new Nodes(3, 10, config, i -> new byte[0]);
    QueryOptions o = QueryOptions.defaults().timeout(Duration.ofSeconds(1));
    assertThatThrownBy(() -> n.issue(0, "", new byte[0], o)).hasMessage("query name must be 1..255 UTF-8 bytes, got 0");
    assertThatThrownBy(() -> n.issue(0, "x", new byte[1025], o))
        .hasMessage("query payload is 1025 bytes, above query.maxPayloadBytes 1024");
    assertThatThrownBy(() -> n.issue(0, "x", new byte[0], o.metadataRegex("(")))
        .hasMessageStartingWith("metadata pattern does not compile: ");
    assertThatThrownBy(() -> n.issue(0, "x", new byte[0], o.relayFactor(6)))
        .hasMessage("relay factor must be 0..5, got 6");
    assertThatThrownBy(() -> n.issue(0, "x", new byte[0], o.timeout(Duration.ofMinutes(3))))
        .hasMessage("query timeout must be positive and at most query.maxTimeout PT2M, got PT3M");
    List<String> many = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      many.add("a-rather-long-node-name-" + i);
    }
    assertThatThrownBy(() -> n.issue(0, "x", new byte[0], o.nodes(many)))
        .hasMessageMatching("query 'x' is \\d+ bytes encoded \\(name, filters, payload\\), above the \\d+ bytes one"
            + " gossip datagram carries");
    n.issue(0, "x", new byte[0], o);
    n.issue(0, "x", new byte[0], o);
    assertThatThrownBy(() -> n.issue(0, "x", new byte[0], o)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("query.maxOutstanding");
    assertThat(n.query(0).stats().refused()).isEqualTo(1);
    n.run(1_500);
    n.issue(0, "x", new byte[0], o);
    assertThat(n.query(0).stats().issued()).isEqualTo(3);
  }

  /** A QUERY packet from {@code origin}, sequence {@code seq}, with raw flags. */
  private static ByteBuffer forged(String origin, long seq, int timeoutMillis, int flags) {
    PacketWriter w = new PacketWriter(1400, CLUSTER).begin();
    w.beginMessage(MessageType.QUERY).putString8(origin).putLong(1).putLong(seq)
        .putEndpoint(VirtualNetwork.endpointOf(200)).putInt(timeoutMillis).putByte(flags).putByte(0)
        .putString8("flood").putShort(0).putByte(0).putBytes32(new byte[0]).endMessage();
    return w.finish();
  }
}
