// SPDX-License-Identifier: Apache-2.0
package io.grapevine.membership;

import io.grapevine.api.MembershipStats;
import io.grapevine.stack.StackStats;
import io.grapevine.wire.DropReason;

/**
 * The live counters of one membership node, written by the node's driver thread alone; readers get
 * an immutable {@link MembershipStats} from {@link #snapshot()}.
 */
final class MembershipCounters {
  /** The node's stack counts what arrives and what is dropped; null until membership is on one. */
  volatile StackStats stack;
  volatile long packetsOut;
  volatile long bytesOut;
  volatile long probes;
  volatile long probeFailures;
  volatile long indirectProbes;
  volatile long tcpFallbackPings;
  volatile long nacksReceived;
  volatile long suspicionsRaised;
  volatile long suspicionsRefuted;
  volatile long selfRefutations;
  volatile long deathsDeclared;
  volatile long pushPulls;
  volatile long backlogSyncs;
  volatile long digestSyncs;
  volatile long digestSyncRepairs;
  volatile long pushPullsReused;
  volatile long nameConflicts;
  volatile long metadataFetches;
  volatile long metadataFetched;
  volatile long metadataFetchTimeouts;
  volatile long metadataFetchesDeferred;
  volatile long metadataServed;
  volatile long metadataRequestsRefused;

  MembershipStats snapshot() {
    StackStats st = stack;
    DropReason[] reasons = DropReason.values();
    long[] dropped = new long[reasons.length];
    for (int i = 0; st != null && i < reasons.length; i++) {
      dropped[i] = st.dropped(reasons[i]);
    }
    return new MembershipStats(
        st == null ? 0 : st.packetsIn(),
        st == null ? 0 : st.bytesIn(),
        packetsOut,
        bytesOut,
        probes,
        probeFailures,
        indirectProbes,
        tcpFallbackPings,
        nacksReceived,
        suspicionsRaised,
        suspicionsRefuted,
        selfRefutations,
        deathsDeclared,
        pushPulls,
        backlogSyncs,
        digestSyncs,
        digestSyncRepairs,
        pushPullsReused,
        nameConflicts,
        dropped);
  }
}
