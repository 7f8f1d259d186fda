// SPDX-License-Identifier: Apache-2.0
package io.grapevine.sim;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.PropertyAccessor;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Writes a run's outputs to a directory: results.json, timeseries.csv and the chart (SVG + PNG). */
public final class ResultWriter {
  /** Base name of the chart files. */
  public static final String CHART = "chart";

  private ResultWriter() {}

  /** @return the files written */
  public static List<Path> write(SimulationResult r, Path dir) throws IOException {
    Files.createDirectories(dir);
    List<Path> files = new ArrayList<>();
    ObjectMapper json = new ObjectMapper()
        .setVisibility(PropertyAccessor.ALL, JsonAutoDetect.Visibility.NONE)
        .setVisibility(PropertyAccessor.FIELD, JsonAutoDetect.Visibility.ANY)
        .enable(SerializationFeature.INDENT_OUTPUT);
    Path results = dir.resolve("results.json");
    json.writeValue(results.toFile(), r);
    files.add(results);
    Path csv = dir.resolve("timeseries.csv");
    try (Writer w = Files.newBufferedWriter(csv)) {
      w.write(String.join(",", r.timeseriesColumns));
      w.write('\n');
      for (double[] row : r.timeseries) {
        for (int i = 0; i < row.length; i++) {
          if (i > 0) {
            w.write(',');
          }
          double v = row[i];
          w.write(Double.isNaN(v) ? "" : v == Math.rint(v) && Math.abs(v) < 1e15
              ? Long.toString((long) v) : String.format(Locale.ROOT, "%.6g", v));
        }
        w.write('\n');
      }
    }
    files.add(csv);
    Chart chart = chartFor(r);
    chart.write(dir, CHART);
    files.add(dir.resolve(CHART + ".svg"));
    files.add(dir.resolve(CHART + ".png"));
    return files;
  }

  /** The chart of a run: measured curve beside theory where one exists. */
  public static Chart chartFor(SimulationResult r) {
    if ("rumor".equals(r.protocol)) {
      return new Chart("Push-pull rumor, N = " + r.nodes + ": fraction informed per round",
          "round", "fraction informed")
          .yRange(0, 1)
          .line("measured (RumorNode)", r.column("round"), r.column("informed_fraction"), false)
          .line("mean-field theory", r.column("round"), r.column("theory_fraction"), true);
    }
    return new Chart("Membership, N = " + r.nodes + " (" + r.settings.get("profile") + ", lifeguard "
        + r.settings.get("lifeguard") + ", loss " + r.settings.get("loss") + ")", "time (s)", "fraction of live nodes")
        .yRange(0, 1)
        .line("see every live node", r.column("time_s"), r.column("full_view_fraction"), false)
        .line("mean view completeness", r.column("time_s"), r.column("mean_view_fraction"), true)
        .line("marked last crash dead", r.column("time_s"), r.column("crash_detected_fraction"), false);
  }
}
