// SPDX-License-Identifier: Apache-2.0
package io.grapevine.antientropy;

/**
 * A unique tag of one OR-set add: the replica that made it and the HLC timestamp it issued then.
 *
 * @param replica the adding replica's id
 * @param hlc its timestamp; unique per replica
 */
public record Tag(String replica, long hlc) implements Comparable<Tag> {
  @Override
  public int compareTo(Tag o) {
    int c = replica.compareTo(o.replica);
    return c != 0 ? c : Long.compare(hlc, o.hlc);
  }
}
