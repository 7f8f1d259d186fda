// SPDX-License-Identifier: Apache-2.0
package io.grapevine.wire;

/**
 * A contiguous block of message type codes that one protocol owns. The built-in protocols' blocks
 * are the constants here, in one place, so no two protocols ever reuse a code; an application's own
 * protocols take codes from {@link #APPLICATION}. A stack refuses to start with two protocols whose
 * blocks overlap.
 *
 * @param first lowest code owned, 1..255
 * @param last highest code owned, {@code first}..255
 */
public record MessageRange(int first, int last) {
  /** SWIM + Lifeguard. */
  public static final MessageRange MEMBERSHIP = new MessageRange(0x01, 0x1F);
  /** Rumor mongering and user events. */
  public static final MessageRange DISSEMINATION = new MessageRange(0x20, 0x3F);
  /** The replicated key-value store's anti-entropy. */
  public static final MessageRange KV = new MessageRange(0x40, 0x5F);
  /** Gossip aggregation. */
  public static final MessageRange AGGREGATION = new MessageRange(0x60, 0x7F);
  /** The HyParView partial view. */
  public static final MessageRange HYPARVIEW = new MessageRange(0x80, 0x87);
  /** Plumtree broadcast. */
  public static final MessageRange PLUMTREE = new MessageRange(0x88, 0x8F);
  /** The sorted ring. */
  public static final MessageRange RING = new MessageRange(0x90, 0x97);
  /** Exact aggregation along the ring's tree. */
  public static final MessageRange TREE = new MessageRange(0x98, 0x9F);
  /** Cluster-wide queries (request by gossip, answers directly). */
  public static final MessageRange QUERY = new MessageRange(0xA0, 0xA7);
  /** Network coordinates (Vivaldi), carried on acks. */
  public static final MessageRange COORDINATES = new MessageRange(0xB0, 0xB7);
  /**
   * Codes 0xC0..0xFE are left to applications' own protocols: a release of Grapevine never takes
   * one. Split it among your protocols with {@link #of}.
   */
  public static final MessageRange APPLICATION = new MessageRange(0xC0, 0xFE);

  public MessageRange {
    if (first < 1 || last > 0xFF || first > last) {
      throw new IllegalArgumentException("a message range is 1..255 with first <= last, got " + this.describe(first, last));
    }
  }

  /** The range {@code first..last}. */
  public static MessageRange of(int first, int last) {
    return new MessageRange(first, last);
  }

  /** Whether {@code code} (an unsigned byte) is in this range. */
  public boolean contains(int code) {
    return code >= first && code <= last;
  }

  /** Whether the two ranges share a code. */
  public boolean overlaps(MessageRange other) {
    return first <= other.last && other.first <= last;
  }

  @Override
  public String toString() {
    return describe(first, last);
  }

  private static String describe(int first, int last) {
    return String.format("0x%02X..0x%02X", first, last);
  }
}
