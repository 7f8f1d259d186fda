// SPDX-License-Identifier: Apache-2.0
package io.grapevine.runtime;

import io.grapevine.QueryHandle;
import io.grapevine.QueryHandler;
import io.grapevine.node.Outbox;
import io.grapevine.query.Query;
import io.grapevine.query.QueryAck;
import io.grapevine.query.QueryId;
import io.grapevine.query.QueryOptions;
import io.grapevine.query.QueryRequest;
import io.grapevine.query.QueryResponse;
import io.grapevine.query.QueryResult;
import io.grapevine.query.QueryStats;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The thread-safe query facade of one node: handlers by name answer the {@link QueryRequest}s the
 * core's {@link Query} delivers, and the handles of this node's queries collect the acks, answers
 * and results it emits. Names with {@link Query#INTERNAL_PREFIX} are for Grapevine's own commands
 * ({@link #onInternalQuery}, {@link #internalQuery}), refused through the public methods.
 */
final class QueryService {
  private static final Logger log = LoggerFactory.getLogger(QueryService.class);

  /** Runs a call into the protocol on the loop thread and waits for it. */
  interface Caller {
    <T> T call(BiFunction<Long, Outbox, T> call);
  }

  /** Runs a call into the protocol on the loop thread later. */
  interface Submitter {
    <T> CompletableFuture<T> submit(BiFunction<Long, Outbox, T> call);
  }

  private final String nodeName;
  private final Query protocol;
  private final Caller caller;
  private final Submitter submitter;
  private final Map<String, QueryHandler> handlers = new ConcurrentHashMap<>();
  private final Map<QueryId, Handle> handles = new ConcurrentHashMap<>();
  private final AtomicLong handlerErrors = new AtomicLong();

  QueryService(String nodeName, Query protocol, Caller caller, Submitter submitter) {
    this.nodeName = nodeName;
    this.protocol = protocol;
    this.caller = caller;
    this.submitter = submitter;
  }

  AutoCloseable onQuery(String name, QueryHandler handler) {
    checkPublic(name);
    return register(name, handler);
  }

  AutoCloseable onInternalQuery(String name, QueryHandler handler) {
    checkInternal(name);
    return register(name, handler);
  }

  private AutoCloseable register(String name, QueryHandler handler) {
    java.util.Objects.requireNonNull(handler, "handler");
    if (handlers.putIfAbsent(name, handler) != null) {
      throw new IllegalStateException("query '" + name + "' has a handler already on node " + nodeName);
    }
    return () -> handlers.remove(name, handler);
  }

  QueryHandle query(String name, byte[] payload, QueryOptions options) {
    checkPublic(name);
    return issue(name, payload, options);
  }

  QueryHandle internalQuery(String name, byte[] payload, QueryOptions options) {
    checkInternal(name);
    return issue(name, payload, options);
  }

  private QueryHandle issue(String name, byte[] payload, QueryOptions options) {
    byte[] copy = payload.clone();
    QueryOptions o = java.util.Objects.requireNonNull(options, "options");
    // Registered inside the call, before the loop dispatches the events the issue emitted.
    return caller.call((now, out) -> {
      Handle h = new Handle(protocol.issue(now, name, copy, o, out));
      handles.put(h.id, h);
      return h;
    });
  }

  QueryStats stats() {
    return protocol.stats();
  }

  long handlerErrors() {
    return handlerErrors.get();
  }

  private static void checkPublic(String name) {
    checkName(name);
    if (name.startsWith(Query.INTERNAL_PREFIX)) {
      throw new IllegalArgumentException("query names starting with " + Query.INTERNAL_PREFIX
          + " are reserved for Grapevine's own commands, got '" + name + "'");
    }
  }

  private static void checkInternal(String name) {
    checkName(name);
    if (!name.startsWith(Query.INTERNAL_PREFIX)) {
      throw new IllegalArgumentException("an internal query name starts with " + Query.INTERNAL_PREFIX + ", got '"
          + name + "'");
    }
  }

  private static void checkName(String name) {
    int len = name == null ? 0 : name.getBytes(StandardCharsets.UTF_8).length;
    if (len < 1 || len > 255) {
      throw new IllegalArgumentException("query name must be 1..255 UTF-8 bytes, got " + len);
    }
  }

  // ------------------------------------------------------------------ events (loop thread)

  /** A query delivered here: its handler, if any, answers it. */
  void onRequest(QueryRequest request) {
    QueryHandler h = handlers.get(request.name());
    if (h == null) {
      return;
    }
    CompletionStage<byte[]> answer;
    try {
      answer = h.answer(request);
    } catch (RuntimeException e) {
      handlerErrors.incrementAndGet();
      log.error("{}: query handler '{}' failed on {}", nodeName, request.name(), request.id(), e);
      return;
    }
    if (answer == null) {
      return;
    }
    answer.whenComplete((bytes, err) -> {
      if (err != null) {
        handlerErrors.incrementAndGet();
        log.warn("{}: query handler '{}' gave no answer to {}: {}", nodeName, request.name(), request.id(),
            err.toString());
        return;
      }
      if (bytes == null) {
        return;
      }
      byte[] copy = bytes.clone();
      submitter.submit((now, out) -> protocol.respond(now, request.id(), copy, out)).whenComplete((o, e) -> {
        if (e != null) {
          log.debug("{}: answer to {} not sent: {}", nodeName, request.id(), e.toString());
        } else if (o != Query.Outcome.SENT) {
          log.warn("{}: answer to query '{}' ({}) not sent: {}", nodeName, request.name(), request.id(),
              o == Query.Outcome.TOO_LARGE ? copy.length + " bytes, above query.maxResponseBytes "
                  + protocol.config().maxResponseBytes
                  : o.name().toLowerCase(java.util.Locale.ROOT));
        }
      });
    });
  }

  void onAck(QueryAck ack) {
    Handle h = handles.get(ack.id());
    if (h != null) {
      h.ack(ack);
    }
  }

  void onResponse(QueryResponse response) {
    Handle h = handles.get(response.id());
    if (h != null) {
      h.response(response);
    }
  }

  void onResult(QueryResult result) {
    Handle h = handles.remove(result.id());
    if (h != null) {
      h.result.complete(result);
    }
  }

  /** The node closed: queries still collecting fail. */
  void close() {
    for (Handle h : handles.values()) {
      h.result.completeExceptionally(new IllegalStateException("node " + nodeName + " closed before query "
          + h.id + " finished"));
    }
    handles.clear();
  }

  /** One query's acks, answers and result. */
  private final class Handle implements QueryHandle {
    final QueryId id;
    final CompletableFuture<QueryResult> result = new CompletableFuture<>();
    private final List<QueryAck> acks = new ArrayList<>();
    private final List<QueryResponse> responses = new ArrayList<>();
    private final List<Consumer<QueryAck>> ackCallbacks = new ArrayList<>();
    private final List<Consumer<QueryResponse>> responseCallbacks = new ArrayList<>();

    Handle(QueryId id) {
      this.id = id;
    }

    @Override
    public QueryId id() {
      return id;
    }

    void ack(QueryAck a) {
      List<Consumer<QueryAck>> calls;
      synchronized (this) {
        acks.add(a);
        calls = List.copyOf(ackCallbacks);
      }
      calls.forEach(c -> run(c, a));
    }

    void response(QueryResponse r) {
      List<Consumer<QueryResponse>> calls;
      synchronized (this) {
        responses.add(r);
        calls = List.copyOf(responseCallbacks);
      }
      calls.forEach(c -> run(c, r));
    }

    private <E> void run(Consumer<E> c, E e) {
      try {
        c.accept(e);
      } catch (RuntimeException ex) {
        handlerErrors.incrementAndGet();
        log.error("{}: query callback failed on {}", nodeName, e, ex);
      }
    }

    @Override
    public QueryHandle onAck(Consumer<QueryAck> callback) {
      List<QueryAck> earlier;
      synchronized (this) {
        ackCallbacks.add(callback);
        earlier = List.copyOf(acks);
      }
      earlier.forEach(a -> run(callback, a));
      return this;
    }

    @Override
    public QueryHandle onResponse(Consumer<QueryResponse> callback) {
      List<QueryResponse> earlier;
      synchronized (this) {
        responseCallbacks.add(callback);
        earlier = List.copyOf(responses);
      }
      earlier.forEach(r -> run(callback, r));
      return this;
    }

    @Override
    public synchronized List<QueryAck> acks() {
      return List.copyOf(acks);
    }

    @Override
    public synchronized List<QueryResponse> responses() {
      return List.copyOf(responses);
    }

    @Override
    public CompletableFuture<QueryResult> result() {
      return result;
    }

    @Override
    public String toString() {
      return "QueryHandle[" + id + "]";
    }
  }
}
