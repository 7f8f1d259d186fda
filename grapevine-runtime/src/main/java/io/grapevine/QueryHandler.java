// SPDX-License-Identifier: Apache-2.0
package io.grapevine;

import io.grapevine.query.QueryRequest;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/**
 * Answers the queries of one name on this node ({@link Cluster#onQuery}). Called on the node's
 * event-loop thread, once per query that reaches this node and passes its filters: return at once,
 * and do slow work on an executor of your own, completing the stage later. The answer counts only
 * if it completes before the query's local deadline ({@link QueryRequest#deadlineMillis()}) and is at
 * most {@code query.maxResponseBytes} long; otherwise it is dropped, counted and logged.
 */
@FunctionalInterface
public interface QueryHandler {

  /**
   * The answer to {@code request}: a stage completing with the answer's bytes, or with null for no
   * answer. A stage that fails, or an exception thrown here, gives no answer (logged).
   */
  CompletionStage<byte[]> answer(QueryRequest request);

  /** A handler that answers at once with what {@code answer} returns (null: no answer). */
  static QueryHandler sync(Function<QueryRequest, byte[]> answer) {
    return request -> CompletableFuture.completedFuture(answer.apply(request));
  }
}
