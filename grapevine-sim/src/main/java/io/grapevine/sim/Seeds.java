// SPDX-License-Identifier: Apache-2.0
package io.grapevine.sim;

/**
 * Derives every random stream of a run from one master seed, so a run is a pure function of
 * (scenario, seed). Streams are keyed, not drawn in sequence, so adding a node or a fault does not
 * shift the randomness of everything else.
 */
public final class Seeds {
  private Seeds() {}

  /** Stream keys that are not per-node. */
  public static final long NETWORK = -1;
  public static final long FAULTS = -2;
  public static final long TOPOLOGY = -3;
  public static final long RECONNECT = -4;

  /** SplitMix64 finaliser: a bijective mix with good avalanche. */
  public static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }

  /** The seed of stream {@code key} (generation {@code gen}, e.g. a node's restart count). */
  public static long derive(long master, long key, long gen) {
    return mix(mix(master + 0x9e3779b97f4a7c15L * (key + 7)) ^ mix(gen * 0x632be59bd9b4e019L + 11));
  }
}
