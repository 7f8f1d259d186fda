// SPDX-License-Identifier: Apache-2.0
package io.grapevine.transport;

import java.net.InetAddress;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * New connections per source address: a token bucket per address holding up to {@code perSecond}
 * tokens, refilled at {@code perSecond} a second; a connection takes one. Time comes from the caller.
 *
 * <p>The table is bounded ({@link #DEFAULT_SOURCES} addresses, least recently seen evicted), since
 * its keys come from the network: a flood from many addresses costs a fixed amount of memory. An
 * evicted address starts again with a full bucket, which errs on the side of letting a peer in; a
 * single address cannot evict its own entry, so the limit per address holds.
 *
 * <p>Not thread-safe: used on the event-loop thread.
 */
final class SourceRateLimiter {
  /** Addresses tracked at once; a cluster's peers fit many times over. */
  static final int DEFAULT_SOURCES = 4096;

  private final int perSecond;
  private final Map<InetAddress, Bucket> buckets;

  private static final class Bucket {
    double tokens;
    long lastMillis;
  }

  /**
   * @param perSecond connections per second per address, and the burst; 0 lets everything through
   * @param maxSources addresses tracked at once
   */
  SourceRateLimiter(int perSecond, int maxSources) {
    if (perSecond < 0 || maxSources < 1) {
      throw new IllegalArgumentException("perSecond must be >= 0 and maxSources >= 1");
    }
    this.perSecond = perSecond;
    this.buckets = new LinkedHashMap<>(Math.min(maxSources, 256), 0.75f, true) {
      private static final long serialVersionUID = 1L;

      @Override
      protected boolean removeEldestEntry(Map.Entry<InetAddress, Bucket> eldest) {
        return size() > maxSources;
      }
    };
  }

  /** Takes a token for a connection from {@code source} at {@code nowMillis}; false when none is left. */
  boolean tryAcquire(InetAddress source, long nowMillis) {
    if (perSecond == 0) {
      return true;
    }
    Bucket b = buckets.get(source);
    if (b == null) {
      b = new Bucket();
      b.tokens = perSecond;
      b.lastMillis = nowMillis;
      buckets.put(source, b);
    } else if (nowMillis > b.lastMillis) {
      b.tokens = Math.min(perSecond, b.tokens + (nowMillis - b.lastMillis) * perSecond / 1000.0);
      b.lastMillis = nowMillis;
    }
    if (b.tokens < 1) {
      return false;
    }
    b.tokens -= 1;
    return true;
  }

  /** Addresses tracked now (at most the table size). */
  int sources() {
    return buckets.size();
  }
}
