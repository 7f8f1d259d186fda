// SPDX-License-Identifier: Apache-2.0
package io.grapevine.config;

/**
 * How a socket node carries its packets. Protocols still say whether a packet is a datagram or a
 * stream message; this decides what a datagram becomes on the wire. The simulator has no sockets
 * and takes no setting of this section.
 */
public final class TransportConfig {
  /** What datagrams travel as. */
  public enum Mode {
    /** Datagrams over UDP, stream messages over TCP, both on one port. */
    UDP_AND_TCP,
    /**
     * Every packet over TCP, one short connection each: for networks that drop UDP. Costs a TCP
     * handshake per probe and per gossip packet; docs/networks.md has the numbers.
     */
    TCP_ONLY
  }

  /** Whether datagrams travel over UDP or, for networks that drop UDP, over TCP too. */
  @KnobDoc(
      value = "udp-and-tcp sends probes and gossip as UDP datagrams; tcp-only sends every packet over TCP for networks that drop UDP, at the cost of a TCP connection per packet (docs/networks.md)",
      valid = "udp-and-tcp or tcp-only")
  public final Mode mode;

  private TransportConfig(Builder b) {
    mode = b.mode;
  }

  /** UDP and TCP. */
  public static TransportConfig defaults() {
    return new Builder().build();
  }

  /** A builder holding these settings. */
  public Builder toBuilder() {
    return new Builder(this);
  }

  /** True in {@link Mode#TCP_ONLY}. */
  public boolean tcpOnly() {
    return mode == Mode.TCP_ONLY;
  }

  /** Builder with the defaults. */
  public static final class Builder {
    private Mode mode = Mode.UDP_AND_TCP;

    /** A builder with the defaults. */
    public Builder() {}

    private Builder(TransportConfig c) {
      mode = c.mode;
    }

    public Builder mode(Mode v) { mode = v; return this; }

    /** @throws IllegalArgumentException naming the first bad setting */
    public TransportConfig build() {
      HyParViewConfig.check(mode != null, "mode must be udp-and-tcp or tcp-only, got null");
      return new TransportConfig(this);
    }
  }
}
