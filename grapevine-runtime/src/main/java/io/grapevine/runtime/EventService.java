// SPDX-License-Identifier: Apache-2.0
package io.grapevine.runtime;

import io.grapevine.Events;
import io.grapevine.dissemination.Dissemination;
import io.grapevine.api.DisseminationStats;
import io.grapevine.api.RumorId;
import io.grapevine.api.UserEvent;
import io.grapevine.node.Outbox;
import io.grapevine.overlay.OverlayEvents;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The thread-safe {@link Events} facade of one node: publishing runs on the node's thread, through
 * the dissemination protocol or, with the {@code hyparview-plumtree} overlay, the core's {@link
 * OverlayEvents}; both deliver {@link UserEvent}s, which this hands to the subscribers of their
 * topic.
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
  private final OverlayEvents overlay;
  private final Caller caller;
  private final List<Subscription> subscriptions = new CopyOnWriteArrayList<>();
  private final AtomicLong handlerErrors = new AtomicLong();
  /** Hears publish-to-own-delivery nanoseconds; null for none. */
  private volatile LongConsumer ownDelivery;
  /** Hears, per event from another node, this node's wall clock minus the origin's at publish; null for none. */
  private volatile LongConsumer remoteDelivery;
  /** Wall clock, milliseconds since the epoch: stamps published events and times remote ones. */
  private final LongSupplier wallClock;
  /**
   * The event being published and when its publish call began: set on the loop for the step that
   * publishes it, matched by {@link #deliver} (own events are delivered in that step). Loop thread.
   */
  private RumorId publishing;
  private long publishStartedNanos;

  /** @param overlay if not null, events are published over the overlay instead of {@code protocol} */
  EventService(String nodeName, Dissemination protocol, OverlayEvents overlay, Caller caller) {
    this(nodeName, protocol, overlay, caller, System::currentTimeMillis);
  }

  /**
   * @param wallClock milliseconds since the epoch; not the loop's clock, which is monotonic and
   *     means nothing on another node
   */
  EventService(String nodeName, Dissemination protocol, OverlayEvents overlay, Caller caller, LongSupplier wallClock) {
    this.wallClock = wallClock;
    this.nodeName = nodeName;
    this.protocol = protocol;
    this.overlay = overlay;
    this.caller = caller;
  }

  @Override
  public RumorId publish(String topic, byte[] payload) {
    return publish(topic, payload, null);
  }

  @Override
  public RumorId publish(String topic, byte[] payload, String coalesceKey) {
    long started = System.nanoTime();
    byte[] copy = payload.clone();
    if (overlay != null) {
      overlay.check(topic, copy, coalesceKey);
      return caller.call((now, out) ->
          timed(started, overlay.publish(now, wallClock.getAsLong(), topic, copy, coalesceKey, out)));
    }
    return caller.call((now, out) ->
        timed(started, protocol.publish(now, wallClock.getAsLong(), topic, copy, coalesceKey, out)));
  }

  /** Remembers the event just published, for {@link #deliver} later in the same step. Loop thread. */
  private RumorId timed(long startedNanos, RumorId id) {
    publishing = id;
    publishStartedNanos = startedNanos;
    return id;
  }

  void observeOwnDelivery(LongConsumer nanos) {
    ownDelivery = nanos;
  }

  void observeRemoteDelivery(LongConsumer millis) {
    remoteDelivery = millis;
  }

  /** Events published through the overlay by this node. */
  long overlayPublished() {
    return overlay == null ? 0 : overlay.published();
  }

  /** Overlay events delivered to subscribers here (own events included). */
  long overlayDelivered() {
    return overlay == null ? 0 : overlay.delivered();
  }

  /** Overlay broadcasts that did not decode as events (dropped). */
  long overlayMalformed() {
    return overlay == null ? 0 : overlay.malformed();
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
    if (publishing != null && publishing.equals(event.id())) {
      publishing = null;
      LongConsumer o = ownDelivery;
      if (o != null) {
        o.accept(System.nanoTime() - publishStartedNanos);
      }
    } else if (event.hasOriginTime() && !event.id().origin().equals(nodeName)) {
      LongConsumer o = remoteDelivery;
      if (o != null) {
        o.accept(wallClock.getAsLong() - event.originMillis());
      }
    }
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
