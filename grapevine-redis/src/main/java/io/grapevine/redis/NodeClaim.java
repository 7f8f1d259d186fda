// SPDX-License-Identifier: Apache-2.0
package io.grapevine.redis;

import java.nio.charset.StandardCharsets;
import java.util.BitSet;
import java.util.Objects;

/**
 * One node's own view of itself, as it publishes it in its Grapevine member metadata: its node id,
 * RESP port, role, the primary it replicates (replicas), its config epoch, the highest epoch it has
 * seen ({@code currentEpoch}), its replication offset and the slots it claims.
 *
 * <p>Encoded as one line of ASCII: {@code r1 ID PORT ROLE PRIMARY CONFIGEPOCH CURRENTEPOCH OFFSET
 * RANGES}, where {@code PRIMARY} is {@code -} for a primary and {@code RANGES} is {@code -} or
 * comma-separated {@code A-B} or {@code A}.
 *
 * @param id 40 lower-case hex characters
 * @param respPort the port its RESP server listens on (same host as its Grapevine endpoint)
 * @param primary true for a primary, false for a replica
 * @param primaryId the id of the primary a replica replicates; null for a primary
 * @param configEpoch the epoch of its slot claim
 * @param currentEpoch the highest epoch it knows
 * @param replOffset how many replicated writes it has applied (replica) or produced (primary)
 * @param slots the slots it claims (never modified after construction)
 */
public record NodeClaim(
    String id,
    int respPort,
    boolean primary,
    String primaryId,
    long configEpoch,
    long currentEpoch,
    long replOffset,
    BitSet slots) {

  private static final String VERSION = "r1";

  /** Validates the id and copies the slot set. */
  public NodeClaim {
    if (!isNodeId(id)) {
      throw new IllegalArgumentException("node id must be 40 hex characters: " + id);
    }
    if (!primary && !isNodeId(primaryId)) {
      throw new IllegalArgumentException("a replica needs its primary's id");
    }
    if (primary) {
      primaryId = null;
    }
    slots = (BitSet) slots.clone();
  }

  /** The claimed slots (a copy). */
  @Override
  public BitSet slots() {
    return (BitSet) slots.clone();
  }

  /** Whether this claim includes {@code slot}, without copying the set. */
  public boolean claims(int slot) {
    return slots.get(slot);
  }

  /** Number of claimed slots. */
  public int slotCount() {
    return slots.cardinality();
  }

  /** True if {@code s} is 40 hexadecimal characters. */
  public static boolean isNodeId(String s) {
    if (s == null || s.length() != 40) {
      return false;
    }
    for (int i = 0; i < 40; i++) {
      char c = s.charAt(i);
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
        return false;
      }
    }
    return true;
  }

  /** The metadata bytes of this claim. */
  public byte[] encode() {
    StringBuilder sb = new StringBuilder(96);
    sb.append(VERSION).append(' ').append(id).append(' ').append(respPort).append(' ')
        .append(primary ? "primary" : "replica").append(' ')
        .append(primary ? "-" : primaryId).append(' ')
        .append(configEpoch).append(' ').append(currentEpoch).append(' ').append(replOffset)
        .append(' ').append(ranges(slots, ",", "-"));
    return sb.toString().getBytes(StandardCharsets.US_ASCII);
  }

  /** Parses metadata; null if it is not a claim (another application's metadata, or damaged). */
  public static NodeClaim decode(byte[] metadata) {
    try {
      String[] f = new String(metadata, StandardCharsets.US_ASCII).split(" ");
      if (f.length != 9 || !f[0].equals(VERSION)) {
        return null;
      }
      boolean primary = switch (f[3]) {
        case "primary" -> true;
        case "replica" -> false;
        default -> throw new IllegalArgumentException(f[3]);
      };
      BitSet slots = new BitSet(KeySlot.SLOTS);
      if (!f[8].equals("-")) {
        for (String r : f[8].split(",")) {
          int dash = r.indexOf('-');
          int a = Integer.parseInt(dash < 0 ? r : r.substring(0, dash));
          int b = dash < 0 ? a : Integer.parseInt(r.substring(dash + 1));
          if (a < 0 || b >= KeySlot.SLOTS || a > b) {
            return null;
          }
          slots.set(a, b + 1);
        }
      }
      return new NodeClaim(f[1], Integer.parseInt(f[2]), primary, primary ? null : f[4],
          Long.parseLong(f[5]), Long.parseLong(f[6]), Long.parseLong(f[7]), slots);
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** Slot ranges as {@code A-B} or {@code A} joined by {@code sep}; {@code empty} when none. */
  static String ranges(BitSet slots, String sep, String empty) {
    StringBuilder sb = new StringBuilder();
    int a = slots.nextSetBit(0);
    while (a >= 0) {
      int b = slots.nextClearBit(a) - 1;
      if (sb.length() > 0) {
        sb.append(sep);
      }
      sb.append(a);
      if (b > a) {
        sb.append('-').append(b);
      }
      a = slots.nextSetBit(b + 1);
    }
    return sb.length() == 0 ? empty : sb.toString();
  }

  /** Whether {@code o} bears on slot ownership as this claim does: same id, role, config epoch, slots. */
  boolean sameOwnership(NodeClaim o) {
    return o.id.equals(id) && o.primary == primary && o.configEpoch == configEpoch
        && o.slots.equals(slots);
  }

  NodeClaim with(boolean primary, String primaryId, long configEpoch, long currentEpoch,
      long replOffset, BitSet slots) {
    return new NodeClaim(id, respPort, primary, primaryId, configEpoch, currentEpoch, replOffset,
        slots);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof NodeClaim c && c.id.equals(id) && c.respPort == respPort
        && c.primary == primary && Objects.equals(c.primaryId, primaryId)
        && c.configEpoch == configEpoch && c.currentEpoch == currentEpoch
        && c.replOffset == replOffset && c.slots.equals(slots);
  }

  @Override
  public int hashCode() {
    return Objects.hash(id, configEpoch, currentEpoch, replOffset);
  }
}
