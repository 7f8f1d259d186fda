// SPDX-License-Identifier: Apache-2.0
package io.grapevine.sim;

import io.grapevine.membership.Interner;
import io.grapevine.node.Endpoint;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;

/**
 * One canonical copy of each member name, endpoint and encoded gossip update for all nodes of a
 * run. Full-view membership keeps N² member records and up to N² queued updates; without sharing,
 * every node would hold its own copy of the same strings, addresses and bytes. Driven from the
 * engine's single thread. Entries live as long as the run (their number grows with N, not N²).
 */
final class SharedInterner implements Interner {
  private final Map<String, String> names = new HashMap<>();
  private final Map<Endpoint, Endpoint> endpoints = new HashMap<>();
  private final Map<ByteBuffer, byte[]> messages = new HashMap<>();

  @Override
  public String name(String name) {
    String canonical = names.putIfAbsent(name, name);
    return canonical == null ? name : canonical;
  }

  @Override
  public Endpoint endpoint(Endpoint endpoint) {
    Endpoint canonical = endpoints.putIfAbsent(endpoint, endpoint);
    return canonical == null ? endpoint : canonical;
  }

  @Override
  public byte[] message(byte[] encoded) {
    byte[] canonical = messages.putIfAbsent(ByteBuffer.wrap(encoded), encoded);
    return canonical == null ? encoded : canonical;
  }

  int messages() {
    return messages.size();
  }
}
