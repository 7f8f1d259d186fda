// SPDX-License-Identifier: Apache-2.0
package io.grapevine.overlay;

import io.grapevine.api.RumorId;
import io.grapevine.api.UserEvent;
import io.grapevine.node.Outbox;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * User events over the HyParView + Plumtree overlay: gives each event an id (node, life's epoch,
 * sequence) and a Lamport time, sends it as a Plumtree broadcast ({@link OverlayEventCodec}), and
 * turns Plumtree's deliveries back into {@link UserEvent}s for the application, dropping (and
 * counting) payloads that do not decode and events older than one already delivered under the same
 * coalesce key. Sans-I/O, in the core, so the simulator runs exactly what the runtime runs.
 *
 * <p>Counters are written on the node's thread and may be read from others.
 */
public final class OverlayEvents implements Plumtree.Receiver {
  /** Coalesce keys remembered (the newest Lamport time of each); the oldest is forgotten past it. */
  public static final int MAX_COALESCE_KEYS = 16_384;

  private final String nodeName;
  private final long epoch;
  private final Plumtree plumtree;
  private final byte[] originBytes;
  private final Map<String, Long> newestByKey = new LinkedHashMap<>(16, 0.75f, false) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
      return size() > MAX_COALESCE_KEYS;
    }
  };
  private long seq;
  private long lamport;
  private volatile long published;
  private volatile long delivered;
  private volatile long malformed;
  private volatile long coalesced;

  /**
   * Takes over {@code plumtree}'s deliveries.
   *
   * @param epoch this node life's incarnation: event ids never repeat across restarts
   */
  public OverlayEvents(String nodeName, long epoch, Plumtree plumtree) {
    this.nodeName = nodeName;
    this.epoch = epoch;
    this.plumtree = plumtree;
    this.originBytes = nodeName.getBytes(StandardCharsets.UTF_8);
    plumtree.receiver(this);
  }

  /**
   * Checks an event before it is published: the names' lengths and the payload's room in a Plumtree
   * broadcast. Any thread.
   *
   * @throws IllegalArgumentException naming the bad argument
   */
  public void check(String topic, byte[] payload, String coalesceKey) {
    byte[] t = name("topic", topic, false);
    byte[] k = name("coalesceKey", coalesceKey, true);
    int header = OverlayEventCodec.headerBytes(t, k, originBytes);
    int max = plumtree.config().maxPayloadBytes - header;
    if (payload.length > max) {
      throw new IllegalArgumentException("payload is " + payload.length + " bytes, above the limit of " + max
          + " for events over the hyparview-plumtree overlay (plumtree maxPayloadBytes "
          + plumtree.config().maxPayloadBytes + " minus a " + header + "-byte event header)");
    }
  }

  /** Publishes an event (delivered here too, through Plumtree). {@link #check} it first. */
  public RumorId publish(long nowMillis, String topic, byte[] payload, String coalesceKey, Outbox out) {
    return publish(nowMillis, UserEvent.NO_ORIGIN_TIME, topic, payload, coalesceKey, out);
  }

  /**
   * Publishes an event that carries its publish time ({@link UserEvent#originMillis()} wherever it
   * is delivered). The core has no clock: the runtime passes its wall clock.
   *
   * @param originMillis this node's wall clock in milliseconds since the epoch, or {@link
   *     UserEvent#NO_ORIGIN_TIME} for none (the encoding older versions read)
   */
  public RumorId publish(long nowMillis, long originMillis, String topic, byte[] payload, String coalesceKey,
      Outbox out) {
    check(topic, payload, coalesceKey);
    RumorId id = new RumorId(nodeName, epoch, ++seq);
    lamport++;
    published++;
    plumtree.broadcast(nowMillis, OverlayEventCodec.encode(id, lamport, originMillis, name("topic", topic, false),
        name("coalesceKey", coalesceKey, true), originBytes, payload), out);
    return id;
  }

  @Override
  public void delivered(long nowMillis, Plumtree.Delivered d, Outbox out) {
    UserEvent e = OverlayEventCodec.decode(d.payload());
    if (e == null) {
      malformed++;
      return;
    }
    lamport = Math.max(lamport, e.lamport());
    if (e.coalesceKey() != null) {
      String key = e.topic() + '\0' + e.coalesceKey();
      Long newest = newestByKey.get(key);
      if (newest != null && newest > e.lamport()) {
        coalesced++;
        return;
      }
      newestByKey.put(key, e.lamport());
    }
    delivered++;
    out.emit(e);
  }

  private static byte[] name(String what, String value, boolean optional) {
    if (value == null && optional) {
      return new byte[0];
    }
    if (value == null) {
      throw new IllegalArgumentException(what + " must be 1..255 UTF-8 bytes, got null");
    }
    byte[] b = value.getBytes(StandardCharsets.UTF_8);
    if (b.length < 1 || b.length > 255) {
      throw new IllegalArgumentException(what + " must be 1..255 UTF-8 bytes, got " + b.length);
    }
    return b;
  }

  /** Events published here. */
  public long published() {
    return published;
  }

  /** Events delivered to the application here, own events included. */
  public long delivered() {
    return delivered;
  }

  /** Broadcasts that did not decode as events (dropped). */
  public long malformed() {
    return malformed;
  }

  /** Events dropped as older than one delivered under the same coalesce key. */
  public long coalesced() {
    return coalesced;
  }
}
