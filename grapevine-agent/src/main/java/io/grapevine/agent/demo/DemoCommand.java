// SPDX-License-Identifier: Apache-2.0
package io.grapevine.agent.demo;

import io.grapevine.config.MembershipConfig;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code grapevine demo}: a cluster in one process, narrated act by act, with measured times. */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    versionProvider = io.grapevine.agent.GrapevineCommand.Version.class,
    sortOptions = false,
    description = {
      "Watch a cluster on loopback: join, crash detection, graceful leave, restart, events, aggregates, replicated data.",
      "Starts the nodes in this process and narrates what gossip does: they join and converge,",
      "one crashes and is detected, one leaves gracefully, the crashed one restarts and rejoins;",
      "an event spreads to every node; each node's load is averaged and the nodes counted;",
      "a partition splits the cluster, both sides write, and after the heal every replica is equal.",
      "Ends with a summary of the measured times (about a minute with 20 nodes)."
    })
public final class DemoCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--nodes", paramLabel = "N", defaultValue = "20", description = "Cluster size, 4..200 (default: ${DEFAULT-VALUE}).")
  int nodes;

  @Option(names = "--profile", paramLabel = "lan|wan|local", defaultValue = "local", description = "Protocol timing profile (default: ${DEFAULT-VALUE}).")
  String profile;

  @Option(names = "--verbose", description = "Also print the nodes' own logs.")
  boolean verbose;

  @Override
  public Integer call() throws Exception {
    if (nodes < 4 || nodes > 200) {
      throw new ParameterException(spec.commandLine(), "--nodes must be 4..200, got " + nodes);
    }
    MembershipConfig config;
    try {
      config = MembershipConfig.profile(profile);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "--profile: " + e.getMessage());
    }
    String label = profile;
    if (config.retransmitMult < MembershipConfig.lan().retransmitMult) {
      // The local profile's lighter retransmission sometimes leaves a node to learn a change only
      // at the next push-pull, seconds later; the demo measures gossip, so it keeps LAN's budget.
      config = config.toBuilder().retransmitMult(MembershipConfig.lan().retransmitMult).build();
      label = profile + " with retransmitMult " + config.retransmitMult;
    }
    io.grapevine.agent.Logging.configure(verbose ? "info" : "warn", io.grapevine.agent.Logging.Format.HUMAN, null);
    return new Demo(nodes, label, config, spec.commandLine().getOut()).run() ? 0 : 1;
  }
}
