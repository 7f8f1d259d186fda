// SPDX-License-Identifier: Apache-2.0
package io.grapevine;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The outcome of a cluster-wide keyring operation ({@link KeyManager}), per node.
 *
 * @param operation what was asked: {@code list}, {@code install}, {@code use} or {@code remove}
 * @param fingerprint the fingerprint of the key installed, used or removed; null for {@code list}
 * @param nodesAsked the members this node knew alive or suspect when it asked, itself included
 * @param nodesAnswered the nodes that answered (a node that joined since may answer unasked)
 * @param keys every key some answering node holds after the operation, with how many hold it and how
 *     many seal with it, most widely held first
 * @param primaries each answering node's primary key (fingerprint) after the operation
 * @param failed the nodes where the operation failed, each with its one-line error (such nodes still
 *     report the keys they hold)
 * @param missing the asked nodes that did not answer before the deadline
 */
public record KeyResponse(String operation, String fingerprint, int nodesAsked, int nodesAnswered,
    List<KeyStatus> keys, Map<String, String> primaries, Map<String, String> failed, List<String> missing) {

  public KeyResponse {
    keys = List.copyOf(keys);
    primaries = Collections.unmodifiableMap(new LinkedHashMap<>(primaries));
    failed = Collections.unmodifiableMap(new LinkedHashMap<>(failed));
    missing = List.copyOf(missing);
  }

  /**
   * True when every asked node answered and none failed: the operation holds cluster-wide (for nodes
   * known when it was asked), and the next rotation step may follow.
   */
  public boolean complete() {
    return failed.isEmpty() && missing.isEmpty();
  }

  /**
   * One key as the answering nodes hold it.
   *
   * @param fingerprint the key's short name ({@link io.grapevine.security.Keys#fingerprint})
   * @param bits 128, 192 or 256
   * @param nodes how many answering nodes hold it
   * @param primaryNodes how many of them seal with it
   * @param key the key's base64 text, only for {@link KeyManager#listWithKeys()}; else null
   */
  public record KeyStatus(String fingerprint, int bits, int nodes, int primaryNodes, String key) {
    @Override
    public String toString() {
      // Never the key: records end up in logs.
      return "KeyStatus[" + fingerprint + ", " + bits + " bits, held by " + nodes + ", primary on " + primaryNodes + "]";
    }
  }
}
