// SPDX-License-Identifier: Apache-2.0
package io.grapevine.testkit;

/**
 * A snapshot of a {@link VirtualNetwork}'s packet counters. Every packet sent ends in exactly one of
 * delivered, lost, blocked or undeliverable, or is still in flight; a duplicated packet counts once
 * more there, so {@code sent + duplicated == delivered + lost + blocked + undeliverable + inFlight}.
 *
 * @param sent packets handed to the network by nodes (both kinds)
 * @param datagramsSent of which datagrams
 * @param streamMessagesSent of which stream messages
 * @param bytesSent bytes of the packets sent
 * @param delivered packets handed to their destination node
 * @param lost packets dropped by random loss
 * @param duplicated extra copies made by random duplication
 * @param blocked packets dropped by a link rule (a partition, an isolated node...)
 * @param undeliverable packets sent by a node that was down, addressed to no node of the network,
 *     or arriving at a node that was down
 * @param inFlight packets sent and not yet arrived
 */
public record NetworkStats(long sent, long datagramsSent, long streamMessagesSent, long bytesSent, long delivered,
    long lost, long duplicated, long blocked, long undeliverable, long inFlight) {

  /** Whether the counters add up (see the class comment); a check for the network's own tests. */
  public boolean balanced() {
    return sent + duplicated == delivered + lost + blocked + undeliverable + inFlight;
  }
}
