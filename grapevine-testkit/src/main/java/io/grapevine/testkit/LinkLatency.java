// SPDX-License-Identifier: Apache-2.0
package io.grapevine.testkit;

import io.grapevine.node.Delivery;
import io.grapevine.node.Endpoint;
import java.util.random.RandomGenerator;

/**
 * The one-way delay of a packet on a {@link VirtualNetwork}, in whole milliseconds, drawn per packet
 * (per copy, when a packet is duplicated). A model must draw its randomness only from the generator
 * it is handed, which the network seeds, so that runs repeat.
 */
@FunctionalInterface
public interface LinkLatency {

  /**
   * The delay of one packet.
   *
   * @param random the network's latency stream; the only randomness a model may use
   * @return milliseconds, at least 0 (0: delivered at the current millisecond, after what is
   *     already due then)
   */
  long delayMillis(Endpoint from, Endpoint to, Delivery delivery, RandomGenerator random);

  /** Every packet takes exactly {@code millis}: per link, packets arrive in the order they were sent. */
  static LinkLatency fixed(long millis) {
    requireNonNegative("latency", millis);
    return (from, to, delivery, random) -> millis;
  }

  /**
   * Uniform between {@code minMillis} and {@code maxMillis}, both included: packets of one link can
   * overtake each other.
   */
  static LinkLatency uniform(long minMillis, long maxMillis) {
    requireNonNegative("minimum latency", minMillis);
    if (maxMillis < minMillis) {
      throw new IllegalArgumentException("maximum latency " + maxMillis + " ms is below the minimum " + minMillis + " ms");
    }
    if (minMillis == maxMillis) {
      return fixed(minMillis);
    }
    long span = maxMillis - minMillis + 1;
    return (from, to, delivery, random) -> minMillis + random.nextLong(span);
  }

  /** {@code baseMillis} plus a uniform jitter of 0 to {@code jitterMillis} ms. */
  static LinkLatency jitter(long baseMillis, long jitterMillis) {
    requireNonNegative("jitter", jitterMillis);
    return uniform(baseMillis, baseMillis + jitterMillis);
  }

  /** This model, plus {@code extraMillis} for stream messages (a connection's set-up, say). */
  default LinkLatency plusForStreams(long extraMillis) {
    requireNonNegative("extra stream latency", extraMillis);
    return (from, to, delivery, random) ->
        delayMillis(from, to, delivery, random) + (delivery == Delivery.STREAM ? extraMillis : 0);
  }

  private static void requireNonNegative(String what, long millis) {
    if (millis < 0) {
      throw new IllegalArgumentException(what + " must be at least 0 ms, got " + millis);
    }
  }
}
