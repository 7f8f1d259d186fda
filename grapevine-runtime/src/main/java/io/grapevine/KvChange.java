// SPDX-License-Identifier: Apache-2.0
package io.grapevine;

import io.grapevine.antientropy.Entry;

/**
 * A change to a key of a replicated map, as seen by a watcher.
 *
 * @param map the map
 * @param key the key
 * @param entry the version now stored (a tombstone for a delete); see {@link Entry}
 * @param local true if this node made the change, false if it arrived from a peer
 */
public record KvChange(String map, String key, Entry entry, boolean local) {
  /** True when the key no longer has a value (deleted, or an expired value). */
  public boolean deleted() {
    return !entry.isLive(System.currentTimeMillis());
  }

  /** The value (a copy) for a put, else null (deletes, counters, sets). */
  public byte[] value() {
    return entry.kind() == Entry.Kind.VALUE && !deleted() ? entry.value() : null;
  }
}
