// SPDX-License-Identifier: Apache-2.0
package io.grapevine.sim;

import io.grapevine.api.Member;
import io.grapevine.api.MemberEvent;
import io.grapevine.api.MemberState;
import io.grapevine.api.MembershipStats;
import io.grapevine.membership.Membership;
import io.grapevine.assembly.NodeSetup;
import io.grapevine.assembly.ProtocolRegistry;
import io.grapevine.overlay.HyParView;
import io.grapevine.stack.ProtocolStack;
import io.grapevine.api.NameConflict;
import io.grapevine.node.Endpoint;
import io.grapevine.node.ProtocolEvent;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Drives N {@link Membership} nodes (the real SWIM + Lifeguard class of the core) through a scenario:
 * a rolling join through seeds, the fault schedule, and the bookkeeping of truth against what nodes
 * believe (false suspicions, false deaths, detection latencies).
 */
final class MembershipRun extends Simulation.Run implements Engine.EventSink {
  static final String CLUSTER = "sim";

  private final int n;
  private final long[] startIncarnation;
  private final int[] generation;
  private final boolean[] left;
  private final long[] joinAtMillis;
  private final List<Endpoint> seeds = new ArrayList<>();
  private final CrashRecord[] lastCrash;
  private final List<CrashRecord> crashes = new ArrayList<>();
  private final SplittableRandom faultRandom;
  private final SplittableRandom reconnectRandom;
  private long lastJoinMillis;
  private int upCount;

  private long suspicions;
  private long falseSuspicions;
  private long falseSuspicionsOfHealthy;
  private long falseEpisodes;
  private long falseEpisodesOfHealthy;
  private final java.util.HashSet<Long> episodes = new java.util.HashSet<>();
  private long falseDead;
  private long deadDeclared;
  private long nameConflicts;
  private long convergedAt = -1;
  private long prevPackets;
  private long prevBytes;
  /**
   * Each node's push-pull and backlog-sync counters at the last sample: the timeseries shows what
   * full-state exchanges did each second beside gossip (a restarted node's counters start again).
   */
  private long[] prevPushPulls;
  private long[] prevBacklogSyncs;
  private long[] prevDigestSyncs;
  private long[] prevDigestRepairs;
  private final SimulationResult result = new SimulationResult();
  private final SharedInterner interner = new SharedInterner();
  /** Each node's membership protocol (of its current life), on the stack the engine steps. */
  private final Membership[] members;
  /** Per node: its index among the flaky nodes, or -1. */
  private final int[] flakyIndex;
  private final List<Integer> flakyNodes = new ArrayList<>();
  /** changes[flaky index][observer], whole run and before the fault ended. */
  private int[][] flakyChanges;
  private int[][] flakyChangesDuring;
  private long flakyFrom = Long.MAX_VALUE;
  private long flakyUntil = -1;
  private double flakyLoss;
  private long flakyAgreedSince = -1;
  private long flakyAliveAfter = -1;
  private final java.util.BitSet healthySuspected = new java.util.BitSet();
  private final java.util.BitSet healthyDead = new java.util.BitSet();
  private final java.util.BitSet flakyDead = new java.util.BitSet();
  private Map<String, Long> flakyStatesBeforeEnd;
  /** Each node's stack (of its current life). */
  private final ProtocolStack[] stacks;
  private final List<String> faultyKinds = new ArrayList<>();
  private NetworkModel net;

  /** Workload viewSizes: every view size any node reported, and when each first saw all N. */
  private final boolean trackSizes;
  private final BitSet sizesSeen = new BitSet();
  private int[] lastSize;
  private long[] completeAt;
  private long sizeChanges;
  /** The same sizes as a reader polling each node once per millisecond would see them. */
  private final BitSet sizesSeenPerMilli = new BitSet();
  private long[] sizeMilli;
  /** Per node: sizes it showed at the end of a millisecond, counted each time one differs from the last. */
  private int[] sizesPerNodeMilli;

  /** One crash of one node and what each observer made of it. */
  private final class CrashRecord {
    final int node;
    final long atMillis;
    final long incarnation;
    final BitSet observersAtCrash;
    final BitSet suspected = new BitSet();
    final BitSet dead = new BitSet();
    final Distribution.Samples suspectLatency = new Distribution.Samples();
    final Distribution.Samples deadLatency = new Distribution.Samples();
    long lastDeadMillis = -1;

    CrashRecord(int node, long atMillis, long incarnation) {
      this.node = node;
      this.atMillis = atMillis;
      this.incarnation = incarnation;
      this.observersAtCrash = new BitSet(n);
      for (int i = 0; i < n; i++) {
        if (engine.isUp(i) && i != node) {
          observersAtCrash.set(i);
        }
      }
    }
  }

  MembershipRun(Scenario scenario, Simulation.Options options) {
    super(scenario, options);
    this.n = scenario.nodes;
    this.startIncarnation = new long[n];
    this.generation = new int[n];
    this.members = new Membership[n];
    this.stacks = new ProtocolStack[n];
    this.left = new boolean[n];
    this.joinAtMillis = new long[n];
    this.lastCrash = new CrashRecord[n];
    this.flakyIndex = new int[n];
    java.util.Arrays.fill(flakyIndex, -1);
    this.faultRandom = new SplittableRandom(Seeds.derive(scenario.seed, Seeds.FAULTS, 0));
    this.reconnectRandom = new SplittableRandom(Seeds.derive(scenario.seed, Seeds.RECONNECT, 0));
    this.trackSizes = scenario.workloadBoolean("viewSizes");
    if (trackSizes) {
      lastSize = new int[n];
      completeAt = new long[n];
      sizeMilli = new long[n];
      sizesPerNodeMilli = new int[n];
      java.util.Arrays.fill(sizeMilli, -1);
      java.util.Arrays.fill(completeAt, -1);
    }
  }

  static String name(int i) {
    return "n" + i;
  }

  /** Index of a simulated node from its name, or -1. */
  static int index(String name) {
    if (name.length() < 2 || name.charAt(0) != 'n') {
      return -1;
    }
    int v = 0;
    for (int i = 1; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      v = v * 10 + (c - '0');
    }
    return v;
  }

  @Override
  SimulationResult execute() {
    startWall = System.nanoTime();
    net = new NetworkModel(scenario.latency(), scenario.loss, scenario.duplicate,
        scenario.bandwidthBytesPerSecond, scenario.streamExtraMillis * 1000);
    engine = new Engine(n, net, scenario.seed, this, options.trace);
    for (int s = 0; s < Math.min(scenario.seedNodes, n); s++) {
      seeds.add(engine.endpoint(s));
    }
    scheduleJoins();
    scheduleFaults(net);
    if (!flakyNodes.isEmpty()) {
      flakyChanges = new int[flakyNodes.size()][n];
      flakyChangesDuring = new int[flakyNodes.size()][n];
      // The last sample before the fault ends records what observers showed while it lasted.
      long before = Math.max(flakyFrom, flakyUntil - 1);
      engine.schedule(before * 1000, () -> flakyStatesBeforeEnd = flakyStates());
    }
    result.timeseriesColumns.addAll(List.of("time_s", "up", "full_view_fraction", "mean_view_fraction",
        "packets", "bytes", "false_suspicions", "false_dead", "crash_detected_fraction", "push_pulls",
        "backlog_syncs", "digest_syncs", "digest_repairs"));
    prevPushPulls = new long[n];
    prevBacklogSyncs = new long[n];
    prevDigestSyncs = new long[n];
    prevDigestRepairs = new long[n];
    long end = scenario.durationMillis * 1000;
    for (long t = scenario.sampleEveryMillis; t <= scenario.durationMillis; t += scenario.sampleEveryMillis) {
      engine.schedule(t * 1000 - 1, this::sample);
    }
    boolean finished = loop(end, () -> String.format("t=%ds up=%d full-view=%s susp=%d falseDead=%d",
        engine.nowMillis() / 1000, upCount, convergedAt >= 0 ? "yes" : "no", suspicions, falseDead));
    result.finished = finished;
    finish();
    fillCommon(result);
    result.heapAfterRunBytes = retainedHeap();
    result.peakHeapBytes = Math.max(result.peakHeapBytes, peakHeap);
    if (options.progress != null) {
      options.progress.done();
    }
    return result;
  }

  private void scheduleJoins() {
    int seedCount = Math.min(scenario.seedNodes, n);
    for (int i = 0; i < n; i++) {
      long at;
      if (i < seedCount) {
        at = 0;
      } else {
        int k = i - seedCount;
        int joiners = n - seedCount;
        at = scenario.joinOverMillis * (k + 1) / Math.max(1, joiners);
      }
      joinAtMillis[i] = at;
      lastJoinMillis = Math.max(lastJoinMillis, at);
      final int node = i;
      engine.schedule(at * 1000, () -> boot(node, 1));
    }
  }

  private void boot(int i, long incarnation) {
    Membership m = new Membership(CLUSTER, name(i), engine.endpoint(i), incarnation, new byte[0],
        scenario.membership, new SplittableRandom(Seeds.derive(scenario.seed, i, generation[i])));
    m.setInterner(interner);
    ProtocolStack.Builder b = ProtocolStack.builder(name(i), engine.endpoint(i), CLUSTER)
        .datagramBytes(scenario.membership.udpPayloadBytes)
        .streamMessageMaxBytes(scenario.membership.streamMessageMaxBytes)
        .add(m);
    if (!scenario.stack.isEmpty()) {
      // The scenario's other protocols, from the core's registry: each with a generator of its own
      // (the node's seed and its name), so membership's randomness is the same with or without them.
      long nodeSeed = Seeds.derive(scenario.seed, i, generation[i]);
      NodeSetup setup = new NodeSetup(name(i), engine.endpoint(i), CLUSTER, incarnation, nodeSeed, new byte[0]);
      ProtocolRegistry.builtIn().assemble(scenario.stack, setup, scenario.protocols(), Map.of(), b.seed(nodeSeed));
    }
    ProtocolStack stack = b.build();
    stacks[i] = stack;
    members[i] = m;
    engine.install(i, stack);
    stack.stringResolver(interner);
    if (trackSizes) {
      if (lastSize[i] > 0) {
        sizesSeenPerMilli.set(lastSize[i]); // what its previous life ended with
        sizesPerNodeMilli[i]++;
      }
      lastSize[i] = 0;
      sizeMilli[i] = -1;
      recordSize(i, m.liveCount(), engine.nowMillis());
    }
    startIncarnation[i] = incarnation;
    left[i] = false;
    upCount++;
    List<Endpoint> targets = new ArrayList<>();
    for (int s = 0; s < seeds.size(); s++) {
      if (s != i && (i >= seeds.size() || s < i || generation[i] > 0)) {
        targets.add(seeds.get(s));
      }
    }
    if (targets.isEmpty() && generation[i] > 0 && n > 1) {
      targets.add(engine.endpoint(i == 0 ? 1 : 0));
    }
    HyParView view = stack.protocol(HyParView.class);
    engine.call(i, out -> {
      stack.start(engine.nowMillis(), out);
      if (!targets.isEmpty()) {
        m.join(engine.nowMillis(), targets, out);
        if (view != null) {
          // The overlay joins through the same seeds, as the runtime's joiner does.
          view.join(engine.nowMillis(), targets, out);
        }
      }
    });
    scheduleReconnect(i, generation[i]);
  }

  /** The runtime's reconnect (its Joiner): a join to one random member this node holds dead. */
  private void scheduleReconnect(int i, int gen) {
    long every = scenario.reconnectEveryMillis;
    if (every <= 0) {
      return;
    }
    engine.schedule((engine.nowMillis() + every) * 1000, () -> {
      if (!engine.isUp(i) || generation[i] != gen || left[i]) {
        return;
      }
      Membership m = members[i];
      List<Member> dead = m.deadMembers();
      if (!dead.isEmpty()) {
        Endpoint target = dead.get(reconnectRandom.nextInt(dead.size())).endpoint();
        engine.call(i, out -> m.join(engine.nowMillis(), List.of(target), out));
      }
      scheduleReconnect(i, gen);
    });
  }

  private void crash(int i) {
    if (!engine.isUp(i)) {
      return;
    }
    Membership m = members[i];
    CrashRecord rec = new CrashRecord(i, engine.nowMillis(), m.localMember().incarnation());
    engine.crash(i);
    upCount--;
    lastCrash[i] = rec;
    crashes.add(rec);
  }

  private void restart(int i) {
    if (engine.isUp(i)) {
      return;
    }
    generation[i]++;
    // Incarnations must grow across restarts; virtual time does, as wall-clock time does in the runtime.
    boot(i, engine.nowMillis() + 1);
  }

  private void leave(int i) {
    if (!engine.isUp(i) || left[i]) {
      return;
    }
    Membership m = members[i];
    left[i] = true;
    engine.call(i, out -> m.leave(engine.nowMillis(), out));
    long after = scenario.membership.leavePropagateTime.toMillis();
    engine.schedule((engine.nowMillis() + after) * 1000, () -> {
      if (engine.isUp(i) && left[i]) {
        engine.crash(i);
        upCount--;
      }
    });
  }

  private void scheduleFaults(NetworkModel net) {
    int seedCount = Math.min(scenario.seedNodes, n);
    for (Fault f : scenario.faults) {
      long at = f.atMillis() * 1000;
      switch (f.type()) {
        case CRASH -> {
          int[] nodes = f.nodes().resolve(n, faultRandom, seedCount);
          engine.schedule(at, () -> {
            for (int i : nodes) {
              crash(i);
            }
          });
        }
        case RESTART -> {
          int[] nodes = f.nodes().resolve(n, faultRandom, seedCount);
          engine.schedule(at, () -> {
            for (int i : nodes) {
              restart(i);
            }
          });
        }
        case LEAVE -> {
          int[] nodes = f.nodes().resolve(n, faultRandom, seedCount);
          engine.schedule(at, () -> {
            for (int i : nodes) {
              leave(i);
            }
          });
        }
        case SLOW -> {
          int[] nodes = f.nodes().resolve(n, faultRandom, seedCount);
          engine.schedule(at, () -> {
            for (int i : nodes) {
              engine.setSlow(i, f.delayMillis());
            }
          });
          if (f.untilMillis() != Long.MAX_VALUE) {
            engine.schedule(f.untilMillis() * 1000, () -> {
              for (int i : nodes) {
                engine.setSlow(i, 0);
              }
            });
          }
        }
        case PARTITION -> {
          long heal = f.untilMillis() == Long.MAX_VALUE ? Long.MAX_VALUE : f.untilMillis() * 1000;
          if (!f.groups().isEmpty()) {
            List<int[]> groups = new ArrayList<>();
            for (NodeSet g : f.groups()) {
              groups.add(g.resolve(n, faultRandom, 0));
            }
            net.addGroupPartition(at, heal, n, groups);
          } else {
            net.addLinkPartition(at, heal, f.links());
          }
          engine.schedule(at, () -> net.refresh(engine.nowMicros()));
          if (heal != Long.MAX_VALUE) {
            engine.schedule(heal, () -> net.refresh(engine.nowMicros()));
          }
        }
        case FLAKY -> {
          int[] nodes = f.nodes().resolve(n, faultRandom, seedCount);
          watchFaulty(nodes, "flaky");
          flakyFrom = Math.min(flakyFrom, f.atMillis());
          flakyUntil = Math.max(flakyUntil, Math.min(f.untilMillis(), scenario.durationMillis));
          flakyLoss = Math.max(flakyLoss, f.loss());
          engine.schedule(at, () -> {
            for (int i : nodes) {
              engine.setInboundLoss(i, f.loss());
            }
          });
          if (f.untilMillis() != Long.MAX_VALUE) {
            engine.schedule(f.untilMillis() * 1000, () -> {
              for (int i : nodes) {
                engine.setInboundLoss(i, 0);
              }
            });
          }
        }
        case ONEWAY -> {
          int[] nodes = f.nodes().resolve(n, faultRandom, seedCount);
          int[] peers;
          if (f.peers() == null) {
            peers = new int[n];
            for (int i = 0; i < n; i++) {
              peers[i] = i;
            }
          } else {
            peers = f.peers().resolve(n, faultRandom, 0);
          }
          watchFaulty(nodes, f.inbound() ? "oneway-inbound" : "oneway-outbound");
          flakyFrom = Math.min(flakyFrom, f.atMillis());
          flakyUntil = Math.max(flakyUntil, Math.min(f.untilMillis(), scenario.durationMillis));
          long heal = f.untilMillis() == Long.MAX_VALUE ? Long.MAX_VALUE : f.untilMillis() * 1000;
          if (f.inbound()) {
            net.addDirectedCut(at, heal, peers, nodes);
          } else {
            net.addDirectedCut(at, heal, nodes, peers);
          }
          engine.schedule(at, () -> net.refresh(engine.nowMicros()));
          if (heal != Long.MAX_VALUE) {
            engine.schedule(heal, () -> net.refresh(engine.nowMicros()));
          }
        }
        case CHURN -> scheduleChurn(f, f.atMillis() * 1000);
        default -> throw new AssertionError(f.type());
      }
    }
  }

  /** Marks nodes as faulty: left out of the healthy observers and reported on in the {@code flaky} report. */
  private void watchFaulty(int[] nodes, String kind) {
    for (int i : nodes) {
      if (flakyIndex[i] < 0) {
        flakyIndex[i] = flakyNodes.size();
        flakyNodes.add(i);
      }
    }
    if (!faultyKinds.contains(kind)) {
      faultyKinds.add(kind);
    }
  }

  /** A node's view size now: counted if it changed, and the first time it covers all N nodes. */
  private void recordSize(int node, int size, long nowMillis) {
    if (size == lastSize[node]) {
      return;
    }
    if (sizeMilli[node] >= 0 && sizeMilli[node] < nowMillis && lastSize[node] > 0) {
      // The size this node ended its last millisecond with: what a poller would have read.
      sizesSeenPerMilli.set(lastSize[node]);
      sizesPerNodeMilli[node]++;
    }
    sizeMilli[node] = nowMillis;
    lastSize[node] = size;
    sizeChanges++;
    sizesSeen.set(size);
    if (size == n && completeAt[node] < 0) {
      completeAt[node] = nowMillis;
    }
  }

  /** Poisson crashes at the given rate (StrictMath: bit-identical on every JVM); each churned node restarts after the downtime. */
  private void scheduleChurn(Fault f, long fromMicros) {
    double gapSeconds = -StrictMath.log(1.0 - faultRandom.nextDouble()) / f.ratePerSecond();
    long at = fromMicros + (long) (gapSeconds * 1e6);
    if (f.untilMillis() != Long.MAX_VALUE && at >= f.untilMillis() * 1000) {
      return;
    }
    if (at > scenario.durationMillis * 1000) {
      return;
    }
    engine.schedule(at, () -> {
      int seedCount = Math.min(scenario.seedNodes, n);
      if (n > seedCount) {
        for (int attempt = 0; attempt < 16; attempt++) {
          int victim = seedCount + faultRandom.nextInt(n - seedCount);
          if (engine.isUp(victim) && !left[victim]) {
            crash(victim);
            engine.schedule(engine.nowMicros() + f.downtimeMillis() * 1000, () -> restart(victim));
            break;
          }
        }
      }
      scheduleChurn(f, engine.nowMicros());
    });
  }

  /** Whether the member an event talks about is, in truth, up as that incarnation. */
  private boolean trulyUp(int m, long incarnation) {
    return m >= 0 && m < n && engine.isUp(m) && !left[m] && incarnation >= startIncarnation[m];
  }

  @Override
  public long onEvent(int observer, ProtocolEvent event, long nowMillis) {
    if (event instanceof MemberEvent e) {
      Member member = e.member();
      int m = index(member.name());
      long inc = member.incarnation();
      countFlakyChange(observer, m, e.type(), nowMillis);
      if (trackSizes && members[observer] != null) {
        // The core updates its count before it emits the event, so this is the size the event reports.
        recordSize(observer, members[observer].liveCount(), nowMillis);
      }
      switch (e.type()) {
        case SUSPECTED -> {
          suspicions++;
          if (trulyUp(m, inc)) {
            falseSuspicions++;
            boolean healthy = engine.slowMillis(m) == 0 && flakyIndex[m] < 0;
            if (healthy && nowMillis >= flakyFrom) {
              healthySuspected.set(m);
            }
            if (healthy) {
              falseSuspicionsOfHealthy++;
            }
            if (episodes.add(((long) m << 32) ^ inc)) {
              falseEpisodes++;
              if (healthy) {
                falseEpisodesOfHealthy++;
              }
            }
          } else if (m >= 0 && lastCrash[m] != null && !engine.isUp(m)) {
            CrashRecord c = lastCrash[m];
            if (!c.suspected.get(observer)) {
              c.suspected.set(observer);
              c.suspectLatency.add(nowMillis - c.atMillis);
            }
          }
        }
        case DEAD -> {
          deadDeclared++;
          if (m >= 0 && m < n && flakyIndex[m] >= 0) {
            flakyDead.set(m);
          }
          if (trulyUp(m, inc)) {
            falseDead++;
            if (flakyIndex[m] < 0 && engine.slowMillis(m) == 0 && nowMillis >= flakyFrom) {
              healthyDead.set(m);
            }
          } else if (m >= 0 && lastCrash[m] != null && !engine.isUp(m)) {
            CrashRecord c = lastCrash[m];
            if (!c.dead.get(observer)) {
              c.dead.set(observer);
              c.deadLatency.add(nowMillis - c.atMillis);
              c.lastDeadMillis = Math.max(c.lastDeadMillis, nowMillis);
            }
          }
        }
        default -> { }
      }
      return ((long) e.type().ordinal() << 40) ^ ((long) m << 8) ^ inc * 0x9e3779b97f4a7c15L;
    }
    if (event instanceof NameConflict) {
      nameConflicts++;
      return 77;
    }
    return 1;
  }

  /** Counts a change of what a healthy observer believes about a flaky node, from the fault's start on. */
  private void countFlakyChange(int observer, int m, MemberEvent.Type type, long nowMillis) {
    if (flakyChanges == null || m < 0 || m >= n || flakyIndex[m] < 0 || nowMillis < flakyFrom
        || flakyIndex[observer] >= 0) {
      return;
    }
    switch (type) {
      case SUSPECTED, ALIVE, DEAD, JOINED, LEFT -> {
        flakyChanges[flakyIndex[m]][observer]++;
        if (nowMillis < flakyUntil) {
          flakyChangesDuring[flakyIndex[m]][observer]++;
        }
      }
      default -> { }
    }
  }

  private boolean healthyObserver(int o) {
    return engine.isUp(o) && !left[o] && flakyIndex[o] < 0;
  }

  /** What healthy observers show for the flaky nodes: state (or "absent") to (observer, node) pairs. */
  private Map<String, Long> flakyStates() {
    Map<String, Long> states = new java.util.TreeMap<>();
    for (int m : flakyNodes) {
      String name = name(m);
      for (int o = 0; o < n; o++) {
        if (healthyObserver(o)) {
          Member seen = members[o].member(name);
          states.merge(seen == null ? "absent" : seen.state().name(), 1L, Long::sum);
        }
      }
    }
    return states;
  }

  /** Whether every healthy observer shows every flaky node alive. */
  private boolean flakyAllAlive() {
    for (int m : flakyNodes) {
      String name = name(m);
      for (int o = 0; o < n; o++) {
        if (healthyObserver(o)) {
          Member seen = members[o].member(name);
          if (seen == null || seen.state() != MemberState.ALIVE) {
            return false;
          }
        }
      }
    }
    return true;
  }

  /** Whether every healthy observer shows the same state for each flaky node. */
  private boolean flakyAgreed() {
    for (int m : flakyNodes) {
      String name = name(m);
      MemberState first = null;
      boolean any = false;
      for (int o = 0; o < n; o++) {
        if (healthyObserver(o)) {
          Member seen = members[o].member(name);
          MemberState st = seen == null ? null : seen.state();
          if (!any) {
            first = st;
            any = true;
          } else if (st != first) {
            return false;
          }
        }
      }
    }
    return true;
  }

  private void sample() {
    long now = engine.nowMillis();
    if (flakyChanges != null && now >= flakyUntil && flakyAliveAfter < 0 && flakyAllAlive()) {
      flakyAliveAfter = now + 1 - flakyUntil;
    }
    if (flakyChanges != null && now >= flakyFrom && now < flakyUntil) {
      if (flakyAgreed()) {
        if (flakyAgreedSince < 0) {
          flakyAgreedSince = now + 1;
        }
      } else {
        flakyAgreedSince = -1;
      }
    }
    int full = 0;
    double viewSum = 0;
    int up = 0;
    for (int i = 0; i < n; i++) {
      if (engine.isUp(i) && !left[i]) {
        up++;
      }
    }
    for (int i = 0; i < n; i++) {
      if (engine.isUp(i) && !left[i]) {
        int live = (members[i]).liveCount();
        if (live == up) {
          full++;
        }
        viewSum += Math.min(1.0, live / (double) up);
      }
    }
    boolean allJoined = now >= lastJoinMillis;
    if (allJoined && full == up && up > 0 && convergedAt < 0) {
      convergedAt = now + 1;
    }
    double detected = Double.NaN;
    if (!crashes.isEmpty()) {
      CrashRecord c = crashes.get(crashes.size() - 1);
      int obs = 0;
      int det = 0;
      for (int i = c.observersAtCrash.nextSetBit(0); i >= 0; i = c.observersAtCrash.nextSetBit(i + 1)) {
        if (engine.isUp(i) && !left[i]) {
          obs++;
          if (c.dead.get(i)) {
            det++;
          }
        }
      }
      detected = obs == 0 ? 1.0 : det / (double) obs;
    }
    long packets = engine.packetsSent();
    long bytes = engine.bytesSent();
    long pushPulls = 0;
    long backlogSyncs = 0;
    long digestSyncs = 0;
    long digestRepairs = 0;
    for (int i = 0; i < n; i++) {
      if (members[i] == null) {
        continue;
      }
      MembershipStats st = members[i].stats();
      pushPulls += sinceLastSample(st.pushPulls(), prevPushPulls[i]);
      backlogSyncs += sinceLastSample(st.backlogSyncs(), prevBacklogSyncs[i]);
      prevPushPulls[i] = st.pushPulls();
      prevBacklogSyncs[i] = st.backlogSyncs();
      digestSyncs += sinceLastSample(st.digestSyncs(), prevDigestSyncs[i]);
      digestRepairs += sinceLastSample(st.digestSyncRepairs(), prevDigestRepairs[i]);
      prevDigestSyncs[i] = st.digestSyncs();
      prevDigestRepairs[i] = st.digestSyncRepairs();
    }
    result.timeseries.add(new double[] {(now + 1) / 1000.0, up, up == 0 ? 0 : full / (double) up,
        up == 0 ? 0 : viewSum / up, packets - prevPackets, bytes - prevBytes, falseSuspicions, falseDead, detected,
        pushPulls, backlogSyncs, digestSyncs, digestRepairs});
    prevPackets = packets;
    prevBytes = bytes;
  }

  /** A node's counter's growth since the last sample; below it only after a restart, which counts from zero. */
  private static long sinceLastSample(long now, long atLastSample) {
    return now >= atLastSample ? now - atLastSample : now;
  }

  private void finish() {
    SimulationResult r = result;
    r.settings.put("profile", scenario.profile);
    r.settings.put("lifeguard", scenario.membership.lifeguard);
    r.settings.put("probeIntervalMillis", scenario.membership.probeInterval.toMillis());
    r.settings.put("seedNodes", scenario.seedNodes);
    r.settings.put("joinOverMillis", scenario.joinOverMillis);
    if (!scenario.stack.isEmpty()) {
      r.settings.put("stack", List.copyOf(scenario.stack));
      List<String> names = new ArrayList<>(List.of(Membership.PROTOCOL_NAME));
      names.addAll(scenario.stack);
      for (String p : names) {
        long sum = 0;
        for (ProtocolStack s : stacks) {
          sum += s == null ? 0 : s.stats().messagesIn(p);
        }
        r.messagesByProtocol.put(p, sum);
      }
    }
    r.converged = convergedAt >= 0;
    r.convergedAtMillis = convergedAt;
    r.convergedAfterLastJoinMillis = convergedAt < 0 ? -1 : convergedAt - lastJoinMillis;
    r.suspicionsRaised = suspicions;
    r.falseSuspicions = falseSuspicions;
    r.falseSuspicionsOfHealthy = falseSuspicionsOfHealthy;
    r.falseSuspicionEpisodes = falseEpisodes;
    r.falseSuspicionEpisodesOfHealthy = falseEpisodesOfHealthy;
    r.falseDead = falseDead;
    r.deadDeclared = deadDeclared;
    Distribution.Samples allDead = new Distribution.Samples();
    Distribution.Samples allSuspect = new Distribution.Samples();
    for (CrashRecord c : crashes) {
      SimulationResult.CrashReport rep = new SimulationResult.CrashReport();
      rep.node = c.node;
      rep.atMillis = c.atMillis;
      boolean stillDown = !engine.isUp(c.node);
      int obs = 0;
      int det = 0;
      String name = name(c.node);
      for (int i = c.observersAtCrash.nextSetBit(0); i >= 0; i = c.observersAtCrash.nextSetBit(i + 1)) {
        if (!engine.isUp(i) || left[i]) {
          continue;
        }
        obs++;
        Member seen = (members[i]).member(name);
        boolean gone = seen == null || (seen.incarnation() <= c.incarnation && seen.state() != MemberState.ALIVE
            && seen.state() != MemberState.SUSPECT) || c.dead.get(i);
        if (gone) {
          det++;
        }
      }
      rep.observers = obs;
      rep.detectedBy = det;
      rep.firstSuspicion = c.suspectLatency.summary();
      rep.dead = c.deadLatency.summary();
      rep.allDeadAfterMillis = c.dead.cardinality() >= obs && obs > 0 ? c.lastDeadMillis - c.atMillis : -1;
      if (stillDown && det < obs) {
        r.allCrashesDetectedEverywhere = false;
      }
      allDead.addAll(c.deadLatency);
      allSuspect.addAll(c.suspectLatency);
      if (r.crashes.size() < 200) {
        r.crashes.add(rep);
      }
    }
    if (flakyChanges != null) {
      SimulationResult.FlakyReport fr = new SimulationResult.FlakyReport();
      fr.nodes.addAll(flakyNodes);
      fr.kinds.addAll(faultyKinds);
      fr.packetsDroppedOneWay = net.droppedOneWay();
      fr.fromMillis = flakyFrom;
      fr.untilMillis = flakyUntil;
      fr.inboundLoss = flakyLoss;
      Distribution.Samples all = new Distribution.Samples();
      Distribution.Samples during = new Distribution.Samples();
      int observers = 0;
      for (int o = 0; o < n; o++) {
        if (!healthyObserver(o)) {
          continue;
        }
        observers++;
        for (int k = 0; k < flakyNodes.size(); k++) {
          all.add(flakyChanges[k][o]);
          during.add(flakyChangesDuring[k][o]);
          if (flakyChanges[k][o] > 2) {
            fr.pairsOverTwoChanges++;
          }
        }
      }
      fr.observers = observers;
      fr.changes = all.summary();
      fr.changesDuringFault = during.summary();
      fr.agreedAfterMillis = flakyAgreedSince < 0 ? -1 : Math.max(0, flakyAgreedSince - flakyFrom);
      fr.statesBeforeFaultEnd = flakyStatesBeforeEnd == null ? Map.of() : flakyStatesBeforeEnd;
      fr.statesAtEnd = flakyStates();
      fr.allAliveAfterFaultMillis = flakyAliveAfter;
      fr.healthyMembersSuspected = healthySuspected.cardinality();
      fr.healthyMembersDeclaredDead = healthyDead.cardinality();
      fr.flakyDeclaredDead = flakyDead.cardinality();
      fr.packetsLostInbound = engine.lostInbound();
      r.flaky = fr;
    }
    if (trackSizes) {
      r.distinctClusterSizes = sizesSeen.cardinality();
      Distribution.Samples perNode = new Distribution.Samples();
      for (int i = 0; i < n; i++) {
        if (lastSize[i] > 0) {
          sizesSeenPerMilli.set(lastSize[i]);
          perNode.add(sizesPerNodeMilli[i] + 1);
        }
      }
      r.sizesPerNodePerMilli = perNode.summary();
      r.distinctClusterSizesPerMilli = sizesSeenPerMilli.cardinality();
      if (sizesSeen.cardinality() <= 100) {
        r.clusterSizes = sizesSeen.stream().boxed().toList();
      }
      r.viewSizeChanges = sizeChanges;
      Distribution.Samples at = new Distribution.Samples();
      int complete = 0;
      long last = -1;
      for (long t : completeAt) {
        if (t >= 0) {
          complete++;
          at.add(t);
          last = Math.max(last, t);
        }
      }
      r.completeViewNodes = complete;
      r.completeViewSeconds = complete == n ? last / 1000.0 : null;
      r.completeViewAt = at.summary();
    }
    r.detectionLatency = allDead.summary();
    r.firstSuspicionLatency = allSuspect.summary();
    r.settings.put("nameConflicts", nameConflicts);
  }
}
