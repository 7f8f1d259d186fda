// SPDX-License-Identifier: Apache-2.0
package io.grapevine.stack;

import io.grapevine.wire.DropReason;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Packet counters of one node's stack: what arrived, and what was dropped, by reason. Written by the
 * node's driver thread; other threads read a value at most slightly stale.
 */
public final class StackStats {
  private final String[] protocolNames;
  /** Messages applied, by the position of their protocol on the stack. */
  private final long[] messagesIn;
  private volatile long packetsIn;
  private volatile long bytesIn;
  private volatile long refusalsSent;
  private volatile long refusalsReceived;
  /** Allocated at the first drop: most simulated nodes never drop anything. */
  private volatile AtomicLongArray dropped;

  /** Counters for a stack of no protocols (tests, fakes). */
  public StackStats() {
    this(new String[0]);
  }

  StackStats(String[] protocolNames) {
    this.protocolNames = protocolNames;
    this.messagesIn = new long[protocolNames.length];
  }

  /** Messages of protocol {@code protocolName} applied here (0 for a protocol not on the stack). */
  public long messagesIn(String protocolName) {
    for (int i = 0; i < protocolNames.length; i++) {
      if (protocolNames[i].equals(protocolName)) {
        return messagesIn[i];
      }
    }
    return 0;
  }

  void applied(int protocolIndex) {
    messagesIn[protocolIndex]++;
  }

  /** Packets handed to the stack. */
  public long packetsIn() {
    return packetsIn;
  }

  /** Bytes of those packets. */
  public long bytesIn() {
    return bytesIn;
  }

  /** Packets dropped for {@code reason}. */
  public long dropped(DropReason reason) {
    AtomicLongArray d = dropped;
    return d == null ? 0 : d.get(reason.ordinal());
  }

  /** All drops, any reason. */
  public long droppedTotal() {
    AtomicLongArray d = dropped;
    long sum = 0;
    for (int i = 0; d != null && i < d.length(); i++) {
      sum += d.get(i);
    }
    return sum;
  }

  /** Refusals this node sent: a peer's packet it could not open or would not accept in plaintext. */
  public long refusalsSent() {
    return refusalsSent;
  }

  /** Refusals this node received: a peer could not open, or would not accept, what it sent. */
  public long refusalsReceived() {
    return refusalsReceived;
  }

  void refusalSent() {
    refusalsSent++;
  }

  void refusalReceived() {
    refusalsReceived++;
  }

  void received(int bytes) {
    packetsIn++;
    bytesIn += bytes;
  }

  void drop(DropReason reason) {
    AtomicLongArray d = dropped;
    if (d == null) {
      d = new AtomicLongArray(DropReason.values().length);
      dropped = d;
    }
    d.incrementAndGet(reason.ordinal());
  }
}
