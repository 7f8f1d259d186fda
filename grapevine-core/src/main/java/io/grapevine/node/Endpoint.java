// SPDX-License-Identifier: Apache-2.0
package io.grapevine.node;

import io.grapevine.config.HostPort;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/**
 * A network address of a node: an IPv4 or IPv6 address and a port, already resolved.
 *
 * <p>The protocol core never resolves names; drivers (the socket runtime, the simulator) hand it
 * endpoints. Immutable and cheap to compare, so it can key maps.
 */
public final class Endpoint {
  private final byte[] address;
  private final int port;
  private final int hash;

  private Endpoint(byte[] address, int port) {
    if (address.length != 4 && address.length != 16) {
      throw new IllegalArgumentException("address must be 4 (IPv4) or 16 (IPv6) bytes, got " + address.length);
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port must be 0..65535, got " + port);
    }
    this.address = address;
    this.port = port;
    this.hash = hash(address, port);
  }

  /**
   * Every address word and the port, mixed: neighbouring addresses (a subnet, numbered in order)
   * land far apart in a hash table. A polynomial over the bytes gives 10,000 consecutive IPv4
   * addresses only about 1,500 distinct hashes.
   */
  private static int hash(byte[] address, int port) {
    int h = port * 0x9E3779B9;
    for (int i = 0; i < address.length; i += 4) {
      int word = (address[i] & 0xff) << 24 | (address[i + 1] & 0xff) << 16 | (address[i + 2] & 0xff) << 8
          | (address[i + 3] & 0xff);
      h = (Integer.rotateLeft(h, 13) ^ word) * 0x85EBCA6B;
    }
    h ^= h >>> 16;
    h *= 0xC2B2AE35;
    return h ^ (h >>> 16);
  }

  /** An endpoint from raw address bytes (4 or 16 of them, copied) and a port. */
  public static Endpoint of(byte[] address, int port) {
    return new Endpoint(address.clone(), port);
  }

  /** An endpoint from a resolved socket address. */
  public static Endpoint of(InetSocketAddress socketAddress) {
    if (socketAddress.isUnresolved()) {
      throw new IllegalArgumentException("unresolved address: " + socketAddress);
    }
    return new Endpoint(socketAddress.getAddress().getAddress(), socketAddress.getPort());
  }

  /** An endpoint from an IPv4 address given as an int (a.b.c.d = a&lt;&lt;24|...), for simulations. */
  public static Endpoint ipv4(int address, int port) {
    return new Endpoint(
        new byte[] {(byte) (address >>> 24), (byte) (address >>> 16), (byte) (address >>> 8), (byte) address},
        port);
  }

  /**
   * Parses {@code HOST:PORT} where HOST is an IP literal ({@code 127.0.0.1}, {@code [::1]}), with
   * {@link HostPort}'s grammar; port 0 is allowed. Never looks a name up.
   *
   * @throws IllegalArgumentException with a message naming the bad input, or saying that HOST is a
   *     name where an IP address is needed
   */
  public static Endpoint parse(String text) {
    HostPort hp = HostPort.parse(text, 0);
    if (!hp.isIpLiteral()) {
      throw new IllegalArgumentException("expected an IP address, not the host name '" + hp.host() + "', in '"
          + text + "'");
    }
    return of(new InetSocketAddress(hp.literalAddress(), hp.port()));
  }

  /** Number of address bytes: 4 for IPv4, 16 for IPv6. */
  public int addressLength() {
    return address.length;
  }

  /** Copies the address bytes into {@code dst} at {@code offset}. */
  public void copyAddress(byte[] dst, int offset) {
    System.arraycopy(address, 0, dst, offset, address.length);
  }

  /** A copy of the address bytes. */
  public byte[] address() {
    return address.clone();
  }

  public int port() {
    return port;
  }

  public boolean isIpv6() {
    return address.length == 16;
  }

  /** This endpoint as a socket address (no name lookup). */
  public InetSocketAddress toSocketAddress() {
    try {
      return new InetSocketAddress(InetAddress.getByAddress(address), port);
    } catch (UnknownHostException e) {
      throw new AssertionError("4 or 16 bytes are always a valid address", e);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o == this || o instanceof Endpoint other && other.port == port && Arrays.equals(other.address, address);
  }

  @Override
  public int hashCode() {
    return hash;
  }

  @Override
  public String toString() {
    if (address.length == 4) {
      return (address[0] & 0xff) + "." + (address[1] & 0xff) + "." + (address[2] & 0xff) + "."
          + (address[3] & 0xff) + ":" + port;
    }
    return "[" + ipv6Text(address) + "]:" + port;
  }

  /** RFC 5952 text: lowercase hex, no leading zeros, the longest run of two or more zero groups as "::". */
  static String ipv6Text(byte[] a) {
    boolean mapped = (a[10] & 0xff) == 0xff && (a[11] & 0xff) == 0xff;
    for (int i = 0; i < 10 && mapped; i++) {
      mapped = a[i] == 0;
    }
    if (mapped) {
      return "::ffff:" + (a[12] & 0xff) + "." + (a[13] & 0xff) + "." + (a[14] & 0xff) + "." + (a[15] & 0xff);
    }
    int[] groups = new int[8];
    for (int i = 0; i < 8; i++) {
      groups[i] = ((a[2 * i] & 0xff) << 8) | (a[2 * i + 1] & 0xff);
    }
    int bestStart = -1;
    int bestLength = 1;
    for (int i = 0; i < 8; ) {
      if (groups[i] != 0) {
        i++;
        continue;
      }
      int j = i;
      while (j < 8 && groups[j] == 0) {
        j++;
      }
      if (j - i > bestLength) {
        bestStart = i;
        bestLength = j - i;
      }
      i = j;
    }
    StringBuilder b = new StringBuilder(39);
    for (int i = 0; i < 8; i++) {
      if (i == bestStart) {
        b.append("::");
        i += bestLength - 1;
        continue;
      }
      if (b.length() > 0 && b.charAt(b.length() - 1) != ':') {
        b.append(':');
      }
      b.append(Integer.toHexString(groups[i]));
    }
    return b.toString();
  }
}
