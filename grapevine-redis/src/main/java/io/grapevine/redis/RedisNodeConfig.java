// SPDX-License-Identifier: Apache-2.0
package io.grapevine.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * How to run one {@link RedisNode}: addresses, its initial role and slots, timing and the bounds of
 * its RESP server. Build with {@link #builder()}; {@link Builder#build()} names the first bad value.
 */
public final class RedisNodeConfig {
  final String host;
  final int respPort;
  final int busPort;
  final List<String> seeds;
  final String nodeId;
  final String replicaOf;
  final long configEpoch;
  final BitSet slots;
  final Duration nodeTimeout;
  final double failoverDelayScale;
  final int maxConnections;
  final int maxArgs;
  final int maxBulkBytes;
  final int replicationBacklog;
  final int maxKeys;
  final String clusterName;
  final long randomSeed;
  final Duration probeInterval;
  final int suspicionMult;

  private RedisNodeConfig(Builder b) {
    host = b.host;
    respPort = b.respPort;
    busPort = b.busPort;
    seeds = List.copyOf(b.seeds);
    nodeId = b.nodeId;
    replicaOf = b.replicaOf;
    configEpoch = b.configEpoch;
    slots = (BitSet) b.slots.clone();
    nodeTimeout = b.nodeTimeout;
    failoverDelayScale = b.failoverDelayScale;
    maxConnections = b.maxConnections;
    maxArgs = b.maxArgs;
    maxBulkBytes = b.maxBulkBytes;
    replicationBacklog = b.replicationBacklog;
    maxKeys = b.maxKeys;
    clusterName = b.clusterName;
    randomSeed = b.randomSeed;
    probeInterval = b.probeInterval;
    suspicionMult = b.suspicionMult;
  }

  /** A builder with loopback defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** The node id this config gives (random if the builder was given none). */
  public String nodeId() {
    return nodeId;
  }

  /** Builder of {@link RedisNodeConfig}. */
  public static final class Builder {
    private String host = "127.0.0.1";
    private int respPort = 6379;
    private int busPort = 16379;
    private final List<String> seeds = new ArrayList<>();
    private String nodeId;
    private String replicaOf;
    private long configEpoch;
    private final BitSet slots = new BitSet(KeySlot.SLOTS);
    private Duration nodeTimeout = Duration.ofSeconds(2);
    private double failoverDelayScale = 0.5;
    private int maxConnections = 512;
    private int maxArgs = 1024 * 1024;
    private int maxBulkBytes = 16 * 1024 * 1024;
    private int replicationBacklog = 65_536;
    private int maxKeys = 1_000_000;
    private String clusterName = "grapevine-redis";
    private long randomSeed = System.nanoTime();
    private Duration probeInterval = Duration.ofMillis(300);
    private int suspicionMult = 1;

    private Builder() {}

    /** Address both servers bind and advertise (default 127.0.0.1). */
    public Builder host(String v) { host = v; return this; }

    /** The RESP port clients use (default 6379). */
    public Builder respPort(int v) { respPort = v; return this; }

    /** The Grapevine (cluster bus) port, UDP and TCP (default 16379). */
    public Builder busPort(int v) { busPort = v; return this; }

    /** A Grapevine seed, {@code HOST:PORT} of another node's bus port. */
    public Builder seed(String v) { seeds.add(v); return this; }

    /** The node id, 40 hex characters (default: random). */
    public Builder nodeId(String v) { nodeId = v; return this; }

    /** Starts as a replica of this node id (default: a primary). */
    public Builder replicaOf(String v) { replicaOf = v; return this; }

    /** The initial config epoch of a primary (default 0, as a fresh Redis node). */
    public Builder configEpoch(long v) { configEpoch = v; return this; }

    /** Slots a primary claims at start, {@code from..to} inclusive. */
    public Builder slots(int from, int to) { slots.set(from, to + 1); return this; }

    /** Redis's node timeout: votes for one failed primary are at least twice this apart. */
    public Builder nodeTimeout(Duration v) { nodeTimeout = v; return this; }

    /**
     * Multiplies Redis's failover delays (500 ms + 0..500 ms + rank x 1000 ms); default 0.5. Redis
     * waits so that FAIL reaches the voters first; here each voter reaches its own verdict from the
     * gossiped suspicion, and the candidate asks again every 50 ms, so half the wait is enough.
     */
    public Builder failoverDelayScale(double v) { failoverDelayScale = v; return this; }

    /** At most this many client connections at once; more are refused with an error. */
    public Builder maxConnections(int v) { maxConnections = v; return this; }

    /** At most this many arguments per request. */
    public Builder maxArgs(int v) { maxArgs = v; return this; }

    /** At most this many bytes per argument. */
    public Builder maxBulkBytes(int v) { maxBulkBytes = v; return this; }

    /** Writes queued for one replica before its link is dropped (it then resynchronizes). */
    public Builder replicationBacklog(int v) { replicationBacklog = v; return this; }

    /**
     * At most this many keys on a primary (default 1,000,000): a write that would add one more gets
     * {@code -OOM} (counted in INFO {@code rejected_writes}); replicas apply what their primary sends.
     */
    public Builder maxKeys(int v) { maxKeys = v; return this; }

    /** The Grapevine cluster name (nodes of other names are ignored). */
    public Builder clusterName(String v) { clusterName = v; return this; }

    /**
     * Grapevine's probe interval (default 300 ms, probe timeout 150 ms); with the suspicion
     * multiplier it sets the time a crash takes to become a failure verdict (about 1–1.5 s at the
     * defaults, as Redis's node timeout of 1 s), and most of the bus's bytes (about 0.45 KB/s per
     * node at N = 6, 0.65 KB/s at N = 30–60; a 500 ms probe sends fewer, and its verdict comes about
     * 0.5 s later).
     */
    public Builder probeInterval(Duration v) { probeInterval = v; return this; }

    /**
     * Grapevine's suspicion multiplier: a suspected node is failed after at least suspicionMult x
     * max(1, log10 N) x the probe interval (longer, up to 6 times that, while no other node confirms
     * the suspicion: Lifeguard). Default 1: with a 300 ms probe, a verdict about 0.5 s after the first
     * failed probe; Lifeguard's confirmations and refutations guard against false verdicts.
     */
    public Builder suspicionMult(int v) { suspicionMult = v; return this; }

    /** Seed of the failover delay jitter. */
    public Builder randomSeed(long v) { randomSeed = v; return this; }

    /**
     * Validates and builds.
     *
     * @throws IllegalArgumentException naming the first bad value
     */
    public RedisNodeConfig build() {
      if (nodeId == null) {
        java.security.SecureRandom r = new java.security.SecureRandom();
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 20; i++) {
          sb.append(String.format("%02x", r.nextInt(256)));
        }
        nodeId = sb.toString();
      }
      if (!NodeClaim.isNodeId(nodeId)) {
        throw new IllegalArgumentException("node id must be 40 lower-case hex characters: " + nodeId);
      }
      if (replicaOf != null && !NodeClaim.isNodeId(replicaOf)) {
        throw new IllegalArgumentException("replica-of must be a node id: " + replicaOf);
      }
      if (replicaOf != null && !slots.isEmpty()) {
        throw new IllegalArgumentException("a replica cannot claim slots");
      }
      if (respPort < 0 || respPort > 65535 || busPort < 0 || busPort > 65535) {
        throw new IllegalArgumentException("ports must be 0..65535");
      }
      if (nodeTimeout.toMillis() < 100) {
        throw new IllegalArgumentException("node timeout must be at least 100 ms");
      }
      if (probeInterval.toMillis() < 50) {
        throw new IllegalArgumentException("probe interval must be at least 50 ms");
      }
      if (suspicionMult < 1 || suspicionMult > 100) {
        throw new IllegalArgumentException("suspicion multiplier must be 1..100");
      }
      if (failoverDelayScale < 0 || failoverDelayScale > 100) {
        throw new IllegalArgumentException("failover delay scale must be 0..100");
      }
      if (maxConnections < 1 || maxArgs < 1 || maxBulkBytes < 1 || replicationBacklog < 1 || maxKeys < 1) {
        throw new IllegalArgumentException("connection, argument, bulk, backlog and key limits must be positive");
      }
      return new RedisNodeConfig(this);
    }
  }
}
