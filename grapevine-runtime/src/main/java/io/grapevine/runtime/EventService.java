package io.grapevine.runtime;

import io.grapevine.Events;
import io.grapevine.dissemination.Dissemination;
import io.grapevine.dissemination.DisseminationStats;
import io.grapevine.dissemination.RumorId;
import io.grapevine.dissemination.UserEvent;
import io.grapevine.node.Outbox;
import io.grapevine.overlay.Plumtree;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * User events of one node in the socket runtime: the dissemination extension and its subscribers,
 * or, with the {@code hyparview-plumtree} overlay, Plumtree broadcasts carrying the events.
 */
final class EventService implements Events {
  private static final Logger log = LoggerFactory.getLogger(EventService.class);

  /** Runs a call into the protocol on the loop thread, re-arming the node's timers after it. */
  interface Caller {
    <T> T call(BiFunction<Long, Outbox, T> call);
  }

  private record Subscription(String topic, Consumer<UserEvent> handler) {}

  private final String nodeName;
  private final Dissemination protocol;
  private final Caller caller;
  private final List<Subscription> subscriptions = new CopyOnWriteArrayList<>();
  private final AtomicLong handlerErrors = new AtomicLong();
  // The overlay path (null: events go through the dissemination extension).
  private final Plumtree overlay;
  private final long epoch;
  private final byte[] originBytes;
  private final AtomicLong overlayPublished = new AtomicLong();
  private final AtomicLong overlayDelivered = new AtomicLong();
  private final AtomicLong overlayMalformed = new AtomicLong();
  private final AtomicLong overlayCoalesced = new AtomicLong();
  // Loop thread only.
  private long seq;
  private long lamport;
  private final Map<String, long[]> newestByKey = new LinkedHashMap<>(16, 0.75f, false) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, long[]> eldest) {
      return size() > MAX_COALESCE_KEYS;
    }
  };
  private static final int MAX_COALESCE_KEYS = 16_384;

  EventService(String nodeName, Dissemination protocol, Caller caller) {
    this(nodeName, protocol, caller, null, 0);
  }

  /**
   * @param overlay if not null, events are published as Plumtree broadcasts instead of through
   *     {@code protocol}
   * @param epoch this node life's incarnation: event ids never repeat across restarts
   */
  EventService(String nodeName, Dissemination protocol, Caller caller, Plumtree overlay, long epoch) {
    this.nodeName = nodeName;
    this.protocol = protocol;
    this.caller = caller;
    this.overlay = overlay;
    this.epoch = epoch;
    this.originBytes = nodeName.getBytes(StandardCharsets.UTF_8);
  }

  Dissemination protocol() {
    return protocol;
  }

  @Override
  public RumorId publish(String topic, byte[] payload) {
    return publish(topic, payload, null);
  }

  @Override
  public RumorId publish(String topic, byte[] payload, String coalesceKey) {
    byte[] copy = payload.clone();
    if (overlay != null) {
      return publishOverlay(topic, copy, coalesceKey);
    }
    return caller.call((now, out) -> protocol.publish(now, topic, copy, coalesceKey, out));
  }

  private RumorId publishOverlay(String topic, byte[] payload, String coalesceKey) {
    byte[] t = checkName("topic", topic, false);
    byte[] k = checkName("coalesceKey", coalesceKey, true);
    int header = OverlayEventCodec.headerBytes(t, k, originBytes);
    int max = overlay.config().maxPayloadBytes - header;
    if (payload.length > max) {
      throw new IllegalArgumentException("payload is " + payload.length + " bytes, above the limit of " + max
          + " for events over the hyparview-plumtree overlay (plumtree maxPayloadBytes "
          + overlay.config().maxPayloadBytes + " minus a " + header + "-byte event header)");
    }
    return caller.call((now, out) -> {
      RumorId id = new RumorId(nodeName, epoch, ++seq);
      lamport++;
      overlayPublished.incrementAndGet();
      overlay.broadcast(now, OverlayEventCodec.encode(id, lamport, t, k, originBytes, payload), out);
      return id;
    });
  }

  private static byte[] checkName(String what, String value, boolean optional) {
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

  /**
   * A Plumtree delivery (this node's own broadcasts included): decoded and handed to subscribers,
   * unless malformed (counted) or older than a delivered event with the same coalesce key. Loop
   * thread.
   */
  void deliverOverlay(Plumtree.Delivered d) {
    UserEvent e = OverlayEventCodec.decode(d.payload());
    if (e == null) {
      overlayMalformed.incrementAndGet();
      return;
    }
    lamport = Math.max(lamport, e.lamport());
    if (e.coalesceKey() != null) {
      String key = e.topic() + '\0' + e.coalesceKey();
      long[] newest = newestByKey.get(key);
      if (newest != null && newest[0] > e.lamport()) {
        overlayCoalesced.incrementAndGet();
        return;
      }
      newestByKey.put(key, new long[] {e.lamport()});
    }
    overlayDelivered.incrementAndGet();
    deliver(e);
  }

  /** Events published through the overlay by this node. */
  long overlayPublished() {
    return overlayPublished.get();
  }

  /** Overlay events delivered to subscribers here (own events included). */
  long overlayDelivered() {
    return overlayDelivered.get();
  }

  /** Overlay broadcasts that did not decode as events (dropped). */
  long overlayMalformed() {
    return overlayMalformed.get();
  }

  @Override
  public AutoCloseable subscribe(String topic, Consumer<UserEvent> handler) {
    Subscription s = new Subscription(topic, handler);
    subscriptions.add(s);
    return () -> subscriptions.remove(s);
  }

  @Override
  public DisseminationStats stats() {
    return protocol.stats();
  }

  /** Hands a delivered event to the subscribers of its topic. Loop thread. */
  void deliver(UserEvent event) {
    for (Subscription s : subscriptions) {
      if (s.topic == null || s.topic.equals(event.topic())) {
        try {
          s.handler.accept(event);
        } catch (RuntimeException e) {
          handlerErrors.incrementAndGet();
          log.error("{}: event handler failed on {} from {}", nodeName, event.topic(), event.id().origin(), e);
        }
      }
    }
  }

  long handlerErrors() {
    return handlerErrors.get();
  }
}
