package io.grapevine.runtime;

/**
 * One thread that drives any number of nodes: socket readiness, timers and tasks. Placeholder: the
 * NIO implementation replaces this class.
 */
public final class EventLoop implements AutoCloseable {
  @Override
  public void close() {}
}
