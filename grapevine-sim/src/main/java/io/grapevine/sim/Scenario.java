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

  /** The protocols the simulator can drive. */
  public enum Protocol {
    /** {@link io.grapevine.membership.Membership}: SWIM + Lifeguard, full view. */
    MEMBERSHIP,
    /** {@link RumorNode}: plain push-pull rumor spreading over uniformly random peers. */
    RUMOR
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
      errors.add("protocol.stack: only membership runs carry a stack of protocols; a rumor run has none");
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
    } else {
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
