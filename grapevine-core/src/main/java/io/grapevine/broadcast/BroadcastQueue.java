package io.grapevine.broadcast;

import io.grapevine.wire.PacketWriter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Updates waiting to be piggybacked on outgoing packets, each sent a limited number of times.
 *
 * <p>Entries are keyed (for membership: by member name; any object with value equality): a newer
 * update about the same key replaces the older one, which is then never sent again. Packing takes the least-transmitted entries first
 * (newest first among equals), so fresh news spreads before old news is repeated. An entry is
 * dropped after {@code limit} transmissions; the queue holds at most {@code capacity} entries,
 * evicting the most-transmitted first.
 */
public final class BroadcastQueue {
  private static final int MIN_MESSAGE_BYTES = 16;
  private static final int MAX_MISFITS = 32;

  private static final class Entry implements Comparable<Entry> {
    final Object key;
    final byte[] message;
    final long id;
    int transmits;

    Entry(Object key, byte[] message, long id) {
      this.key = key;
      this.message = message;
      this.id = id;
    }

    @Override
    public int compareTo(Entry o) {
      if (transmits != o.transmits) {
        return Integer.compare(transmits, o.transmits);
      }
      return Long.compare(o.id, id);
    }
  }

  private final TreeSet<Entry> ordered = new TreeSet<>();
  private final Map<Object, Entry> byKey = new HashMap<>();
  private final int capacity;
  private final List<Entry> scratch = new ArrayList<>();
  private long nextId;
  private long dropped;

  public BroadcastQueue(int capacity) {
    this.capacity = capacity;
  }

  /** Queues {@code message} (a whole encoded message) under {@code key}, replacing any older one. */
  public void add(Object key, byte[] message) {
    Entry old = byKey.remove(key);
    if (old != null) {
      ordered.remove(old);
    }
    Entry e = new Entry(key, message, nextId++);
    ordered.add(e);
    byKey.put(key, e);
    while (ordered.size() > capacity) {
      Entry evicted = ordered.pollLast();
      byKey.remove(evicted.key);
      dropped++;
    }
  }

  /**
   * Packs as many entries as fit into {@code writer}, counting a transmission for each.
   *
   * @param limit transmissions after which an entry is retired
   * @return number of entries written
   */
  public int fill(PacketWriter writer, int limit) {
    if (ordered.isEmpty()) {
      return 0;
    }
    scratch.clear();
    int misfits = 0;
    for (Entry e : ordered) {
      int room = writer.remaining();
      if (room < MIN_MESSAGE_BYTES) {
        break;
      }
      if (e.message.length <= room) {
        writer.putEncodedMessage(e.message);
        scratch.add(e);
      } else if (++misfits >= MAX_MISFITS) {
        break;
      }
    }
    for (Entry e : scratch) {
      ordered.remove(e);
      e.transmits++;
      if (e.transmits >= limit) {
        byKey.remove(e.key);
      } else {
        ordered.add(e);
      }
    }
    return scratch.size();
  }

  /** Whether an entry for {@code key} is still waiting to be (re)transmitted. */
  public boolean contains(Object key) {
    return byKey.containsKey(key);
  }

  /** Transmissions so far of the entry for {@code key}, or -1 if none is queued. */
  public int transmits(Object key) {
    Entry e = byKey.get(key);
    return e == null ? -1 : e.transmits;
  }

  public int size() {
    return ordered.size();
  }

  /** Entries evicted because the queue was full. */
  public long dropped() {
    return dropped;
  }

  public void clear() {
    ordered.clear();
    byKey.clear();
  }
}
