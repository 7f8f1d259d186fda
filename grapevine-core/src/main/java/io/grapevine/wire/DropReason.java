// SPDX-License-Identifier: Apache-2.0
package io.grapevine.wire;

/** Why an inbound packet was dropped; each has its own counter. */
public enum DropReason {
  /** Shorter than the fixed header, or a field runs past the end. */
  TRUNCATED("truncated"),
  /** Does not start with the Grapevine magic bytes: not ours. */
  BAD_MAGIC("bad_magic"),
  /** A wire version this node does not speak. */
  UNSUPPORTED_VERSION("unsupported_version"),
  /** The CRC32C trailer does not match: corrupted in flight. */
  BAD_CHECKSUM("bad_checksum"),
  /** Sent by a member of another cluster (different cluster name). */
  FOREIGN_CLUSTER("foreign_cluster"),
  /** Larger than this node accepts. */
  OVERSIZED("oversized"),
  /** A message type this node does not know. */
  UNKNOWN_TYPE("unknown_type"),
  /** A field holds a value outside its allowed range. */
  BAD_FIELD("bad_field"),
  /** Well-formed, but arrives on the wrong channel or in the wrong state. */
  UNEXPECTED("unexpected"),
  /** A push-pull announcing more member entries than {@code membership.pushPullMaxMembers}. */
  PUSH_PULL_TOO_MANY_MEMBERS("push_pull_too_many_members"),
  /** A push-pull whose state (member entries and protocol states) exceeds {@code membership.pushPullMaxBytes}. */
  PUSH_PULL_TOO_LARGE("push_pull_too_large"),
  /** A user event whose payload exceeds {@code dissemination.maxPayloadBytes} or {@code plumtree.maxPayloadBytes}. */
  EVENT_TOO_LARGE("event_too_large"),
  /** A replicated-store value above {@code kv.valueMaxBytes}. */
  KV_VALUE_TOO_LARGE("kv_value_too_large"),
  /** Not sealed, while this node has a key and {@code encryption.verifyIncoming} is on. */
  UNSEALED("unsealed"),
  /** Sealed, but none of this node's keys opens it: another key, or altered in flight. */
  BAD_SEAL("bad_seal"),
  /** Sealed, but this node has no encryption key. */
  NO_KEY("no_key"),
  /** Sealed and authentic, but sent longer ago (or further ahead) than the replay window allows. */
  REPLAY_STALE("replay_stale"),
  /** Sealed and authentic, but opened before: a replayed copy. */
  REPLAY_DUPLICATE("replay_duplicate");

  private final String label;

  DropReason(String label) {
    this.label = label;
  }

  /** The metric label, snake_case. */
  public String label() {
    return label;
  }
}
