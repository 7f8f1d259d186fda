// SPDX-License-Identifier: Apache-2.0
package io.grapevine.runtime;

import io.grapevine.node.Delivery;
import io.grapevine.node.Endpoint;
import io.grapevine.node.Outbox;
import io.grapevine.node.ProtocolEvent;
import io.grapevine.stack.EventRouter;
import io.grapevine.stack.ProtocolStack;
import io.grapevine.transport.Transport;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiFunction;

/**
 * Drives one node's {@link ProtocolStack} on an {@link EventLoop} over a {@link Transport}: the whole
 * of the socket runtime's part in running protocols. Packets and timer expiries become calls into
 * the stack; every call, an application command included, is followed by the same steps: re-arm the
 * node's timer at the stack's next deadline, run the after-step hook (the node republishes its
 * snapshots), and hand the events the call emitted to the {@link EventRouter}, outside the call, so
 * handlers may call back into the node.
 */
public final class StackDriver {
  private final EventLoop loop;
  private final Transport transport;
  private final ProtocolStack stack;
  private final EventRouter events;
  private final Runnable afterStep;
  private final ArrayDeque<ProtocolEvent> pending = new ArrayDeque<>();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final Outbox transportOutbox = new Outbox() {
    @Override
    public void send(Endpoint to, ByteBuffer packet, Delivery delivery) {
      transport.send(to, packet, delivery);
    }

    @Override
    public void emit(ProtocolEvent event) {
      pending.add(event);
    }
  };
  /** What commands and the stack send through: sealed by the stack when it has a key. */
  private final Outbox outbox;
  private EventLoop.Timer tick;
  private long tickAtMillis = Long.MAX_VALUE;
  private boolean dispatching;

  /**
   * @param transport started by the caller, its receiver pointed at {@link #onPacket}
   * @param afterStep run on the loop after every call into the stack, before events are dispatched
   */
  public StackDriver(EventLoop loop, Transport transport, ProtocolStack stack, EventRouter events,
      Runnable afterStep) {
    this.loop = loop;
    this.transport = transport;
    this.stack = stack;
    this.events = events;
    this.afterStep = afterStep;
    this.outbox = stack.outbox(transportOutbox);
  }

  /** Starts the stack on the loop; returns when it has started. */
  public void start() {
    loop.call(() -> {
      step(() -> stack.start(loop.nowMillis(), outbox));
      return null;
    });
  }

  /** A packet from the transport (loop thread). */
  public void onPacket(Endpoint from, ByteBuffer packet, Delivery delivery) {
    if (!closed.get()) {
      // No capturing lambda here or in onTimer: with C1 only (the agent's flags) each one is a call
      // into the VM to allocate it, on every packet and tick.
      try {
        stack.onPacket(loop.nowMillis(), from, packet, delivery, outbox);
      } finally {
        afterCall();
      }
    }
  }

  private void onTimer() {
    tick = null;
    tickAtMillis = Long.MAX_VALUE;
    if (!closed.get()) {
      try {
        stack.onTick(loop.nowMillis(), outbox);
      } finally {
        afterCall();
      }
    }
  }

  /** Runs a command against the stack's protocols on the loop and waits for its result. */
  public <T> T call(BiFunction<Long, Outbox, T> command) {
    requireOpen();
    return loop.call(() -> stepWith(command));
  }

  /** Runs a command against the stack's protocols on the loop; the future completes with its result. */
  public <T> CompletableFuture<T> submit(BiFunction<Long, Outbox, T> command) {
    if (closed.get()) {
      return CompletableFuture.failedFuture(new IllegalStateException("node " + stack.name() + " is closed"));
    }
    return loop.submit(() -> stepWith(command));
  }

  /** Runs a command on the loop thread (the caller is on it already). */
  public void stepOnLoop(BiFunction<Long, Outbox, ?> command) {
    stepWith(command);
  }

  private void step(Runnable call) {
    try {
      call.run();
    } finally {
      afterCall();
    }
  }

  private <T> T stepWith(BiFunction<Long, Outbox, T> command) {
    try {
      return command.apply(loop.nowMillis(), outbox);
    } finally {
      afterCall();
    }
  }

  private void afterCall() {
    if (!closed.get()) {
      long next = stack.nextDeadlineMillis();
      // Only an earlier deadline needs a new timer; a later one is served by the armed timer firing
      // early (onTick with nothing due is a no-op) and re-arming. Keeps cancelled timers rare.
      if (next < tickAtMillis) {
        if (tick != null) {
          tick.cancel();
        }
        // At least 1 ms ahead: a deadline the stack fails to advance must not spin the loop.
        tickAtMillis = Math.max(next, loop.nowMillis() + 1);
        tick = loop.schedule(tickAtMillis, this::onTimer);
      }
    }
    afterStep.run();
    if (dispatching) {
      return; // A handler called back into the node; the outer dispatch drains what it adds.
    }
    dispatching = true;
    try {
      ProtocolEvent e;
      while ((e = pending.poll()) != null) {
        events.dispatch(e);
      }
    } finally {
      dispatching = false;
    }
  }

  private void requireOpen() {
    if (closed.get()) {
      throw new IllegalStateException("node " + stack.name() + " is closed");
    }
  }

  /** The stack this driver steps. */
  public ProtocolStack stack() {
    return stack;
  }

  /** The loop it runs on. */
  public EventLoop loop() {
    return loop;
  }

  /** The transport it sends through. */
  public Transport transport() {
    return transport;
  }

  public boolean isClosed() {
    return closed.get();
  }

  /**
   * Stops stepping: cancels the timer and closes the transport, then runs {@code alsoOnLoop} on the
   * loop (if it still runs). Idempotent; false if it was already closed.
   */
  public boolean close(Runnable alsoOnLoop) {
    if (closed.getAndSet(true)) {
      return false;
    }
    Runnable shutdown = () -> {
      if (tick != null) {
        tick.cancel();
        tick = null;
      }
      transport.close();
      alsoOnLoop.run();
    };
    try {
      loop.call(() -> {
        shutdown.run();
        return null;
      });
    } catch (IllegalStateException e) {
      // The loop is gone already: close from here.
      transport.close();
      alsoOnLoop.run();
    }
    return true;
  }
}
