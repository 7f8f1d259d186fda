// SPDX-License-Identifier: Apache-2.0
package io.grapevine.config;

import static io.grapevine.node.ConfigChecks.positive;
import static io.grapevine.node.ConfigChecks.range;

import io.grapevine.config.KnobDoc;
import io.grapevine.node.ConfigChecks;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * How rumors spread. Every variant of Demers et al.'s rumor mongering ("Epidemic Algorithms for
 * Replicated Database Maintenance", 1987) is a setting here: {@link Mode} (push, pull, push-pull),
 * loss of interest by {@link #feedback} or blind, by {@link Stop#COUNTER} or {@link Stop#COIN} with
 * parameter {@link #k}. {@link Mode#PIGGYBACK} is the memberlist/Serf way: events ride on membership
 * traffic, retransmitted {@code retransmitMult * ceil(log10(N+1))} times. With {@link
 * #antiEntropyInterval} above zero, a periodic digest exchange with a random peer finds whatever a
 * node missed, so every live, connected node gets every retained rumor.
 */
public final class DisseminationConfig {

  /** Who initiates the transfer in a gossip round. */
  public enum Mode {
    /** Nodes with hot rumors send them to a random peer each round. */
    PUSH,
    /** Every node asks a random peer each round for its hot rumors. */
    PULL,
    /** Both at once: one exchange, rumors travel both ways. */
    PUSH_PULL,
    /** Ride on membership datagrams with the log(N) retransmit limit; falls back to PUSH without a membership host. */
    PIGGYBACK
  }

  /** When a node loses interest in (stops spreading) a rumor. */
  public enum Stop {
    /** After k contacts (useless ones with feedback, any with blind). */
    COUNTER,
    /** After each contact (useless with feedback, any with blind), with probability 1/k. */
    COIN
  }

  /** Transfer direction of rumor-mongering rounds. */
  @KnobDoc(
      "who starts a transfer: piggyback rides on membership datagrams with log N retransmissions; push, pull and push-pull are Demers' rumor-mongering rounds")
  public final Mode mode;
  /** true: lose interest only on contacts that were useless (the peer knew); false: blind. */
  @KnobDoc(
      "true: only contacts where the peer already knew the rumor count toward losing interest; false: every contact counts (blind)")
  public final boolean feedback;
  /** Counter or coin. */
  @KnobDoc("lose interest after k counted contacts (counter) or with probability 1/k at each (coin)")
  public final Stop stop;
  /** Demers' k: contacts before (counter) or 1/probability of (coin) losing interest. */
  @KnobDoc(
      value = "Demers' k: contacts before (counter) or 1/probability of (coin) losing interest",
      unit = "contacts", valid = "1..1000")
  public final int k;
  /** Peers contacted per round. Demers' model uses 1. */
  @KnobDoc(value = "peers contacted per rumor-mongering round; Demers' model uses 1", unit = "peers", valid = "1..64")
  public final int fanout;
  /** Length of a rumor-mongering round. */
  @KnobDoc(value = "length of a rumor-mongering round", valid = "positive")
  public final Duration roundInterval;
  /** Digest exchange with one random peer this often; zero turns the backup off. */
  @KnobDoc(
      value = "digest exchange with one random peer this often, so every live, connected node gets every retained event; 0 = off",
      valid = "0 or positive")
  public final Duration antiEntropyInterval;
  /** Largest event payload; larger ones are refused. Payloads that do not fit a datagram go over TCP. */
  @KnobDoc(
      value = "largest event payload; payloads too large for a datagram go over TCP; a larger one received is dropped and counted (event_too_large)",
      unit = "bytes", valid = "0..16776192")
  public final int maxPayloadBytes;
  /** Rumors kept for anti-entropy repair (oldest dropped first). Bounds memory. */
  @KnobDoc(
      value = "events kept for anti-entropy repair, oldest dropped first; bounds memory",
      unit = "events", valid = "1..10000000")
  public final int retainedRumors;
  /** Origins tracked for at-most-once delivery (least recently active dropped first). */
  @KnobDoc(
      value = "origins tracked for at-most-once delivery, least recently active dropped first",
      unit = "origins", valid = "at least 1")
  public final int maxOrigins;
  /** Per origin, deliveries remembered above the contiguous watermark. */
  @KnobDoc(
      value = "per origin, deliveries remembered above the contiguous watermark",
      unit = "events", valid = "64..1048576")
  public final int dedupeWindow;

  private DisseminationConfig(Builder b) {
    mode = b.mode;
    feedback = b.feedback;
    stop = b.stop;
    k = b.k;
    fanout = b.fanout;
    roundInterval = b.roundInterval;
    antiEntropyInterval = b.antiEntropyInterval;
    maxPayloadBytes = b.maxPayloadBytes;
    retainedRumors = b.retainedRumors;
    maxOrigins = b.maxOrigins;
    dedupeWindow = b.dedupeWindow;
  }

  /** Defaults for user events: piggybacked on membership traffic, digest anti-entropy every 10 s. */
  public static DisseminationConfig defaults() {
    return new Builder().build();
  }

  /** A Demers variant, anti-entropy off: the pure rumor-mongering experiment. */
  public static DisseminationConfig demers(Mode mode, boolean feedback, Stop stop, int k) {
    return new Builder().mode(mode).feedback(feedback).stop(stop).k(k).antiEntropyInterval(Duration.ZERO).build();
  }

  public Builder toBuilder() {
    return new Builder(this);
  }

  @Override
  public String toString() {
    return mode.name().toLowerCase() + "/" + (feedback ? "feedback" : "blind") + "/" + stop.name().toLowerCase()
        + "/k=" + k;
  }

  /** Builder; defaults are those of {@link #defaults()}. */
  public static final class Builder {
    private Mode mode = Mode.PIGGYBACK;
    private boolean feedback = true;
    private Stop stop = Stop.COUNTER;
    private int k = 3;
    private int fanout = 1;
    private Duration roundInterval = Duration.ofMillis(200);
    private Duration antiEntropyInterval = Duration.ofSeconds(10);
    private int maxPayloadBytes = 64 * 1024;
    private int retainedRumors = 4096;
    private int maxOrigins = 10_000;
    private int dedupeWindow = 4096;

    public Builder() {}

    private Builder(DisseminationConfig c) {
      mode = c.mode;
      feedback = c.feedback;
      stop = c.stop;
      k = c.k;
      fanout = c.fanout;
      roundInterval = c.roundInterval;
      antiEntropyInterval = c.antiEntropyInterval;
      maxPayloadBytes = c.maxPayloadBytes;
      retainedRumors = c.retainedRumors;
      maxOrigins = c.maxOrigins;
      dedupeWindow = c.dedupeWindow;
    }

    public Builder mode(Mode v) { mode = v; return this; }
    public Builder feedback(boolean v) { feedback = v; return this; }
    public Builder stop(Stop v) { stop = v; return this; }
    public Builder k(int v) { k = v; return this; }
    public Builder fanout(int v) { fanout = v; return this; }
    public Builder roundInterval(Duration v) { roundInterval = v; return this; }
    public Builder antiEntropyInterval(Duration v) { antiEntropyInterval = v; return this; }
    public Builder maxPayloadBytes(int v) { maxPayloadBytes = v; return this; }
    public Builder retainedRumors(int v) { retainedRumors = v; return this; }
    public Builder maxOrigins(int v) { maxOrigins = v; return this; }
    public Builder dedupeWindow(int v) { dedupeWindow = v; return this; }

    /** Validates and builds; the message names every bad knob. */
    public DisseminationConfig build() {
      List<String> errors = new ArrayList<>();
      if (mode == null) {
        errors.add("mode must be set");
      }
      if (stop == null) {
        errors.add("stop must be set");
      }
      range(errors, "k", k, 1, 1000);
      range(errors, "fanout", fanout, 1, 64);
      positive(errors, "roundInterval", roundInterval);
      if (antiEntropyInterval == null || antiEntropyInterval.isNegative()) {
        errors.add("antiEntropyInterval must be zero (off) or positive, got " + antiEntropyInterval);
      }
      if (maxPayloadBytes < 0 || maxPayloadBytes > 16 * 1024 * 1024 - 1024) {
        errors.add("maxPayloadBytes must be in 0..16MiB-1KiB, got " + maxPayloadBytes);
      }
      range(errors, "retainedRumors", retainedRumors, 1, 10_000_000);
      if (maxOrigins < 1) {
        errors.add("maxOrigins must be >= 1, got " + maxOrigins);
      }
      range(errors, "dedupeWindow", dedupeWindow, 64, 1 << 20);
      if (!errors.isEmpty()) {
        throw ConfigChecks.invalid("dissemination", errors);
      }
      return new DisseminationConfig(this);
    }
  }
}
