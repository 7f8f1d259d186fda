// SPDX-License-Identifier: Apache-2.0
package io.grapevine.config;

import io.grapevine.antientropy.Entry;
import static io.grapevine.node.ConfigChecks.nonNegative;
import static io.grapevine.node.ConfigChecks.positive;
import static io.grapevine.node.ConfigChecks.range;

import io.grapevine.config.KnobDoc;
import io.grapevine.node.ConfigChecks;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Every knob of the replicated store and its anti-entropy protocol, immutable. Each field's Javadoc
 * gives the default and the reason. Key, value and tree settings must be the same on every node of
 * a cluster (a peer's larger entries are dropped as oversized; a tree of another depth is refused).
 * Build variants with {@link #toBuilder()}; {@link Builder#build()} validates and names the bad knob.
 */
public final class AntiEntropyConfig {
  /** Hard cap on an encoded entry: it must fit one wire message (body at most 65,535 bytes). */
  public static final int MAX_ENTRY_BYTES = 65_000;

  /** Longest key, UTF-8 bytes. Default 512: path-like names, while bounding digests and memory. */
  @KnobDoc(
      value = "longest key: path-like names, while bounding digests and memory; the same on every node",
      unit = "bytes", valid = "1..4096")
  public final int keyMaxBytes;
  /** Largest value, bytes. Default 32 KiB; at most 60,000 so an entry fits one wire message. */
  @KnobDoc(
      value = "largest value: an entry must fit one wire message; the same on every node; a larger one received is dropped and counted (kv_value_too_large)",
      unit = "bytes", valid = "0..60000")
  public final int valueMaxBytes;
  /**
   * How often a node reconciles with one random peer. Default 2 s: when replicas agree an exchange
   * costs one message of about 170 bytes, so this can be short; it bounds how long a lost rumor
   * stays unrepaired.
   */
  @KnobDoc(
      value = "reconcile with one random peer this often; agreeing replicas exchange one ~170-byte message, and this bounds how long a lost write stays unrepaired",
      valid = "positive")
  public final Duration syncInterval;
  /** Largest stream packet of an exchange, bytes. Default 256 KiB: bounds memory per frame. */
  @KnobDoc(
      value = "largest stream packet of an exchange: bounds memory per frame",
      unit = "bytes", valid = "70000..67108864")
  public final int syncChunkBytes;
  /**
   * Entry bytes one exchange may ship in each direction. Default 4 MiB. A larger backlog is sent in
   * chunks of {@link #syncChunkBytes}, oldest version first, and the rest in the next exchanges.
   */
  @KnobDoc(
      value = "entry bytes one exchange ships each way; a larger backlog continues in later exchanges, oldest version first",
      unit = "bytes", valid = "70000..1073741824")
  public final int syncMaxBytesPerExchange;
  /**
   * Levels of the hash tree below its root (fanout 16): 16^depth buckets. Default 4 = 65,536
   * buckets, about 15 keys per bucket at 10^6 keys; one difference costs depth + 3 messages.
   */
  @KnobDoc(
      value = "hash-tree levels below the root (fanout 16): 4 is 65,536 buckets, ~15 keys each at 10^6 keys; the same on every node",
      unit = "levels", valid = "1..6")
  public final int merkleDepth;
  /** Peers a new write is pushed to at once, on top of piggybacking on membership gossip. Default 2. */
  @KnobDoc(
      value = "peers a new write is pushed to at once, on top of piggybacking on membership gossip",
      unit = "peers", valid = "0..16")
  public final int rumorFanout;
  /**
   * Writes per second (and burst) that may ride on membership's piggyback queue. Default 100. The
   * queue is shared with membership updates; a write burst beyond this is pushed directly and left
   * to anti-entropy, so it cannot crowd suspicions and refutations out of the datagrams.
   */
  @KnobDoc(
      value = "writes per second (and burst) allowed on membership's shared piggyback queue, so a write burst cannot crowd out suspicions",
      unit = "writes/s", valid = "0..100000")
  public final int rumorPiggybackPerSecond;
  /**
   * Tombstones and expired entries are removed this long after the delete or expiry. Default 6 h.
   * Must exceed the longest partition or downtime the cluster tolerates: a replica away for longer
   * may bring back a deleted value.
   */
  @KnobDoc(
      value = "deletes and expired entries are removed this long after; must exceed the longest partition or downtime tolerated, or a deleted value can come back",
      valid = "positive")
  public final Duration tombstoneGrace;
  /** How often removable tombstones and expired entries are collected. Default 10 s. */
  @KnobDoc(value = "how often removable tombstones and expired entries are collected", valid = "positive")
  public final Duration gcInterval;
  /**
   * How far ahead of local time a remote timestamp may pull this node's clock. Default 60 s: larger
   * than any sane NTP error, small enough that one broken clock cannot poison the cluster's.
   */
  @KnobDoc(
      value = "how far ahead of local time a peer's timestamp may pull this node's clock: above any sane NTP error, small enough that one broken clock cannot poison the cluster's",
      valid = "0 or positive")
  public final Duration maxClockSkew;

  private AntiEntropyConfig(Builder b) {
    keyMaxBytes = b.keyMaxBytes;
    valueMaxBytes = b.valueMaxBytes;
    syncInterval = b.syncInterval;
    syncChunkBytes = b.syncChunkBytes;
    syncMaxBytesPerExchange = b.syncMaxBytesPerExchange;
    merkleDepth = b.merkleDepth;
    rumorFanout = b.rumorFanout;
    rumorPiggybackPerSecond = b.rumorPiggybackPerSecond;
    tombstoneGrace = b.tombstoneGrace;
    gcInterval = b.gcInterval;
    maxClockSkew = b.maxClockSkew;
  }

  /** The defaults. */
  public static AntiEntropyConfig defaults() {
    return new Builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    return new Builder(this);
  }

  /** Mutable builder; {@link #build()} validates. */
  public static final class Builder {
    private int keyMaxBytes = 512;
    private int valueMaxBytes = 32 * 1024;
    private Duration syncInterval = Duration.ofSeconds(2);
    private int syncChunkBytes = 256 * 1024;
    private int syncMaxBytesPerExchange = 4 * 1024 * 1024;
    private int merkleDepth = 4;
    private int rumorFanout = 2;
    private int rumorPiggybackPerSecond = 100;
    private Duration tombstoneGrace = Duration.ofHours(6);
    private Duration gcInterval = Duration.ofSeconds(10);
    private Duration maxClockSkew = Duration.ofSeconds(60);

    Builder() {}

    Builder(AntiEntropyConfig c) {
      keyMaxBytes = c.keyMaxBytes;
      valueMaxBytes = c.valueMaxBytes;
      syncInterval = c.syncInterval;
      syncChunkBytes = c.syncChunkBytes;
      syncMaxBytesPerExchange = c.syncMaxBytesPerExchange;
      merkleDepth = c.merkleDepth;
      rumorFanout = c.rumorFanout;
      rumorPiggybackPerSecond = c.rumorPiggybackPerSecond;
      tombstoneGrace = c.tombstoneGrace;
      gcInterval = c.gcInterval;
      maxClockSkew = c.maxClockSkew;
    }

    public Builder keyMaxBytes(int v) { keyMaxBytes = v; return this; }
    public Builder valueMaxBytes(int v) { valueMaxBytes = v; return this; }
    public Builder syncInterval(Duration v) { syncInterval = v; return this; }
    public Builder syncChunkBytes(int v) { syncChunkBytes = v; return this; }
    public Builder syncMaxBytesPerExchange(int v) { syncMaxBytesPerExchange = v; return this; }
    public Builder merkleDepth(int v) { merkleDepth = v; return this; }
    public Builder rumorFanout(int v) { rumorFanout = v; return this; }
    public Builder rumorPiggybackPerSecond(int v) { rumorPiggybackPerSecond = v; return this; }
    public Builder tombstoneGrace(Duration v) { tombstoneGrace = v; return this; }
    public Builder gcInterval(Duration v) { gcInterval = v; return this; }
    public Builder maxClockSkew(Duration v) { maxClockSkew = v; return this; }

    /**
     * Validates and builds.
     *
     * @throws IllegalArgumentException naming every bad knob
     */
    public AntiEntropyConfig build() {
      List<String> errors = new ArrayList<>();
      range(errors, "keyMaxBytes", keyMaxBytes, 1, 4096);
      range(errors, "valueMaxBytes", valueMaxBytes, 0, 60_000);
      positive(errors, "syncInterval", syncInterval);
      range(errors, "syncChunkBytes", syncChunkBytes, 70_000, 64 << 20);
      range(errors, "syncMaxBytesPerExchange", syncMaxBytesPerExchange, 70_000, 1 << 30);
      range(errors, "merkleDepth", merkleDepth, 1, 6);
      range(errors, "rumorFanout", rumorFanout, 0, 16);
      range(errors, "rumorPiggybackPerSecond", rumorPiggybackPerSecond, 0, 100_000);
      positive(errors, "tombstoneGrace", tombstoneGrace);
      positive(errors, "gcInterval", gcInterval);
      nonNegative(errors, "maxClockSkew", maxClockSkew);
      if (!errors.isEmpty()) {
        throw ConfigChecks.invalid("anti-entropy", errors);
      }
      return new AntiEntropyConfig(this);
    }



  }
}
