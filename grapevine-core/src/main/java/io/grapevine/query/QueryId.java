// SPDX-License-Identifier: Apache-2.0
package io.grapevine.query;

/**
 * Identity of one query: the node that issued it, that node's epoch (it grows across restarts, so
 * ids never repeat) and a sequence number within the epoch.
 *
 * @param origin the issuing node's name
 * @param epoch the issuing node's epoch (its incarnation at start)
 * @param seq 1, 2, ... within the epoch
 */
public record QueryId(String origin, long epoch, long seq) {
  @Override
  public String toString() {
    return origin + "/" + epoch + "/" + seq;
  }
}
