// SPDX-License-Identifier: Apache-2.0
package io.grapevine.sim.experiments;

import io.grapevine.config.MembershipConfig;
import io.grapevine.config.QueryConfig;
import io.grapevine.membership.Membership;
import io.grapevine.query.Query;
import io.grapevine.query.QueryAck;
import io.grapevine.query.QueryId;
import io.grapevine.query.QueryOptions;
import io.grapevine.query.QueryRequest;
import io.grapevine.query.QueryResponse;
import io.grapevine.query.QueryStats;
import io.grapevine.testkit.LinkLatency;
import io.grapevine.testkit.StackCluster;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Time for one query to collect an ack and an answer from every node, in virtual time, over the
 * test kit's network (one-way latency uniform in 1..5 ms). Every node answers at once (within the
 * 1 ms step the run advances by). Queries are issued one after another from rotating nodes, with
 * acks asked for; the run reports, per query, the time until the last ack and the last answer
 * reached the originator, and the bytes sent during it.
 *
 * <ul>
 *   <li>{@code --mode membership}: full SWIM membership (LAN profile) and the query protocol, joined
 *       through node 0 and settled first; the query rides on membership's datagrams (piggyback) plus
 *       the originator's first direct copies, as in the socket runtime. Bytes are the network's total
 *       during the query minus membership's own rate measured just before.
 *   <li>{@code --mode push}: the query protocol alone over uniform random peer sampling: each node
 *       pushes the query once, on first receipt, to {@code ceil(ln N) + 2} peers. No membership
 *       state, so it runs at N = 10^4 and beyond; every byte counted is the query's.
 * </ul>
 *
 * <pre>QueryRun --nodes 10000 --mode push --queries 20 [--seed 1] [--timeout-s 10]</pre>
 *
 * Not a test: {@code bench/query-sim.sh}.
 */
public final class QueryRun {
  private QueryRun() {}

  public static void main(String[] args) {
    int n = 10_000;
    String mode = "push";
    int queries = 20;
    long seed = 1;
    long timeoutS = 10;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--nodes" -> n = Integer.parseInt(args[++i]);
        case "--mode" -> mode = args[++i];
        case "--queries" -> queries = Integer.parseInt(args[++i]);
        case "--seed" -> seed = Long.parseLong(args[++i]);
        case "--timeout-s" -> timeoutS = Long.parseLong(args[++i]);
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    if (!mode.equals("push") && !mode.equals("membership")) {
      throw new IllegalArgumentException("--mode must be push or membership, got " + mode);
    }
    boolean withMembership = mode.equals("membership");
    MembershipConfig m = MembershipConfig.lan();
    QueryConfig qc = QueryConfig.defaults();
    long wall = System.nanoTime();
    int size = n;
    StackCluster c = StackCluster.builder(seed).clusterName("qsim").latency(LinkLatency.uniform(1, 5))
        .build(n, (node, b) -> {
          b.datagramBytes(m.udpPayloadBytes).streamMessageMaxBytes(m.streamMessageMaxBytes);
          if (withMembership) {
            b.add(new Membership("qsim", node.name(), node.endpoint(), 1, new byte[0], m, node.random("membership")));
          }
          b.add(new Query(qc, m.gossipInterval, 1));
        });
    c.network().collectEvents(false);
    // Requests delivered since the last step, answered at the next; acks and answers at originators.
    List<int[]> pendingNodes = new ArrayList<>();
    List<QueryRequest> pending = new ArrayList<>();
    Map<QueryId, List<Long>> ackTimes = new HashMap<>();
    Map<QueryId, List<Long>> answerTimes = new HashMap<>();
    c.network().onEvent((node, now, event) -> {
      if (event instanceof QueryRequest r) {
        pendingNodes.add(new int[] {node.index()});
        pending.add(r);
      } else if (event instanceof QueryAck a) {
        ackTimes.computeIfAbsent(a.id(), k -> new ArrayList<>()).add(now);
      } else if (event instanceof QueryResponse r) {
        answerTimes.computeIfAbsent(r.id(), k -> new ArrayList<>()).add(now);
      }
    });
    if (withMembership) {
      for (int i = 1; i < n; i++) {
        int k = i;
        c.call(k, (now, out) -> c.protocol(k, Membership.class).join(now, List.of(c.endpoint(0)), out));
      }
      boolean settled = c.runUntil(() -> c.protocols(Membership.class).stream().allMatch(x -> x.liveCount() == size),
          300_000);
      c.runFor(5_000);
      System.out.printf(Locale.ROOT, "# membership %s at %.1f s virtual, %.1f s wall%n",
          settled ? "settled" : "NOT settled", c.now() / 1000.0, (System.nanoTime() - wall) / 1e9);
    }
    System.out.printf(Locale.ROOT, "# query: mode=%s N=%d queries=%d seed=%d latency=1..5 ms one-way%n", mode, n,
        queries, seed);
    System.out.println("query,origin,last_ack_ms,last_answer_ms,acks,answers,bytes,bytes_per_node");
    double[] lastAck = new double[queries];
    double[] lastAnswer = new double[queries];
    double[] bytes = new double[queries];
    int complete = 0;
    for (int q = 0; q < queries; q++) {
      int origin = (q * 7919) % n;
      // Membership's own traffic over one second, to subtract from the query's window.
      long baseRate = 0;
      if (withMembership) {
        long b0 = c.network().bytesSent();
        c.runFor(1_000);
        baseRate = c.network().bytesSent() - b0;
      }
      long b0 = c.network().bytesSent();
      long start = c.now();
      QueryOptions o = QueryOptions.defaults().requestAck(true).timeout(Duration.ofSeconds(timeoutS));
      QueryId id = c.apply(origin, (now, out) -> c.protocol(origin, Query.class).issue(now, "q", new byte[0], o, out));
      while (c.now() < start + timeoutS * 1000 && (answerTimes.getOrDefault(id, List.of()).size() < n
          || ackTimes.getOrDefault(id, List.of()).size() < n)) {
        c.runFor(1);
        for (int p = 0; p < pending.size(); p++) {
          int node = pendingNodes.get(p)[0];
          QueryRequest r = pending.get(p);
          byte[] answer = ("n" + node + " ok").getBytes(StandardCharsets.UTF_8);
          c.apply(node, (now, out) -> c.protocol(node, Query.class).respond(now, r.id(), answer, out));
        }
        pending.clear();
        pendingNodes.clear();
      }
      long elapsed = c.now() - start;
      long spent = c.network().bytesSent() - b0 - baseRate * elapsed / 1000;
      List<Long> acks = ackTimes.getOrDefault(id, List.of());
      List<Long> answers = answerTimes.getOrDefault(id, List.of());
      lastAck[q] = acks.isEmpty() ? Double.NaN : acks.stream().mapToLong(x -> x).max().getAsLong() - start;
      lastAnswer[q] = answers.isEmpty() ? Double.NaN : answers.stream().mapToLong(x -> x).max().getAsLong() - start;
      bytes[q] = spent;
      complete += acks.size() == n && answers.size() == n ? 1 : 0;
      System.out.printf(Locale.ROOT, "%d,%d,%.0f,%.0f,%d,%d,%d,%.1f%n", q, origin, lastAck[q], lastAnswer[q],
          acks.size(), answers.size(), spent, spent / (double) n);
      ackTimes.remove(id);
      answerTimes.remove(id);
    }
    long duplicates = 0;
    for (Query q : c.protocols(Query.class)) {
      QueryStats s = q.stats();
      duplicates += s.duplicates();
    }
    System.out.printf(Locale.ROOT,
        "# %s N=%d: %d of %d queries reached every node; last ack p50 %.0f ms p99 %.0f ms; last answer p50 %.0f ms"
            + " p99 %.0f ms; bytes per query p50 %.0f (%.1f per node); duplicate copies per node per query %.1f;"
            + " wall %.1f s%n",
        mode, n, complete, queries, pct(lastAck, 50), pct(lastAck, 99), pct(lastAnswer, 50), pct(lastAnswer, 99),
        pct(bytes, 50), pct(bytes, 50) / n, duplicates / (double) n / queries, (System.nanoTime() - wall) / 1e9);
  }

  /** The nearest-rank percentile. */
  static double pct(double[] values, int p) {
    double[] s = values.clone();
    Arrays.sort(s);
    int rank = (int) Math.ceil(p / 100.0 * s.length);
    return s[Math.max(0, Math.min(s.length - 1, rank - 1))];
  }
}
