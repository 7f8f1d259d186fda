// SPDX-License-Identifier: Apache-2.0
package io.grapevine.sim;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a run measured. Written to {@code results.json} as is (fields are the JSON keys); tests assert
 * on the fields directly. Times are virtual milliseconds unless named {@code wall}.
 */
public final class SimulationResult {
  public String scenario;
  public String protocol;
  public int nodes;
  public long seed;
  /** Settings in force, for the record (profile, lifeguard, latency, loss...). */
  public Map<String, Object> settings = new LinkedHashMap<>();

  /** false if the run was cut short by the wall-time limit or an interrupt (SIGTERM, Ctrl-C). */
  public boolean finished = true;
  /** true when the run was cut short and these are the results so far. */
  public boolean partial;
  /**
   * The key in {@link #metrics} of the family's headline figure (families other than membership and
   * rumor, whose headline is {@link #converged} with its time).
   */
  public String headline;
  /** What the family measured, by name (families other than membership and rumor). */
  public Map<String, Object> metrics = new LinkedHashMap<>();
  public long virtualMillis;
  /** Membership: all live nodes saw all live nodes alive; rumor: every live node informed. */
  public boolean converged;
  /** When convergence was first observed (membership: at a sample step); -1 if never. */
  public long convergedAtMillis = -1;
  /** Membership: convergence time minus the time the last node started its join. */
  public long convergedAfterLastJoinMillis = -1;
  /** Rumor: rounds until every live node was informed; -1 if not reached. */
  public int convergedRound = -1;
  public int roundsRun;

  /**
   * Messages each protocol of the nodes' stacks applied, summed over the nodes (their current
   * lives); filled when the scenario runs protocols beside membership ({@code protocol.stack}).
   */
  public Map<String, Long> messagesByProtocol = new LinkedHashMap<>();
  public long packetsSent;
  public long bytesSent;
  public long packetsDelivered;
  public long packetsLost;
  public long packetsDuplicated;
  public long packetsDroppedByPartition;
  public long packetsDroppedNodeDown;
  public double packetsPerNode;
  public double bytesPerNode;
  /** Average per node per second of virtual time. */
  public double packetsPerNodePerSecond;
  public double bytesPerNodePerSecond;
  public long maxBytesOneNode;

  // Membership failure detection.
  public long suspicionsRaised;
  /** Suspicion events about a member that was up (any observer, any time). */
  public long falseSuspicions;
  /** Of {@link #falseSuspicions}, those about members that were not slow (healthy in every way). */
  public long falseSuspicionsOfHealthy;
  /**
   * Distinct (member, incarnation) pairs falsely suspected: each one made a live member refute. Unlike
   * the event counts, which grow with N as every node hears of each suspicion, this counts accusations.
   */
  public long falseSuspicionEpisodes;
  /** Of {@link #falseSuspicionEpisodes}, those about members that were not slow. */
  public long falseSuspicionEpisodesOfHealthy;
  /** Dead events about a member that was up. */
  public long falseDead;
  public long deadDeclared;
  /** Per crash: detection by each observer. */
  public List<CrashReport> crashes = new ArrayList<>();
  /** Crash to dead, over every observer of every crash. */
  public Distribution detectionLatency;
  /** Crash to first suspicion, over every observer of every crash. */
  public Distribution firstSuspicionLatency;
  /** Every crash still down at the end is marked dead (or removed) by every live node. */
  public boolean allCrashesDetectedEverywhere = true;
  /** What healthy observers made of the flaky nodes ({@code flaky} faults); null without one. */
  public FlakyReport flaky;

  // Bootstrap (membership with workload viewSizes: true); absent from results.json otherwise.
  /**
   * How many distinct view sizes (members alive or suspect, self included) the nodes reported, over
   * all nodes and the whole run: every node's size at its start (1) and after every membership event
   * that changed it. A consistent membership reports few; a gossip one up to N.
   */
  @JsonProperty("distinct_cluster_sizes")
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public Integer distinctClusterSizes;
  /**
   * The same count at a millisecond's grain: each node's size at the end of every millisecond in which
   * it changed, as a reader polling once per millisecond would see it (a push-pull merge that adds
   * many members in one step then counts once).
   */
  @JsonProperty("distinct_cluster_sizes_per_ms")
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public Integer distinctClusterSizesPerMilli;
  /**
   * Per node, how many sizes it showed at a millisecond's grain (the end of each millisecond in which
   * its size changed): a node that learns the cluster in one push-pull shows few.
   */
  @JsonProperty("sizes_per_node_per_ms")
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public Distribution sizesPerNodePerMilli;
  /** The distinct sizes, ascending, when there are at most 100 of them. */
  @JsonProperty("cluster_sizes")
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public List<Integer> clusterSizes;
  /** Changes of view size summed over the nodes. */
  @JsonProperty("view_size_changes")
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public Long viewSizeChanges;
  /**
   * Seconds of virtual time from the start of the run until the last node first saw all N nodes
   * (alive or suspect, itself included); null if some node never did.
   */
  @JsonProperty("complete_view_s")
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public Double completeViewSeconds;
  /** How many nodes ever saw all N nodes. */
  @JsonProperty("complete_view_nodes")
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public Integer completeViewNodes;
  /** When each node first saw all N nodes, from the start of the run, ms. */
  @JsonProperty("complete_view_at")
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public Distribution completeViewAt;

  // Cost.
  public long wallMillis;
  /** Calls into protocol nodes (packets handled, timer ticks, commands). */
  public long nodeEvents;
  public double nodeEventsPerSecond;
  public long engineEvents;
  /** Highest heap in use seen during the run (sampled), bytes. */
  public long peakHeapBytes;
  /** Heap in use after a full GC at the end, with all node state still live, bytes. */
  public long heapAfterRunBytes;
  public long maxHeapBytes;

  /** Hex of the trace hash: equal for equal (scenario, seed). */
  public String traceHash;
  /** Theory to compare with, where one exists. */
  public Map<String, Object> theory = new LinkedHashMap<>();

  /** The run's chart, when the family draws its own (else {@link ResultWriter#chartFor} picks one). */
  @JsonIgnore public Chart chart;
  /** The scenario as given (the file's text, or the settings of a command-line run), for the report. */
  @JsonIgnore public String scenarioText;

  @JsonIgnore public List<String> timeseriesColumns = new ArrayList<>();
  @JsonIgnore public List<double[]> timeseries = new ArrayList<>();

  /** Detection of one crash. */
  public static final class CrashReport {
    public int node;
    public long atMillis;
    /** Nodes up at the crash and still up at the end. */
    public int observers;
    /** Of those, how many had marked it dead (or removed it) by the end. */
    public int detectedBy;
    public Distribution firstSuspicion;
    public Distribution dead;
    /** Crash to the last observer's dead event; -1 if some never did. */
    public long allDeadAfterMillis = -1;
  }

  /**
   * Flaky nodes (inbound loss) as healthy observers saw them. A state change is a member event that
   * changes what the observer believes: suspected, alive again, dead, joined again, left.
   */
  public static final class FlakyReport {
    public List<Integer> nodes = new ArrayList<>();
    /** The faults that made these nodes faulty: flaky, oneway-outbound, oneway-inbound. */
    public List<String> kinds = new ArrayList<>();
    public long fromMillis;
    public long untilMillis;
    public double inboundLoss;
    /** Nodes up, not flaky and not left at the end: the observers counted. */
    public int observers;
    /** State changes per (observer, flaky node) pair from the start of the fault to the end of the run. */
    public Distribution changes;
    /** The same, counting only changes before the fault ends. */
    public Distribution changesDuringFault;
    /** Pairs with more than two changes (whole run). */
    public long pairsOverTwoChanges;
    /**
     * From the fault's start, when every observer began to show the same state for every flaky
     * node and kept doing so until the fault ended (checked every sample step); -1 if they
     * disagreed at the last sample before the end.
     */
    public long agreedAfterMillis = -1;
    /** From the fault's end, when every observer first showed every flaky node alive; -1 if never. */
    public long allAliveAfterFaultMillis = -1;
    /** What the observers showed for the flaky nodes at the last sample before the fault ended: state to pairs. */
    public Map<String, Long> statesBeforeFaultEnd = new LinkedHashMap<>();
    /** The same at the end of the run. */
    public Map<String, Long> statesAtEnd = new LinkedHashMap<>();
    /** Distinct healthy members (up, neither flaky nor slow) suspected by anyone from the fault's start on. */
    public int healthyMembersSuspected;
    /** Distinct healthy members declared dead by anyone from the fault's start on. */
    public int healthyMembersDeclaredDead;
    /** Distinct flaky nodes declared dead by anyone. */
    public int flakyDeclaredDead;
    /** Packets lost on the way into flaky nodes. */
    public long packetsLostInbound;
    /** Packets dropped by one-way cuts (counted with the partitions' drops too). */
    public long packetsDroppedOneWay;
  }

  /** The timeseries column named {@code name}, or null. */
  public double[] column(String name) {
    int c = timeseriesColumns.indexOf(name);
    if (c < 0) {
      return null;
    }
    double[] out = new double[timeseries.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = timeseries.get(i)[c];
    }
    return out;
  }
}
