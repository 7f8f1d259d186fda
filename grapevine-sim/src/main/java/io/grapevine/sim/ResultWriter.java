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

/**
 * Writes a run's outputs to a directory: results.json, timeseries.csv, the chart (SVG + PNG) and
 * index.html, a report that opens in a browser without fetching anything (the chart is inlined).
 */
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
    Path html = dir.resolve("index.html");
    Files.writeString(html, html(r, Files.readString(dir.resolve(CHART + ".svg"))));
    files.add(html);
    return files;
  }

  /** The report page: summary table, the chart inline with links to its files, the scenario text. */
  static String html(SimulationResult r, String svg) {
    StringBuilder b = new StringBuilder();
    b.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>")
        .append(esc(r.scenario)).append(" - grapevine simulate</title>\n<style>")
        .append("body{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em;color:#222}")
        .append("table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left;")
        .append("vertical-align:top}th{background:#f4f4f4}pre{background:#f7f7f7;padding:1em;overflow:auto}")
        .append(".partial{color:#b00;font-weight:bold}</style></head><body>\n");
    b.append("<h1>").append(esc(r.scenario)).append("</h1>\n");
    if (r.partial) {
      b.append("<p class=\"partial\">Partial results: the run was cut short.</p>\n");
    }
    b.append("<h2>Summary</h2>\n<table>\n");
    row(b, "scenario", r.scenario);
    row(b, "protocol family", r.protocol);
    row(b, "nodes", r.nodes);
    row(b, "seed", r.seed);
    row(b, "finished", r.finished);
    row(b, "converged", r.converged);
    if (r.headline != null) {
      row(b, "headline: " + r.headline, r.metrics.get(r.headline));
      r.metrics.forEach((k, v) -> {
        if (!k.equals(r.headline)) {
          row(b, k, v);
        }
      });
    } else {
      row(b, "converged at (ms)", r.convergedAtMillis);
      if ("rumor".equals(r.protocol)) {
        row(b, "rounds to inform everyone", r.convergedRound);
      } else {
        row(b, "suspicions (false)", r.suspicionsRaised + " (" + r.falseSuspicions + ")");
        row(b, "dead declared (false)", r.deadDeclared + " (" + r.falseDead + ")");
        if (r.distinctClusterSizes != null) {
          row(b, "distinct cluster sizes reported", r.distinctClusterSizes);
          row(b, "complete view at every node (s)", r.completeViewSeconds == null ? "never" : r.completeViewSeconds);
        }
      }
    }
    row(b, "virtual time (s)", String.format(Locale.ROOT, "%.1f", r.virtualMillis / 1000.0));
    row(b, "wall time (s)", String.format(Locale.ROOT, "%.1f", r.wallMillis / 1000.0));
    row(b, "packets sent", r.packetsSent);
    row(b, "peak heap (MiB)", r.peakHeapBytes >> 20);
    row(b, "trace hash", r.traceHash);
    r.settings.forEach((k, v) -> row(b, "setting: " + k, v));
    b.append("</table>\n<h2>Chart</h2>\n");
    int start = svg.indexOf("<svg");
    b.append(start >= 0 ? svg.substring(start) : svg).append('\n');
    b.append("<p>Files: <a href=\"" + CHART + ".svg\">" + CHART + ".svg</a>, <a href=\"" + CHART + ".png\">" + CHART
        + ".png</a>, <a href=\"timeseries.csv\">timeseries.csv</a>, <a href=\"results.json\">results.json</a></p>\n");
    b.append("<h2>Scenario</h2>\n<pre>")
        .append(esc(r.scenarioText == null ? "(built in code)" : r.scenarioText)).append("</pre>\n");
    b.append("</body></html>\n");
    return b.toString();
  }

  private static void row(StringBuilder b, String key, Object value) {
    b.append("<tr><th>").append(esc(key)).append("</th><td>").append(esc(String.valueOf(value)))
        .append("</td></tr>\n");
  }

  private static String esc(String s) {
    return s == null ? "" : s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }

  /** The chart of a run: measured curve beside theory where one exists. */
  public static Chart chartFor(SimulationResult r) {
    if (r.chart != null) {
      return r.chart;
    }
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
