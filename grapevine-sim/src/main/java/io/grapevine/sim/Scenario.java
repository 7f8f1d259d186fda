// SPDX-License-Identifier: Apache-2.0
package io.grapevine.sim;

import io.grapevine.config.AggregationConfig;
import io.grapevine.config.AntiEntropyConfig;
import io.grapevine.config.ProtocolConfigs;
import io.grapevine.config.QueryConfig;
import io.grapevine.config.DisseminationConfig;
import io.grapevine.config.MembershipConfig;
import io.grapevine.config.HyParViewConfig;
import io.grapevine.config.PlumtreeConfig;
import io.grapevine.config.SortedRingConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What to simulate: the cluster, the protocol and its settings, the network, the fault schedule and
 * how long to run. Read from a file by {@link ScenarioParser} or built in code; {@link #validate()}
 * lists every problem. Times are virtual milliseconds.
 *
 * <p>A mutable description (fields are set, then the scenario is run); a run never changes it.
 */
public final class Scenario {

  /**
   * The protocol families the simulator can drive. Membership and rumor run on the scenario's full
   * network model and fault schedule; the other families run the experiment of their own package
   * ({@code io.grapevine.sim.experiments}, {@code io.grapevine.sim.overlay}) with its own network
   * model, driven by the scenario's size, seed, protocol knobs, {@code rounds}, {@code workload} and,
   * where the experiment models it, {@code network.loss}.
   */
  public enum Protocol {
    /** {@link io.grapevine.membership.Membership}: SWIM + Lifeguard, full view. */
    MEMBERSHIP("membership", "SWIM + Lifeguard full-view membership: joins, crashes, partitions, churn, loss", false,
        List.of(WorkloadKnob.bool("viewSizes", false,
            "record every node's view size each time it changes: distinct_cluster_sizes and complete_view_s"))),
    /** {@link RumorNode}: plain push-pull rumor spreading over uniformly random peers. */
    RUMOR("rumor", "plain push-pull rumor spreading, measured against mean-field theory", false, List.of()),
    /** Dissemination: every Demers variant (mode, feedback, stop, k) or piggyback on membership. */
    DISSEMINATION("dissemination",
        "user events: Demers' rumor-mongering variants or piggyback on membership, anti-entropy as backup", false,
        List.of(
            WorkloadKnob.choice("driver", "rounds", List.of("rounds", "events"),
                "rounds: synchronous rounds (Demers' cycles); events: unsynchronised rounds on the event engine"),
            WorkloadKnob.bool("sequential", false,
                "rounds driver: complete each contact before the next node's turn"))),
    /** The replicated key-value store (anti-entropy). */
    KV("kv", "replicated key-value store under writes, datagram loss and churn: time until all replicas agree", true,
        List.of(
            WorkloadKnob.count("writes", 200, "writes (80% puts, 10% deletes, 10% counter increments)"),
            WorkloadKnob.duration("window", "10s", "the writes are spread evenly over this window"),
            WorkloadKnob.count("keys", 0, "distinct keys written; 0 = writes / 4"),
            WorkloadKnob.fraction("churn", 0, "fraction of the nodes stopped per second during the window"),
            WorkloadKnob.duration("maxAfter", "120s", "give up this long after the last write"))),
    /** Gossip aggregation (AVG and COUNT). */
    AGGREGATE("aggregate", "cluster-wide AVG and COUNT by gossip (aggregation.mode: flow, push-pull, push-sum)", true,
        List.of(
            WorkloadKnob.fraction("churn", 0, "fraction of the live nodes replaced by fresh ones each round"),
            WorkloadKnob.bool("stopWhenConverged", false,
                "stop once every estimate has been within 0.01% for three rounds"))),
    /** HyParView partial views. */
    HYPARVIEW("hyparview", "HyParView partial views: flooding reliability after a mass crash, and recovery", false,
        List.of(WorkloadKnob.fraction("crash", 0.5, "fraction of the nodes crashed at once after the build"))),
    /** Plumtree over HyParView. */
    PLUMTREE("plumtree", "Plumtree broadcast over HyParView: redundancy (RMR), last delivery, hops", false,
        List.of(
            WorkloadKnob.count("broadcasts", 10, "broadcasts, one every two rounds from a random node"),
            WorkloadKnob.count("steadyFrom", 4, "broadcasts before this one (0-based) are left out of the means"))),
    /** The sorted ring. */
    RING("ring", "sorted ring: rounds until every node has its true successor and predecessor", false, List.of()),
    /** Tree aggregation over the sorted ring. */
    TREE("tree", "exact SUM and COUNT over the sorted ring's tree: rounds until every node holds them", false,
        List.of()),
    /** Cluster-wide queries. */
    QUERY("query", "cluster-wide queries: time until the originator has an ack and an answer from every node", false,
        List.of(
            WorkloadKnob.choice("mode", "push", List.of("push", "membership"),
                "push: the query protocol over uniform peers; membership: riding on SWIM's gossip"),
            WorkloadKnob.count("queries", 5, "queries, issued one after another from rotating nodes"),
            WorkloadKnob.duration("timeout", "10s", "each query's timeout"))),
    /** Network coordinates. */
    COORDINATES("coordinates", "Vivaldi network coordinates: RTT estimate error over time on a geometric network",
        false,
        List.of(
            WorkloadKnob.count("pairs", 2000, "random node pairs sampled at each step"),
            WorkloadKnob.duration("plane", "150ms", "side of the plane hosts are placed on, as one-way delay"),
            WorkloadKnob.duration("jitter", "1ms", "largest per-packet jitter")));

    private final String cliName;
    private final String summary;
    private final boolean modelsLoss;
    private final List<WorkloadKnob> workload;

    Protocol(String cliName, String summary, boolean modelsLoss, List<WorkloadKnob> workload) {
      this.cliName = cliName;
      this.summary = summary;
      this.modelsLoss = modelsLoss;
      this.workload = workload;
    }

    /** The name in scenario files and on the command line. */
    public String cliName() {
      return cliName;
    }

    /** One line: what a run of this family shows. */
    public String summary() {
      return summary;
    }

    /** The settings under {@code workload:} this family takes. */
    public List<WorkloadKnob> workload() {
      return workload;
    }

    /** Membership and rumor: the scenario's network model and fault schedule. */
    public boolean fullNetworkModel() {
      return this == MEMBERSHIP || this == RUMOR;
    }

    /** Whether {@code network.loss} applies (always with the full model). */
    public boolean modelsLoss() {
      return fullNetworkModel() || modelsLoss;
    }

    /** The family called {@code name} (or an alias: swim, push-pull, aggregation), if any. */
    public static java.util.Optional<Protocol> find(String name) {
      String n = name.trim().toLowerCase(java.util.Locale.ROOT);
      switch (n) {
        case "swim":
          return java.util.Optional.of(MEMBERSHIP);
        case "push-pull":
          return java.util.Optional.of(RUMOR);
        case "aggregation":
          return java.util.Optional.of(AGGREGATE);
        default:
          for (Protocol p : values()) {
            if (p.cliName.equals(n)) {
              return java.util.Optional.of(p);
            }
          }
          return java.util.Optional.empty();
      }
    }

    /** Every family's name, comma-separated, for messages. */
    public static String names() {
      return java.util.Arrays.stream(values()).map(Protocol::cliName)
          .collect(java.util.stream.Collectors.joining(", "));
    }
  }

  /** Latency distributions. */
  public enum LatencyType {
    CONSTANT,
    UNIFORM,
    LOGNORMAL
  }

  public String name = "unnamed";
  /** Master seed: every random stream of the run derives from it. */
  public long seed = 1;
  /** Cluster size N. */
  public int nodes = 100;
  public Protocol protocol = Protocol.MEMBERSHIP;

  // Membership.
  /** Membership settings (profile plus knobs). */
  public MembershipConfig membership = MembershipConfig.lan();
  /** Profile the settings started from, for reports. */
  public String profile = "lan";
  /**
   * Protocols each node runs on its stack beside membership, by their names in the core's {@link
   * io.grapevine.assembly.ProtocolRegistry} ({@code dissemination}, {@code kv}, {@code aggregation},
   * {@code hyparview}, {@code plumtree}, {@code ring}, {@code tree}, {@code query}), in order, with the configs of
   * their sections; empty: membership alone.
   */
  public final List<String> stack = new ArrayList<>();
  /** Nodes 0..seedNodes-1 are the seeds every other node joins through. */
  public int seedNodes = 1;
  /** Joins are spread uniformly over this window (a realistic rolling start); 0 = all at once. */
  public long joinOverMillis = 10_000;
  /**
   * Every this long each node sends a join (a push-pull) to one random member it holds dead, as
   * the runtime's reconnect does (same default as {@code ClusterBuilder.reconnectInterval}): it is
   * what merges the two sides of a healed partition once each has declared the other dead; 0 = off.
   */
  public long reconnectEveryMillis = 30_000;

  // The other protocol sections a scenario may set (protocol.config); the membership and rumor runs
  // do not read them, they are checked and carried for runs of those protocols.
  /** Section {@code dissemination}. */
  public DisseminationConfig dissemination = DisseminationConfig.defaults();
  /** Section {@code kv}. */
  public AntiEntropyConfig kv = AntiEntropyConfig.defaults();
  /** Section {@code aggregation}. */
  public AggregationConfig aggregation = AggregationConfig.defaults();
  /** Section {@code hyparview}. */
  public HyParViewConfig hyparview = HyParViewConfig.defaults();
  /** Section {@code plumtree}. */
  public PlumtreeConfig plumtree = PlumtreeConfig.defaults();
  /** Section {@code ring}. */
  public SortedRingConfig ring = SortedRingConfig.defaults();
  /** Section {@code coordinates}. */
  public io.grapevine.config.CoordinatesConfig coordinates = io.grapevine.config.CoordinatesConfig.defaults();
  /** Section {@code query}. */
  public QueryConfig query = QueryConfig.defaults();
  /**
   * The knobs the scenario file set, {@code SECTION.KNOB} to the value as the registry writes it
   * ({@code membership.maxQueuedBroadcasts} to {@code 2048}); results.json lists them.
   */
  public final Map<String, String> knobs = new LinkedHashMap<>();
  /**
   * The family's workload settings ({@code workload:} in a file): name to value as written, checked
   * against {@link Protocol#workload()}; unset ones take their defaults.
   */
  public final Map<String, String> workload = new LinkedHashMap<>();
  /** The text the scenario was read from (null when built in code or from options), for reports. */
  public String sourceText;

  // Rumor.
  /** Gossip period of the rumor protocol: one round. */
  public long rumorPeriodMillis = 1000;
  /** true: every node gossips at the same instant each round (synchronous rounds, the model of the theory). */
  public boolean rumorAlignedRounds = true;
  /** Stop after this many rounds even if not everyone is informed. */
  public int maxRounds = 100;

  // Network.
  public LatencyType latencyType = LatencyType.UNIFORM;
  /** constant: the value; uniform: the minimum; lognormal: the median. Microseconds. */
  public long latencyMicros = 1000;
  /** uniform: the maximum. Microseconds. */
  public long latencyMaxMicros = 5000;
  /** lognormal: shape. */
  public double latencySigma = 0.5;
  public double loss = 0.0;
  public double duplicate = 0.0;
  /** Egress cap per node, bytes per second; 0 = unlimited. */
  public long bandwidthBytesPerSecond = 0;
  /** Extra one-way delay of stream (TCP) messages, ms. */
  public long streamExtraMillis = 1;

  public final List<Fault> faults = new ArrayList<>();

  /** Virtual duration of the run (membership); rumor runs stop at completion or maxRounds. */
  public long durationMillis = 60_000;
  /** Time step of timeseries.csv (membership). */
  public long sampleEveryMillis = 1000;

  /** Every protocol section's config, membership included. */
  public ProtocolConfigs protocols() {
    // Sections the simulator does not set (transport, encryption, ...) keep their defaults.
    return new ProtocolConfigs(membership, dissemination, kv, aggregation, hyparview, plumtree, ring)
        .with(io.grapevine.config.ConfigRegistry.COORDINATES, coordinates)
        .with(io.grapevine.config.ConfigRegistry.QUERY, query);
  }

  /** The latency model these settings describe. */
  public Latency latency() {
    switch (latencyType) {
      case CONSTANT:
        return Latency.constant(latencyMicros);
      case UNIFORM:
        return Latency.uniform(latencyMicros, latencyMaxMicros);
      case LOGNORMAL:
        return Latency.logNormal(latencyMicros, latencySigma, Math.max(latencyMicros * 100, 10_000_000));
      default:
        throw new AssertionError(latencyType);
    }
  }

  /** Every problem with this scenario, one line each; empty if it can run. */
  public List<String> validate() {
    List<String> errors = new ArrayList<>();
    if (nodes < 1 || nodes > 16_000_000) {
      errors.add("nodes: must be in 1..16000000, got " + nodes);
    }
    if (protocol != Protocol.MEMBERSHIP && !stack.isEmpty()) {
      errors.add("protocol.stack: only membership runs carry a stack of protocols; a " + protocol.cliName()
          + " run has none");
    }
    if (!protocol.fullNetworkModel()) {
      validateFamily(errors);
    }
    for (Map.Entry<String, String> w : workload.entrySet()) {
      WorkloadKnob k = workloadKnob(w.getKey());
      if (k == null) {
        errors.add("workload." + w.getKey() + ": " + unknownWorkload(protocol, w.getKey()));
      } else {
        String problem = k.check(w.getValue());
        if (problem != null) {
          errors.add("workload." + w.getKey() + ": " + problem);
        }
      }
    }
    if (protocol == Protocol.MEMBERSHIP) {
      if (seedNodes < 1 || seedNodes > Math.max(1, nodes)) {
        errors.add("join.seeds: must be in 1..nodes (" + nodes + "), got " + seedNodes);
      }
      if (joinOverMillis < 0) {
        errors.add("join.over: must be zero or positive, got " + joinOverMillis + "ms");
      }
      if (reconnectEveryMillis < 0) {
        errors.add("join.reconnect: must be zero (off) or positive, got " + reconnectEveryMillis + "ms");
      }
      if (durationMillis <= 0) {
        errors.add("duration: must be positive, got " + durationMillis + "ms");
      }
      if (sampleEveryMillis <= 0) {
        errors.add("sampleEvery: must be positive, got " + sampleEveryMillis + "ms");
      }
    } else if (protocol == Protocol.RUMOR) {
      if (rumorPeriodMillis <= 0) {
        errors.add("protocol.period: must be positive, got " + rumorPeriodMillis + "ms");
      }
      if (maxRounds < 1) {
        errors.add("rounds: must be at least 1, got " + maxRounds);
      }
      if (rumorAlignedRounds && latencyWorstMicros() * 2 >= rumorPeriodMillis * 1000) {
        errors.add("network.latency: synchronous rounds need a round trip below the period ("
            + rumorPeriodMillis + "ms)");
      }
    }
    if (latencyMicros < 0 || (latencyType == LatencyType.UNIFORM && latencyMaxMicros < latencyMicros)) {
      errors.add("network.latency: needs 0 <= min <= max, got " + latencyMicros / 1000.0 + "ms.."
          + latencyMaxMicros / 1000.0 + "ms");
    }
    if (latencyType == LatencyType.LOGNORMAL && (latencyMicros <= 0 || !(latencySigma >= 0) || latencySigma > 5)) {
      errors.add("network.latency: lognormal needs median > 0 and sigma in 0..5");
    }
    if (!(loss >= 0 && loss <= 1)) {
      errors.add("network.loss: must be in 0..1, got " + loss);
    }
    if (!(duplicate >= 0 && duplicate <= 1)) {
      errors.add("network.duplicate: must be in 0..1, got " + duplicate);
    }
    if (bandwidthBytesPerSecond < 0) {
      errors.add("network.bandwidth: must be zero (unlimited) or positive, got " + bandwidthBytesPerSecond);
    }
    if (streamExtraMillis < 0) {
      errors.add("network.streamExtra: must be zero or positive, got " + streamExtraMillis + "ms");
    }
    for (int i = 0; i < faults.size(); i++) {
      Fault f = faults.get(i);
      String at = "faults[" + i + "]";
      if (f.atMillis() < 0) {
        errors.add(at + ".at: must be zero or positive, got " + f.atMillis() + "ms");
      }
      if (f.untilMillis() < f.atMillis()) {
        errors.add(at + ".until: must not be before at");
      }
      if (f.nodes() != null && f.nodes().maxExplicit() >= nodes) {
        errors.add(at + ".nodes: node " + f.nodes().maxExplicit() + " does not exist (nodes are 0.." + (nodes - 1) + ")");
      }
      if (f.peers() != null && f.peers().maxExplicit() >= nodes) {
        errors.add(at + ".peers: node " + f.peers().maxExplicit() + " does not exist (nodes are 0.." + (nodes - 1) + ")");
      }
      for (NodeSet g : f.groups()) {
        if (g.maxExplicit() >= nodes) {
          errors.add(at + ".groups: node " + g.maxExplicit() + " does not exist (nodes are 0.." + (nodes - 1) + ")");
        }
      }
      for (int[] l : f.links()) {
        if (l[0] >= nodes || l[1] >= nodes || l[0] < 0 || l[1] < 0) {
          errors.add(at + ".links: no such node in " + l[0] + "-" + l[1]);
        }
      }
      if (f.type() == Fault.Type.PARTITION && f.groups().isEmpty() && f.links().isEmpty()) {
        errors.add(at + ": a partition needs groups or links");
      }
      if (f.type() == Fault.Type.PARTITION && f.groups().size() > 120) {
        errors.add(at + ".groups: at most 120 groups");
      }
      if (f.type() == Fault.Type.SLOW && f.delayMillis() <= 0) {
        errors.add(at + ".delay: a slow node needs a positive delay");
      }
      if (f.type() == Fault.Type.CHURN && (!(f.ratePerSecond() > 0) || f.downtimeMillis() < 0)) {
        errors.add(at + ": churn needs rate > 0 and downtime >= 0");
      }
      if (protocol == Protocol.RUMOR && f.type() != Fault.Type.PARTITION && f.type() != Fault.Type.SLOW
          && f.type() != Fault.Type.CRASH) {
        errors.add(at + ".type: " + f.type().name().toLowerCase() + " is not supported with the rumor protocol");
      }
    }
    return errors;
  }

  /** A family with its own network model: what it does not model must not be set. */
  private void validateFamily(List<String> errors) {
    Scenario d = new Scenario();
    String family = "the " + protocol.cliName() + " family";
    if (loss != 0 && !protocol.modelsLoss()) {
      errors.add("network.loss: " + family + " runs without datagram loss; remove it");
    }
    if (latencyType != d.latencyType || latencyMicros != d.latencyMicros || latencyMaxMicros != d.latencyMaxMicros
        || latencySigma != d.latencySigma) {
      errors.add("network.latency: " + family + " uses its own latency model; remove it");
    }
    if (duplicate != 0 || bandwidthBytesPerSecond != 0 || streamExtraMillis != d.streamExtraMillis) {
      errors.add("network: " + family + " models no duplicates, bandwidth or stream delay; remove them");
    }
    if (!faults.isEmpty()) {
      errors.add("faults: " + family + " takes no fault schedule (crashes and churn are workload settings)");
    }
    if (nodes < 2) {
      errors.add("nodes: " + family + " needs at least 2 nodes, got " + nodes);
    }
    if (maxRounds < 1) {
      errors.add("rounds: must be at least 1, got " + maxRounds);
    }
    if (durationMillis <= 0 || sampleEveryMillis <= 0) {
      errors.add("duration: duration and sampleEvery must be positive");
    }
  }

  /** The workload knob {@code name} of this scenario's family, or null. */
  public WorkloadKnob workloadKnob(String name) {
    for (WorkloadKnob k : protocol.workload()) {
      if (k.name().equals(name)) {
        return k;
      }
    }
    return null;
  }

  /** One line naming the workload knobs {@code family} has. */
  static String unknownWorkload(Protocol family, String name) {
    List<String> names = family.workload().stream().map(WorkloadKnob::name).sorted().toList();
    return "unknown workload setting '" + name + "' of the " + family.cliName() + " family ("
        + (names.isEmpty() ? "it has none" : "known: " + String.join(", ", names)) + ")";
  }

  /** A workload value, or its default; the value was checked by {@link #validate()}. */
  public String workloadValue(String name) {
    WorkloadKnob k = workloadKnob(name);
    if (k == null) {
      throw new IllegalArgumentException(unknownWorkload(protocol, name));
    }
    return workload.getOrDefault(name, k.defaultValue()).trim();
  }

  public long workloadLong(String name) {
    return Long.parseLong(workloadValue(name));
  }

  public double workloadDouble(String name) {
    return Double.parseDouble(workloadValue(name));
  }

  public boolean workloadBoolean(String name) {
    return Boolean.parseBoolean(workloadValue(name));
  }

  /** A duration workload value in milliseconds. */
  public long workloadMillis(String name) {
    return io.grapevine.config.Durations.parse(workloadValue(name)).toMillis();
  }

  private long latencyWorstMicros() {
    switch (latencyType) {
      case CONSTANT:
        return latencyMicros + streamExtraMillis * 1000;
      case UNIFORM:
        return latencyMaxMicros + streamExtraMillis * 1000;
      default:
        return Long.MAX_VALUE / 4;
    }
  }
}
