// SPDX-License-Identifier: Apache-2.0
package io.grapevine.sim.experiments;

import static org.assertj.core.api.Assertions.assertThat;

import io.grapevine.config.CoordinatesConfig;
import io.grapevine.config.MembershipConfig;
import io.grapevine.config.QueryConfig;
import org.junit.jupiter.api.Test;

/** QueryRun and CoordinatesRun at small N with fixed seeds. */
class QueryAndCoordinatesRunTest {

  @Test
  void everyQueryRidingOnMembershipIsAckedAndAnsweredByEveryNode() {
    int n = 60;
    QueryRun.Result r = QueryRun.run(n, true, 3, 4, 10_000, QueryConfig.defaults(), MembershipConfig.lan(),
        new QueryRun.Hooks() {});
    assertThat(r.settled()).isTrue();
    assertThat(r.rows()).hasSize(3);
    for (QueryRun.QueryRow q : r.rows()) {
      assertThat(q.acks()).as("acks of query %d", q.query()).isEqualTo(n);
      assertThat(q.answers()).as("answers of query %d", q.query()).isEqualTo(n);
      // An answer from the farthest node needs the request's hops there and one hop back (1..5 ms
      // each), and gossip delivers within a few gossip intervals, not the 10 s timeout.
      assertThat(q.lastAnswerMillis()).isBetween(2.0, 3_000.0);
      assertThat(q.bytes()).isPositive();
    }
    assertThat(r.complete()).isEqualTo(3);
    // Each node delivers a query once: copies beyond the first are counted as duplicates, never delivered.
    assertThat(r.duplicatesPerNodePerQuery()).isGreaterThanOrEqualTo(0);
  }

  @Test
  void pushQueriesReachNearlyEveryNodeWithinMilliseconds() {
    int n = 200;
    QueryRun.Result r = QueryRun.run(n, false, 4, 2, 5_000, QueryConfig.defaults(), MembershipConfig.lan(),
        new QueryRun.Hooks() {});
    for (QueryRun.QueryRow q : r.rows()) {
      // Push to ceil(ln N) + 2 = 8 peers on first receipt: a node is missed with probability about
      // e^-8 per query, so nearly all answer, and in a few hops of 1..5 ms.
      assertThat(q.answers()).isGreaterThanOrEqualTo(n - 3);
      assertThat(q.lastAnswerMillis()).isLessThan(200);
    }
  }

  @Test
  void coordinatesLearnTheGeometryTheErrorFallsAndMostPairsBecomeEstimable() {
    CoordinatesRun.Result r = CoordinatesRun.run(200, 180_000, 30_000, 1500, 150, 1, 9, CoordinatesConfig.defaults(),
        MembershipConfig.lan(), new CoordinatesRun.Hooks() {});
    assertThat(r.samples()).hasSize(6);
    CoordinatesRun.Sample first = r.samples().get(0);
    CoordinatesRun.Sample last = r.samples().get(r.samples().size() - 1);
    System.out.printf("coordinates N=200: median relative error %.3f at %d s, %.3f at %d s%n", first.medianRelError(),
        first.tMillis() / 1000, last.medianRelError(), last.tMillis() / 1000);
    assertThat(last.estimable()).isGreaterThan(0.8);
    // Vivaldi with heights on a plane with access links: a median error of a few percent once every
    // node has probed most others (about 0.06 here); coordinates that did not move would leave ~0.3.
    assertThat(last.medianRelError()).isLessThan(0.12);
    assertThat(last.medianRelError()).isLessThan(first.medianRelError());
  }
}
