// SPDX-License-Identifier: Apache-2.0
package io.grapevine.query;

import io.grapevine.node.Endpoint;
import io.grapevine.node.ProtocolEvent;

/**
 * A query delivered to this node (it passed the query's filters): the application answers it, at
 * most once and before {@code deadlineMillis}, with {@link Query#respond}. Emitted once per query per
 * node, the originator included.
 *
 * @param id the query's id ({@code id.origin()} issued it)
 * @param name what is asked; names starting with {@link Query#INTERNAL_PREFIX} are Grapevine's own
 * @param payload the question's bytes (a copy is not made: do not change them)
 * @param originator where answers go
 * @param deadlineMillis this node's time after which an answer is refused: receipt time plus the
 *     query's timeout, an upper bound of the originator's deadline (clocks are not shared)
 */
public record QueryRequest(QueryId id, String name, byte[] payload, Endpoint originator, long deadlineMillis)
    implements ProtocolEvent {}
