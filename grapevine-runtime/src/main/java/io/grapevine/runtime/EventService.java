package io.grapevine.runtime;

import io.grapevine.Events;
import io.grapevine.dissemination.Dissemination;
import io.grapevine.dissemination.DisseminationStats;
import io.grapevine.dissemination.RumorId;
import io.grapevine.dissemination.UserEvent;
import io.grapevine.node.Outbox;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** User events of one node in the socket runtime: the dissemination extension and its subscribers. */
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

  EventService(String nodeName, Dissemination protocol, Caller caller) {
    this.nodeName = nodeName;
    this.protocol = protocol;
    this.caller = caller;
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
    return caller.call((now, out) -> protocol.publish(now, topic, copy, coalesceKey, out));
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
