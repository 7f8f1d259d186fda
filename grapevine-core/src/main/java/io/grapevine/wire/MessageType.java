// SPDX-License-Identifier: Apache-2.0
package io.grapevine.wire;

/**
 * Every message type on the wire, in one registry so protocols never reuse a code. Codes are stable
 * across versions; a receiver drops (and counts) codes it does not know.
 */
public enum MessageType {
  // membership (SWIM + Lifeguard): 0x01..0x1F
  PING(0x01),
  INDIRECT_PING(0x02),
  ACK(0x03),
  NACK(0x04),
  ALIVE(0x05),
  SUSPECT(0x06),
  DEAD(0x07),
  PUSH_PULL(0x08),
  MEMBER_STATE(0x09),
  /** Another protocol's state in a push-pull: protocol name, state bytes. */
  PUSH_PULL_STATE(0x0A),
  /** A push-pull's member entries and protocol states, deflated: raw length, zlib stream. */
  PUSH_PULL_DEFLATED(0x0B),
  /** As ALIVE, but naming the member's metadata by length and digest: it is fetched by TCP. */
  ALIVE_REF(0x0C),
  /** Asks a member for its metadata (datagram); answered with METADATA over TCP. */
  METADATA_REQUEST(0x0D),
  /** A member's alive state with its whole metadata, over TCP: the answer to METADATA_REQUEST. */
  METADATA(0x0E),
  /** A member table's digest: bucket sums; a receiver that differs answers with a partial PUSH_PULL. */
  SYNC_DIGEST(0x0F),
  // dissemination: 0x20..0x3F
  USER_EVENT(0x20),
  RUMOR_HEADER(0x21),
  RUMOR_FEEDBACK(0x22),
  RUMOR_PULL(0x23),
  RUMOR_DIGEST(0x24),
  // anti-entropy: 0x40..0x5F
  KV_RUMOR(0x40),
  KV_SYNC_NODES(0x41),
  KV_SYNC_BUCKETS(0x42),
  KV_SYNC_WANT(0x43),
  KV_SYNC_ENTRY(0x44),
  // aggregates: 0x60..0x7F
  AGGREGATE_EXCHANGE(0x60),
  // overlays: 0x80..0x9F (HyParView 0x80..0x87, Plumtree 0x88..0x8F, sorted ring 0x90..0x97,
  // tree aggregation 0x98..0x9F)
  HPV_JOIN(0x80),
  HPV_FORWARD_JOIN(0x81),
  HPV_NEIGHBOR(0x82),
  HPV_NEIGHBOR_REPLY(0x83),
  HPV_DISCONNECT(0x84),
  HPV_SHUFFLE(0x85),
  HPV_SHUFFLE_REPLY(0x86),
  HPV_KEEPALIVE(0x87),
  PLUMTREE_GOSSIP(0x88),
  PLUMTREE_IHAVE(0x89),
  PLUMTREE_GRAFT(0x8A),
  PLUMTREE_PRUNE(0x8B),
  /** As IHAVE, but a periodic announcement of recent ids (history): never moves tree links. */
  PLUMTREE_HISTORY(0x8C),
  RING_EXCHANGE(0x90),
  RING_EXCHANGE_REPLY(0x91),
  TREE_REPORT(0x98),
  TREE_RESULT(0x99),
  // queries: 0xA0..0xA7
  /** A query, spread by gossip. */
  QUERY(0xA0),
  /** A node received a query (sent to its originator when it asked for acks). */
  QUERY_ACK(0xA1),
  /** A node's answer to a query, sent to its originator. */
  QUERY_RESPONSE(0xA2),
  /** An ack or answer handed to another node to forward to the originator (the relay factor). */
  QUERY_RELAY(0xA3),
  ;

  private static final MessageType[] BY_CODE = new MessageType[256];

  static {
    for (MessageType t : values()) {
      BY_CODE[t.code & 0xff] = t;
    }
  }

  private final byte code;

  MessageType(int code) {
    this.code = (byte) code;
  }

  public byte code() {
    return code;
  }

  /** The type for a code, or null if unknown. */
  public static MessageType of(byte code) {
    return BY_CODE[code & 0xff];
  }
}
