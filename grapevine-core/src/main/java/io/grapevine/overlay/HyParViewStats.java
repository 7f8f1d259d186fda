// SPDX-License-Identifier: Apache-2.0
package io.grapevine.overlay;

/** Counters of one {@link HyParView} node. Read on the driver's thread. */
public final class HyParViewStats {
  public long messagesSent;
  public long joinsSent;
  public long joinsReceived;
  public long disconnectsReceived;
  public long neighborRequests;
  public long neighborRefused;
  public long neighborTimeouts;
  public long promotions;
  public long failuresDetected;
  /** Peers reported failed by the host ({@code peerFailed}: a send failure or a membership verdict). */
  public long failuresReported;
  /** Re-joins through the seeds of a node stranded with a short active view ({@code rejoinAfter}). */
  public long rejoins;
  public long shufflesSent;
  public long shufflesAnswered;
}
