// SPDX-License-Identifier: Apache-2.0
package io.grapevine.sim;

import java.util.List;

/**
 * One entry of a scenario's fault schedule. Times are virtual milliseconds from the start of the run.
 *
 * @param type what happens
 * @param atMillis when it starts
 * @param untilMillis when it ends (slow, partition, churn); {@link Long#MAX_VALUE} = never
 * @param nodes the nodes it applies to (crash, restart, leave, slow)
 * @param delayMillis processing delay of a slow node
 * @param ratePerSecond churn: crashes per second of virtual time, cluster-wide
 * @param downtimeMillis churn: how long a churned node stays down before it restarts
 * @param groups partition: groups of nodes that cannot reach each other
 * @param links partition: pairs of nodes that cannot reach each other
 * @param loss flaky: probability that a packet to one of the nodes is lost on its way in
 * @param peers oneway: the other end of the cut links (null = every other node)
 * @param inbound oneway: packets from the peers to the nodes are dropped (else from the nodes to the peers)
 */
public record Fault(
    Type type,
    long atMillis,
    long untilMillis,
    NodeSet nodes,
    long delayMillis,
    double ratePerSecond,
    long downtimeMillis,
    List<NodeSet> groups,
    List<int[]> links,
    double loss,
    NodeSet peers,
    boolean inbound) {

  /** Kinds of fault. */
  public enum Type {
    /** The nodes stop abruptly (no leave); their state is lost. */
    CRASH,
    /** Crashed nodes come back with fresh state and a higher incarnation, and rejoin via the seeds. */
    RESTART,
    /** The nodes leave gracefully (membership only). */
    LEAVE,
    /** The nodes handle every inbound packet late by {@code delayMillis} (timers still fire): Lifeguard's degraded node. */
    SLOW,
    /** Groups or links are cut from {@code at} until {@code until}. */
    PARTITION,
    /** Random nodes crash at {@code ratePerSecond} and restart after {@code downtimeMillis}. */
    CHURN,
    /**
     * The nodes lose a fraction {@code loss} of their inbound packets (datagrams and stream messages)
     * from {@code at} until {@code until}, while what they send goes out normally: a flaky host.
     */
    FLAKY,
    /**
     * Packets in one direction only between {@code nodes} and {@code peers} are dropped (datagrams and
     * stream messages) from {@code at} until {@code until}: outbound (the nodes cannot reach the
     * peers, yet hear them) or inbound (the peers cannot reach the nodes, yet hear them).
     */
    ONEWAY
  }

  /** A fault without peers (every kind but {@link Type#ONEWAY}). */
  public Fault(Type type, long atMillis, long untilMillis, NodeSet nodes, long delayMillis, double ratePerSecond,
      long downtimeMillis, List<NodeSet> groups, List<int[]> links, double loss) {
    this(type, atMillis, untilMillis, nodes, delayMillis, ratePerSecond, downtimeMillis, groups, links, loss, null,
        false);
  }

  /** Packets from {@code nodes} to {@code peers} (or, inbound, from the peers to the nodes) are dropped. */
  public static Fault oneWay(long atMillis, long untilMillis, NodeSet nodes, NodeSet peers, boolean inbound) {
    return new Fault(Type.ONEWAY, atMillis, untilMillis, nodes, 0, 0, 0, List.of(), List.of(), 1.0, peers, inbound);
  }

  public static Fault crash(long atMillis, NodeSet nodes) {
    return new Fault(Type.CRASH, atMillis, Long.MAX_VALUE, nodes, 0, 0, 0, List.of(), List.of(), 0);
  }

  public static Fault restart(long atMillis, NodeSet nodes) {
    return new Fault(Type.RESTART, atMillis, Long.MAX_VALUE, nodes, 0, 0, 0, List.of(), List.of(), 0);
  }

  public static Fault leave(long atMillis, NodeSet nodes) {
    return new Fault(Type.LEAVE, atMillis, Long.MAX_VALUE, nodes, 0, 0, 0, List.of(), List.of(), 0);
  }

  public static Fault slow(long atMillis, long untilMillis, NodeSet nodes, long delayMillis) {
    return new Fault(Type.SLOW, atMillis, untilMillis, nodes, delayMillis, 0, 0, List.of(), List.of(), 0);
  }

  public static Fault partition(long atMillis, long healMillis, List<NodeSet> groups) {
    return new Fault(Type.PARTITION, atMillis, healMillis, null, 0, 0, 0, groups, List.of(), 0);
  }

  public static Fault cutLinks(long atMillis, long healMillis, List<int[]> links) {
    return new Fault(Type.PARTITION, atMillis, healMillis, null, 0, 0, 0, List.of(), links, 0);
  }

  public static Fault churn(long atMillis, long untilMillis, double ratePerSecond, long downtimeMillis) {
    return new Fault(Type.CHURN, atMillis, untilMillis, null, 0, ratePerSecond, downtimeMillis, List.of(), List.of(), 0);
  }

  public static Fault flaky(long atMillis, long untilMillis, NodeSet nodes, double loss) {
    return new Fault(Type.FLAKY, atMillis, untilMillis, nodes, 0, 0, 0, List.of(), List.of(), loss);
  }
}
