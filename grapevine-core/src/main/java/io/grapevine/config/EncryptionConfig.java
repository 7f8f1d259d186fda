// SPDX-License-Identifier: Apache-2.0
package io.grapevine.config;

import io.grapevine.node.ConfigChecks;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * How a node with an encryption key treats packets: the migration switches and replay protection.
 * The keys themselves are not knobs (they are secrets): they come from {@code --encrypt}, a keyring
 * file, or the node's keyring API. Without a key every knob here is inert and the node speaks
 * plaintext.
 *
 * <p>Moving a running plaintext cluster to encryption, node by node, without false suspicion:
 * install the key on every node with both switches off (nodes open sealed packets but still send
 * and accept plaintext); turn {@link #verifyOutgoing} on everywhere (all traffic is sealed, every
 * node opens it); then {@link #verifyIncoming} on everywhere (plaintext is refused). Back: the same
 * steps in reverse order.
 */
public final class EncryptionConfig {
  /** With a key: drop plaintext packets. Off only while a cluster migrates. */
  @KnobDoc("with a key: drop packets that are not sealed; turn off only while a cluster migrates to or from encryption")
  public final boolean verifyIncoming;
  /** With a key: seal every packet. Off: send plaintext, still open sealed packets. */
  @KnobDoc("with a key: seal every packet sent; off: send plaintext but still open sealed packets (migration)")
  public final boolean verifyOutgoing;
  /**
   * A sealed packet carries its sender's wall-clock time; the receiver drops it when the time is
   * further than this from its own clock, and remembers the nonces of the packets it opened for this
   * long to drop a replay inside the window.
   */
  @KnobDoc(
      value = "sealed packets whose sender's clock differs from ours by more than this are dropped as replays; nonces are remembered this long; clocks must agree (NTP) well within it",
      valid = "1s..10m")
  public final Duration replayWindow;
  /** Nonces of opened packets remembered; more packets within one window narrow the window. */
  @KnobDoc(
      value = "nonces of opened packets remembered to drop replays (16 bytes each); when more arrive within one window, the window narrows to what fits",
      unit = "packets", valid = "1024..4194304")
  public final int replayCacheEntries;

  private EncryptionConfig(Builder b) {
    verifyIncoming = b.verifyIncoming;
    verifyOutgoing = b.verifyOutgoing;
    replayWindow = b.replayWindow;
    replayCacheEntries = b.replayCacheEntries;
  }

  /** Both switches on, a 30 s replay window, 32,768 remembered nonces. */
  public static EncryptionConfig defaults() {
    return new Builder().build();
  }

  public Builder toBuilder() {
    return new Builder(this);
  }

  @Override
  public String toString() {
    return "EncryptionConfig[verifyIncoming=" + verifyIncoming + ", verifyOutgoing=" + verifyOutgoing
        + ", replayWindow=" + Durations.format(replayWindow) + ", replayCacheEntries=" + replayCacheEntries + "]";
  }

  /** Builder; defaults are those of {@link #defaults()}. */
  public static final class Builder {
    private boolean verifyIncoming = true;
    private boolean verifyOutgoing = true;
    // 30 s: far above NTP-synchronised skew, and short enough that a replay a minute later is stale.
    private Duration replayWindow = Duration.ofSeconds(30);
    // A node receiving 1,000 packets/s for 30 s fits: far above membership's steady rate.
    private int replayCacheEntries = 32_768;

    public Builder() {}

    private Builder(EncryptionConfig c) {
      verifyIncoming = c.verifyIncoming;
      verifyOutgoing = c.verifyOutgoing;
      replayWindow = c.replayWindow;
      replayCacheEntries = c.replayCacheEntries;
    }

    public Builder verifyIncoming(boolean v) { verifyIncoming = v; return this; }
    public Builder verifyOutgoing(boolean v) { verifyOutgoing = v; return this; }
    public Builder replayWindow(Duration v) { replayWindow = v; return this; }
    public Builder replayCacheEntries(int v) { replayCacheEntries = v; return this; }

    /** Validates and builds; the message names every bad knob. */
    public EncryptionConfig build() {
      List<String> errors = new ArrayList<>();
      if (replayWindow == null || replayWindow.compareTo(Duration.ofSeconds(1)) < 0
          || replayWindow.compareTo(Duration.ofMinutes(10)) > 0) {
        errors.add("replayWindow must be in 1s..10m, got " + (replayWindow == null ? null : Durations.format(replayWindow)));
      }
      ConfigChecks.range(errors, "replayCacheEntries", replayCacheEntries, 1024, 4 * 1024 * 1024);
      if (!errors.isEmpty()) {
        throw ConfigChecks.invalid("encryption", errors);
      }
      return new EncryptionConfig(this);
    }
  }
}
