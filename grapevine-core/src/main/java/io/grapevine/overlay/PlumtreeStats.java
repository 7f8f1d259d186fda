package io.grapevine.overlay;

/** Counters of one {@link Plumtree} node. Read on the driver's thread. */
public final class PlumtreeStats {
  /** Payload messages sent: the m of RMR = m / (n - 1) - 1. */
  public long gossipSent;
  public long ihaveSent;
  public long graftSent;
  public long graftsAnswered;
  public long pruneSent;
  public long delivered;
  /** Payload copies received for messages already delivered. */
  public long duplicates;
  /** Tree optimisations: an eager link swapped for a lazy one that announced in fewer hops. */
  public long optimizations;
  /** Periodic IHAVEs of recent message ids (history, the anti-entropy behind the tree). */
  public long historyAnnouncements;
}
