// SPDX-License-Identifier: Apache-2.0
package io.grapevine.transport;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Counters of one socket transport. Written on the event-loop thread, readable from any thread.
 * The protocol core counts what it drops for content reasons ({@code MembershipStats}); these count
 * what the transport itself drops or fails to send.
 */
public final class TransportStats {
  final AtomicLong datagramsIn = new AtomicLong();
  final AtomicLong datagramsOut = new AtomicLong();
  final AtomicLong datagramBytesIn = new AtomicLong();
  final AtomicLong datagramBytesOut = new AtomicLong();
  final AtomicLong streamMessagesIn = new AtomicLong();
  final AtomicLong streamMessagesOut = new AtomicLong();
  final AtomicLong streamBytesIn = new AtomicLong();
  final AtomicLong streamBytesOut = new AtomicLong();
  final AtomicLong oversizedDatagrams = new AtomicLong();
  final AtomicLong oversizedStreamMessages = new AtomicLong();
  final AtomicLong sendErrors = new AtomicLong();
  final AtomicLong connectTimeouts = new AtomicLong();
  final AtomicLong rejectedConnections = new AtomicLong();
  final AtomicLong streamReadErrors = new AtomicLong();
  private final AtomicLongArray refused = new AtomicLongArray(ConnectionRefusal.values().length);

  /** Why an inbound TCP connection was closed at accept; each has its own counter. */
  public enum ConnectionRefusal {
    /** The node already held {@code membership.maxInboundConnections} inbound connections. */
    CONCURRENT_LIMIT("concurrent_limit"),
    /** The source address opened more than {@code membership.inboundConnectionsPerSecondPerSource}. */
    RATE_LIMIT("rate_limit");

    private final String label;

    ConnectionRefusal(String label) {
      this.label = label;
    }

    /** The metric label, snake_case. */
    public String label() {
      return label;
    }
  }

  void countRefused(ConnectionRefusal reason) {
    refused.incrementAndGet(reason.ordinal());
  }

  /** Inbound TCP connections closed at accept for {@code reason}. */
  public long refused(ConnectionRefusal reason) {
    return refused.get(reason.ordinal());
  }

  public long datagramsIn() { return datagramsIn.get(); }
  public long datagramsOut() { return datagramsOut.get(); }
  public long datagramBytesIn() { return datagramBytesIn.get(); }
  public long datagramBytesOut() { return datagramBytesOut.get(); }
  /** Complete framed messages received over TCP. */
  public long streamMessagesIn() { return streamMessagesIn.get(); }
  /** Framed messages fully written over TCP. */
  public long streamMessagesOut() { return streamMessagesOut.get(); }
  public long streamBytesIn() { return streamBytesIn.get(); }
  public long streamBytesOut() { return streamBytesOut.get(); }
  /** Datagrams larger than the receive limit, dropped unread. */
  public long oversizedDatagrams() { return oversizedDatagrams.get(); }
  /** Stream frames announcing more than {@code streamMessageMaxBytes}; the connection is closed. */
  public long oversizedStreamMessages() { return oversizedStreamMessages.get(); }
  /** Sends that failed (socket errors, full buffers, refused or reset connections). */
  public long sendErrors() { return sendErrors.get(); }
  /** Outbound connections not established within the connect timeout. */
  public long connectTimeouts() { return connectTimeouts.get(); }
  /**
   * Inbound or outbound connections refused because the concurrent-connection cap was reached (the
   * inbound ones are also {@link #refused(ConnectionRefusal)} {@code CONCURRENT_LIMIT}).
   */
  public long rejectedConnections() { return rejectedConnections.get(); }
  /** Inbound connections closed on a read error, idle timeout or a truncated frame. */
  public long streamReadErrors() { return streamReadErrors.get(); }

  /** Bytes sent, datagrams and streams together (payload, without IP/UDP/TCP headers). */
  public long bytesOut() { return datagramBytesOut.get() + streamBytesOut.get(); }

  /** Bytes received, datagrams and streams together. */
  public long bytesIn() { return datagramBytesIn.get() + streamBytesIn.get(); }

  @Override
  public String toString() {
    return "TransportStats[dgIn=" + datagramsIn() + " dgOut=" + datagramsOut() + " streamIn="
        + streamMessagesIn() + " streamOut=" + streamMessagesOut() + " oversizedDg=" + oversizedDatagrams()
        + " oversizedStream=" + oversizedStreamMessages() + " sendErrors=" + sendErrors() + " connectTimeouts="
        + connectTimeouts() + " rejected=" + rejectedConnections() + " refusedRate="
        + refused(ConnectionRefusal.RATE_LIMIT) + " readErrors=" + streamReadErrors() + "]";
  }
}
