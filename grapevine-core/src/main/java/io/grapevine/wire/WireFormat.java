// SPDX-License-Identifier: Apache-2.0
package io.grapevine.wire;

/**
 * Constants of the Grapevine packet envelope. Every datagram and every stream frame is one packet:
 *
 * <pre>
 *  0       1       2       3       4       5
 * +-------+-------+-------+-------+-------+---------------------+
 * | 'G'   | 'V'   |version| flags |clen(1)| cluster name (clen) |
 * +-------+-------+-------+-------+-------+---------------------+
 * | message: type(1) | length(2, unsigned) | body(length)        |  repeated, 1..n
 * |   (length 0xFFFF: a 4-byte length follows, for stream frames)  |
 * +--------------------------------------------------------------+
 * | CRC32C(4) over every byte before it                          |
 * +--------------------------------------------------------------+
 * </pre>
 *
 * All integers are big-endian. Flag bit 0 marks a sealed packet (AES-GCM; the header stays in clear
 * as associated data and the messages are sealed, see {@link #FLAG_SEALED}); bit 1 a control packet
 * of the stack ({@link #FLAG_CONTROL}); receivers drop packets with flags they do not understand.
 * See docs/wire-format.md.
 */
public final class WireFormat {
  private WireFormat() {}

  public static final byte MAGIC_0 = 'G';
  public static final byte MAGIC_1 = 'V';
  /** The wire version this build writes. */
  public static final byte VERSION = 1;
  /** Lowest and highest wire versions this build reads. */
  public static final byte MIN_VERSION = 1;

  public static final byte MAX_VERSION = 1;

  public static final int MAGIC_OFFSET = 0;
  public static final int VERSION_OFFSET = 2;
  public static final int FLAGS_OFFSET = 3;
  public static final int CLUSTER_LENGTH_OFFSET = 4;
  public static final int CLUSTER_OFFSET = 5;

  /** Bytes of a message header: type and length. */
  public static final int MESSAGE_HEADER_LENGTH = 3;
  /** Bytes of the CRC32C trailer. */
  public static final int CRC_LENGTH = 4;
  /** Longest cluster name, in UTF-8 bytes. */
  public static final int MAX_CLUSTER_NAME_BYTES = 64;
  /** Largest datagram a node accepts: the UDP maximum. */
  public static final int MAX_DATAGRAM_BYTES = 65_535;
  /** Longest message body with the plain two-byte length. */
  public static final int MAX_SHORT_MESSAGE_LENGTH = 0xFFFE;
  /** A two-byte length of 0xFFFF announces a four-byte length (long messages, stream frames only). */
  public static final int EXTENDED_LENGTH = 0xFFFF;
  /** Longest message body at all. */
  public static final int MAX_MESSAGE_LENGTH = 16 * 1024 * 1024;
  /** Flags a packet of protocol messages carries once opened: none. */
  public static final int KNOWN_FLAGS = 0;
  /**
   * Flag bit 0: the bytes after the cluster name are sealed (nonce, AES-GCM ciphertext, tag; no
   * CRC). See {@code io.grapevine.security.PacketSeal}.
   */
  public static final int FLAG_SEALED = 0x01;
  /**
   * Flag bit 1: a control packet of the stack itself (a hello, or a refusal when a peer cannot open
   * what we sent), not of a protocol.
   */
  public static final int FLAG_CONTROL = 0x02;

  /** Envelope overhead for a given cluster name length: header plus trailer. */
  public static int overhead(int clusterNameBytes) {
    return CLUSTER_OFFSET + clusterNameBytes + CRC_LENGTH;
  }
}
