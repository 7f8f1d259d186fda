// SPDX-License-Identifier: Apache-2.0
package io.grapevine.sim;

import java.util.Locale;

/**
 * What a protocol family's run gets from {@link Simulation}: the scenario, a result already holding
 * the common fields, and {@link #stop()}, asked between rounds, which says when to end early (the
 * wall-time limit or an interrupt). {@link #finish} fills what every result reports.
 */
public final class RunContext {
  public final Scenario scenario;
  public final Simulation.Options options;
  public final SimulationResult result = new SimulationResult();
  private final long startNanos = System.nanoTime();
  private boolean stopped;
  private long lastProgress = startNanos;
  private long peakHeap;

  RunContext(Scenario scenario, Simulation.Options options) {
    this.scenario = scenario;
    this.options = options;
    result.scenario = scenario.name;
    result.protocol = scenario.protocol.cliName();
    result.nodes = scenario.nodes;
    result.seed = scenario.seed;
    result.scenarioText = scenario.sourceText;
    if (scenario.protocol.modelsLoss()) {
      result.settings.put("loss", scenario.loss);
    }
    result.settings.put("rounds", scenario.maxRounds);
    if (!scenario.knobs.isEmpty()) {
      result.settings.put("knobs", new java.util.LinkedHashMap<>(scenario.knobs));
    }
    java.util.Map<String, String> w = new java.util.LinkedHashMap<>();
    for (WorkloadKnob k : scenario.protocol.workload()) {
      w.put(k.name(), scenario.workloadValue(k.name()));
    }
    if (!w.isEmpty()) {
      result.settings.put("workload", w);
    }
  }

  /**
   * true once the run should end: an interrupt was requested or the wall-time limit passed. Also
   * samples the heap and reports progress, so call it often (every round).
   */
  public boolean stop() {
    Runtime rt = Runtime.getRuntime();
    peakHeap = Math.max(peakHeap, rt.totalMemory() - rt.freeMemory());
    long now = System.nanoTime();
    if (options.stopRequested() || (now - startNanos) / 1_000_000 > options.maxWallMillis) {
      stopped = true;
    }
    return stopped;
  }

  /** Reports progress (at most twice a second) when a progress display is attached. */
  public void progress(double fraction, String status) {
    long now = System.nanoTime();
    if (options.progress != null && now - lastProgress > 500_000_000L) {
      lastProgress = now;
      options.progress.update(Math.min(1, Math.max(0, fraction)), status);
    }
  }

  /** Whether {@link #stop()} ever said to stop. */
  public boolean stopped() {
    return stopped;
  }

  /**
   * Fills the fields every result reports: finished and partial (from {@link #stopped()}), wall time,
   * heap, and, when the family has no engine trace, a trace hash over everything it measured (the
   * timeseries and metrics), equal for equal (scenario, seed).
   *
   * @param traceHash the engine's trace hash, or null to hash the measurements
   */
  public SimulationResult finish(Long traceHash) {
    result.finished = !stopped;
    result.partial = stopped;
    result.wallMillis = (System.nanoTime() - startNanos) / 1_000_000;
    result.peakHeapBytes = Math.max(peakHeap, Simulation.poolPeaks());
    result.maxHeapBytes = Runtime.getRuntime().maxMemory();
    double seconds = Math.max(1e-9, result.virtualMillis / 1000.0);
    if (result.packetsSent > 0) {
      result.packetsPerNode = result.packetsSent / (double) result.nodes;
      result.bytesPerNode = result.bytesSent / (double) result.nodes;
      result.packetsPerNodePerSecond = result.packetsPerNode / seconds;
      result.bytesPerNodePerSecond = result.bytesPerNode / seconds;
    }
    long h = traceHash != null ? traceHash : measurementHash(result);
    result.traceHash = String.format(Locale.ROOT, "%016x", h);
    if (options.progress != null) {
      options.progress.done();
    }
    return result;
  }

  /** FNV-1a over the timeseries values and the metrics' text (wall-time figures are not in either). */
  static long measurementHash(SimulationResult r) {
    long h = 0xcbf29ce484222325L;
    for (double[] row : r.timeseries) {
      for (double v : row) {
        long bits = Double.doubleToLongBits(v);
        for (int i = 0; i < 8; i++) {
          h ^= (bits >>> (8 * i)) & 0xff;
          h *= 0x100000001b3L;
        }
      }
    }
    for (var e : r.metrics.entrySet()) {
      for (char c : (e.getKey() + "=" + e.getValue() + ";").toCharArray()) {
        h ^= c;
        h *= 0x100000001b3L;
      }
    }
    return h;
  }
}
