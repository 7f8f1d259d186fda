// SPDX-License-Identifier: Apache-2.0
package io.grapevine;

import io.grapevine.query.QueryAck;
import io.grapevine.query.QueryId;
import io.grapevine.query.QueryResponse;
import io.grapevine.query.QueryResult;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * A query this node issued ({@link Cluster#query}): its acks and answers as they arrive, and the
 * final result once the deadline passes or every expected node has answered.
 *
 * <pre>{@code
 * QueryHandle q = node.query("load", new byte[0], QueryOptions.defaults().requestAck(true));
 * q.onResponse(r -> System.out.println(r.from() + ": " + new String(r.payload())));
 * QueryResult done = q.result().get();
 * System.out.println("no answer from " + done.missingResponses());
 * }</pre>
 *
 * <p>Thread-safe. Callbacks run on the node's event-loop thread (or, for what had arrived already
 * when a callback is registered, on the registering thread, at once and in arrival order); they
 * must not block.
 */
public interface QueryHandle {

  /** The query's id. */
  QueryId id();

  /**
   * Calls {@code callback} with every ack, those that arrived already first. Each node acknowledges
   * at most once; acks come only when the query asked for them.
   *
   * @return this handle
   */
  QueryHandle onAck(Consumer<QueryAck> callback);

  /**
   * Calls {@code callback} with every answer, those that arrived already first; at most one per node.
   *
   * @return this handle
   */
  QueryHandle onResponse(Consumer<QueryResponse> callback);

  /** The acks received so far, in arrival order. */
  List<QueryAck> acks();

  /** The answers received so far, in arrival order. */
  List<QueryResponse> responses();

  /**
   * Completes when the query finishes: who was expected, who acknowledged, who answered. Fails only
   * if the node closes first.
   */
  CompletableFuture<QueryResult> result();
}
