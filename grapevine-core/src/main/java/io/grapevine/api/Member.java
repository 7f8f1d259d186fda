// SPDX-License-Identifier: Apache-2.0
package io.grapevine.api;

import io.grapevine.node.Endpoint;
import java.util.Arrays;

/**
 * An immutable snapshot of one member as a node sees it.
 *
 * @param name unique node name within the cluster
 * @param endpoint its advertised address (UDP and TCP share the port)
 * @param state what this node believes
 * @param incarnation the member's own version counter; higher is newer
 * @param metadata application metadata (copy)
 * @param protocolMin lowest wire version it speaks
 * @param protocolMax highest wire version it speaks
 * @param stateSinceMillis driver time at which this node last saw the state change
 */
public record Member(
    String name,
    Endpoint endpoint,
    MemberState state,
    long incarnation,
    byte[] metadata,
    int protocolMin,
    int protocolMax,
    long stateSinceMillis) {

  public Member {
    // An empty array cannot be changed through any reference: shared, as most members have none
    // and a node emits a snapshot for every member it learns.
    metadata = metadata.length == 0 ? NO_METADATA : metadata.clone();
  }

  private static final byte[] NO_METADATA = new byte[0];

  @Override
  public byte[] metadata() {
    return metadata.length == 0 ? NO_METADATA : metadata.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Member m
        && m.name.equals(name)
        && m.endpoint.equals(endpoint)
        && m.state == state
        && m.incarnation == incarnation
        && Arrays.equals(m.metadata, metadata)
        && m.protocolMin == protocolMin
        && m.protocolMax == protocolMax
        && m.stateSinceMillis == stateSinceMillis;
  }

  @Override
  public int hashCode() {
    return name.hashCode() * 31 + Long.hashCode(incarnation) * 7 + state.hashCode();
  }

  @Override
  public String toString() {
    return name + "@" + endpoint + "[" + state + " inc=" + incarnation + " meta=" + metadata.length + "B]";
  }
}
