// SPDX-License-Identifier: Apache-2.0
package io.grapevine.sim.experiments;

import io.grapevine.config.DisseminationConfig;
import io.grapevine.config.DisseminationConfig.Mode;
import io.grapevine.config.DisseminationConfig.Stop;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Every Demers rumor-mongering variant (push/pull/push-pull × feedback/blind × counter/coin × k),
 * averaged over seeds, with anti-entropy off or on. Prints one Markdown row per variant and writes
 * every run to a CSV.
 *
 * <pre>
 * DemersTable --nodes 1000 --seeds 20 [--first-seed 1000] [--k 1,2,3,4,5] [--ae-rounds 0] [--threads 1]
 *             [--modes push,pull,push_pull] [--driver rounds|events] [--sequential false] [--budget-seconds 1200]
 *             --csv out/demers-1000.csv
 * </pre>
 *
 * <p>{@code --driver rounds} (the default) runs synchronous rounds ({@link RoundDriver}, Demers'
 * cycles); {@code events} runs unsynchronised rounds on the event engine ({@link
 * DisseminationRun#run}). {@code --sequential true} completes each contact before the next node's
 * turn ({@link RoundDriver#sequential}).
 */
public final class DemersTable {
  private static final java.lang.management.ThreadMXBean CPU =
      java.lang.management.ManagementFactory.getThreadMXBean();

  private DemersTable() {}

  /** Averages of one variant. */
  public record Row(String variant, Mode mode, boolean feedback, Stop stop, int k, int runs, double residue,
      double residueMax, double rumors, double messages, double roundsToLast, double roundsToQuiet, double repaired,
      int unfinished) {}

  public static void main(String[] args) throws Exception {
    int n = 1000;
    int seeds = 20;
    int ae = 0;
    int threads = 2;
    long budgetSeconds = 3600;
    String ks = "1,2,3,4,5";
    String modes = "push,pull,push_pull";
    String driver = "rounds";
    boolean sequential = false;
    long firstSeed = 1000;
    Path csv = null;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--nodes" -> n = Integer.parseInt(args[++i]);
        case "--seeds" -> seeds = Integer.parseInt(args[++i]);
        case "--ae-rounds" -> ae = Integer.parseInt(args[++i]);
        case "--threads" -> threads = Integer.parseInt(args[++i]);
        case "--budget-seconds" -> budgetSeconds = Long.parseLong(args[++i]);
        case "--k" -> ks = args[++i];
        case "--modes" -> modes = args[++i];
        case "--csv" -> csv = Path.of(args[++i]);
        case "--driver" -> driver = args[++i];
        case "--sequential" -> sequential = Boolean.parseBoolean(args[++i]);
        case "--first-seed" -> firstSeed = Long.parseLong(args[++i]);
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    List<DisseminationConfig> variants = new ArrayList<>();
    for (String m : modes.split(",")) {
      for (boolean fb : new boolean[] {true, false}) {
        for (Stop stop : Stop.values()) {
          for (String k : ks.split(",")) {
            variants.add(DisseminationConfig.demers(Mode.valueOf(m.toUpperCase(Locale.ROOT)), fb, stop,
                Integer.parseInt(k)));
          }
        }
      }
    }
    if (!driver.equals("rounds") && !driver.equals("events")) {
      throw new IllegalArgumentException("--driver must be rounds or events, got " + driver);
    }
    boolean rounds = driver.equals("rounds");
    boolean seq = sequential;
    long deadline = System.nanoTime() + budgetSeconds * 1_000_000_000L;
    PrintWriter out = csv == null ? null : new PrintWriter(Files.newBufferedWriter(csv));
    if (out != null) {
      out.println("n,seed,variant,anti_entropy,informed,residue,rumors_per_node,messages_per_node,rounds_to_last,"
          + "rounds_to_quiet,repaired,finished");
    }
    System.out.println("| variant | runs | residue (mean) | residue (max) | rumor copies/node | messages/node "
        + "| rounds to last informed | rounds until quiet |" + (ae > 0 ? " repaired/run |" : ""));
    System.out.println("|---|---|---|---|---|---|---|---|" + (ae > 0 ? "---|" : ""));
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      for (DisseminationConfig v : variants) {
        if (System.nanoTime() > deadline) {
          System.out.println("| " + v + " | not run: time budget spent |");
          continue;
        }
        long start = System.nanoTime();
        List<Future<DisseminationRun.Result>> futures = new ArrayList<>();
        java.util.concurrent.atomic.AtomicLong cpuNanos = new java.util.concurrent.atomic.AtomicLong();
        for (int s = 0; s < seeds; s++) {
          long seed = firstSeed + s;
          int nn = n;
          int aa = ae;
          futures.add(pool.submit(() -> {
            long c0 = CPU.getCurrentThreadCpuTime();
            DisseminationRun.Result r = rounds ? DisseminationRun.runRounds(nn, seed, v, aa, 5000, false, seq)
                : DisseminationRun.run(nn, seed, v, aa, 5000);
            cpuNanos.addAndGet(CPU.getCurrentThreadCpuTime() - c0);
            return r;
          }));
        }
        List<DisseminationRun.Result> rs = new ArrayList<>();
        for (Future<DisseminationRun.Result> f : futures) {
          rs.add(f.get());
        }
        Row row = summarize(v, rs);
        if (out != null) {
          for (DisseminationRun.Result r : rs) {
            out.printf(Locale.ROOT, "%d,%d,%s,%b,%d,%.6f,%.4f,%.4f,%.3f,%.0f,%d,%b%n", r.n(), r.seed(), r.variant(),
                r.antiEntropy(), r.informed(), r.residue(), r.rumorsPerNode(), r.messagesPerNode(), r.roundsToLast(),
                r.roundsToQuiet(), r.repaired(), r.finished());
          }
          out.flush();
        }
        System.out.println(format(row, ae > 0) + String.format(Locale.ROOT, " <!-- wall %.1f s, cpu %.1f s -->",
            (System.nanoTime() - start) / 1e9, cpuNanos.get() / 1e9));
      }
    } finally {
      pool.shutdown();
      if (out != null) {
        out.close();
      }
    }
  }

  public static Row summarize(DisseminationConfig v, List<DisseminationRun.Result> rs) {
    double res = 0;
    double resMax = 0;
    double rum = 0;
    double msg = 0;
    double last = 0;
    double quiet = 0;
    double rep = 0;
    int unfinished = 0;
    for (DisseminationRun.Result r : rs) {
      res += r.residue();
      resMax = Math.max(resMax, r.residue());
      rum += r.rumorsPerNode();
      msg += r.messagesPerNode();
      last += r.roundsToLast();
      quiet += r.roundsToQuiet();
      rep += r.repaired();
      unfinished += r.finished() ? 0 : 1;
    }
    int k = rs.size();
    return new Row(v.toString(), v.mode, v.feedback, v.stop, v.k, k, res / k, resMax, rum / k, msg / k, last / k,
        quiet / k, rep / k, unfinished);
  }

  static String format(Row r, boolean ae) {
    return String.format(Locale.ROOT, "| %s | %d%s | %s | %s | %.2f | %.2f | %.1f | %.1f |%s", r.variant(), r.runs(),
        r.unfinished() > 0 ? " (" + r.unfinished() + " cut at the round limit)" : "", sci(r.residue()),
        sci(r.residueMax()), r.rumors(), r.messages(), r.roundsToLast(), r.roundsToQuiet(),
        ae ? String.format(Locale.ROOT, " %.0f |", r.repaired()) : "");
  }

  static String sci(double v) {
    if (v == 0) {
      return "0";
    }
    return v >= 0.01 ? String.format(Locale.ROOT, "%.3f", v) : String.format(Locale.ROOT, "%.1e", v);
  }
}
