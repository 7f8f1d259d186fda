// SPDX-License-Identifier: Apache-2.0
package io.grapevine.sim;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.List;

/**
 * Runs a {@link Scenario} on the {@link Engine} and returns what it measured.
 *
 * <pre>{@code
 * Scenario s = ScenarioParser.parse(Path.of("scenarios/membership-crash.yaml"));
 * SimulationResult r = Simulation.run(s);
 * assert r.falseDead == 0 && r.allCrashesDetectedEverywhere;
 * }</pre>
 */
public final class Simulation {

  /** Receives progress during a run, about twice a second of wall time. */
  public interface Progress {
    /** @param fraction 0..1 of the run's virtual span */
    void update(double fraction, String status);

    default void done() {}
  }

  /** How to run (not what to simulate). */
  public static final class Options {
    /** Stop the run after this much wall time; the result then says finished = false. */
    public long maxWallMillis = Long.MAX_VALUE;
    public Progress progress;
    /** Hash every delivery and event into {@link SimulationResult#traceHash}. */
    public boolean trace = true;
    private volatile boolean stopRequested;

    /**
     * Asks the run to end at its next check (within a round or an engine slice) and return what it
     * has measured so far, marked partial. Safe from any thread (a shutdown hook).
     */
    public void requestStop() {
      stopRequested = true;
    }

    /** Whether {@link #requestStop()} was called. */
    public boolean stopRequested() {
      return stopRequested;
    }

    public Options maxWallMillis(long v) {
      maxWallMillis = v;
      return this;
    }

    public Options progress(Progress p) {
      progress = p;
      return this;
    }
  }

  private Simulation() {}

  public static SimulationResult run(Scenario scenario) {
    return run(scenario, new Options());
  }

  /**
   * Runs the scenario to its end (or the wall-time limit).
   *
   * @throws ScenarioParser.ScenarioException if the scenario is invalid
   */
  public static SimulationResult run(Scenario scenario, Options options) {
    List<String> problems = scenario.validate();
    if (!problems.isEmpty()) {
      throw new ScenarioParser.ScenarioException(scenario.name, problems);
    }
    resetPeaks();
    SimulationResult r;
    switch (scenario.protocol) {
      case MEMBERSHIP -> r = new MembershipRun(scenario, options).execute();
      case RUMOR -> r = new RumorRun(scenario, options).execute();
      case DISSEMINATION, KV, AGGREGATE, QUERY, COORDINATES ->
          r = io.grapevine.sim.experiments.ScenarioRuns.run(new RunContext(scenario, options));
      case HYPARVIEW, PLUMTREE, RING, TREE ->
          r = io.grapevine.sim.overlay.OverlayScenarioRuns.run(new RunContext(scenario, options));
      default -> throw new AssertionError(scenario.protocol);
    }
    r.partial = !r.finished;
    if (r.scenarioText == null) {
      r.scenarioText = scenario.sourceText;
    }
    return r;
  }

  /** The shared run loop: steps the engine in slices, sampling memory and reporting progress. */
  abstract static class Run {
    final Scenario scenario;
    final Options options;
    Engine engine;
    long peakHeap;
    long startWall;

    Run(Scenario scenario, Options options) {
      this.scenario = scenario;
      this.options = options;
    }

    abstract SimulationResult execute();

    /** Steps the engine until {@code endMicros} or {@link Engine#stop()}; false if the wall limit hit. */
    boolean loop(long endMicros, java.util.function.Supplier<String> status) {
      long lastReport = System.nanoTime();
      Runtime rt = Runtime.getRuntime();
      while (true) {
        // Slices small enough that a stop request (SIGTERM) is seen within milliseconds even while
        // the code is still interpreted.
        boolean more = engine.runUntil(endMicros, 1 << 10);
        long used = rt.totalMemory() - rt.freeMemory();
        peakHeap = Math.max(peakHeap, used);
        long nowNs = System.nanoTime();
        if ((nowNs - startWall) / 1_000_000 > options.maxWallMillis || options.stopRequested()) {
          return false;
        }
        if (options.progress != null && nowNs - lastReport > 500_000_000L) {
          lastReport = nowNs;
          options.progress.update(Math.min(1.0, engine.nowMicros() / (double) endMicros), status.get());
        }
        if (!more) {
          return true;
        }
      }
    }

    void fillCommon(SimulationResult r) {
      r.scenario = scenario.name;
      r.protocol = scenario.protocol.name().toLowerCase();
      r.nodes = scenario.nodes;
      r.seed = scenario.seed;
      r.settings.put("latency", scenario.latency().describe());
      r.settings.put("loss", scenario.loss);
      r.settings.put("duplicate", scenario.duplicate);
      r.settings.put("bandwidthBytesPerSecond", scenario.bandwidthBytesPerSecond);
      r.settings.put("faults", scenario.faults.size());
      if (!scenario.knobs.isEmpty()) {
        r.settings.put("knobs", new java.util.LinkedHashMap<>(scenario.knobs));
      }
      r.virtualMillis = engine.nowMillis();
      r.packetsSent = engine.packetsSent();
      r.bytesSent = engine.bytesSent();
      r.packetsDelivered = engine.delivered();
      r.packetsLost = engine.lost();
      r.packetsDuplicated = engine.duplicated();
      r.packetsDroppedByPartition = engine.droppedPartition();
      r.packetsDroppedNodeDown = engine.droppedDown();
      int n = engine.size();
      r.packetsPerNode = r.packetsSent / (double) n;
      r.bytesPerNode = r.bytesSent / (double) n;
      double seconds = Math.max(1e-9, r.virtualMillis / 1000.0);
      r.packetsPerNodePerSecond = r.packetsPerNode / seconds;
      r.bytesPerNodePerSecond = r.bytesPerNode / seconds;
      long max = 0;
      for (int i = 0; i < n; i++) {
        max = Math.max(max, engine.bytesOut(i));
      }
      r.maxBytesOneNode = max;
      r.wallMillis = (System.nanoTime() - startWall) / 1_000_000;
      r.nodeEvents = engine.nodeCalls();
      r.engineEvents = engine.eventsProcessed();
      r.nodeEventsPerSecond = r.nodeEvents / Math.max(1e-3, r.wallMillis / 1000.0);
      r.traceHash = String.format("%016x", engine.traceHash());
      r.peakHeapBytes = Math.max(peakHeap, poolPeaks());
      r.maxHeapBytes = Runtime.getRuntime().maxMemory();
    }

    /** Heap in use after a full collection; call while the engine and nodes are still reachable. */
    long retainedHeap() {
      Runtime rt = Runtime.getRuntime();
      if (options.stopRequested()) {
        // Interrupted: the results must be written within the shutdown's deadline, and two full
        // collections of a large heap can take longer; report heap in use instead.
        return rt.totalMemory() - rt.freeMemory();
      }
      System.gc();
      System.gc();
      long used = rt.totalMemory() - rt.freeMemory();
      peakHeap = Math.max(peakHeap, used);
      return used;
    }
  }

  private static void resetPeaks() {
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP) {
        pool.resetPeakUsage();
      }
    }
  }

  /**
   * The largest single-pool peak is a lower bound of the true peak; the sum of pool peaks an upper
   * bound (pools peak at different times). We report max(sampled, largest pool), a lower bound.
   */
  static long poolPeaks() {
    long max = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP && pool.getPeakUsage() != null) {
        max = Math.max(max, pool.getPeakUsage().getUsed());
      }
    }
    return max;
  }
}
