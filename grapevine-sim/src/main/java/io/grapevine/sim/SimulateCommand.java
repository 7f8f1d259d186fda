// SPDX-License-Identifier: Apache-2.0
package io.grapevine.sim;

import io.grapevine.config.Durations;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code grapevine simulate}: runs a scenario file, or a scenario given by short options, in the
 * deterministic simulator and writes results.json, timeseries.csv and chart.svg/png to {@code --out}.
 * Options given beside {@code --scenario} override the file. Usable as a picocli subcommand or on its
 * own through {@link #main}.
 *
 * <p>Exit codes: 0 done, 2 bad scenario or options, 3 run cut short by {@code --max-wall}. On SIGTERM
 * or Ctrl-C the run stops at its next check, writes what it measured so far (marked {@code "partial":
 * true}) and the JVM exits with the signal's status.
 */
@Command(
    name = "simulate",
    mixinStandardHelpOptions = true,
    description = "Runs Grapevine's protocol classes over a modelled network in virtual time.",
    sortOptions = false)
public final class SimulateCommand implements Callable<Integer> {

  @Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--scenario", paramLabel = "FILE", description = "Scenario file (YAML or JSON), e.g. scenarios/membership-crash.yaml")
  Path scenarioFile;

  @Option(names = "--protocol", paramLabel = "NAME",
      description = "Protocol family: membership, rumor, dissemination, kv, aggregate, hyparview, plumtree, ring, "
          + "tree, query or coordinates (--list says what each shows)")
  String protocol;

  @Option(names = "--list", description = "List the protocol families, one line each, and exit")
  boolean list;

  @Option(names = "--set", paramLabel = "NAME=VALUE",
      description = "A workload setting of the family, as under workload: in a scenario file (repeatable)")
  java.util.List<String> sets = new java.util.ArrayList<>();

  @Option(names = "--nodes", paramLabel = "N", description = "Cluster size")
  Integer nodes;

  @Option(names = "--loss", paramLabel = "P", description = "Datagram loss probability 0..1")
  Double loss;

  @Option(names = "--latency", paramLabel = "L",
      description = "One-way latency: 2ms (constant), 1ms..10ms (uniform) or lognormal:2ms:0.5 (median, sigma)")
  String latency;

  @Option(names = "--seed", paramLabel = "S", description = "Master seed; same scenario and seed give the same run")
  Long seed;

  @Option(names = "--duration", paramLabel = "D", description = "Virtual duration, e.g. 120s (membership, coordinates)")
  String duration;

  @Option(names = "--rounds", paramLabel = "R",
      description = "Maximum rounds (rumor, dissemination, aggregate, hyparview, ring, tree)")
  Integer rounds;

  @Option(names = "--lifeguard", negatable = true, description = "Lifeguard on (default) or off (plain SWIM)")
  Boolean lifeguard;

  @Option(names = "--out", paramLabel = "DIR", description = "Output directory (default: sim-out)")
  Path out = Path.of("sim-out");

  @Option(names = "--max-wall", paramLabel = "D", description = "Stop after this much wall time, e.g. 10m")
  String maxWall;

  @Option(names = "--progress", negatable = true,
      description = "Progress bar on stderr (default: when stderr is a terminal)")
  Boolean progress;

  @Override
  public Integer call() throws Exception {
    PrintWriter err = spec.commandLine().getErr();
    PrintWriter outW = spec.commandLine().getOut();
    if (list) {
      for (Scenario.Protocol p : Scenario.Protocol.values()) {
        outW.printf(Locale.ROOT, "%-14s %s%n", p.cliName(), p.summary());
      }
      outW.flush();
      return 0;
    }
    Scenario s;
    try {
      s = scenarioFile != null ? ScenarioParser.parse(scenarioFile) : new Scenario();
      applyOverrides(s);
    } catch (ScenarioParser.ScenarioException e) {
      err.println(e.getMessage());
      err.flush();
      return 2;
    } catch (java.nio.file.NoSuchFileException e) {
      err.println("simulate: no such scenario file: " + e.getFile());
      return 2;
    } catch (IllegalArgumentException e) {
      err.println("simulate: " + e.getMessage());
      return 2;
    }
    var problems = s.validate();
    if (!problems.isEmpty()) {
      for (String p : problems) {
        err.println("simulate: " + p);
      }
      return 2;
    }
    Simulation.Options options = new Simulation.Options();
    if (maxWall != null) {
      try {
        options.maxWallMillis = millis("--max-wall", maxWall);
      } catch (IllegalArgumentException e) {
        err.println("simulate: " + e.getMessage());
        return 2;
      }
    }
    boolean bar = progress != null ? progress : System.console() != null;
    if (bar) {
      options.progress = new ProgressBar(System.err);
    }
    // SIGTERM or Ctrl-C: ask the run to stop at its next check, then give it a bounded time to
    // write what it has (the JVM exits when this hook returns).
    java.util.concurrent.CountDownLatch written = new java.util.concurrent.CountDownLatch(1);
    Thread hook = new Thread(() -> {
      options.requestStop();
      try {
        written.await(STOP_WAIT_MILLIS, java.util.concurrent.TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "simulate-stop");
    Runtime.getRuntime().addShutdownHook(hook);
    warmUpWriters();
    if (s.protocol.fullNetworkModel()) {
      outW.printf(Locale.ROOT, "simulating %s: %s, N=%d, seed=%d, latency %s, loss %.3f%n", s.name,
          s.protocol.cliName(), s.nodes, s.seed, s.latency().describe(), s.loss);
    } else {
      outW.printf(Locale.ROOT, "simulating %s: %s, N=%d, seed=%d%s%n", s.name, s.protocol.cliName(), s.nodes, s.seed,
          s.protocol.modelsLoss() ? String.format(Locale.ROOT, ", loss %.3f", s.loss) : "");
    }
    outW.flush();
    if (s.sourceText == null) {
      s.sourceText = "# run from the command line\ngrapevine simulate "
          + String.join(" ", spec.commandLine().getParseResult().originalArgs()) + "\n";
    }
    SimulationResult r;
    try {
      try {
        r = Simulation.run(s, options);
      } catch (ScenarioParser.ScenarioException e) {
        err.println(e.getMessage());
        err.flush();
        return 2;
      }
      ResultWriter.write(r, out);
      summarize(r, outW);
      outW.printf("wrote %s/results.json, timeseries.csv, chart.svg, chart.png, index.html%s%n", out,
          r.partial ? " (partial: the run was cut short)" : "");
      outW.flush();
    } finally {
      written.countDown();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        // Shutting down already: the hook is running and returns now that the results are written.
      }
    }
    return r.finished ? 0 : 3;
  }

  /** How long a shutdown waits for the results to be written after the run was told to stop. */
  static final long STOP_WAIT_MILLIS = 1800;

  /**
   * Loads and exercises the output path (JSON, java.awt's fonts and PNG encoder) on a low-priority
   * daemon thread while the run starts: cold, it takes about a second on a busy machine, too much of
   * the time an interrupted run has to write its results.
   */
  private static void warmUpWriters() {
    Thread t = new Thread(() -> {
      try {
        SimulationResult r = new SimulationResult();
        r.scenario = "warm-up";
        r.protocol = "rumor";
        r.timeseriesColumns.addAll(java.util.List.of("round", "informed_fraction", "theory_fraction"));
        r.timeseries.add(new double[] {0, 0, 0});
        r.timeseries.add(new double[] {1, 1, 1});
        Path dir = Files.createTempDirectory("grapevine-sim-warm");
        try {
          ResultWriter.write(r, dir);
        } finally {
          try (var files = Files.list(dir)) {
            for (Path f : files.toList()) {
              Files.deleteIfExists(f);
            }
          }
          Files.deleteIfExists(dir);
        }
      } catch (Exception | Error e) {
        // Only a warm-up: the real write reports its own errors.
      }
    }, "simulate-warm-up");
    t.setDaemon(true);
    t.setPriority(Thread.MIN_PRIORITY);
    t.start();
  }

  private void applyOverrides(Scenario s) {
    if (protocol != null) {
      s.protocol = Scenario.Protocol.find(protocol).orElseThrow(() -> new IllegalArgumentException(
          "--protocol: unknown protocol '" + protocol + "' (known: " + Scenario.Protocol.names() + ")"));
      if (scenarioFile == null && s.protocol == Scenario.Protocol.RUMOR) {
        s.latencyType = Scenario.LatencyType.CONSTANT;
        s.latencyMicros = 1000;
      }
    }
    if (scenarioFile == null) {
      s.name = s.protocol.cliName() + "-cli";
    }
    for (String set : sets) {
      int eq = set.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("--set: expected NAME=VALUE, got '" + set + "'");
      }
      String name = set.substring(0, eq).trim();
      if (name.startsWith("workload.")) {
        name = name.substring("workload.".length());
      }
      if (s.workloadKnob(name) == null) {
        throw new IllegalArgumentException("--set: " + Scenario.unknownWorkload(s.protocol, name));
      }
      s.workload.put(name, set.substring(eq + 1).trim());
    }
    if (nodes != null) {
      s.nodes = nodes;
    }
    if (loss != null) {
      s.loss = loss;
    }
    if (seed != null) {
      s.seed = seed;
    }
    if (duration != null) {
      s.durationMillis = millis("--duration", duration);
    }
    if (rounds != null) {
      s.maxRounds = rounds;
    }
    if (lifeguard != null) {
      s.membership = s.membership.toBuilder().lifeguard(lifeguard).build();
    }
    if (latency != null) {
      String l = latency.trim();
      if (l.startsWith("lognormal:")) {
        String[] p = l.split(":");
        if (p.length != 3) {
          throw new IllegalArgumentException("--latency: expected lognormal:MEDIAN:SIGMA, got '" + l + "'");
        }
        s.latencyType = Scenario.LatencyType.LOGNORMAL;
        s.latencyMicros = millis("--latency", p[1]) * 1000;
        try {
          s.latencySigma = Double.parseDouble(p[2]);
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("--latency: bad sigma '" + p[2] + "'");
        }
      } else if (l.contains("..")) {
        String[] p = l.split("\\.\\.");
        s.latencyType = Scenario.LatencyType.UNIFORM;
        if (p.length != 2) {
          throw new IllegalArgumentException("--latency: expected MIN..MAX like 1ms..10ms, got '" + l + "'");
        }
        s.latencyMicros = millis("--latency", p[0]) * 1000;
        s.latencyMaxMicros = millis("--latency", p[1]) * 1000;
      } else {
        s.latencyType = Scenario.LatencyType.CONSTANT;
        s.latencyMicros = millis("--latency", l) * 1000;
      }
    }
  }

  /** A duration option in whole milliseconds, with {@link Durations}' grammar; errors name the option. */
  private static long millis(String option, String text) {
    try {
      return Durations.parse(text).toMillis();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(option + ": " + e.getMessage());
    }
  }

  static void summarize(SimulationResult r, PrintWriter w) {
    if (r.headline != null) {
      w.printf(Locale.ROOT, "virtual %.1fs, wall %.1fs, peak heap %d MiB%s%n", r.virtualMillis / 1000.0,
          r.wallMillis / 1000.0, r.peakHeapBytes >> 20, r.partial ? "; PARTIAL (cut short)" : "");
      w.printf(Locale.ROOT, "%s = %s; converged: %s%n", r.headline, r.metrics.get(r.headline), r.converged);
      StringBuilder b = new StringBuilder();
      r.metrics.forEach((k, v) -> b.append(b.length() == 0 ? "" : ", ").append(k).append(' ').append(v));
      w.println(b);
      w.printf(Locale.ROOT, "trace %s%n", r.traceHash);
      return;
    }
    w.printf(Locale.ROOT, "virtual %.1fs, wall %.1fs, %d node events (%.0f/s), peak heap %d MiB, retained %d MiB%n",
        r.virtualMillis / 1000.0, r.wallMillis / 1000.0, r.nodeEvents, r.nodeEventsPerSecond,
        r.peakHeapBytes >> 20, r.heapAfterRunBytes >> 20);
    if ("rumor".equals(r.protocol)) {
      w.printf(Locale.ROOT, "informed everyone: %s after %d rounds (mean-field theory %s, log3 N = %.1f)%n",
          r.converged, r.convergedRound, r.theory.get("meanFieldRounds"), r.theory.get("log3N"));
    } else {
      if (r.converged) {
        w.printf(Locale.ROOT, "full view everywhere: true at %.1fs (%.1fs after the last join)%n",
            r.convergedAtMillis / 1000.0, r.convergedAfterLastJoinMillis / 1000.0);
      } else {
        w.printf(Locale.ROOT, "full view everywhere: not reached by %.1fs%n", r.virtualMillis / 1000.0);
      }
      w.printf(Locale.ROOT, "suspicions %d (false %d, of healthy members %d; false episodes %d, of healthy %d), "
          + "dead %d (false %d)%n", r.suspicionsRaised, r.falseSuspicions, r.falseSuspicionsOfHealthy,
          r.falseSuspicionEpisodes, r.falseSuspicionEpisodesOfHealthy, r.deadDeclared, r.falseDead);
      if (r.detectionLatency != null && r.detectionLatency.count() > 0) {
        Distribution d = r.detectionLatency;
        w.printf(Locale.ROOT, "crash -> dead (ms): min %d p50 %d p90 %d p99 %d max %d over %d observations; "
            + "detected everywhere: %s%n", d.min(), d.p50(), d.p90(), d.p99(), d.max(), d.count(),
            r.allCrashesDetectedEverywhere);
      }
    }
    w.printf(Locale.ROOT, "per node: %.1f packets/s, %.0f B/s; lost %d, partition-dropped %d; trace %s%n",
        r.packetsPerNodePerSecond, r.bytesPerNodePerSecond, r.packetsLost, r.packetsDroppedByPartition, r.traceHash);
  }

  public static void main(String[] args) {
    System.setProperty("java.awt.headless", "true");
    int code = new CommandLine(new SimulateCommand()).execute(args);
    System.exit(code);
  }
}
