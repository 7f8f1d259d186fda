// SPDX-License-Identifier: Apache-2.0
package io.grapevine.sim;

import java.util.ArrayList;
import java.util.List;

/**
 * The modelled network: latency, loss, duplication, an optional egress bandwidth cap per node, and
 * partitions that start and heal at given times.
 *
 * <p>Loss and duplication apply to datagrams only; stream (TCP) messages are reliable but delayed,
 * and are lost only to a partition or a down node. Reordering falls out of random latency.
 */
public final class NetworkModel {
  public final Latency latency;
  /** Probability that a datagram is lost, 0..1. */
  public final double loss;
  /** Probability that a datagram is delivered twice, 0..1. */
  public final double duplicate;
  /** Egress cap per node in bytes per second; 0 = unlimited. */
  public final long bandwidthBytesPerSecond;
  /** Extra one-way delay of stream messages (connection set-up, framing), microseconds. */
  public final long streamExtraMicros;

  private final List<Partition> partitions = new ArrayList<>();
  private Partition[] active = new Partition[0];
  private long droppedOneWay;

  public NetworkModel(Latency latency, double loss, double duplicate, long bandwidthBytesPerSecond,
      long streamExtraMicros) {
    this.latency = latency;
    this.loss = loss;
    this.duplicate = duplicate;
    this.bandwidthBytesPerSecond = bandwidthBytesPerSecond;
    this.streamExtraMicros = streamExtraMicros;
  }

  /**
   * A cut between groups of nodes or between given pairs of nodes, in force from {@code startMicros}
   * until {@code healMicros}.
   */
  public static final class Partition {
    final long startMicros;
    final long healMicros;
    /** Group per node (group ids start at 1; 0 = not listed, its own implicit group); null if by links. */
    final byte[] group;
    /** Blocked pairs as (min << 32 | max), or (src << 32 | dst) if directed; null if by groups. */
    final java.util.Set<Long> links;
    /** Whether {@link #links} holds directed pairs: only packets from the first to the second are cut. */
    final boolean directed;

    Partition(long startMicros, long healMicros, byte[] group, java.util.Set<Long> links) {
      this(startMicros, healMicros, group, links, false);
    }

    Partition(long startMicros, long healMicros, byte[] group, java.util.Set<Long> links, boolean directed) {
      this.startMicros = startMicros;
      this.healMicros = healMicros;
      this.group = group;
      this.links = links;
      this.directed = directed;
    }

    boolean cuts(int a, int b) {
      if (group != null) {
        return group[a] != group[b];
      }
      long key = directed ? ((long) a << 32) | b : ((long) Math.min(a, b) << 32) | Math.max(a, b);
      return links.contains(key);
    }
  }

  /** Adds a group partition: nodes in different groups cannot talk; unlisted nodes form one more group. */
  public void addGroupPartition(long startMicros, long healMicros, int nodeCount, List<int[]> groups) {
    byte[] g = new byte[nodeCount];
    int id = 1;
    for (int[] members : groups) {
      for (int m : members) {
        g[m] = (byte) id;
      }
      id++;
    }
    partitions.add(new Partition(startMicros, healMicros, g, null));
  }

  /** Adds a link partition: each listed pair of nodes cannot talk, in either direction. */
  public void addLinkPartition(long startMicros, long healMicros, List<int[]> pairs) {
    java.util.Set<Long> set = new java.util.HashSet<>();
    for (int[] p : pairs) {
      set.add(((long) Math.min(p[0], p[1]) << 32) | Math.max(p[0], p[1]));
    }
    partitions.add(new Partition(startMicros, healMicros, null, set));
  }

  /**
   * Adds a one-way cut: packets from each node of {@code from} to each node of {@code to} are dropped,
   * while packets the other way still flow (an asymmetric firewall rule, a half-broken NIC or route).
   */
  public void addDirectedCut(long startMicros, long healMicros, int[] from, int[] to) {
    java.util.Set<Long> set = new java.util.HashSet<>();
    for (int a : from) {
      for (int b : to) {
        if (a != b) {
          set.add(((long) a << 32) | b);
        }
      }
    }
    partitions.add(new Partition(startMicros, healMicros, null, set, true));
  }

  /** Packets dropped by one-way cuts ({@link #addDirectedCut}); also counted as dropped by partition. */
  public long droppedOneWay() {
    return droppedOneWay;
  }

  public List<Partition> partitions() {
    return partitions;
  }

  /** Called by the run at a partition's start or heal time: recomputes the set in force. */
  void refresh(long nowMicros) {
    List<Partition> now = new ArrayList<>();
    for (Partition p : partitions) {
      if (p.startMicros <= nowMicros && nowMicros < p.healMicros) {
        now.add(p);
      }
    }
    active = now.toArray(new Partition[0]);
  }

  /** Whether a packet from {@code src} to {@code dst} is cut off right now. */
  boolean blocked(int src, int dst, long nowMicros) {
    Partition[] a = active;
    for (Partition p : a) {
      if (p.cuts(src, dst)) {
        if (p.directed) {
          droppedOneWay++;
        }
        return true;
      }
    }
    return false;
  }
}
