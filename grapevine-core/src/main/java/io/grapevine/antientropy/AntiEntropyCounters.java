// SPDX-License-Identifier: Apache-2.0
package io.grapevine.antientropy;

/**
 * The live counters of one node's antientropy protocol, written by its driver thread alone; readers get
 * an immutable {@link io.grapevine.api.AntiEntropyStats} from {@link #snapshot()}.
 */
final class AntiEntropyCounters {
  volatile long rumorsSent;
  volatile long piggybacksDeclined;
  volatile long rumorsReceived;
  volatile long keysRepairedByRumor;
  volatile long keysRepairedByAntiEntropy;
  volatile long syncsStarted;
  volatile long syncsAlreadyEqual;
  volatile long syncPacketsSent;
  volatile long syncBytesSent;
  volatile long syncMessagesReceived;
  volatile long entriesSent;
  volatile long keysWanted;
  volatile long exchangesTruncated;
  volatile long unexpected;
  volatile long durabilitySyncs;
  volatile long durableWrites;
  volatile long largestSyncGroup;

  io.grapevine.api.AntiEntropyStats snapshot() {
    return new io.grapevine.api.AntiEntropyStats(
        rumorsSent,
        piggybacksDeclined,
        rumorsReceived,
        keysRepairedByRumor,
        keysRepairedByAntiEntropy,
        syncsStarted,
        syncsAlreadyEqual,
        syncPacketsSent,
        syncBytesSent,
        syncMessagesReceived,
        entriesSent,
        keysWanted,
        exchangesTruncated,
        unexpected,
        durabilitySyncs,
        durableWrites,
        largestSyncGroup);
  }
}
