// SPDX-License-Identifier: Apache-2.0
package io.grapevine.membership;

import io.grapevine.node.Endpoint;

/**
 * Canonical instances of names, endpoints and encoded broadcast messages, so that many nodes in one process (a simulation of
 * thousands) hold one copy of each instead of one per node. Implementations used by several nodes
 * must be safe for the way those nodes are driven (the simulator drives all of them from one
 * thread).
 */
public interface Interner {
  /** Keeps every value as given. */
  Interner NONE = new Interner() {
    @Override
    public String name(String name) {
      return name;
    }

    @Override
    public Endpoint endpoint(Endpoint endpoint) {
      return endpoint;
    }
  };

  String name(String name);

  Endpoint endpoint(Endpoint endpoint);

  /**
   * An encoded update queued for gossip; the same update (an alive, suspect or dead message about
   * one member) is byte-identical at every node that queues it. The returned array is never
   * modified by its holders.
   */
  default byte[] message(byte[] encoded) {
    return encoded;
  }

  /**
   * A canonical instance of an immutable value that defines {@code equals} and {@code hashCode} by
   * content (a member's state as many nodes know it). Values passed here are never modified.
   */
  default <T> T value(T value) {
    return value;
  }
}
