// SPDX-License-Identifier: Apache-2.0
package io.grapevine.testkit;

import io.grapevine.node.Delivery;

/** Which packets a fault of a {@link VirtualNetwork} (loss, duplication, a link rule) applies to. */
public enum Traffic {
  /**
   * Datagrams only: what random loss and duplication hit on a real network, where TCP retransmits
   * what IP loses and removes what it duplicates.
   */
  DATAGRAMS,
  /** Datagrams and stream messages alike: a partition, a dead link, or a harsher test. */
  ALL,
  /** Stream messages only: a TCP path that fails while datagrams still flow (a firewall, a full accept queue). */
  STREAMS;

  /** Whether a packet carried as {@code delivery} is subject to a fault of this scope. */
  public boolean covers(Delivery delivery) {
    return this == ALL || (this == STREAMS ? delivery == Delivery.STREAM : delivery == Delivery.DATAGRAM);
  }
}
