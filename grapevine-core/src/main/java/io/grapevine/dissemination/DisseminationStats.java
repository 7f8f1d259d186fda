package io.grapevine.dissemination;

/** Counters of one dissemination node; written by its driver thread. */
public final class DisseminationStats {
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

  /** Events published here. */
  public long published() { return published; }
  /** Events delivered here (published ones included), each at most once. */
  public long delivered() { return delivered; }
  /** Rumors received again after delivery (the cost of redundancy). */
  public long duplicates() { return duplicates; }
  /** Events not delivered because a newer one with the same coalesce key was. */
  public long coalesced() { return coalesced; }
  /** Events first received through anti-entropy: what rumor mongering missed. */
  public long repaired() { return repaired; }
  /** Rumor copies sent (payload transmissions), not counting piggybacked ones. */
  public long rumorsSent() { return rumorsSent; }
  /** Packets sent by this protocol itself. */
  public long messagesSent() { return messagesSent; }
  public long bytesSent() { return bytesSent; }
  public long feedbackSent() { return feedbackSent; }
  public long digestsSent() { return digestsSent; }
  /** Times the dedupe window slid past undelivered gaps (a burst larger than the window). */
  public long windowSlides() { return windowSlides; }
}
