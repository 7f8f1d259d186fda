// SPDX-License-Identifier: Apache-2.0
package io.grapevine;

import io.grapevine.security.KeyInfo;
import io.grapevine.security.Keyring;
import io.grapevine.security.PacketSeal;
import io.grapevine.stack.StackStats;
import java.util.List;

/**
 * A node's encryption: its {@link Keyring} and the migration switches. Thread-safe; every change
 * applies from the next packet on, without a restart.
 *
 * <p>Key rotation: {@code keyring().install(new)} on every node, then {@code keyring().use(new)} on
 * every node, then {@code keyring().remove(old)}. Migration of a running plaintext cluster: on every
 * node install the key with both switches off, then {@link #verifyOutgoing(boolean) verifyOutgoing(true)}
 * on every node, then {@link #verifyIncoming(boolean) verifyIncoming(true)} on every node.
 */
public final class Encryption {
  private final PacketSeal seal;
  private final StackStats stats;

  /** The encryption of a node whose stack seals with {@code seal} and counts in {@code stats}. */
  public Encryption(PacketSeal seal, StackStats stats) {
    this.seal = seal;
    this.stats = stats;
  }

  /** The node's keys: install, use (make primary), remove, list with per-key open counts. */
  public Keyring keyring() {
    return seal.keyring();
  }

  /** The installed keys, primary first, with the packets each opened. */
  public List<KeyInfo> keys() {
    return seal.keyring().list();
  }

  /** True when the node seals what it sends: it has a key and {@link #verifyOutgoing()} is on. */
  public boolean active() {
    return seal.sealsOutgoing();
  }

  /** Whether, with a key, plaintext packets are dropped. */
  public boolean verifyIncoming() {
    return seal.verifyIncoming();
  }

  /** Drops plaintext packets (with a key) or, off, accepts them: a migration step. */
  public void verifyIncoming(boolean on) {
    seal.verifyIncoming(on);
  }

  /** Whether, with a key, outgoing packets are sealed. */
  public boolean verifyOutgoing() {
    return seal.verifyOutgoing();
  }

  /** Seals outgoing packets (with a key) or, off, sends plaintext: a migration step. */
  public void verifyOutgoing(boolean on) {
    seal.verifyOutgoing(on);
  }

  /** Packets sealed since the node started. */
  public long packetsSealed() {
    return seal.sealedCount();
  }

  /** Sealed packets opened and accepted since the node started. */
  public long packetsOpened() {
    return seal.openedCount();
  }

  /** Refusals sent: peers' packets this node could not open or would not accept in plaintext. */
  public long refusalsSent() {
    return stats.refusalsSent();
  }

  /** Refusals received: peers that could not open, or would not accept, what this node sent. */
  public long refusalsReceived() {
    return stats.refusalsReceived();
  }

  @Override
  public String toString() {
    return "Encryption[" + seal.keyring() + ", verifyIncoming=" + verifyIncoming() + ", verifyOutgoing="
        + verifyOutgoing() + "]";
  }
}
