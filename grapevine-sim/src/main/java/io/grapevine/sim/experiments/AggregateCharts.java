// SPDX-License-Identifier: Apache-2.0
package io.grapevine.sim.experiments;

import io.grapevine.sim.Chart;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Draws the charts of docs/aggregates.md from the CSVs {@link AggregationRun} wrote (missing runs are
 * left out). {@code AggregateCharts out/agg docs/images}
 */
public final class AggregateCharts {
  private AggregateCharts() {}

  /** A CSV's columns by name. */
  record Csv(List<String> columns, List<double[]> rows) {
    double[] col(String name) {
      int i = columns.indexOf(name);
      double[] out = new double[rows.size()];
      for (int r = 0; r < out.length; r++) {
        out[r] = rows.get(r)[i];
      }
      return out;
    }
  }

  static Csv read(Path p) throws IOException {
    List<String> lines = Files.readAllLines(p);
    List<String> cols = null;
    List<double[]> rows = new ArrayList<>();
    for (String l : lines) {
      if (l.startsWith("#") || l.isBlank()) {
        continue;
      }
      if (cols == null) {
        cols = List.of(l.split(","));
        continue;
      }
      String[] f = l.split(",");
      double[] d = new double[f.length];
      for (int i = 0; i < f.length; i++) {
        d[i] = Double.parseDouble(f[i]);
      }
      rows.add(d);
    }
    return new Csv(cols, rows);
  }

  static double[] log10(double[] a) {
    double[] o = new double[a.length];
    for (int i = 0; i < a.length; i++) {
      o[i] = a[i] > 0 && Double.isFinite(a[i]) ? Math.log10(a[i]) : Double.NaN;
    }
    return o;
  }

  public static void main(String[] args) throws IOException {
    Path in = Path.of(args.length > 0 ? args[0] : "out/agg");
    Path out = Path.of(args.length > 1 ? args[1] : "docs/images");
    Files.createDirectories(out);
    for (String n : new String[] {"10000", "100000", "1000000"}) {
      Chart var = new Chart("Variance of the AVG estimates, N = " + n + " (uniform peers)", "round",
          "log10 variance");
      Chart err = new Chart("Worst node's relative error, N = " + n, "round", "log10 max relative error");
      boolean any = false;
      for (String mode : new String[] {"PUSH_PULL", "FLOW", "PUSH_SUM"}) {
        Path p = in.resolve("clean-" + mode + "-" + n + ".csv");
        if (!Files.exists(p)) {
          continue;
        }
        any = true;
        Csv c = read(p);
        double[] r = c.col("round");
        double[] v = c.col("var_avg");
        var.line(mode, r, log10(v), false);
        if (mode.equals("PUSH_PULL")) {
          double[] t = new double[r.length];
          for (int i = 0; i < r.length; i++) {
            t[i] = Math.log10(v[0] * Math.pow(1 / (2 * Math.sqrt(Math.E)), r[i]));
          }
          var.line("theory 0.303^round", r, t, true);
        }
        err.line(mode + " AVG", r, log10(c.col("max_err_avg")), false);
        err.line(mode + " COUNT", r, log10(c.col("max_err_count")), true);
      }
      if (any) {
        var.yRange(-26, 4);
        err.yRange(-12, 1);
        var.write(out, "agg-variance-" + n);
        err.write(out, "agg-error-" + n);
      }
    }
    for (String n : new String[] {"10000", "100000"}) {
      Chart mass = new Chart("Mass of the COUNT indicator (1 = conserved), N = " + n, "round", "sum of c over nodes");
      Chart lossErr = new Chart("Worst COUNT error, 5% loss vs none, N = " + n, "round", "log10 max relative error");
      boolean any = false;
      for (String run : new String[] {"loss5-PUSH_PULL", "loss5-FLOW-noretry", "loss5-FLOW", "clean-PUSH_PULL",
          "clean-FLOW"}) {
        Path p = in.resolve(run + "-" + n + ".csv");
        if (!Files.exists(p)) {
          continue;
        }
        any |= run.startsWith("loss");
        Csv c = read(p);
        boolean clean = run.startsWith("clean");
        mass.line(run, c.col("round"), c.col("mass_c"), clean);
        lossErr.line(run, c.col("round"), log10(c.col("max_err_count")), clean);
      }
      if (any) {
        mass.yRange(0, 2);
        mass.write(out, "agg-loss-mass-" + n);
        lossErr.yRange(-12, 1);
        lossErr.write(out, "agg-loss-error-" + n);
      }
      for (String run : new String[] {"churn1-e40-census0-s1", "churn1-e40-census0", "churn1-e40-census10",
          "churn1-e20-census0"}) {
        String mode = "FLOW";
        Path churn = in.resolve(run + "-" + mode + "-" + n + ".csv");
        if (!Files.exists(churn)) {
          continue;
        }
        Csv c = read(churn);
        double[] r = c.col("round");
        double live = c.col("live")[0];
        String epochs = run.contains("e40") ? "epochs 40 (reported after 25)" : "epochs 20 (after 10)";
        String census = run.contains("census10") ? "census 10" : "census 0";
        Chart ch = new Chart("COUNT, 1% churn/round, N = " + n + ", " + epochs + ", " + census,
            "round", "COUNT estimate");
        ch.line("live nodes", r, c.col("live"), true);
        ch.line("median", r, c.col("median_count"), false);
        ch.line("5th percentile", r, c.col("p5_count"), false);
        ch.line("95th percentile", r, c.col("p95_count"), false);
        ch.yRange(0, 2 * live);
        ch.write(out, "agg-" + run + "-count-" + mode + "-" + n);
      }
    }
  }
}
