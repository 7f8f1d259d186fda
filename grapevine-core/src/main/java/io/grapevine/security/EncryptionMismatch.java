// SPDX-License-Identifier: Apache-2.0
package io.grapevine.security;

import io.grapevine.node.Endpoint;
import io.grapevine.node.ProtocolEvent;

/**
 * Packets between this node and {@code peer} cannot be read because of encryption settings: either
 * this node dropped the peer's packet ({@code reportedByPeer} false), or the peer told us it dropped
 * ours (true; such a refusal is not authenticated and changes nothing but this report). Emitted at
 * most about once a second per node; drivers log it (rate-limited) as one line, {@link #describe()}.
 *
 * @param peer the other side (for a refusal, the address it came from)
 * @param kind what does not match
 * @param reportedByPeer whether the peer refused our packet (true) or we refused its (false)
 */
public record EncryptionMismatch(Endpoint peer, Kind kind, boolean reportedByPeer) implements ProtocolEvent {

  /** What does not match. */
  public enum Kind {
    /** A plaintext packet reached a node that requires sealed packets. */
    UNSEALED,
    /** A sealed packet reached a node none of whose keys opens it. */
    UNKNOWN_KEY,
    /** A sealed packet reached a node without any key. */
    NO_KEY
  }

  /** One line for the log, saying what is wrong and what to check. */
  public String describe() {
    if (reportedByPeer) {
      return switch (kind) {
        case UNSEALED -> "the cluster refused our packets: encryption key mismatch (" + peer
            + " requires encrypted packets and we sent plaintext; start this node with --encrypt KEY)";
        case UNKNOWN_KEY -> "the cluster refused our packets: encryption key mismatch (none of the keys at " + peer
            + " opens our packets; check --encrypt / the keyring)";
        case NO_KEY -> "the cluster refused our packets: encryption key mismatch (" + peer
            + " has no encryption key and cannot open our encrypted packets)";
      };
    }
    return switch (kind) {
      case UNSEALED -> "dropping plaintext packets from " + peer
          + ": encryption key mismatch (this node requires encrypted packets)";
      case UNKNOWN_KEY -> "dropping packets from " + peer
          + ": encryption key mismatch (none of our keys opens them)";
      case NO_KEY -> "dropping encrypted packets from " + peer + ": encryption key mismatch (this node has no key)";
    };
  }
}
