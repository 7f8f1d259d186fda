// SPDX-License-Identifier: Apache-2.0
package io.grapevine.stack;

import io.grapevine.node.ProtocolEvent;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * Hands the events a stack emits to the handlers subscribed to their type: a driver's one place of
 * delivery, in place of a chain of {@code instanceof} tests. A handler subscribed to a type gets
 * the events of that class and of its subclasses; the table of which handlers serve a class is
 * computed once per class.
 *
 * <p>Subscribing is thread-safe; {@link #dispatch} runs handlers on the caller's thread, in the order
 * they subscribed, and a handler that throws is reported to the error handler and does not stop the
 * others.
 */
public final class EventRouter {
  /** What to do with a handler's exception. */
  public interface ErrorHandler {
    void failed(ProtocolEvent event, RuntimeException error);
  }

  private record Subscription(Class<?> type, Consumer<Object> handler) {}

  private final List<Subscription> subscriptions = new CopyOnWriteArrayList<>();
  /** Replaced whole on every (un)subscription, so a dispatch in flight never caches a stale list. */
  private volatile Map<Class<?>, List<Consumer<Object>>> byClass = new ConcurrentHashMap<>();
  private final ErrorHandler errors;

  /** @param errors told of every exception a handler throws */
  public EventRouter(ErrorHandler errors) {
    this.errors = errors;
  }

  /**
   * Calls {@code handler} with every dispatched event of class {@code type} (or a subclass).
   *
   * @return closing it ends the subscription
   */
  @SuppressWarnings("unchecked")
  public <E extends ProtocolEvent> AutoCloseable on(Class<E> type, Consumer<? super E> handler) {
    Subscription s = new Subscription(type, (Consumer<Object>) handler);
    subscriptions.add(s);
    byClass = new ConcurrentHashMap<>();
    return () -> {
      subscriptions.remove(s);
      byClass = new ConcurrentHashMap<>();
    };
  }

  /** Hands {@code event} to its type's handlers; false when none is subscribed to it. */
  public boolean dispatch(ProtocolEvent event) {
    List<Consumer<Object>> handlers = byClass.computeIfAbsent(event.getClass(), this::handlersOf);
    for (int i = 0; i < handlers.size(); i++) {
      try {
        handlers.get(i).accept(event);
      } catch (RuntimeException e) {
        errors.failed(event, e);
      }
    }
    return !handlers.isEmpty();
  }

  private List<Consumer<Object>> handlersOf(Class<?> eventClass) {
    return subscriptions.stream().filter(s -> s.type.isAssignableFrom(eventClass)).map(Subscription::handler).toList();
  }
}
