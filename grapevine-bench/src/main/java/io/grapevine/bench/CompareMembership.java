// SPDX-License-Identifier: Apache-2.0
package io.grapevine.bench;

import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Side-by-side membership benchmark: the same scenario against Grapevine, HashiCorp memberlist
 * (the reference node {@code mlnode}, DefaultLANConfig) and Redis Cluster (its cluster bus), with
 * ONE OS PROCESS PER NODE for every system, all on 127.0.0.1.
 *
 * <p>Per run (a fresh cluster of N): start node 0, then the other N-1 at once, each joining node 0
 * (memberlist: at start-up; Grapevine: once every JVM has started, so JVM start-up is not protocol
 * time; Redis: CLUSTER MEET node 0 once all are up); join convergence = time from the last join call
 * returning until every node lists all N. Then a settle period and a steady-state window: bytes sent per node
 * (payload, UDP + TCP; Redis: bytes its process wrote, which on an idle node is the cluster bus)
 * once membership has been quiet for a few seconds,
 * CPU and RSS per process from /proc. Then SIGKILL of one random non-seed node: first suspicion
 * anywhere (Redis: first PFAIL) and the time until every survivor marks it dead (Redis: FAIL).
 * With {@code --crashes K} (Grapevine and memberlist) K nodes are killed one after another, each
 * once the previous one is dead everywhere and 10 s have passed: K crash samples per run, since one
 * crash's times depend mostly on which prober happens to reach the victim first.
 * Systems alternate within each repetition so that a noisy machine hurts all of them alike;
 * ratios are computed per repetition, then the median is taken.
 *
 * <p>With {@code --scenario events} the run instead measures user events (Grapevine and memberlist):
 * after convergence and a quiet period, K broadcasts one at a time from rotating nodes, publish to
 * last node received, and deliveries per node.
 *
 * <p>Run by {@code bench/compare-membership}; never part of the test suite. Every wait is bounded,
 * only processes started here are killed (by PID), and every child dies with the driver (children
 * exit on end of stdin; a shutdown hook kills the rest).
 */
public final class CompareMembership {
  static final String GV = "grapevine";
  static final String ML = "memberlist";
  static final String RC = "redis";
  /** Grapevine with every packet sealed (AES-256-GCM, one key shared by the run's nodes). */
  static final String GVK = "grapevine-key";
  /** memberlist with its keyring on (AES-256-GCM, {@code mlnode -key}). */
  static final String MLK = "memberlist-key";
  private static final List<String> ORDER = List.of(GV, ML, RC, GVK, MLK);
  /** The AES-256 key of the keyed systems: fixed, so runs are comparable; loopback only. */
  private static final byte[] BENCH_KEY = new byte[32];

  static {
    new Random(20261206L).nextBytes(BENCH_KEY);
  }

  /** Whether {@code system} runs Grapevine nodes (plain or keyed). */
  static boolean isGv(String system) {
    return system.equals(GV) || system.equals(GVK);
  }
  private static final Pattern FIELD =
      Pattern.compile("\"([A-Za-z_0-9]+)\":(\"((?:[^\"\\\\]|\\\\.)*)\"|[-0-9.eE+]+|true|false|null)");
  private static final List<Child> CHILDREN = new java.util.concurrent.CopyOnWriteArrayList<>();

  // Options.
  private int[] sizes = {10, 50};
  private int runs = 3;
  private int windowSec = 30;
  /** Nodes killed one after another per run (Grapevine and memberlist). */
  private int crashes = 1;
  private int settleSec = 5;
  private int quietSec = 5;
  private int quietMaxSec = 60;
  private String scenario = "membership";
  private int eventCount = 10;
  private int eventBoundSec = 10;
  private int warmupEvents = 0;
  private List<String> systems = ORDER;
  private String mlnode = "/tmp/compare-membership/mlnode";
  private String javaCmd = ProcessHandle.current().info().command().orElse("java");
  private String gvClasspath = System.getProperty("java.class.path");
  private List<String> gvJvmOpts = List.of("-Xms8m", "-Xmx64m", "-Xss256k", "-XX:+UseSerialGC",
      "-XX:TieredStopAtLevel=1", "-XX:CICompilerCount=1", "-XX:CompileThresholdScaling=0.1", "-XX:-UsePerfData",
      "-XX:ReservedCodeCacheSize=16m",
      "-XX:MaxMetaspaceSize=64m", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
  private Path outDir = Path.of("/tmp/compare-membership/run");
  private int redisNodeTimeoutMs = 5000;
  private int gvPortBase = 26000;
  private int mlPortBase = 28000;
  private int redisPortBase = 11000;
  private long clkTck = 100;
  private long pageSize = 4096;
  private Path pidFile;

  public static void main(String[] args) throws Exception {
    CompareMembership c = new CompareMembership();
    if (args.length == 2 && args[0].equals("--table-from")) {
      System.out.println(c.tableFrom(Path.of(args[1])));
      return;
    }
    c.parse(args);
    Runtime.getRuntime().addShutdownHook(new Thread(CompareMembership::killAll, "kill-children"));
    c.runAll();
  }

  private void parse(String[] args) {
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (a.equals("--quick")) {
        sizes = new int[] {10};
        runs = 1;
        continue;
      }
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException("missing value after " + a);
      }
      String v = args[++i];
      switch (a) {
        case "--sizes" -> sizes = Arrays.stream(v.split(",")).mapToInt(Integer::parseInt).toArray();
        case "--runs" -> runs = Integer.parseInt(v);
        case "--window" -> windowSec = Integer.parseInt(v);
        case "--settle" -> settleSec = Integer.parseInt(v);
        case "--crashes" -> crashes = Integer.parseInt(v);
        case "--quiet" -> quietSec = Integer.parseInt(v);
        case "--systems" -> systems = ORDER.stream().filter(s -> Arrays.asList(v.split(",")).contains(s)).toList();
        case "--scenario" -> scenario = v;
        case "--events" -> eventCount = Integer.parseInt(v);
        case "--warmup-events" -> warmupEvents = Integer.parseInt(v);
        case "--mlnode" -> mlnode = v;
        case "--java" -> javaCmd = v;
        case "--gv-classpath" -> gvClasspath = v;
        case "--gv-jvm-opts" -> gvJvmOpts = Arrays.asList(v.trim().split("\\s+"));
        case "--out" -> outDir = Path.of(v);
        case "--redis-node-timeout" -> redisNodeTimeoutMs = Integer.parseInt(v);
        case "--clk-tck" -> clkTck = Long.parseLong(v);
        case "--page-size" -> pageSize = Long.parseLong(v);
        default -> throw new IllegalArgumentException("unknown option " + a);
      }
    }
    for (int n : sizes) {
      if (n < 3 || n > 199) {
        throw new IllegalArgumentException("sizes must be 3..199 (ports stay below 32768), got " + n);
      }
    }
    if (!scenario.equals("membership") && !scenario.equals("events")) {
      throw new IllegalArgumentException("--scenario must be membership or events, got " + scenario);
    }
    if (scenario.equals("events")) {
      systems = systems.stream().filter(s -> !s.equals(RC)).toList();
    }
    if (warmupEvents < 0 || warmupEvents > 100) {
      throw new IllegalArgumentException("--warmup-events must be 0..100, got " + warmupEvents);
    }
    if (eventCount < 1 || eventCount > 1000) {
      throw new IllegalArgumentException("--events must be 1..1000, got " + eventCount);
    }
    if (crashes < 1 || crashes > 10) {
      throw new IllegalArgumentException("--crashes must be 1..10, got " + crashes);
    }
    if (runs < 1 || windowSec < 1 || settleSec < 0) {
      throw new IllegalArgumentException("runs >= 1, window >= 1 s, settle >= 0 s");
    }
  }

  // ------------------------------------------------------------------------------------- driver

  private void runAll() throws Exception {
    Files.createDirectories(outDir);
    pidFile = outDir.resolve("pids.txt");
    Path results = outDir.resolve("results.jsonl");
    System.out.printf(Locale.ROOT, "compare-membership: systems %s, sizes %s, %d run(s), settle %d s, window %d s,"
        + " one OS process per node, loopback%n", systems, Arrays.toString(sizes), runs, settleSec, windowSec);
    Map<String, List<Result>> all = new LinkedHashMap<>();
    for (int n : sizes) {
      for (int rep = 0; rep < runs; rep++) {
        for (String sys : systems) {
          long t0 = System.nanoTime();
          Result r;
          try {
            r = switch (sys) {
              case GV, ML, GVK, MLK -> new LineCluster(sys, n, rep).run();
              default -> new RedisCluster(n, rep).run();
            };
          } catch (Exception e) {
            r = new Result(sys, n, rep);
            r.error = e.toString();
          }
          r.wallSec = (System.nanoTime() - t0) / 1e9;
          r.load = loadavg();
          if (scenario.equals("membership") || r.error != null) {
            System.out.println("  " + r.summary());
          }
          Files.writeString(results, r.toJson() + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
          all.computeIfAbsent(sys + "/" + n, k -> new ArrayList<>()).add(r);
          Thread.sleep(1500);
        }
      }
    }
    String table = scenario.equals("events") ? eventsTable(all) : table(all);
    System.out.println();
    System.out.println(table);
    Files.writeString(outDir.resolve("table.md"), table);
  }

  // ------------------------------------------------------------------------------------- results

  /** Rebuilds the table from a results.jsonl written by earlier runs (several files may be concatenated). */
  String tableFrom(Path jsonl) throws IOException {
    Map<String, List<Result>> all = new LinkedHashMap<>();
    java.util.TreeSet<Integer> ns = new java.util.TreeSet<>();
    java.util.LinkedHashSet<String> sys = new java.util.LinkedHashSet<>();
    for (String line : Files.readAllLines(jsonl)) {
      Map<String, String> f = new HashMap<>();
      Matcher m = FIELD.matcher(line);
      while (m.find()) {
        f.putIfAbsent(m.group(1), m.group(3) != null ? m.group(3) : m.group(2));
      }
      if (!f.containsKey("system")) {
        continue;
      }
      Result r = new Result(f.get("system"), Integer.parseInt(f.get("N")), Integer.parseInt(f.get("rep")));
      r.joinMs = d(f, "join_ms");
      r.firstSuspectMs = d(f, "first_suspect_ms");
      r.allDeadMs = d(f, "all_dead_ms");
      r.bytesPerSec = d(f, "bytes_out_per_s_per_node");
      r.tcpBytesPerSec = d(f, "tcp_bytes_out_per_s_per_node");
      r.packetsPerSec = d(f, "packets_out_per_s_per_node");
      r.udpBytesPerSec = d(f, "udp_bytes_out_per_s_per_node");
      r.pushPullStateBytes = d(f, "pushpull_state_bytes");
      r.projectedBytesPerSec = d(f, "projected_bytes_out_per_s_per_node");
      r.cpuPct = d(f, "cpu_pct_per_node");
      r.rssMiB = d(f, "rss_mib_per_node");
      r.falseSuspicions = (long) d(f, "false_suspicions");
      r.falseDeaths = (long) d(f, "false_deaths");
      r.error = "null".equals(f.get("error")) ? null : f.get("error");
      if (f.containsKey("ev_median_ms")) {
        scenario = "events";
        for (String k : List.of("ev_median_ms", "ev_p90_ms", "ev_max_ms", "deliveries", "deliveries_expected",
            "node_event_pairs_duplicated")) {
          r.extra.put(k, d(f, k));
        }
      }
      r.extra.put("join_from_start_ms", isGv(r.system) ? d(f, "join_from_join_sent_ms")
          : d(f, "join_from_first_spawn_ms"));
      if (r.system.equals(RC)) {
        r.extra.put("join_from_start_ms", r.joinMs);
      }
      if (Double.isNaN(r.udpBytesPerSec) && !r.system.equals(RC)) {
        r.udpBytesPerSec = r.bytesPerSec - r.tcpBytesPerSec;
      }
      ns.add(r.n);
      sys.add(r.system);
      all.computeIfAbsent(r.system + "/" + r.n, k -> new ArrayList<>()).add(r);
    }
    sizes = ns.stream().mapToInt(Integer::intValue).toArray();
    systems = ORDER.stream().filter(sys::contains).toList();
    return scenario.equals("events") ? eventsTable(all) : table(all);
  }

  private static double d(Map<String, String> f, String k) {
    String v = f.get(k);
    return v == null || v.equals("null") ? Double.NaN : Double.parseDouble(v);
  }

  /** One run of one system; NaN where a phase did not finish within its bound. */
  static final class Result {
    final String system;
    final int n;
    final int rep;
    double joinMs = Double.NaN;
    double spawnMs = Double.NaN;
    double firstSuspectMs = Double.NaN;
    double allDeadMs = Double.NaN;
    double bytesPerSec = Double.NaN;
    double tcpBytesPerSec = Double.NaN;
    double packetsPerSec = Double.NaN;
    double udpBytesPerSec = Double.NaN;
    double pushPullStateBytes = Double.NaN;
    double projectedBytesPerSec = Double.NaN;
    double cpuPct = Double.NaN;
    double rssMiB = Double.NaN;
    long falseSuspicions;
    long falseDeaths;
    String error;
    String load = "";
    double wallSec;
    final Map<String, Object> extra = new LinkedHashMap<>();

    Result(String system, int n, int rep) {
      this.system = system;
      this.n = n;
      this.rep = rep;
    }

    String summary() {
      return String.format(Locale.ROOT, "%-10s N=%-3d rep=%d join %.0f ms | suspect %.2f s, all dead %.2f s |"
          + " %.0f B/s/node (tcp %.0f), %.1f pkt/s | cpu %.2f%% rss %.1f MiB | false susp %d deaths %d | %.0f s%s",
          system, n, rep, joinMs, firstSuspectMs / 1000, allDeadMs / 1000, bytesPerSec, tcpBytesPerSec,
          packetsPerSec, cpuPct, rssMiB, falseSuspicions, falseDeaths, wallSec,
          error == null ? "" : " ERROR " + error);
    }

    String toJson() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("system", system);
      m.put("N", n);
      m.put("rep", rep);
      m.put("join_ms", joinMs);
      m.put("spawn_ms", spawnMs);
      m.put("first_suspect_ms", firstSuspectMs);
      m.put("all_dead_ms", allDeadMs);
      m.put("bytes_out_per_s_per_node", bytesPerSec);
      m.put("tcp_bytes_out_per_s_per_node", tcpBytesPerSec);
      m.put("packets_out_per_s_per_node", packetsPerSec);
      m.put("udp_bytes_out_per_s_per_node", udpBytesPerSec);
      m.put("pushpull_state_bytes", pushPullStateBytes);
      m.put("projected_bytes_out_per_s_per_node", projectedBytesPerSec);
      m.put("cpu_pct_per_node", cpuPct);
      m.put("rss_mib_per_node", rssMiB);
      m.put("false_suspicions", falseSuspicions);
      m.put("false_deaths", falseDeaths);
      m.put("error", error);
      m.put("loadavg", load);
      m.put("wall_s", wallSec);
      m.putAll(extra);
      StringBuilder sb = new StringBuilder("{");
      for (Map.Entry<String, Object> e : m.entrySet()) {
        if (sb.length() > 1) {
          sb.append(',');
        }
        sb.append('"').append(e.getKey()).append("\":");
        Object v = e.getValue();
        if (v == null || (v instanceof Double d && d.isNaN())) {
          sb.append("null");
        } else if (v instanceof Number) {
          sb.append(v);
        } else {
          sb.append('"').append(v.toString().replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
        }
      }
      return sb.append('}').toString();
    }
  }

  private record Metric(String label, java.util.function.ToDoubleFunction<Result> f, String fmt, double scale) {}

  /** The user-events table: per system and N, medians over runs of each run's median / p90 / max. */
  private String eventsTable(Map<String, List<Result>> all) {
    StringBuilder sb = new StringBuilder();
    sb.append("| N | system | runs | publish -> last node, ms: median | p90 | max | Grapevine / memberlist (medians)"
        + " | deliveries per node |\n|---|---|---|---|---|---|---|---|\n");
    for (int n : sizes) {
      double gvMed = Double.NaN;
      double mlMed = Double.NaN;
      for (String sys : systems) {
        List<Result> rs = all.getOrDefault(sys + "/" + n, List.of());
        double[] med = rs.stream().mapToDouble(r -> num(r, "ev_median_ms")).filter(d -> !Double.isNaN(d)).toArray();
        double[] p90 = rs.stream().mapToDouble(r -> num(r, "ev_p90_ms")).filter(d -> !Double.isNaN(d)).toArray();
        double[] max = rs.stream().mapToDouble(r -> num(r, "ev_max_ms")).filter(d -> !Double.isNaN(d)).toArray();
        long got = rs.stream().mapToLong(r -> (long) num(r, "deliveries")).sum();
        long want = rs.stream().mapToLong(r -> (long) num(r, "deliveries_expected")).sum();
        long dup = rs.stream().mapToLong(r -> (long) num(r, "node_event_pairs_duplicated")).sum();
        double m = med.length == 0 ? Double.NaN : median(med);
        if (sys.equals(GV)) {
          gvMed = m;
        } else {
          mlMed = m;
        }
        String ratio = sys.equals(ML) && !Double.isNaN(gvMed) && !Double.isNaN(mlMed)
            ? String.format(Locale.ROOT, "%.2f", gvMed / mlMed) : "";
        sb.append(String.format(Locale.ROOT, "| %d | %s | %d | %s | %s | %s | %s | %s |%n", n, name(sys), rs.size(),
            cell(med, "%.0f", rs.size()), cell(p90, "%.0f", rs.size()), cell(max, "%.0f", rs.size()),
            ratio, (got == want && dup == 0 ? "exactly 1" : dup > 0 ? "DUPLICATES" : "at most 1, "
                + (want - got) + " missed") + " (" + got + " of " + want + " deliveries, " + dup + " duplicated)"));
      }
    }
    return sb.toString();
  }

  private static double num(Result r, String k) {
    return r.extra.get(k) instanceof Number x ? x.doubleValue() : Double.NaN;
  }

  private String table(Map<String, List<Result>> all) {
    List<Metric> metrics = List.of(
        new Metric("join: all see N, after last join returned (ms)", r -> r.joinMs, "%.0f", 1),
        new Metric("join: all see N, from the first join sent (ms) [memberlist: from 1st spawn]",
            r -> r.extra.get("join_from_start_ms") instanceof Double v ? v : Double.NaN, "%.0f", 1),
        new Metric("crash: first suspect anywhere (s) [Redis: PFAIL]", r -> r.firstSuspectMs, "%.2f", 1e-3),
        new Metric("crash: all survivors mark dead (s) [Redis: FAIL]", r -> r.allDeadMs, "%.2f", 1e-3),
        new Metric("steady: bytes/s sent per node (UDP+TCP payload; Redis: bus)", r -> r.bytesPerSec, "%.0f", 1),
        new Metric("  of which TCP (push-pull) bytes/s", r -> r.tcpBytesPerSec, "%.0f", 1),
        new Metric("  of which UDP bytes/s (probes, acks, gossip)", r -> r.udpBytesPerSec, "%.0f", 1),
        new Metric("push-pull: bytes one node writes per exchange (its state)", r -> r.pushPullStateBytes, "%.0f", 1),
        new Metric("steady: UDP + push-pull at its configured rate, bytes/s per node", r -> r.system.equals(RC)
            ? r.bytesPerSec : r.projectedBytesPerSec, "%.0f", 1),
        new Metric("steady: packets/s sent per node (datagrams; Redis: bus msgs)", r -> r.packetsPerSec, "%.2f", 1),
        new Metric("steady: CPU % of one core per node", r -> r.cpuPct, "%.2f", 1),
        new Metric("steady: RSS MiB per node (process)", r -> r.rssMiB, "%.1f", 1));
    StringBuilder sb = new StringBuilder();
    sb.append("Cells: median [min-max] over runs; ratio = Grapevine / peer, computed within each run, median over"
        + " runs (< 1: Grapevine lower = better for every row).\n\n");
    for (int n : sizes) {
      sb.append("| N=").append(n).append(" | ");
      List<String> cols = new ArrayList<>(systems);
      for (String s : cols) {
        sb.append(name(s)).append(" | ");
      }
      // Ratio columns: Grapevine against each other system, and the keyed Grapevine against plain
      // Grapevine (the cost of encryption) and against keyed memberlist.
      List<String[]> pairs = new ArrayList<>();
      if (cols.contains(GV)) {
        cols.stream().filter(s -> !s.equals(GV) && !s.equals(GVK)).forEach(s -> pairs.add(new String[] {GV, s}));
      }
      if (cols.contains(GVK)) {
        cols.stream().filter(s -> s.equals(GV) || s.equals(MLK)).forEach(s -> pairs.add(new String[] {GVK, s}));
      }
      List<String> peers = pairs.stream().map(pr -> pr[1]).toList();
      for (String[] pr : pairs) {
        sb.append(name(pr[0])).append(" / ").append(name(pr[1])).append(" | ");
      }
      sb.append("\n|---|");
      sb.append("---|".repeat(cols.size() + peers.size()));
      sb.append('\n');
      for (Metric m : metrics) {
        sb.append("| ").append(m.label).append(" | ");
        for (String s : cols) {
          List<Result> rs = all.getOrDefault(s + "/" + n, List.of());
          double[] v = rs.stream().mapToDouble(m.f).filter(d -> !Double.isNaN(d)).map(d -> d * m.scale).toArray();
          sb.append(cell(v, m.fmt, rs.size())).append(" | ");
        }
        for (String[] pr : pairs) {
          List<Result> g = all.getOrDefault(pr[0] + "/" + n, List.of());
          List<Result> o = all.getOrDefault(pr[1] + "/" + n, List.of());
          List<Double> ratios = new ArrayList<>();
          for (Result gr : g) {
            for (Result or : o) {
              if (gr.rep == or.rep) {
                double a = m.f.applyAsDouble(gr);
                double b = m.f.applyAsDouble(or);
                if (!Double.isNaN(a) && !Double.isNaN(b) && b > 0) {
                  ratios.add(a / b);
                }
              }
            }
          }
          double[] rv = ratios.stream().mapToDouble(Double::doubleValue).toArray();
          sb.append(rv.length == 0 ? "-" : String.format(Locale.ROOT, "%.3g", median(rv))).append(" | ");
        }
        sb.append('\n');
      }
      for (String[] row : new String[][] {{"crash_first_suspect_ms", "crash: first suspect, every crash of every run (s)"},
          {"crash_all_dead_ms", "crash: all survivors mark dead, every crash of every run (s)"}}) {
        if (cols.stream().noneMatch(s -> all.getOrDefault(s + "/" + n, List.of()).stream()
            .anyMatch(r -> r.extra.containsKey(row[0])))) {
          continue;
        }
        sb.append("| ").append(row[1]).append(": median [p10-p90] (samples) | ");
        double[] gvMedian = {Double.NaN};
        for (String s : cols) {
          double[] v = pooled(all.getOrDefault(s + "/" + n, List.of()), row[0]);
          if (v.length == 0) {
            sb.append("- | ");
            continue;
          }
          Arrays.sort(v);
          double med = median(v);
          if (s.equals(GV)) {
            gvMedian[0] = med;
          }
          sb.append(String.format(Locale.ROOT, "%.2f [%.2f-%.2f] (%d)", med / 1000, v[(int) Math.floor(0.1 * (v.length - 1))] / 1000,
              v[(int) Math.ceil(0.9 * (v.length - 1))] / 1000, v.length)).append(" | ");
        }
        for (String[] pr : pairs) {
          double[] o = pooled(all.getOrDefault(pr[1] + "/" + n, List.of()), row[0]);
          sb.append(pr[0].equals(GV) && o.length > 0 && !Double.isNaN(gvMedian[0])
              ? String.format(Locale.ROOT, "%.3g", gvMedian[0] / median(o)) : "-").append(" | ");
        }
        sb.append('\n');
      }
      sb.append("| false suspicions / false deaths (sum over runs) | ");
      for (String s : cols) {
        List<Result> rs = all.getOrDefault(s + "/" + n, List.of());
        long fs = rs.stream().mapToLong(r -> r.falseSuspicions).sum();
        long fd = rs.stream().mapToLong(r -> r.falseDeaths).sum();
        long err = rs.stream().filter(r -> r.error != null).count();
        sb.append(fs).append(" / ").append(fd).append(err > 0 ? " (" + err + " failed run(s))" : "").append(" | ");
      }
      sb.append(" | ".repeat(peers.size())).append('\n').append('\n');
    }
    return sb.toString();
  }

  /** Every crash sample of these runs (the extras written with {@code --crashes K}). */
  private static double[] pooled(List<Result> rs, String key) {
    List<Double> v = new ArrayList<>();
    for (Result r : rs) {
      if (r.extra.get(key) instanceof String list && list.length() > 2) {
        for (String x : list.substring(1, list.length() - 1).split(",\\s*")) {
          double d = Double.parseDouble(x);
          if (!Double.isNaN(d)) {
            v.add(d);
          }
        }
      }
    }
    return v.stream().mapToDouble(Double::doubleValue).toArray();
  }

  private static String name(String s) {
    return switch (s) {
      case GV -> "Grapevine";
      case ML -> "memberlist";
      case GVK -> "Grapevine+key";
      case MLK -> "memberlist+key";
      default -> "Redis Cluster";
    };
  }

  private static String cell(double[] v, String fmt, int total) {
    if (v.length == 0) {
      return "-";
    }
    double[] s = v.clone();
    Arrays.sort(s);
    String med = String.format(Locale.ROOT, fmt, median(s));
    String suffix = v.length < total ? " (" + v.length + "/" + total + ")" : "";
    if (s.length == 1) {
      return med + suffix;
    }
    return med + " [" + String.format(Locale.ROOT, fmt, s[0]) + "-" + String.format(Locale.ROOT, fmt, s[s.length - 1])
        + "]" + suffix;
  }

  static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    int k = s.length;
    return k % 2 == 1 ? s[k / 2] : (s[k / 2 - 1] + s[k / 2]) / 2;
  }

  // ------------------------------------------------------------------------------------- processes

  /** A process started here. */
  static final class Child {
    final int idx;
    final String name;
    final Process proc;
    final long pid;
    final BufferedWriter stdin;

    Child(int idx, String name, Process proc) {
      this.idx = idx;
      this.name = name;
      this.proc = proc;
      this.pid = proc.pid();
      this.stdin = new BufferedWriter(new OutputStreamWriter(proc.getOutputStream(), StandardCharsets.UTF_8));
    }

    void send(String cmd) {
      try {
        stdin.write(cmd);
        stdin.write('\n');
        stdin.flush();
      } catch (IOException e) {
        // The process is gone; its absence shows in the figures.
      }
    }

    void closeStdin() {
      try {
        stdin.close();
      } catch (IOException e) {
        // already closed
      }
    }
  }

  private Child start(int idx, String name, List<String> cmd, Path stderr, BlockingQueue<Ev> events)
      throws IOException {
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.redirectError(ProcessBuilder.Redirect.appendTo(stderr.toFile()));
    if (events == null) {
      pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
    }
    Process p = pb.start();
    Child c = new Child(idx, name, p);
    CHILDREN.add(c);
    Files.writeString(pidFile, c.pid + " " + name + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    if (events != null) {
      Thread t = new Thread(() -> readLines(c, events), "out-" + name);
      t.setDaemon(true);
      t.start();
    }
    return c;
  }

  private static void readLines(Child c, BlockingQueue<Ev> events) {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(c.proc.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        if (!line.startsWith("{")) {
          continue;
        }
        Map<String, String> f = new HashMap<>();
        Matcher m = FIELD.matcher(line);
        while (m.find()) {
          f.putIfAbsent(m.group(1), m.group(3) != null ? m.group(3) : m.group(2));
        }
        double t = f.containsKey("t") ? Double.parseDouble(f.get("t")) : nowMs();
        events.add(new Ev(c.idx, f, t));
      }
    } catch (IOException | RuntimeException e) {
      // stream closed: the process ended
    }
  }

  /** Stops children: ask nicely (stdin closed / SIGTERM), then SIGKILL after a bound. */
  private static void stop(List<Child> cs, boolean term) {
    for (Child c : cs) {
      if (!term) {
        c.send("quit");
        c.closeStdin();
      } else if (c.proc.isAlive()) {
        c.proc.destroy();
      }
    }
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(8);
    for (Child c : cs) {
      try {
        c.proc.waitFor(Math.max(1, (end - System.nanoTime()) / 1_000_000), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      if (c.proc.isAlive()) {
        c.proc.destroyForcibly();
      }
      CHILDREN.remove(c);
    }
  }

  private static void killAll() {
    for (Child c : CHILDREN) {
      if (c.proc.isAlive()) {
        c.proc.destroyForcibly();
      }
    }
  }

  static double nowMs() {
    Instant now = Instant.now();
    return now.getEpochSecond() * 1000.0 + now.getNano() / 1e6;
  }

  /** utime+stime ticks and RSS bytes of a process, or null when it is gone. */
  private long[] procStat(long pid) {
    try {
      String s = Files.readString(Path.of("/proc/" + pid + "/stat"));
      String[] p = s.substring(s.lastIndexOf(')') + 2).split(" ");
      long ticks = Long.parseLong(p[11]) + Long.parseLong(p[12]);
      long rss = Long.parseLong(p[21]) * pageSize;
      return new long[] {ticks, rss};
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  private static long procWchar(long pid) {
    try {
      for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/io"))) {
        if (l.startsWith("wchar:")) {
          return Long.parseLong(l.substring(6).trim());
        }
      }
    } catch (IOException | RuntimeException e) {
      // gone
    }
    return -1;
  }

  private static String loadavg() {
    try {
      String[] p = Files.readString(Path.of("/proc/loadavg")).split(" ");
      return p[0] + " " + p[1] + " " + p[2];
    } catch (IOException e) {
      return "";
    }
  }

  /** CPU % of one core and RSS MiB, each the median over processes, between two /proc snapshots. */
  private void cpuRss(Result r, Map<Long, long[]> a, Map<Long, long[]> b, double dtSec) {
    List<Double> cpu = new ArrayList<>();
    List<Double> rss = new ArrayList<>();
    for (Map.Entry<Long, long[]> e : a.entrySet()) {
      long[] y = b.get(e.getKey());
      if (e.getValue() != null && y != null) {
        cpu.add(100.0 * (y[0] - e.getValue()[0]) / clkTck / dtSec);
        rss.add(y[1] / 1048576.0);
      }
    }
    r.cpuPct = median(cpu.stream().mapToDouble(Double::doubleValue).toArray());
    r.rssMiB = median(rss.stream().mapToDouble(Double::doubleValue).toArray());
    r.extra.put("cpu_pct_max", cpu.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN));
    r.extra.put("cpu_pct_cluster_total", cpu.stream().mapToDouble(Double::doubleValue).sum());
  }

  private Map<Long, long[]> snapshot(List<Child> cs) {
    Map<Long, long[]> m = new HashMap<>();
    for (Child c : cs) {
      long[] s = procStat(c.pid);
      if (s != null) {
        m.put(c.pid, s);
      }
    }
    return m;
  }

  record Ev(int idx, Map<String, String> f, double t) {
    String ev() {
      return f.getOrDefault("ev", "");
    }

    String get(String k) {
      return f.get(k);
    }

    double num(String k) {
      String v = f.get(k);
      return v == null ? Double.NaN : Double.parseDouble(v);
    }
  }

  // ------------------------------------------------------------------------------------- line protocol

  /** Grapevine (GrapevineNodeMain) or memberlist (mlnode): the same line protocol, one process per node. */
  final class LineCluster {
    final String sys;
    /** Grapevine nodes (plain or keyed), else memberlist nodes. */
    final boolean gv;
    final boolean keyed;
    final int n;
    final int rep;
    final int base;
    final BlockingQueue<Ev> q = new LinkedBlockingQueue<>();
    final List<Ev> log = new ArrayList<>();
    final List<Child> nodes = new ArrayList<>();
    final int[] count;
    final double[] reachedN;
    final double[] joinedT;
    final double[] readyT;
    final Map<Integer, Ev> stats = new ConcurrentHashMap<>();
    final Path logDir;

    LineCluster(String sys, int n, int rep) throws IOException {
      this.sys = sys;
      this.gv = isGv(sys);
      this.keyed = sys.equals(GVK) || sys.equals(MLK);
      this.n = n;
      this.rep = rep;
      // Keyed runs take the upper half of the rep's 200 ports (N <= 100), never the plain run's.
      this.base = (gv ? gvPortBase : mlPortBase) + (rep % 3) * 200 + (keyed ? 100 : 0);
      count = new int[n];
      reachedN = new double[n];
      joinedT = new double[n];
      readyT = new double[n];
      Arrays.fill(count, 1);
      Arrays.fill(joinedT, Double.NaN);
      Arrays.fill(readyT, Double.NaN);
      Arrays.fill(reachedN, Double.NaN);
      logDir = outDir.resolve("logs").resolve(sys + "-N" + n + "-r" + rep);
      Files.createDirectories(logDir);
    }

    String nodeName(int i) {
      return (gv ? "g" : "n") + (base + i);
    }

    Child spawn(int i) throws IOException {
      int port = base + i;
      List<String> cmd = new ArrayList<>();
      if (gv) {
        cmd.add(javaCmd);
        cmd.addAll(gvJvmOpts);
        cmd.addAll(List.of("-cp", gvClasspath, GrapevineNodeMain.class.getName(), "--port", "" + port,
            "--profile", "lan", "--cluster", "cmp-" + n + "-" + rep));
        if (keyed) {
          cmd.addAll(List.of("--key", java.util.Base64.getEncoder().encodeToString(BENCH_KEY)));
        }
      } else {
        cmd.addAll(List.of(mlnode, "-port", "" + port, "-profile", "lan", "-quiet", "-print-config=false"));
        if (keyed) {
          cmd.addAll(List.of("-key", java.util.HexFormat.of().formatHex(BENCH_KEY)));
        }
        if (i > 0) {
          cmd.addAll(List.of("-join", "127.0.0.1:" + base));
        }
      }
      Child c = start(i, nodeName(i), cmd, logDir.resolve(port + ".err"), q);
      nodes.add(c);
      return c;
    }

    /** Keeps every membership event of the run (not the stats lines) for later reading. */
    void writeEvents() {
      StringBuilder sb = new StringBuilder();
      for (Ev e : log) {
        if (e.ev().equals("stats")) {
          continue;
        }
        sb.append(String.format(Locale.ROOT, "{\"t\":%.3f,\"idx\":%d", e.t, e.idx));
        e.f.forEach((k, v) -> {
          if (!k.equals("t")) {
            sb.append(",\"").append(k).append("\":\"").append(v).append('"');
          }
        });
        sb.append("}\n");
      }
      try {
        Files.writeString(logDir.resolve("events.jsonl"), sb.toString());
      } catch (IOException e) {
        System.err.println("cannot write events: " + e.getMessage());
      }
    }

    /** Consumes events until {@code until} holds or the bound passes. */
    boolean pump(double seconds, Predicate<Ev> until) throws InterruptedException {
      long end = System.nanoTime() + (long) (seconds * 1e9);
      while (true) {
        long left = end - System.nanoTime();
        if (left <= 0) {
          return until != null && until.test(null);
        }
        Ev e = q.poll(Math.min(left, 100_000_000L), TimeUnit.NANOSECONDS);
        if (e != null) {
          log.add(e);
          String ev = e.ev();
          String self = nodeName(e.idx);
          if ((ev.equals("join") || ev.equals("leave")) && self.equals(e.get("node"))) {
            int before = count[e.idx];
            count[e.idx] = (int) e.num("n");
            if (before < n && count[e.idx] >= n) {
              reachedN[e.idx] = e.t;
            }
          } else if (ev.equals("joined")) {
            joinedT[e.idx] = e.t;
          } else if (ev.equals("ready")) {
            readyT[e.idx] = e.t;
          } else if (ev.equals("stats")) {
            stats.put(e.idx, e);
          }
        }
        if (until != null && until.test(e)) {
          return true;
        }
      }
    }

    /**
     * User events: K broadcasts one at a time from rotating nodes (never the seed twice in a row),
     * each awaited until every other node printed its delivery or the bound passed. Latency = the
     * origin's publish time ({@code bcast} line) to the last other node's {@code user} line; both
     * come from the same machine clock. Deliveries are counted per (event, node) after a final
     * pause so late duplicates would show.
     */
    void userEvents(Result r) throws InterruptedException {
      // Optional uncounted events first: a JVM's first event runs cold code on every node.
      for (int w = 0; w < warmupEvents; w++) {
        String id = "w" + rep + "-" + w;
        Set<Integer> got = new HashSet<>();
        nodes.get((w * 3 + 2) % n).send("bcast " + id);
        pump(eventBoundSec, e -> {
          if (e != null && id.equals(e.get("id")) && e.ev().equals("user")) {
            got.add(e.idx);
          }
          return got.size() >= n - 1;
        });
        pump(0.5, null);
      }
      r.extra.put("warmup_events", warmupEvents);
      double[] lat = new double[eventCount];
      int complete = 0;
      for (int k = 0; k < eventCount; k++) {
        int origin = (k * 7 + 1) % n;
        String id = "e" + rep + "-" + k;
        double[] sent = {Double.NaN};
        Set<Integer> got = new HashSet<>();
        double[] last = {Double.NaN};
        nodes.get(origin).send("bcast " + id);
        pump(eventBoundSec, e -> {
          if (e != null && id.equals(e.get("id"))) {
            if (e.ev().equals("bcast")) {
              sent[0] = e.t;
            } else if (e.ev().equals("user") && e.idx != origin && got.add(e.idx)) {
              last[0] = Double.isNaN(last[0]) ? e.t : Math.max(last[0], e.t);
            }
          }
          return got.size() >= n - 1 && !Double.isNaN(sent[0]);
        });
        if (got.size() >= n - 1) {
          lat[k] = last[0] - sent[0];
          complete++;
        } else {
          lat[k] = Double.NaN;
          r.extra.put("missed_e" + k, (n - 1) - got.size());
        }
        pump(0.5, null); // a gap between events, as an application would leave
      }
      pump(2, null); // late duplicates, if any, arrive here
      Map<String, Integer> per = new HashMap<>();
      for (Ev e : log) {
        if (e.ev().equals("user") && e.get("id") != null && e.get("id").startsWith("e" + rep + "-")) {
          per.merge(e.get("id") + "@" + e.idx, 1, Integer::sum);
        }
      }
      long dup = per.values().stream().filter(v -> v > 1).count();
      double[] ok = Arrays.stream(lat).filter(d -> !Double.isNaN(d)).sorted().toArray();
      r.extra.put("events", eventCount);
      r.extra.put("events_complete", complete);
      r.extra.put("deliveries", per.values().stream().mapToInt(Integer::intValue).sum());
      r.extra.put("deliveries_expected", (long) eventCount * (n - 1));
      r.extra.put("node_event_pairs_duplicated", dup);
      r.extra.put("ev_median_ms", ok.length == 0 ? Double.NaN : median(ok));
      r.extra.put("ev_p90_ms", ok.length == 0 ? Double.NaN : ok[(int) Math.min(ok.length - 1, Math.ceil(ok.length * 0.9) - 1)]);
      r.extra.put("ev_max_ms", ok.length == 0 ? Double.NaN : ok[ok.length - 1]);
      StringBuilder sb = new StringBuilder();
      for (double d : lat) {
        sb.append(sb.length() == 0 ? "" : ";").append(String.format(Locale.ROOT, "%.1f", d));
      }
      r.extra.put("ev_lat_ms", sb.toString());
      System.out.printf(Locale.ROOT, "  %-10s N=%-3d rep=%d events %d/%d complete, to last node median %.1f ms"
          + " p90 %.1f max %.1f, deliveries %s of %d, duplicated pairs %d%n", sys, n, rep, complete, eventCount,
          r.extra.get("ev_median_ms"), r.extra.get("ev_p90_ms"), r.extra.get("ev_max_ms"), r.extra.get("deliveries"),
          (long) eventCount * (n - 1), dup);
    }

    Result run() throws Exception {
      Result r = new Result(sys, n, rep);
      try {
        double tSpawn = nowMs();
        spawn(0);
        if (!pump(30, e -> !Double.isNaN(readyT[0]))) {
          throw new IllegalStateException("seed not ready within 30 s (see " + logDir + ")");
        }
        for (int i = 1; i < n; i++) {
          spawn(i);
        }
        if (gv) {
          // A JVM takes far longer to start than a Go binary; on 2 cores N JVMs starting at once
          // starve the nodes already running. Start them all first, then join them all at once.
          if (!pump(400, e -> Arrays.stream(readyT).noneMatch(Double::isNaN))) {
            throw new IllegalStateException("not all " + n + " JVMs ready within 400 s");
          }
          r.extra.put("join_barrier", "all JVMs started, then join sent to all");
          r.extra.put("join_sent_ms_epoch", nowMs());
          for (int i = 1; i < n; i++) {
            nodes.get(i).send("join 127.0.0.1:" + base);
          }
        }
        boolean conv = pump(150, e -> Arrays.stream(count).allMatch(c -> c >= n));
        if (!conv) {
          throw new IllegalStateException("no join convergence within 150 s; lowest member counts "
              + Arrays.toString(Arrays.copyOf(Arrays.stream(count).sorted().toArray(), Math.min(5, n))));
        }
        double lastJoined = Arrays.stream(joinedT, 1, n).filter(d -> !Double.isNaN(d)).max().orElse(Double.NaN);
        double conv1 = Arrays.stream(reachedN).filter(d -> !Double.isNaN(d)).max().orElse(Double.NaN);
        r.extra.put("joins_not_returned", Arrays.stream(joinedT, 1, n).filter(Double::isNaN).count());
        r.joinMs = conv1 - lastJoined;
        r.spawnMs = Arrays.stream(readyT).max().orElse(Double.NaN) - tSpawn;
        r.extra.put("join_from_first_spawn_ms", conv1 - tSpawn);
        r.extra.put("join_from_start_ms", conv1 - tSpawn);
        if (r.extra.get("join_sent_ms_epoch") instanceof Double js) {
          r.extra.put("join_from_join_sent_ms", conv1 - js);
          r.extra.put("join_from_start_ms", conv1 - js);
        }
        r.extra.put("join_errors", log.stream().filter(e -> e.ev().equals("err")).count());

        // Steady state: the window opens once membership has been quiet for quietSec (no join,
        // suspicion, refutation or death anywhere; bounded), then after the settle period, so that
        // the tail of a join storm is not counted as steady-state traffic.
        double quietStart = nowMs();
        double[] lastChange = {nowMs()};
        pump(quietMaxSec, e -> {
          if (e != null && e.get("peer") != null) {
            lastChange[0] = nowMs();
          }
          return nowMs() - lastChange[0] >= quietSec * 1000.0;
        });
        r.extra.put("quiet_after_conv_ms", lastChange[0] - quietStart);
        pump(settleSec, null);
        if (scenario.equals("events")) {
          userEvents(r);
          return r;
        }
        stats.clear();
        Map<Long, long[]> p1 = snapshot(nodes);
        double w1 = nowMs();
        nodes.forEach(c -> c.send("stats"));
        pump(15, e -> stats.size() >= n);
        Map<Integer, Ev> s1 = new HashMap<>(stats);
        if (s1.containsKey(0)) {
          // What the join cost the seed, everything it sent since it started.
          r.extra.put("seed_tcp_out_b_after_join", s1.get(0).num("tcp_out_b"));
          r.extra.put("seed_streams_out_after_join", gv ? s1.get(0).num("tcp_out_m")
              : s1.get(0).num("tcp_dial") + s1.get(0).num("tcp_acc"));
        }
        pump(windowSec, null);
        stats.clear();
        Map<Long, long[]> p2 = snapshot(nodes);
        double w2 = nowMs();
        nodes.forEach(c -> c.send("stats"));
        pump(15, e -> stats.size() >= n);
        Map<Integer, Ev> s2 = new HashMap<>(stats);
        double bytes = 0;
        double tcp = 0;
        double pkts = 0;
        double udp = 0;
        double tcpTotal = 0;
        double streams = 0;
        int counted = 0;
        for (int i = 0; i < n; i++) {
          Ev a = s1.get(i);
          Ev b = s2.get(i);
          if (a == null || b == null) {
            continue;
          }
          double dt = (b.t - a.t) / 1000;
          double tcpB = b.num("tcp_out_b") - a.num("tcp_out_b");
          bytes += (b.num("udp_out_b") - a.num("udp_out_b") + tcpB) / dt;
          tcp += tcpB / dt;
          pkts += (b.num("udp_out_p") - a.num("udp_out_p")) / dt;
          udp += (b.num("udp_out_b") - a.num("udp_out_b")) / dt;
          tcpTotal += tcpB;
          // Push-pull states this node wrote: Grapevine counts every exchange it takes part in twice
          // (its own state sent and the peer's handled); memberlist's counting transport only knows
          // connections dialed and accepted, which also include TCP fallback pings (rare when quiet).
          streams += gv ? (b.num("pushpulls") - a.num("pushpulls")) / 2
              : b.num("tcp_dial") - a.num("tcp_dial") + b.num("tcp_acc") - a.num("tcp_acc");
          counted++;
        }
        if (counted < n) {
          r.extra.put("stats_missing", n - counted);
        }
        // Mean over nodes (cluster total / N): push-pull lands on few nodes in a short window.
        r.bytesPerSec = bytes / counted;
        r.tcpBytesPerSec = tcp / counted;
        r.packetsPerSec = pkts / counted;
        r.udpBytesPerSec = udp / counted;
        // A window shorter than a few push-pull intervals samples push-pull unevenly, so also give
        // UDP + push-pull at its configured rate: every node starts one exchange per interval and
        // answers one on average, writing its state (S bytes, measured here) twice per interval.
        if (streams > 0) {
          r.pushPullStateBytes = tcpTotal / streams;
          double interval = 30.0 * (n <= 32 ? 1 : Math.ceil(Math.log(n) / Math.log(2) - 5) + 1);
          r.projectedBytesPerSec = r.udpBytesPerSec + 2 * r.pushPullStateBytes / interval;
          r.extra.put("pushpull_interval_s", interval);
        }
        cpuRss(r, p1, p2, (w2 - w1) / 1000);
        if (gv) {
          double pp = 0;
          for (int i = 0; i < n; i++) {
            if (s1.containsKey(i) && s2.containsKey(i)) {
              pp += s2.get(i).num("pushpulls") - s1.get(i).num("pushpulls");
            }
          }
          r.extra.put("pushpulls_in_window_total", pp);
        }

        // Crash detection: K victims one after another, each once the previous is dead everywhere.
        Random rnd = new Random(1000L * n + rep);
        int logStart = log.size();
        java.util.Set<String> victims = new java.util.HashSet<>();
        java.util.Set<Integer> victimIdx = new java.util.HashSet<>();
        List<Double> firsts = new ArrayList<>();
        List<Double> alls = new ArrayList<>();
        for (int k = 0; k < Math.min(crashes, n - 2); k++) {
          if (k > 0) {
            pump(10, e -> false);
          }
          int v;
          do {
            v = 1 + rnd.nextInt(n - 1);
          } while (victimIdx.contains(v));
          Child victim = nodes.get(v);
          String vname = nodeName(v);
          victims.add(vname);
          victimIdx.add(v);
          int survivors = n - victimIdx.size();
          double tKill = nowMs();
          victim.proc.destroyForcibly();
          Map<Integer, Double> dead = new HashMap<>();
          double[] firstSuspect = {Double.NaN};
          pump(90, e -> {
            if (e != null && vname.equals(e.get("peer")) && !victimIdx.contains(e.idx)) {
              String ev = e.ev();
              if ((ev.equals("suspect") || ev.equals("probe_suspect"))
                  && (Double.isNaN(firstSuspect[0]) || e.t < firstSuspect[0])) {
                firstSuspect[0] = e.t;
              }
              if (ev.equals("leave")) {
                dead.putIfAbsent(e.idx, e.t);
              }
            }
            return dead.size() >= survivors;
          });
          firsts.add(firstSuspect[0] - tKill);
          if (dead.size() >= survivors) {
            alls.add(dead.values().stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN) - tKill);
          } else {
            alls.add(Double.NaN);
            r.extra.put("dead_marked_by" + (k == 0 ? "" : "_" + k), dead.size());
          }
          if (k == 0) {
            r.extra.put("first_dead_ms",
                dead.values().stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN) - tKill);
            r.extra.put("victim", vname);
          }
        }
        // One crash: its times; several: their medians (every sample is in the extras).
        r.firstSuspectMs = median(firsts.stream().mapToDouble(Double::doubleValue).toArray());
        double[] allOk = alls.stream().mapToDouble(Double::doubleValue).filter(d -> !Double.isNaN(d)).toArray();
        r.allDeadMs = allOk.length == alls.size() ? median(allOk) : Double.NaN;
        if (crashes > 1) {
          r.extra.put("crash_first_suspect_ms", firsts.toString());
          r.extra.put("crash_all_dead_ms", alls.toString());
          r.extra.put("victims", victims.toString());
        }
        long suspectEvents = 0;
        // False suspicions = failed probes that raised a suspicion before the kill (memberlist: its
        // "no acks received" log line; Grapevine: its probe-failure counter), false deaths = any
        // node marking a member other than a victim dead or left (per observer, both systems).
        for (int i = 0; i < log.size(); i++) {
          Ev e = log.get(i);
          String ev = e.ev();
          String peer = e.get("peer");
          if (peer == null || (victims.contains(peer) && i >= logStart)) {
            continue;
          }
          if (ev.equals("probe_suspect") && i < logStart) {
            r.falseSuspicions++;
          } else if (ev.equals("leave")) {
            r.falseDeaths++;
          } else if (ev.equals("suspect")) {
            suspectEvents++;
          }
        }
        if (gv) {
          r.falseSuspicions = (long) s2.values().stream().mapToDouble(e -> e.num("probe_failures")).sum();
          r.extra.put("suspect_events_all_observers", suspectEvents);
        }
      } catch (Exception e) {
        r.error = e.getMessage();
      } finally {
        stop(nodes, false);
        writeEvents();
      }
      return r;
    }
  }

  // ------------------------------------------------------------------------------------- Redis

  /** A minimal RESP2 client: enough for CLUSTER commands. */
  static final class Resp implements AutoCloseable {
    final Socket s;
    final InputStream in;
    final OutputStream out;

    Resp(int port) throws IOException {
      s = new Socket();
      s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
      s.setSoTimeout(20_000);
      s.setTcpNoDelay(true);
      in = new BufferedInputStream(s.getInputStream());
      out = s.getOutputStream();
    }

    void send(String... args) throws IOException {
      StringBuilder sb = new StringBuilder("*").append(args.length).append("\r\n");
      for (String a : args) {
        byte[] b = a.getBytes(StandardCharsets.UTF_8);
        sb.append('$').append(b.length).append("\r\n").append(a).append("\r\n");
      }
      out.write(sb.toString().getBytes(StandardCharsets.UTF_8));
      out.flush();
    }

    Object read() throws IOException {
      String line = line();
      char t = line.charAt(0);
      String rest = line.substring(1);
      switch (t) {
        case '+':
          return rest;
        case '-':
          return new IOException("redis error: " + rest);
        case ':':
          return Long.parseLong(rest);
        case '$': {
          int len = Integer.parseInt(rest);
          if (len < 0) {
            return null;
          }
          byte[] b = in.readNBytes(len + 2);
          return new String(b, 0, len, StandardCharsets.UTF_8);
        }
        case '*': {
          int len = Integer.parseInt(rest);
          List<Object> l = new ArrayList<>();
          for (int i = 0; i < len; i++) {
            l.add(read());
          }
          return l;
        }
        default:
          throw new IOException("bad reply " + line);
      }
    }

    String line() throws IOException {
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      int c;
      while ((c = in.read()) != -1) {
        if (c == '\r') {
          in.read();
          return b.toString(StandardCharsets.UTF_8);
        }
        b.write(c);
      }
      throw new IOException("connection closed");
    }

    Object cmd(String... args) throws IOException {
      send(args);
      Object r = read();
      if (r instanceof IOException e) {
        throw e;
      }
      return r;
    }

    @Override
    public void close() {
      try {
        s.close();
      } catch (IOException e) {
        // closing anyway
      }
    }
  }

  /** Redis Cluster, all N nodes masters with an even share of slots, one redis-server per node. */
  final class RedisCluster {
    final int n;
    final int rep;
    final int base;
    final List<Child> nodes = new ArrayList<>();
    final List<Resp> conns = new ArrayList<>();
    final List<String> ids = new ArrayList<>();
    final Path dir;

    RedisCluster(int n, int rep) {
      this.n = n;
      this.rep = rep;
      this.base = redisPortBase + (rep % 3) * 200;
      this.dir = outDir.resolve("redis").resolve("N" + n + "-r" + rep);
    }

    Map<Integer, String> bulk(List<Integer> idx, String... args) throws IOException {
      for (int i : idx) {
        conns.get(i).send(args);
      }
      Map<Integer, String> m = new HashMap<>();
      for (int i : idx) {
        Object o = conns.get(i).read();
        m.put(i, o instanceof String s ? s : String.valueOf(o));
      }
      return m;
    }

    Result run() throws Exception {
      Result r = new Result(RC, n, rep);
      try {
        double tSpawn = nowMs();
        for (int i = 0; i < n; i++) {
          int port = base + i;
          Path d = dir.resolve("" + port);
          Files.createDirectories(d);
          Files.deleteIfExists(d.resolve("nodes.conf"));
          Path conf = d.resolve("redis.conf");
          Files.writeString(conf, String.join("\n", "port " + port, "bind 127.0.0.1", "daemonize no",
              "cluster-enabled yes", "cluster-config-file nodes.conf", "cluster-node-timeout " + redisNodeTimeoutMs,
              "dir " + d, "logfile " + d.resolve("redis.log"), "loglevel notice", "save \"\"", "appendonly no")
              + "\n");
          nodes.add(start(i, "r" + port, List.of("redis-server", conf.toString()), d.resolve("stderr.log"), null));
        }
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        for (int i = 0; i < n; i++) {
          while (true) {
            if (!nodes.get(i).proc.isAlive()) {
              throw new IllegalStateException("redis node " + (base + i) + " exited (see " + dir + ")");
            }
            try {
              Resp c = new Resp(base + i);
              c.cmd("PING");
              conns.add(c);
              break;
            } catch (IOException e) {
              if (System.nanoTime() > end) {
                throw new IllegalStateException("redis node " + (base + i) + " did not start within 60 s");
              }
              Thread.sleep(20);
            }
          }
          ids.add((String) conns.get(i).cmd("CLUSTER", "MYID"));
        }
        r.spawnMs = nowMs() - tSpawn;
        // Slots and distinct config epochs before the join, as redis-cli --cluster create does.
        for (int i = 0; i < n; i++) {
          int lo = i * 16384 / n;
          int hi = (i + 1) * 16384 / n - 1;
          conns.get(i).cmd("CLUSTER", "ADDSLOTSRANGE", "" + lo, "" + hi);
          conns.get(i).cmd("CLUSTER", "SET-CONFIG-EPOCH", "" + (i + 1));
        }
        List<Integer> all = new ArrayList<>();
        for (int i = 0; i < n; i++) {
          all.add(i);
        }
        List<Integer> others = all.subList(1, n);
        bulk(others, "CLUSTER", "MEET", "127.0.0.1", "" + base);
        double tMet = nowMs();
        double[] reached = new double[n];
        Arrays.fill(reached, Double.NaN);
        long jend = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < jend) {
          List<Integer> todo = all.stream().filter(i -> Double.isNaN(reached[i])).toList();
          if (todo.isEmpty()) {
            break;
          }
          Map<Integer, String> rn = bulk(todo, "CLUSTER", "NODES");
          double t = nowMs();
          for (int i : todo) {
            String[] lines = rn.get(i).split("\n");
            long ok = Arrays.stream(lines).filter(l -> l.split(" ").length >= 8)
                .filter(l -> !l.split(" ")[2].contains("handshake") && !l.split(" ")[2].contains("noaddr")).count();
            if (ok >= n) {
              reached[i] = t;
            }
          }
          Thread.sleep(50);
        }
        if (Arrays.stream(reached).anyMatch(Double::isNaN)) {
          throw new IllegalStateException("no discovery convergence within 120 s");
        }
        r.joinMs = Arrays.stream(reached).max().orElse(Double.NaN) - tMet;
        r.extra.put("join_from_start_ms", r.joinMs);
        r.extra.put("join_from_first_spawn_ms", Arrays.stream(reached).max().orElse(Double.NaN) - tSpawn);

        // Steady state: no client commands inside the window, so wchar is the bus.
        Thread.sleep(settleSec * 1000L);
        Map<Integer, String> i1 = bulk(all, "CLUSTER", "INFO");
        Map<Long, long[]> p1 = snapshot(nodes);
        long[] wc1 = nodes.stream().mapToLong(c -> procWchar(c.pid)).toArray();
        double w1 = nowMs();
        Thread.sleep(windowSec * 1000L);
        long[] wc2 = nodes.stream().mapToLong(c -> procWchar(c.pid)).toArray();
        Map<Long, long[]> p2 = snapshot(nodes);
        double w2 = nowMs();
        Map<Integer, String> i2 = bulk(all, "CLUSTER", "INFO");
        double dt = (w2 - w1) / 1000;
        double bytes = 0;
        double msgs = 0;
        for (int i = 0; i < n; i++) {
          bytes += (wc2[i] - wc1[i]) / dt;
          msgs += (infoLong(i2.get(i), "cluster_stats_messages_sent")
              - infoLong(i1.get(i), "cluster_stats_messages_sent")) / dt;
        }
        r.bytesPerSec = bytes / n;
        r.tcpBytesPerSec = bytes / n;
        r.packetsPerSec = msgs / n;
        r.extra.put("bytes_per_msg", bytes / Math.max(1e-9, msgs));
        cpuRss(r, p1, p2, dt);

        // Crash detection.
        Random rnd = new Random(1000L * n + rep);
        int v = 1 + rnd.nextInt(n - 1);
        String vid = ids.get(v);
        List<Integer> obs = others.stream().filter(i -> i != v).toList();
        List<Integer> observers = new ArrayList<>(obs);
        if (v != 0) {
          observers.add(0, 0);
        }
        double tKill = nowMs();
        nodes.get(v).proc.destroyForcibly();
        double[] pfail = new double[n];
        double[] fail = new double[n];
        Arrays.fill(pfail, Double.NaN);
        Arrays.fill(fail, Double.NaN);
        long fend = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(redisNodeTimeoutMs * 8L + 20_000);
        while (System.nanoTime() < fend) {
          List<Integer> todo = observers.stream().filter(i -> Double.isNaN(fail[i])).toList();
          if (todo.isEmpty()) {
            break;
          }
          Map<Integer, String> rn = bulk(todo, "CLUSTER", "NODES");
          double t = nowMs();
          for (int i : todo) {
            for (String l : rn.get(i).split("\n")) {
              String[] p = l.split(" ");
              if (p.length >= 3 && p[0].equals(vid)) {
                if (p[2].contains("fail") && Double.isNaN(pfail[i])) {
                  pfail[i] = t;
                }
                if (Arrays.asList(p[2].split(",")).contains("fail")) {
                  fail[i] = t;
                }
              }
            }
          }
          Thread.sleep(20);
        }
        r.firstSuspectMs = observers.stream().mapToDouble(i -> pfail[i]).filter(d -> !Double.isNaN(d)).min()
            .orElse(Double.NaN) - tKill;
        if (observers.stream().allMatch(i -> !Double.isNaN(fail[i]))) {
          r.allDeadMs = observers.stream().mapToDouble(i -> fail[i]).max().orElse(Double.NaN) - tKill;
        }
        r.extra.put("victim", "r" + (base + v));
        r.falseDeaths = countFalseFails(vid);
      } catch (Exception e) {
        r.error = e.getMessage();
      } finally {
        conns.forEach(Resp::close);
        stop(nodes, true);
      }
      return r;
    }

    private long countFalseFails(String victimId) {
      long c = 0;
      for (int i = 0; i < n; i++) {
        Path p = dir.resolve("" + (base + i)).resolve("redis.log");
        try {
          for (String l : Files.readAllLines(p)) {
            if (l.contains("as failing (quorum reached)") && !l.contains(victimId)) {
              c++;
            }
          }
        } catch (IOException e) {
          // no log
        }
      }
      return c;
    }

    private long infoLong(String info, String key) {
      if (info == null) {
        return 0;
      }
      for (String l : info.split("\r?\n")) {
        if (l.startsWith(key + ":")) {
          return Long.parseLong(l.substring(key.length() + 1).trim());
        }
      }
      return 0;
    }
  }

}
