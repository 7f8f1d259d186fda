// SPDX-License-Identifier: Apache-2.0
package io.grapevine.sim;

import io.grapevine.membership.Interner;
import io.grapevine.node.Endpoint;
import io.grapevine.wire.StringResolver;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;

/**
 * One canonical copy of each member name, endpoint, member state and encoded gossip update for all
 * nodes of a run. Full-view membership keeps N² member records and up to N² queued updates; without sharing,
 * every node would hold its own copy of the same strings, addresses and bytes. Driven from the
 * engine's single thread. Entries live as long as the run (their number grows with N, not N²).
 */
final class SharedInterner implements Interner, StringResolver {
  private final Map<String, String> names = new HashMap<>();
  private final Map<Endpoint, Endpoint> endpoints = new HashMap<>();
  private final Map<ByteBuffer, byte[]> messages = new HashMap<>();
  private final Map<Object, Object> values = new HashMap<>();
  // Direct-mapped caches several times larger than the distinct keys of a 10,000-node run, so that
  // few of them share a slot (about one in seven at 10,000 keys).
  private final Object[] recentValues = new Object[1 << 16];
  private final String[] recentNames = new String[1 << 16];
  private final Endpoint[] recentEndpoints = new Endpoint[1 << 16];

  /**
   * The names by their UTF-8 bytes, for {@link #resolve}: open addressing, linear probing, at most
   * half full. Each name decoded from a packet is then the shared instance, its hash already known,
   * without a new string per name field.
   */
  private byte[][] nameBytes = new byte[1024][];
  private String[] nameStrings = new String[1024];
  private int nameCount;

  @Override
  public String name(String name) {
    // Most names given are the shared instance already (decoded through resolve): one array read.
    int slot = slot(name.hashCode(), recentNames.length);
    String recent = recentNames[slot];
    if (recent != null && recent.equals(name)) {
      return recent;
    }
    String canonical = names.putIfAbsent(name, name);
    recentNames[slot] = canonical == null ? name : canonical;
    if (canonical == null) {
      addBytes(name);
      return name;
    }
    return canonical;
  }

  @Override
  public String resolve(byte[] array, int from, int length) {
    int mask = nameBytes.length - 1;
    for (int i = bytesHash(array, from, length) & mask; ; i = (i + 1) & mask) {
      byte[] b = nameBytes[i];
      if (b == null) {
        return null;
      }
      if (b.length == length && sameBytes(b, array, from)) {
        return nameStrings[i];
      }
    }
  }

  /** A slot of a power-of-two cache: the hash mixed first, as neighbouring keys hash alike. */
  private static int slot(int hash, int length) {
    int h = hash * 0x9E3779B9;
    return (h ^ (h >>> 16)) & (length - 1);
  }

  /** A plain loop: names are a few bytes, below where a vectorized compare pays for its setup. */
  private static boolean sameBytes(byte[] b, byte[] array, int from) {
    for (int k = 0; k < b.length; k++) {
      if (b[k] != array[from + k]) {
        return false;
      }
    }
    return true;
  }

  private void addBytes(String name) {
    if ((nameCount + 1) * 2 > nameBytes.length) {
      byte[][] oldBytes = nameBytes;
      String[] oldStrings = nameStrings;
      nameBytes = new byte[oldBytes.length * 2][];
      nameStrings = new String[oldBytes.length * 2];
      nameCount = 0;
      for (int i = 0; i < oldBytes.length; i++) {
        if (oldBytes[i] != null) {
          insert(oldBytes[i], oldStrings[i]);
        }
      }
    }
    insert(name.getBytes(StandardCharsets.UTF_8), name);
  }

  private void insert(byte[] bytes, String name) {
    int mask = nameBytes.length - 1;
    int i = bytesHash(bytes, 0, bytes.length) & mask;
    while (nameBytes[i] != null) {
      i = (i + 1) & mask;
    }
    nameBytes[i] = bytes;
    nameStrings[i] = name;
    nameCount++;
  }

  private static int bytesHash(byte[] a, int from, int length) {
    int h = 0;
    for (int i = from; i < from + length; i++) {
      h = 31 * h + a[i];
    }
    h *= 0x9E3779B9;
    return h ^ (h >>> 16);
  }

  @Override
  public Endpoint endpoint(Endpoint endpoint) {
    int slot = slot(endpoint.hashCode(), recentEndpoints.length);
    Endpoint recent = recentEndpoints[slot];
    if (recent != null && recent.equals(endpoint)) {
      return recent;
    }
    Endpoint canonical = endpoints.putIfAbsent(endpoint, endpoint);
    Endpoint shared = canonical == null ? endpoint : canonical;
    recentEndpoints[slot] = shared;
    return shared;
  }

  @Override
  public byte[] message(byte[] encoded) {
    byte[] canonical = messages.putIfAbsent(ByteBuffer.wrap(encoded), encoded);
    return canonical == null ? encoded : canonical;
  }

  @Override
  @SuppressWarnings("unchecked")
  public <T> T value(T value) {
    // A direct-mapped cache in front of the map: one array read for the common case (a state many
    // nodes hold), instead of a walk through the map's nodes.
    int i = slot(value.hashCode(), recentValues.length);
    Object recent = recentValues[i];
    if (recent != null && recent.equals(value)) {
      return (T) recent;
    }
    Object canonical = values.putIfAbsent(value, value);
    Object shared = canonical == null ? value : canonical;
    recentValues[i] = shared;
    return (T) shared;
  }

  int messages() {
    return messages.size();
  }
}
