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

  /** One query as measured: times from issue to the last ack and last answer (NaN if none), bytes it cost. */
  public record QueryRow(int query, int origin, double lastAckMillis, double lastAnswerMillis, int acks, int answers,
      long bytes) {}

  /** What a run measured. */
  public record Result(int n, String mode, List<QueryRow> rows, int complete, boolean settled,
      double duplicatesPerNodePerQuery, long virtualMillis, long bytesSent, boolean stopped) {
    /** Nearest-rank percentile of the last-answer times. */
    public double lastAnswerPercentile(int p) {
      return pct(rows.stream().mapToDouble(QueryRow::lastAnswerMillis).toArray(), p);
    }

    public double lastAckPercentile(int p) {
      return pct(rows.stream().mapToDouble(QueryRow::lastAckMillis).toArray(), p);
    }
  }

  /** Watches a run: sees each query as it finishes, may end the run between queries and steps. */
  public interface Hooks {
    default void afterQuery(QueryRow row) {}

    default boolean stop() {
      return false;
    }
  }

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
    long wall = System.nanoTime();
    System.out.printf(Locale.ROOT, "# query: mode=%s N=%d queries=%d seed=%d latency=1..5 ms one-way%n", mode, n,
        queries, seed);
    System.out.println("query,origin,last_ack_ms,last_answer_ms,acks,answers,bytes,bytes_per_node");
    int size = n;
    Result r = run(n, mode.equals("membership"), queries, seed, timeoutS * 1000, QueryConfig.defaults(),
        MembershipConfig.lan(), new Hooks() {
          @Override
          public void afterQuery(QueryRow q) {
            System.out.printf(Locale.ROOT, "%d,%d,%.0f,%.0f,%d,%d,%d,%.1f%n", q.query(), q.origin(),
                q.lastAckMillis(), q.lastAnswerMillis(), q.acks(), q.answers(), q.bytes(), q.bytes() / (double) size);
          }
        });
    double[] lastAck = r.rows().stream().mapToDouble(QueryRow::lastAckMillis).toArray();
    double[] lastAnswer = r.rows().stream().mapToDouble(QueryRow::lastAnswerMillis).toArray();
    double[] bytes = r.rows().stream().mapToDouble(QueryRow::bytes).toArray();
    System.out.printf(Locale.ROOT,
        "# %s N=%d: %d of %d queries reached every node; last ack p50 %.0f ms p99 %.0f ms; last answer p50 %.0f ms"
            + " p99 %.0f ms; bytes per query p50 %.0f (%.1f per node); duplicate copies per node per query %.1f;"
            + " wall %.1f s%n",
        mode, n, r.complete(), queries, pct(lastAck, 50), pct(lastAck, 99), pct(lastAnswer, 50), pct(lastAnswer, 99),
        pct(bytes, 50), pct(bytes, 50) / n, r.duplicatesPerNodePerQuery(), (System.nanoTime() - wall) / 1e9);
  }

  /**
   * Runs {@code queries} queries one after another.
   *
   * @param withMembership the {@code membership} mode (else {@code push})
   * @param timeoutMillis each query's timeout, and how long the run waits for its answers
   */
  public static Result run(int n, boolean withMembership, int queries, long seed, long timeoutMillis,
      QueryConfig qc, MembershipConfig m, Hooks hooks) {
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
    boolean settled = true;
    if (withMembership) {
      for (int i = 1; i < n; i++) {
        int k = i;
        c.call(k, (now, out) -> c.protocol(k, Membership.class).join(now, List.of(c.endpoint(0)), out));
      }
      settled = c.runUntil(() -> hooks.stop()
          || c.protocols(Membership.class).stream().allMatch(x -> x.liveCount() == size), 300_000);
      c.runFor(5_000);
    }
    List<QueryRow> rows = new ArrayList<>();
    int complete = 0;
    boolean stopped = false;
    for (int q = 0; q < queries; q++) {
      if (hooks.stop()) {
        stopped = true;
        break;
      }
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
      QueryOptions o = QueryOptions.defaults().requestAck(true).timeout(Duration.ofMillis(timeoutMillis));
      QueryId id = c.apply(origin, (now, out) -> c.protocol(origin, Query.class).issue(now, "q", new byte[0], o, out));
      while (c.now() < start + timeoutMillis && (answerTimes.getOrDefault(id, List.of()).size() < n
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
        if ((c.now() & 127) == 0 && hooks.stop()) {
          stopped = true;
          break;
        }
      }
      long elapsed = c.now() - start;
      long spent = c.network().bytesSent() - b0 - baseRate * elapsed / 1000;
      List<Long> acks = ackTimes.getOrDefault(id, List.of());
      List<Long> answers = answerTimes.getOrDefault(id, List.of());
      double lastAck = acks.isEmpty() ? Double.NaN : acks.stream().mapToLong(x -> x).max().getAsLong() - start;
      double lastAnswer = answers.isEmpty() ? Double.NaN
          : answers.stream().mapToLong(x -> x).max().getAsLong() - start;
      complete += acks.size() == n && answers.size() == n ? 1 : 0;
      QueryRow row = new QueryRow(q, origin, lastAck, lastAnswer, acks.size(), answers.size(), spent);
      rows.add(row);
      hooks.afterQuery(row);
      ackTimes.remove(id);
      answerTimes.remove(id);
      if (stopped) {
        break;
      }
    }
    long duplicates = 0;
    for (Query q : c.protocols(Query.class)) {
      QueryStats s = q.stats();
      duplicates += s.duplicates();
    }
    return new Result(n, withMembership ? "membership" : "push", rows, complete, settled,
        duplicates / (double) n / Math.max(1, rows.size()), c.now(), c.network().bytesSent(), stopped);
  }

  /** The nearest-rank percentile. */
  static double pct(double[] values, int p) {
    double[] s = values.clone();
    Arrays.sort(s);
    int rank = (int) Math.ceil(p / 100.0 * s.length);
    return s[Math.max(0, Math.min(s.length - 1, rank - 1))];
  }
}
