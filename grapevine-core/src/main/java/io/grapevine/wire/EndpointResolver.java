// SPDX-License-Identifier: Apache-2.0
package io.grapevine.wire;

import io.grapevine.node.Endpoint;

/**
 * Hands out shared {@link Endpoint} instances for addresses a driver already knows, so that decoding
 * does not allocate a fresh endpoint per address field. A driver that hosts very many nodes in one
 * process (the simulator) installs one; nodes behave the same with or without it, since endpoints
 * compare by value.
 */
@FunctionalInterface
public interface EndpointResolver {
  /**
   * @param address the IPv4 address, big-endian in an int
   * @param port the port, 0..65535
   * @return the shared endpoint for this address, or null to have the reader build a new one
   */
  Endpoint resolveIpv4(int address, int port);
}
