// SPDX-License-Identifier: Apache-2.0
package io.grapevine.sim;

import io.grapevine.node.Endpoint;
import io.grapevine.node.ProtocolEvent;
import java.nio.ByteBuffer;
import java.util.SplittableRandom;

/**
 * Drives N {@link RumorNode}s: one rumor injected at node 0 at time 0, rounds every period, until
 * every live node is informed or {@link Scenario#maxRounds} have passed. Samples the informed
 * fraction after each round beside the mean-field theory of synchronous push-pull.
 */
final class RumorRun extends Simulation.Run implements Engine.EventSink, RumorNode.Peers {
  private final int n;
  private final ByteBuffer scratch = ByteBuffer.allocate(RumorNode.MESSAGE_BYTES);
  private final SimulationResult result = new SimulationResult();
  private long informed;
  private long informedByPull;
  private int round;
  private int completedRound = -1;
  private long prevPackets;
  private long prevBytes;
  private double theoryUninformed;

  RumorRun(Scenario scenario, Simulation.Options options) {
    super(scenario, options);
    this.n = scenario.nodes;
  }

  @Override
  public int count() {
    return n;
  }

  @Override
  public Endpoint endpoint(int index) {
    return engine.endpoint(index);
  }

  @Override
  public ByteBuffer scratch() {
    return scratch;
  }

  @Override
  SimulationResult execute() {
    startWall = System.nanoTime();
    NetworkModel net = new NetworkModel(scenario.latency(), scenario.loss, scenario.duplicate,
        scenario.bandwidthBytesPerSecond, scenario.streamExtraMillis * 1000);
    engine = new Engine(n, net, scenario.seed, this, options.trace);
    long period = scenario.rumorPeriodMillis;
    SplittableRandom phases = new SplittableRandom(Seeds.derive(scenario.seed, Seeds.TOPOLOGY, 0));
    for (int i = 0; i < n; i++) {
      long first = scenario.rumorAlignedRounds ? period : 1 + phases.nextLong(period);
      RumorNode node = new RumorNode(i, this, new SplittableRandom(Seeds.derive(scenario.seed, i, 0)), period, first);
      engine.install(i, node);
      engine.call(i, out -> { });
    }
    SplittableRandom faults = new SplittableRandom(Seeds.derive(scenario.seed, Seeds.FAULTS, 0));
    for (Fault f : scenario.faults) {
      int[] nodes = f.nodes() == null ? new int[0] : f.nodes().resolve(n, faults, 1);
      switch (f.type()) {
        case CRASH -> engine.schedule(f.atMillis() * 1000, () -> {
          for (int i : nodes) {
            if (engine.isUp(i)) {
              engine.crash(i);
            }
          }
        });
        case SLOW -> {
          engine.schedule(f.atMillis() * 1000, () -> {
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
            java.util.List<int[]> groups = new java.util.ArrayList<>();
            for (NodeSet g : f.groups()) {
              groups.add(g.resolve(n, faults, 0));
            }
            net.addGroupPartition(f.atMillis() * 1000, heal, n, groups);
          } else {
            net.addLinkPartition(f.atMillis() * 1000, heal, f.links());
          }
          engine.schedule(f.atMillis() * 1000, () -> net.refresh(engine.nowMicros()));
          if (heal != Long.MAX_VALUE) {
            engine.schedule(heal, () -> net.refresh(engine.nowMicros()));
          }
        }
        default -> throw new IllegalArgumentException(f.type() + " is not supported with the rumor protocol");
      }
    }
    engine.call(0, out -> ((RumorNode) engine.node(0)).inject(0, 42));
    informed = 1;
    theoryUninformed = 1.0 - 1.0 / n;
    result.timeseriesColumns.addAll(java.util.List.of("round", "informed_fraction", "theory_fraction",
        "informed", "packets", "bytes"));
    result.timeseries.add(new double[] {0, 1.0 / n, 1.0 / n, 1, 0, 0});
    // Sample just before each next round starts: everything of round r has arrived by then.
    long end = (long) scenario.maxRounds * period * 1000 + period * 1000 - 1;
    for (int r = 1; r <= scenario.maxRounds; r++) {
      engine.schedule((r + 1) * period * 1000 - 1, this::endOfRound);
    }
    boolean finished = loop(end, () -> String.format("round %d informed %.4f", round, informed / (double) n));
    result.finished = finished;
    fillCommon(result);
    result.heapAfterRunBytes = retainedHeap();
    result.peakHeapBytes = Math.max(result.peakHeapBytes, peakHeap);
    result.roundsRun = round;
    result.converged = completedRound >= 0;
    result.convergedRound = completedRound;
    result.convergedAtMillis = completedRound < 0 ? -1 : (completedRound + 1) * period;
    result.settings.put("periodMillis", period);
    result.settings.put("synchronousRounds", scenario.rumorAlignedRounds);
    result.settings.put("informedByPull", informedByPull);
    double log3 = Math.log(n) / Math.log(3);
    result.theory.put("source", "Karp, Schindelhauer, Shenker, Vöcking, Randomized Rumor Spreading, FOCS 2000");
    result.theory.put("log3N", log3);
    result.theory.put("pushPullRounds", "log3 N + O(log log N)");
    result.theory.put("meanFieldRounds", meanFieldRounds(n));
    result.theory.put("referenceSimulatedRounds", "9.2 / 11.6 / 14.2 / 16.4 at N = 1e3 / 1e4 / 1e5 / 1e6");
    result.theory.put("curve", "u(r+1) = u(r) * (1 - 1/(N-1))^(N(1-u(r))) * (N u(r) - 1)/(N - 1), u = uninformed");
    if (options.progress != null) {
      options.progress.done();
    }
    return result;
  }

  /** One step of the mean-field recursion of synchronous push-pull: the uninformed fraction after a round. */
  static double nextUninformed(double u, int n) {
    if (n < 2) {
      return 0;
    }
    double informedNodes = n * (1 - u);
    double notPushed = Math.exp(informedNodes * Math.log1p(-1.0 / (n - 1)));
    double pullFails = Math.max(0, (n * u - 1) / (n - 1));
    return u * notPushed * pullFails;
  }

  /** Rounds until the mean-field expected number of uninformed nodes drops below one half. */
  static int meanFieldRounds(int n) {
    double u = 1.0 - 1.0 / n;
    for (int r = 1; r < 1000; r++) {
      u = nextUninformed(u, n);
      if (u * n < 0.5) {
        return r;
      }
    }
    return -1;
  }

  private void endOfRound() {
    round++;
    theoryUninformed = nextUninformed(theoryUninformed, n);
    long packets = engine.packetsSent();
    long bytes = engine.bytesSent();
    int live = 0;
    long informedLive = 0;
    for (int i = 0; i < n; i++) {
      if (engine.isUp(i)) {
        live++;
        if (((RumorNode) engine.node(i)).informed()) {
          informedLive++;
        }
      }
    }
    result.timeseries.add(new double[] {round, informedLive / (double) live, 1 - theoryUninformed, informedLive,
        packets - prevPackets, bytes - prevBytes});
    prevPackets = packets;
    prevBytes = bytes;
    if (informedLive == live && completedRound < 0) {
      completedRound = round;
      engine.stop();
    }
  }

  @Override
  public long onEvent(int node, ProtocolEvent event, long nowMillis) {
    if (event instanceof RumorNode.Informed inf) {
      informed++;
      if (inf.byPull()) {
        informedByPull++;
      }
      return inf.rumorId() * 31 + (inf.byPull() ? 1 : 0);
    }
    return 0;
  }
}
