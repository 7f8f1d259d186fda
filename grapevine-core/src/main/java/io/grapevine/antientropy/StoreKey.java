// SPDX-License-Identifier: Apache-2.0
package io.grapevine.antientropy;

/**
 * A key within a named map. Ordered by map, then key, so a prefix scan of one map is a range.
 *
 * @param map the map's name
 * @param key the key
 */
public record StoreKey(String map, String key) implements Comparable<StoreKey> {
  public StoreKey {
    if (map == null || key == null) {
      throw new NullPointerException("map and key must not be null");
    }
  }

  @Override
  public int compareTo(StoreKey o) {
    int c = map.compareTo(o.map);
    return c != 0 ? c : key.compareTo(o.key);
  }

  @Override
  public String toString() {
    return map + "/" + key;
  }
}
