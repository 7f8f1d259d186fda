// SPDX-License-Identifier: Apache-2.0
package io.grapevine.bench;

import io.grapevine.Cluster;
import io.grapevine.QueryHandle;
import io.grapevine.QueryHandler;
import io.grapevine.api.MemberState;
import io.grapevine.config.MembershipConfig;
import io.grapevine.query.QueryOptions;
import io.grapevine.query.QueryResult;
import io.grapevine.runtime.EventLoop;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Query latency on loopback: N real nodes (LAN profile, real UDP/TCP sockets on 127.0.0.1) in this
 * JVM, every node answering "bench" queries at once with its name. Queries are issued one at a time
 * from rotating nodes, acks asked for; for each, the time from issue until the originator had every
 * node's ack, and every node's answer, and the bytes all nodes sent meanwhile beyond membership's own
 * (measured idle just before). Not part of the test suite.
 *
 * <p>Usage: {@code QueryBenchmark [nodes=50] [queries=20] [loops=shared|per-node] [warmup=3]}: with
 * {@code shared} every node runs on one event-loop thread (as the events benchmark); with
 * {@code per-node} each has its own.
 */
public final class QueryBenchmark {
  private QueryBenchmark() {}

  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 50;
    int queries = args.length > 1 ? Integer.parseInt(args[1]) : 20;
    String loops = args.length > 2 ? args[2] : "shared";
    int warmup = args.length > 3 ? Integer.parseInt(args[3]) : 3;
    if (!loops.equals("shared") && !loops.equals("per-node")) {
      throw new IllegalArgumentException("loops must be shared or per-node, got " + loops);
    }
    EventLoop loop = loops.equals("shared") ? new EventLoop() : null;
    List<Cluster> nodes = new ArrayList<>();
    try {
      for (int i = 0; i < n; i++) {
        String name = String.format("q-%03d", i);
        var b = Cluster.builder().name(name).clusterName("query-bench").bind("127.0.0.1:0")
            .config(MembershipConfig.lan()).randomSeed(i);
        if (loop != null) {
          b.eventLoop(loop);
        }
        Cluster c = b.start();
        byte[] answer = name.getBytes(StandardCharsets.UTF_8);
        c.onQuery("bench", QueryHandler.sync(r -> answer));
        nodes.add(c);
      }
      String seed = nodes.get(0).endpoint().toString();
      for (int i = 1; i < n; i++) {
        nodes.get(i).join(List.of(seed)).get(30, TimeUnit.SECONDS);
      }
      if (!waitUntil(120_000, () -> nodes.stream().allMatch(c -> c.members().stream()
          .filter(m -> m.state() == MemberState.ALIVE).count() == n))) {
        throw new IllegalStateException("the " + n + " nodes did not all see each other within 120 s");
      }
      Thread.sleep(3_000); // let join gossip drain before measuring membership's idle rate
      long idleStart = System.nanoTime();
      long idleBytes0 = bytesOut(nodes);
      Thread.sleep(5_000);
      double idleRate = (bytesOut(nodes) - idleBytes0) / ((System.nanoTime() - idleStart) / 1e9);

      double[] toAcks = new double[queries];
      double[] toAnswers = new double[queries];
      double[] bytes = new double[queries];
      int complete = 0;
      for (int q = -warmup; q < queries; q++) {
        Cluster origin = nodes.get(Math.floorMod(q * 7, n));
        AtomicLong lastAck = new AtomicLong();
        AtomicLong lastAnswer = new AtomicLong();
        long[] delivered0 = nodes.stream().mapToLong(c -> c.queryStats().delivered()).toArray();
        long[] dup0 = nodes.stream().mapToLong(c -> c.queryStats().duplicates()).toArray();
        long[] drop0 = nodes.stream().mapToLong(c -> c.stats().droppedTotal()).toArray();
        long[] in0 = nodes.stream().mapToLong(c -> c.transportStats().datagramsIn()).toArray();
        long b0 = bytesOut(nodes);
        long start = System.nanoTime();
        QueryHandle h = origin.query("bench", new byte[0],
            QueryOptions.defaults().requestAck(true).timeout(Duration.ofSeconds(5)));
        h.onAck(a -> lastAck.accumulateAndGet(System.nanoTime(), Math::max));
        h.onResponse(r -> lastAnswer.accumulateAndGet(System.nanoTime(), Math::max));
        QueryResult r = h.result().get(30, TimeUnit.SECONDS);
        long end = System.nanoTime();
        // Acks and answers relayed or retransmitted after the end still count: wait a little.
        Thread.sleep(300);
        long spent = bytesOut(nodes) - b0;
        double elapsedS = (System.nanoTime() - start) / 1e9;
        if (q < 0) {
          continue;
        }
        boolean all = r.acked().size() == n && r.responses().size() == n;
        complete += all ? 1 : 0;
        toAcks[q] = r.acked().size() == n ? (lastAck.get() - start) / 1e6 : Double.NaN;
        toAnswers[q] = r.responses().size() == n ? (lastAnswer.get() - start) / 1e6 : Double.NaN;
        bytes[q] = spent - idleRate * elapsedS;
        System.out.printf(Locale.ROOT, "query %2d from %s: acks %d/%d in %.1f ms, answers %d/%d in %.1f ms, "
            + "finished after %.1f ms, %.0f bytes beyond membership%n", q, origin.localMember().name(),
            r.acked().size(), n, toAcks[q], r.responses().size(), n, toAnswers[q], (end - start) / 1e6, bytes[q]);
        for (String missing : r.missingResponses()) {
          int i = Integer.parseInt(missing.substring(2));
          Cluster m = nodes.get(i);
          System.out.printf(Locale.ROOT, "  no answer from %s: it %s the query; meanwhile there: %d duplicate copies,"
              + " %d packets dropped, %d datagrams in; %s%n", missing,
              m.queryStats().delivered() > delivered0[i] ? "delivered" : "never delivered",
              m.queryStats().duplicates() - dup0[i], m.stats().droppedTotal() - drop0[i],
              m.transportStats().datagramsIn() - in0[i], m.queryStats());
        }
      }
      System.out.printf(Locale.ROOT, "%nN=%d, %s event loop%s, LAN profile, loopback; %d queries (after %d warm-up),"
          + " %d complete; membership alone sent %.0f B/s in all%n", n, loops, loops.equals("shared") ? "" : "s",
          queries, warmup, complete, idleRate);
      System.out.println("| N | queries | all acks p50 | p99 | all answers p50 | p99 | bytes per query p50 | per node |");
      System.out.println("|---|---|---|---|---|---|---|---|");
      System.out.printf(Locale.ROOT, "| %d | %d | %.1f ms | %.1f ms | %.1f ms | %.1f ms | %.0f | %.0f |%n", n, queries,
          pct(toAcks, 50), pct(toAcks, 99), pct(toAnswers, 50), pct(toAnswers, 99), pct(bytes, 50),
          pct(bytes, 50) / n);
    } finally {
      nodes.forEach(Cluster::close);
      if (loop != null) {
        loop.close();
      }
    }
  }

  private static long bytesOut(List<Cluster> nodes) {
    long sum = 0;
    for (Cluster c : nodes) {
      sum += c.transportStats().bytesOut();
    }
    return sum;
  }

  /** The nearest-rank percentile (with 20 values, p99 is the largest); NaN (incomplete) sorts last. */
  static double pct(double[] values, int p) {
    double[] s = values.clone();
    Arrays.sort(s);
    int rank = (int) Math.ceil(p / 100.0 * s.length);
    return s[Math.max(0, Math.min(s.length - 1, rank - 1))];
  }

  private static boolean waitUntil(long boundMillis, java.util.function.BooleanSupplier condition)
      throws InterruptedException {
    long end = System.nanoTime() + boundMillis * 1_000_000;
    while (System.nanoTime() < end) {
      if (condition.getAsBoolean()) {
        return true;
      }
      Thread.sleep(20);
    }
    return condition.getAsBoolean();
  }
}
