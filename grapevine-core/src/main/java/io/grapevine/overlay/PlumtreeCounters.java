// SPDX-License-Identifier: Apache-2.0
package io.grapevine.overlay;

/**
 * The live counters of one node's overlay protocol, written by its driver thread alone; readers get
 * an immutable {@link io.grapevine.api.PlumtreeStats} from {@link #snapshot()}.
 */
final class PlumtreeCounters {
  volatile long gossipSent;
  volatile long ihaveSent;
  volatile long graftSent;
  volatile long graftsAnswered;
  volatile long pruneSent;
  volatile long delivered;
  volatile long duplicates;
  volatile long optimizations;
  volatile long historyAnnouncements;

  io.grapevine.api.PlumtreeStats snapshot() {
    return new io.grapevine.api.PlumtreeStats(
        gossipSent,
        ihaveSent,
        graftSent,
        graftsAnswered,
        pruneSent,
        delivered,
        duplicates,
        optimizations,
        historyAnnouncements);
  }
}
