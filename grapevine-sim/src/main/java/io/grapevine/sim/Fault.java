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
    List<int[]> links) {

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
    CHURN
  }

  public static Fault crash(long atMillis, NodeSet nodes) {
    return new Fault(Type.CRASH, atMillis, Long.MAX_VALUE, nodes, 0, 0, 0, List.of(), List.of());
  }

  public static Fault restart(long atMillis, NodeSet nodes) {
    return new Fault(Type.RESTART, atMillis, Long.MAX_VALUE, nodes, 0, 0, 0, List.of(), List.of());
  }

  public static Fault leave(long atMillis, NodeSet nodes) {
    return new Fault(Type.LEAVE, atMillis, Long.MAX_VALUE, nodes, 0, 0, 0, List.of(), List.of());
  }

  public static Fault slow(long atMillis, long untilMillis, NodeSet nodes, long delayMillis) {
    return new Fault(Type.SLOW, atMillis, untilMillis, nodes, delayMillis, 0, 0, List.of(), List.of());
  }

  public static Fault partition(long atMillis, long healMillis, List<NodeSet> groups) {
    return new Fault(Type.PARTITION, atMillis, healMillis, null, 0, 0, 0, groups, List.of());
  }

  public static Fault cutLinks(long atMillis, long healMillis, List<int[]> links) {
    return new Fault(Type.PARTITION, atMillis, healMillis, null, 0, 0, 0, List.of(), links);
  }

  public static Fault churn(long atMillis, long untilMillis, double ratePerSecond, long downtimeMillis) {
    return new Fault(Type.CHURN, atMillis, untilMillis, null, 0, ratePerSecond, downtimeMillis, List.of(), List.of());
  }
}
