// SPDX-License-Identifier: Apache-2.0
package io.grapevine.sim.experiments;

import io.grapevine.antientropy.AntiEntropy;
import io.grapevine.config.AntiEntropyConfig;
import io.grapevine.api.AntiEntropyStats;
import io.grapevine.antientropy.Entry;
import io.grapevine.antientropy.Replica;
import io.grapevine.sim.Latency;
import io.grapevine.sim.NetworkModel;
import io.grapevine.sim.Seeds;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * The replicated store under a stream of writes, loss and churn: the real {@link AntiEntropy} on N
 * simulated nodes ({@link ExtensionCluster}: {@code StandaloneHost}s over uniform random peers, the
 * simulator's {@link io.grapevine.sim.Engine} and {@link NetworkModel}).
 *
 * <p>After a warm-up, {@code writes} operations (80% puts, 10% deletes on the same keys, 10% counter
 * increments) are spread evenly over {@code window} at random running nodes. During the window a
 * fraction {@code churn} of the nodes per second stops for a random 2-10 s: a third of them only
 * go silent (a pause: state kept), a third crash and restart from their data dir (protocol state
 * lost, replica reopened from its store), a third crash and come back with an empty replica (a
 * replaced disk, a new replica id). Peers keep a stopped node in their view (as a membership would
 * for the seconds it takes to notice), so pushes and exchanges aimed at it are lost. Datagrams
 * (rumors) are lost with probability {@code loss}; stream messages (exchanges) are reliable, as over
 * TCP, but lost when they reach a stopped node.
 *
 * <p>Measured: the time from the last write until 99% of the replicas, and then all of them, have
 * the final hash-tree root; whether that state is the join of every acknowledged write (an
 * oracle replica merges each one); keys repaired by rumor and by anti-entropy; packets and bytes
 * per node per second; wall time and peak heap. The run is a pure function of its parameters:
 * same seed, same trace hash.
 *
 * <pre>
 * KvConvergenceRun --nodes 10000 [--writes 1000] [--window-s 20] [--keys writes/4] [--loss 0.05]
 *                  [--churn 0.01] [--depth 2] [--fanout 2] [--seeds 1] [--seed 1] [--max-after-s 600]
 *                  [--csv out/kv.csv] [--series out/kv-series.csv] [--trace]
 * </pre>
 */
public final class KvConvergenceRun {
  /** Latency of every message: uniform 1-20 ms, a LAN with some queueing (random, so it reorders). */
  public static final long LATENCY_MIN_MICROS = 1_000;

  public static final long LATENCY_MAX_MICROS = 20_000;
  /** Extra one-way delay of stream messages (connection set-up), as in the scenario default. */
  public static final long STREAM_EXTRA_MICROS = 1_000;
  /** Time before the first write: every node's timers running. */
  public static final long WARMUP_MILLIS = 3_000;
  /** How often churn is drawn, and agreement sampled. */
  public static final long STEP_MILLIS = 100;
  /** A stopped node is away this long (uniform). */
  public static final long DOWN_MIN_MILLIS = 2_000;

  public static final long DOWN_MAX_MILLIS = 10_000;

  /** What to run. */
  public record Params(int nodes, int writes, long windowMillis, int keys, double loss, double churnPerSecond,
      int merkleDepth, int rumorFanout, long seed, long maxAfterMillis, boolean trace) {
    public Params {
      if (nodes < 2) {
        throw new IllegalArgumentException("--nodes must be at least 2, got " + nodes);
      }
      if (writes < 1) {
        throw new IllegalArgumentException("--writes must be at least 1, got " + writes);
      }
      if (windowMillis < 1) {
        throw new IllegalArgumentException("--window-s must be positive");
      }
      if (keys < 1) {
        throw new IllegalArgumentException("--keys must be at least 1, got " + keys);
      }
      if (!(loss >= 0 && loss < 1)) {
        throw new IllegalArgumentException("--loss must be in [0, 1), got " + loss);
      }
      if (!(churnPerSecond >= 0 && churnPerSecond <= 1)) {
        throw new IllegalArgumentException("--churn must be in [0, 1] (fraction of nodes per second), got "
            + churnPerSecond);
      }
    }

    /** The defaults of the experiment at {@code nodes}. */
    public static Params defaults(int nodes) {
      return new Params(nodes, 1000, 20_000, 250, 0.05, 0.01, 2, 2, 1, 600_000, false);
    }
  }

  /** What a run measured. Times are from the last write, -1 when not reached. */
  public record Result(Params params, long ninetyNineMillis, long allMillis, long lastBackMillis,
      boolean finalIsJoinOfWrites, int silences, int restarts, int wipes, long repairsByRumor,
      long repairsByAntiEntropy, long rumorsSent, long syncsStarted, long syncsAlreadyEqual, long packetsSent,
      long bytesSent, long lost, long droppedDown, long syncPackets, long simMillis, double wallSeconds,
      long heapAfterSetupBytes, long peakHeapBytes, long finalRoot, long traceHash, boolean stopped) {

    public boolean converged() {
      return allMillis >= 0;
    }

    /** Packets sent per node per second of simulated time, warm-up excluded. */
    public double packetsPerNodePerSecond() {
      return packetsSent / (params.nodes() * ((simMillis - WARMUP_MILLIS) / 1000.0));
    }

    public double bytesPerNodePerSecond() {
      return bytesSent / (params.nodes() * ((simMillis - WARMUP_MILLIS) / 1000.0));
    }
  }

  /** One agreement sample (written to the series CSV as it is taken). */
  public record Sample(long tMillis, int stopped, int agreeMajority, long majorityRoot, long repairsByRumor,
      long repairsByAntiEntropy, long packetsSent) {}

  private KvConvergenceRun() {}

  public static void main(String[] args) throws IOException {
    int nodes = 10_000;
    Params d = Params.defaults(nodes);
    int writes = d.writes();
    long windowMillis = d.windowMillis();
    int keys = -1;
    double loss = d.loss();
    double churn = d.churnPerSecond();
    int depth = d.merkleDepth();
    int fanout = d.rumorFanout();
    long seed = d.seed();
    int seeds = 1;
    long maxAfter = d.maxAfterMillis();
    boolean trace = false;
    Path csv = null;
    Path series = null;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--nodes" -> nodes = Integer.parseInt(args[++i]);
        case "--writes" -> writes = Integer.parseInt(args[++i]);
        case "--window-s" -> windowMillis = Math.round(Double.parseDouble(args[++i]) * 1000);
        case "--keys" -> keys = Integer.parseInt(args[++i]);
        case "--loss" -> loss = Double.parseDouble(args[++i]);
        case "--churn" -> churn = Double.parseDouble(args[++i]);
        case "--depth" -> depth = Integer.parseInt(args[++i]);
        case "--fanout" -> fanout = Integer.parseInt(args[++i]);
        case "--seed" -> seed = Long.parseLong(args[++i]);
        case "--seeds" -> seeds = Integer.parseInt(args[++i]);
        case "--max-after-s" -> maxAfter = Math.round(Double.parseDouble(args[++i]) * 1000);
        case "--trace" -> trace = true;
        case "--csv" -> csv = Path.of(args[++i]);
        case "--series" -> series = Path.of(args[++i]);
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    if (keys < 0) {
      keys = Math.max(1, writes / 4);
    }
    if (csv != null && (!Files.exists(csv) || Files.size(csv) == 0)) {
      if (csv.getParent() != null) {
        Files.createDirectories(csv.getParent());
      }
      Files.writeString(csv, CSV_HEADER + "\n");
    }
    boolean allConverged = true;
    for (int s = 0; s < seeds; s++) {
      Params p = new Params(nodes, writes, windowMillis, keys, loss, churn, depth, fanout, seed + s, maxAfter, trace);
      PrintWriter seriesOut = null;
      if (series != null) {
        Path file = seeds == 1 ? series : Path.of(series + "." + p.seed());
        if (file.getParent() != null) {
          Files.createDirectories(file.getParent());
        }
        seriesOut = new PrintWriter(Files.newBufferedWriter(file));
        seriesOut.println("t_ms_after_last_write,stopped,agree_majority,majority_root,repairs_rumor,repairs_ae,packets");
      }
      PrintWriter so = seriesOut;
      Result r = run(p, sample -> {
        if (so != null) {
          so.printf(Locale.ROOT, "%d,%d,%d,%016x,%d,%d,%d%n", sample.tMillis(), sample.stopped(),
              sample.agreeMajority(), sample.majorityRoot(), sample.repairsByRumor(), sample.repairsByAntiEntropy(),
              sample.packetsSent());
          so.flush();
        }
      }, true);
      if (so != null) {
        so.close();
      }
      System.out.println(describe(r));
      if (csv != null) {
        Files.writeString(csv, csvRow(r) + "\n", StandardOpenOption.APPEND);
      }
      allConverged &= r.converged();
    }
    if (!allConverged) {
      System.exit(1);
    }
  }

  static final String CSV_HEADER = "nodes,writes,window_s,keys,loss,churn_per_s,depth,seed,t99_s,t100_s,"
      + "last_back_s,join_of_writes,silences,restarts,wipes,repairs_rumor,repairs_ae,rumors_sent,syncs,syncs_equal,"
      + "packets,bytes,lost,dropped_down,sync_packets,packets_per_node_s,bytes_per_node_s,sim_s,wall_s,"
      + "heap_after_setup_mib,peak_heap_mib,trace_hash,rumor_fanout";

  static String csvRow(Result r) {
    Params p = r.params();
    return String.format(Locale.ROOT,
        "%d,%d,%.1f,%d,%.3f,%.4f,%d,%d,%s,%s,%.1f,%b,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%.2f,%.0f,%.1f,%.1f,%.0f,%.0f,"
            + "%016x,%d",
        p.nodes(), p.writes(), p.windowMillis() / 1000.0, p.keys(), p.loss(), p.churnPerSecond(), p.merkleDepth(),
        p.seed(), sec(r.ninetyNineMillis()), sec(r.allMillis()), r.lastBackMillis() / 1000.0,
        r.finalIsJoinOfWrites(), r.silences(), r.restarts(), r.wipes(), r.repairsByRumor(),
        r.repairsByAntiEntropy(), r.rumorsSent(), r.syncsStarted(), r.syncsAlreadyEqual(), r.packetsSent(),
        r.bytesSent(), r.lost(), r.droppedDown(), r.syncPackets(), r.packetsPerNodePerSecond(),
        r.bytesPerNodePerSecond(), r.simMillis() / 1000.0, r.wallSeconds(), r.heapAfterSetupBytes() / 1048576.0,
        r.peakHeapBytes() / 1048576.0, r.traceHash(), p.rumorFanout());
  }

  private static String sec(long millis) {
    return millis < 0 ? "" : String.format(Locale.ROOT, "%.1f", millis / 1000.0);
  }

  public static String describe(Result r) {
    Params p = r.params();
    return String.format(Locale.ROOT,
        "N=%,d writes=%,d over %.0f s on %,d keys, loss %.0f%%, churn %.2f%%/s (%d silent, %d restarts, %d wiped),"
            + " depth %d, rumor fanout %d, seed %d: after the last write 99%% agree at %s s, all at %s s (last stopped node back at"
            + " %.1f s); final state = join of all writes: %b; repairs %,d by rumor / %,d by anti-entropy;"
            + " %,d syncs (%,d already equal); packets %,d (%.1f%% lost, %,d to stopped nodes), %.1f MB, %.1f"
            + " packets/s and %.0f B/s per node; simulated %.0f s in %.1f s wall, heap after setup %.0f MiB, peak"
            + " %.0f MiB; trace %016x",
        p.nodes(), p.writes(), p.windowMillis() / 1000.0, p.keys(), p.loss() * 100, p.churnPerSecond() * 100,
        r.silences(), r.restarts(), r.wipes(), p.merkleDepth(), p.rumorFanout(), p.seed(),
        r.ninetyNineMillis() < 0 ? "never" : sec(r.ninetyNineMillis()),
        r.allMillis() < 0 ? "NOT within " + p.maxAfterMillis() / 1000 : sec(r.allMillis()),
        r.lastBackMillis() / 1000.0, r.finalIsJoinOfWrites(), r.repairsByRumor(), r.repairsByAntiEntropy(),
        r.syncsStarted(), r.syncsAlreadyEqual(), r.packetsSent(),
        100.0 * r.lost() / Math.max(1, r.packetsSent()), r.droppedDown(), r.bytesSent() / 1e6,
        r.packetsPerNodePerSecond(), r.bytesPerNodePerSecond(), r.simMillis() / 1000.0, r.wallSeconds(),
        r.heapAfterSetupBytes() / 1048576.0, r.peakHeapBytes() / 1048576.0, r.traceHash());
  }

  /** The config every replica runs: defaults, tree depth, rumor fanout and exchange packet size as given. */
  static AntiEntropyConfig config(Params p) {
    return config(p, AntiEntropyConfig.defaults());
  }

  /** As {@link #config(Params)}, starting from {@code base} instead of the defaults. */
  static AntiEntropyConfig config(Params p, AntiEntropyConfig base) {
    // A 70,000-byte exchange packet (the smallest allowed) instead of 256 KiB: each node's packet
    // buffer is allocated at that size, and 10,000 of them would take 2.5 GiB. Nothing here comes
    // near it: a full bucket digest of 250 keys or all 250 entries is about 15 KB.
    return base.toBuilder().merkleDepth(p.merkleDepth()).rumorFanout(p.rumorFanout()).syncChunkBytes(70_000)
        .build();
  }

  /** Runs one experiment; {@code samples} receives agreement samples after the last write. */
  public static Result run(Params p, Consumer<Sample> samples, boolean progress) {
    return new Runner(p, AntiEntropyConfig.defaults(), samples, progress, () -> false).run();
  }

  /**
   * As {@link #run(Params, Consumer, boolean)}, every replica running {@code base} (with the
   * params' depth and fanout); {@code stop} is asked every 100 ms of virtual time and ends the run
   * early ({@link Result#stopped}).
   */
  public static Result run(Params p, AntiEntropyConfig base, Consumer<Sample> samples, boolean progress,
      java.util.function.BooleanSupplier stop) {
    return new Runner(p, base, samples, progress, stop).run();
  }

  private static final class Runner {
    private final Params p;
    private final Consumer<Sample> samples;
    private final boolean progress;
    private final java.util.function.BooleanSupplier stop;
    private boolean halted;
    private final AntiEntropyConfig config;
    private final ExtensionCluster<AntiEntropy> c;
    private final Replica[] replicas;
    private final boolean[] stopped;
    private final int[] generation;
    private final Replica oracle;
    private final HashReplicaStore.Pool pool = new HashReplicaStore.Pool();
    private final SplittableRandom workload;
    private final SplittableRandom churn;
    private int stoppedCount;
    private long peakHeap;
    private final long wallStart = System.nanoTime();
    private long nextProgress = wallStart + 30_000_000_000L;
    private int silences;
    private int restarts;
    private int wipes;
    private long lastBackMillis;
    /** Counters of protocol instances replaced by a restart: rumor and sync repairs, rumors, syncs, equal, packets. */
    private final long[] retired = new long[6];

    Runner(Params p, AntiEntropyConfig base, Consumer<Sample> samples, boolean progress,
        java.util.function.BooleanSupplier stop) {
      this.p = p;
      this.samples = samples;
      this.progress = progress;
      this.stop = stop;
      this.config = config(p, base);
      NetworkModel net = new NetworkModel(Latency.uniform(LATENCY_MIN_MICROS, LATENCY_MAX_MICROS), p.loss(), 0, 0,
          STREAM_EXTRA_MICROS);
      this.c = new ExtensionCluster<>(p.nodes(), p.seed(), net, null, p.trace());
      this.replicas = new Replica[p.nodes()];
      this.stopped = new boolean[p.nodes()];
      this.generation = new int[p.nodes()];
      this.oracle = new Replica("oracle", new HashReplicaStore(pool), config);
      this.workload = new SplittableRandom(Seeds.derive(p.seed(), -10, 0));
      this.churn = new SplittableRandom(Seeds.derive(p.seed(), -11, 0));
    }

    private AntiEntropy start(int i, Replica replica) {
      AntiEntropy ae = new AntiEntropy(replica, new SplittableRandom(Seeds.derive(p.seed(), i, generation[i])), 0);
      c.add(i, ae);
      c.call(i, out -> {}); // arms its first timer
      return ae;
    }

    Result run() {
      long wall = wallStart;
      for (int i = 0; i < p.nodes(); i++) {
        replicas[i] = new Replica("n" + i, new HashReplicaStore(pool), config);
        start(i, replicas[i]);
      }
      long heapAfterSetup = usedHeap();
      if (progress) {
        System.err.printf(Locale.ROOT, "  %,d replicas set up: heap %.0f MiB (%.0f s wall)%n", p.nodes(),
            heapAfterSetup / 1048576.0, (System.nanoTime() - wall) / 1e9);
      }
      long first = WARMUP_MILLIS;
      long lastWrite = first + (p.writes() - 1) * p.windowMillis() / p.writes();
      for (int w = 0; w < p.writes(); w++) {
        long at = first + w * p.windowMillis() / p.writes();
        int k = w;
        c.engine.schedule(at * 1000, () -> write(k));
      }
      for (long t = first; t <= lastWrite; t += STEP_MILLIS) {
        c.engine.schedule(t * 1000, this::churnStep);
      }
      for (long t = Math.min(STEP_MILLIS, lastWrite); !halted; t = Math.min(t + STEP_MILLIS, lastWrite)) {
        c.engine.runUntil(t * 1000, Long.MAX_VALUE);
        halted = stop.getAsBoolean();
        if (t == lastWrite) {
          break;
        }
      }
      long ninetyNine = -1;
      long all = -1;
      long nextReport = System.nanoTime() + 30_000_000_000L;
      Map<Long, Integer> counts = new HashMap<>();
      long[] majorityRoots = new long[(int) (p.maxAfterMillis() / STEP_MILLIS) + 1];
      int[] majorityCounts = new int[majorityRoots.length];
      int taken = 0;
      for (long t = lastWrite; t <= lastWrite + p.maxAfterMillis() && !halted; t += STEP_MILLIS) {
        c.engine.runUntil(t * 1000, Long.MAX_VALUE);
        halted = stop.getAsBoolean();
        peakHeap = Math.max(peakHeap, heapInUse());
        counts.clear();
        long root0 = replicas[0].tree().root();
        boolean allSame = true;
        for (Replica r : replicas) {
          allSame &= r.tree().root() == root0;
        }
        long majority = root0;
        int agree = p.nodes();
        if (!allSame) {
          agree = 0;
          for (Replica r : replicas) {
            int n = counts.merge(r.tree().root(), 1, Integer::sum);
            if (n > agree) {
              agree = n;
              majority = r.tree().root();
            }
          }
        }
        majorityRoots[taken] = majority;
        majorityCounts[taken] = agree;
        taken++;
        Sample s = sample(t - lastWrite, agree, majority);
        samples.accept(s);
        if (progress && System.nanoTime() > nextReport) {
          nextReport = System.nanoTime() + 30_000_000_000L;
          System.err.printf(Locale.ROOT, "  t=%+.1f s after the last write: %,d of %,d agree, %d stopped (%.0f s wall)%n",
              (t - lastWrite) / 1000.0, agree, p.nodes(), stoppedCount, (System.nanoTime() - wall) / 1e9);
        }
        if (allSame && stoppedCount == 0) {
          all = t - lastWrite;
          break;
        }
      }
      long finalRoot = all >= 0 ? replicas[0].tree().root() : 0;
      if (all >= 0) {
        // 99%: the first sample from which on at least 99% hold the final state.
        for (int k = taken - 1; k >= 0; k--) {
          if (majorityRoots[k] == finalRoot && majorityCounts[k] >= Math.ceil(0.99 * p.nodes())) {
            ninetyNine = k * STEP_MILLIS;
          } else {
            break;
          }
        }
      }
      long rumor = 0;
      long ae = 0;
      long rumorsSent = 0;
      long syncs = 0;
      long equal = 0;
      long syncPackets = 0;
      for (int i = 0; i < p.nodes(); i++) {
        AntiEntropyStats st = stats(i);
        rumor += st.keysRepairedByRumor();
        ae += st.keysRepairedByAntiEntropy();
        rumorsSent += st.rumorsSent();
        syncs += st.syncsStarted();
        equal += st.syncsAlreadyEqual();
        syncPackets += st.syncPacketsSent();
      }
      rumor += retired[0];
      ae += retired[1];
      rumorsSent += retired[2];
      syncs += retired[3];
      equal += retired[4];
      syncPackets += retired[5];
      return new Result(p, ninetyNine, all, Math.max(0, lastBackMillis - lastWrite),
          all >= 0 && finalRoot == oracle.tree().root(), silences, restarts, wipes, rumor, ae, rumorsSent, syncs,
          equal, c.engine.packetsSent(), c.engine.bytesSent(), c.engine.lost(), c.engine.droppedDown(), syncPackets,
          c.engine.nowMillis(), (System.nanoTime() - wall) / 1e9, heapAfterSetup, peakHeap, finalRoot,
          c.engine.traceHash(), halted);
    }

    private AntiEntropyStats stats(int i) {
      return c.ext(i).stats();
    }

    private Sample sample(long t, int agree, long majority) {
      long rumor = retired[0];
      long ae = retired[1];
      for (int i = 0; i < p.nodes(); i++) {
        AntiEntropyStats st = stats(i);
        rumor += st.keysRepairedByRumor();
        ae += st.keysRepairedByAntiEntropy();
      }
      return new Sample(t, stoppedCount, agree, majority, rumor, ae, c.engine.packetsSent());
    }

    private int randomRunning(SplittableRandom r) {
      while (true) {
        int i = r.nextInt(p.nodes());
        if (!stopped[i]) {
          return i;
        }
      }
    }

    private void write(int k) {
      int w = randomRunning(workload);
      AntiEntropy ae = c.ext(w);
      int op = workload.nextInt(10);
      String key = "k" + workload.nextInt(p.keys());
      long now = c.engine.nowMillis();
      Entry[] written = new Entry[1];
      c.call(w, out -> {
        if (op == 0) {
          written[0] = ae.delete(now, "m", key, out);
        } else if (op == 1) {
          written[0] = ae.increment(now, "c", "c" + (k % Math.max(1, p.keys() / 10)), 1, out);
        } else {
          written[0] = ae.put(now, "m", key, new byte[] {(byte) k, (byte) (k >>> 8)}, 0, out);
        }
      });
      oracle.merge(List.of(written[0]), now);
    }

    private void churnStep() {
      peakHeap = Math.max(peakHeap, heapInUse());
      if (progress && System.nanoTime() > nextProgress) {
        nextProgress = System.nanoTime() + 30_000_000_000L;
        System.err.printf(Locale.ROOT, "  t=%.1f s (writes until %.1f s): %d stopped, %,d packets, heap %.0f MiB"
            + " (%.0f s wall)%n", c.engine.nowMillis() / 1000.0, (WARMUP_MILLIS + p.windowMillis()) / 1000.0,
            stoppedCount, c.engine.packetsSent(), heapInUse() / 1048576.0, (System.nanoTime() - wallStart) / 1e9);
      }
      double expected = p.churnPerSecond() * p.nodes() * STEP_MILLIS / 1000.0;
      int count = (int) Math.floor(expected + churn.nextDouble());
      for (int k = 0; k < count && stoppedCount < p.nodes() - 1; k++) {
        int v = randomRunning(churn);
        int kind = churn.nextInt(3);
        long away = DOWN_MIN_MILLIS + churn.nextLong(DOWN_MAX_MILLIS - DOWN_MIN_MILLIS + 1);
        stopped[v] = true;
        stoppedCount++;
        c.silence(v);
        long back = c.engine.nowMillis() + away;
        lastBackMillis = Math.max(lastBackMillis, back);
        switch (kind) {
          case 0 -> silences++;
          case 1 -> restarts++;
          default -> wipes++;
        }
        c.engine.schedule(back * 1000, () -> comeBack(v, kind));
      }
    }

    private void comeBack(int v, int kind) {
      stopped[v] = false;
      stoppedCount--;
      if (kind == 0) {
        c.resume(v);
        c.call(v, out -> {});
        return;
      }
      AntiEntropyStats old = stats(v);
      retired[0] += old.keysRepairedByRumor();
      retired[1] += old.keysRepairedByAntiEntropy();
      retired[2] += old.rumorsSent();
      retired[3] += old.syncsStarted();
      retired[4] += old.syncsAlreadyEqual();
      retired[5] += old.syncPacketsSent();
      generation[v]++;
      if (kind == 1) {
        // Restart from the data dir: same replica id, the replica (tree, clock) rebuilt from its store.
        replicas[v] = new Replica(replicas[v].replicaId(), replicas[v].store(), config);
      } else {
        // A new disk: empty, and a new replica id so its counter updates are not hidden behind the old ones.
        replicas[v] = new Replica("n" + v + "." + generation[v], new HashReplicaStore(pool), config);
      }
      start(v, replicas[v]);
    }
  }

  private static long usedHeap() {
    Runtime rt = Runtime.getRuntime();
    for (int i = 0; i < 2; i++) {
      System.gc();
    }
    return rt.totalMemory() - rt.freeMemory();
  }

  /** Heap in use now (live data plus garbage not yet collected). */
  private static long heapInUse() {
    Runtime rt = Runtime.getRuntime();
    return rt.totalMemory() - rt.freeMemory();
  }
}
