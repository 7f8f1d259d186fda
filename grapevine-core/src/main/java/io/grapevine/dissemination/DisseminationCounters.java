// SPDX-License-Identifier: Apache-2.0
package io.grapevine.dissemination;

/**
 * The live counters of one node's dissemination protocol, written by its driver thread alone; readers get
 * an immutable {@link io.grapevine.api.DisseminationStats} from {@link #snapshot()}.
 */
final class DisseminationCounters {
  volatile long published;
  volatile long delivered;
  volatile long duplicates;
  volatile long coalesced;
  volatile long repaired;
  volatile long rumorsSent;
  volatile long messagesSent;
  volatile long bytesSent;
  volatile long feedbackSent;
  volatile long digestsSent;
  volatile long windowSlides;

  io.grapevine.api.DisseminationStats snapshot() {
    return new io.grapevine.api.DisseminationStats(
        published,
        delivered,
        duplicates,
        coalesced,
        repaired,
        rumorsSent,
        messagesSent,
        bytesSent,
        feedbackSent,
        digestsSent,
        windowSlides);
  }
}
