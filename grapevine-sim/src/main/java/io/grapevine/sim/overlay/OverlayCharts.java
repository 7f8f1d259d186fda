// SPDX-License-Identifier: Apache-2.0
package io.grapevine.sim.overlay;

import io.grapevine.sim.Chart;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Charts from the CSV rows the overlay experiments append as they run (so a run cut short still
 * gets its chart): {@code OverlayCharts DIR N} reads {@code plumtree-N-rows.csv},
 * {@code hyparview-crash-N-rows.csv} and {@code ring-N-rounds.csv} if present.
 */
public final class OverlayCharts {
  private OverlayCharts() {}

  public static void main(String[] args) throws IOException {
    Locale.setDefault(Locale.ROOT);
    Path dir = Path.of(args[0]);
    int n = Integer.parseInt(args[1]);
    Path plumtree = dir.resolve("plumtree-" + n + "-rows.csv");
    if (Files.exists(plumtree)) {
      Chart rmr = new Chart("Relative message redundancy per broadcast (N = " + n + ")", "broadcast",
          "RMR = m/(n-1) - 1");
      Chart latency = new Chart("Last delivery after each broadcast (N = " + n + ")", "broadcast",
          "last delivery, ms");
      Map<String, List<double[]>> byProtocol = group(plumtree, 0);
      int k = 0;
      for (Map.Entry<String, List<double[]>> e : byProtocol.entrySet()) {
        rmr.line(e.getKey(), column(e.getValue(), 1), column(e.getValue(), 2), k > 0);
        latency.line(e.getKey(), column(e.getValue(), 1), column(e.getValue(), 3), k > 0);
        k++;
      }
      rmr.write(dir, "plumtree-rmr-" + n);
      latency.write(dir, "plumtree-latency-" + n);
    }
    Path crash = dir.resolve("hyparview-crash-" + n + "-rows.csv");
    if (Files.exists(crash)) {
      Chart c = new Chart("HyParView: reliability of flooding after a mass crash (N = " + n + ")",
          "rounds after the crash", "fraction of live nodes reached");
      for (Map.Entry<String, List<double[]>> e : group(crash, 0).entrySet()) {
        double pct = Double.parseDouble(e.getKey()) * 100;
        c.line(String.format("%.0f%% crashed", pct), column(e.getValue(), 1), column(e.getValue(), 2), false);
        c.line(String.format("%.0f%%: largest component", pct), column(e.getValue(), 1), column(e.getValue(), 3),
            true);
      }
      c.yRange(0, 1.02);
      c.write(dir, "hyparview-crash-" + n);
    }
    Path ring = dir.resolve("ring-" + n + "-rounds.csv");
    if (Files.exists(ring)) {
      Chart c = new Chart("Sorted ring: nodes with true successor and predecessor (N = " + n + ")", "round",
          "fraction correct");
      for (Map.Entry<String, List<double[]>> e : group(ring, 0).entrySet()) {
        c.line("seed " + e.getKey(), column(e.getValue(), 1), column(e.getValue(), 2), false);
      }
      c.yRange(0, 1.02);
      c.write(dir, "ring-" + n);
    }
  }

  /** Rows grouped by the text of column {@code key}; other columns parsed as numbers (NaN if not). */
  private static Map<String, List<double[]>> group(Path csv, int key) throws IOException {
    Map<String, List<double[]>> out = new LinkedHashMap<>();
    List<String> lines = Files.readAllLines(csv);
    for (String line : lines.subList(1, lines.size())) {
      String[] f = line.split(",");
      double[] v = new double[f.length];
      for (int i = 0; i < f.length; i++) {
        try {
          v[i] = Double.parseDouble(f[i]);
        } catch (NumberFormatException e) {
          v[i] = Double.NaN;
        }
      }
      out.computeIfAbsent(f[key], x -> new ArrayList<>()).add(v);
    }
    return out;
  }

  private static double[] column(List<double[]> rows, int i) {
    double[] c = new double[rows.size()];
    for (int r = 0; r < c.length; r++) {
      c[r] = rows.get(r)[i];
    }
    return c;
  }
}
