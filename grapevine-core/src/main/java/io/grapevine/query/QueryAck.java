// SPDX-License-Identifier: Apache-2.0
package io.grapevine.query;

import io.grapevine.node.ProtocolEvent;

/**
 * At the originator: node {@code from} received query {@code id} and passed its filters (sent only
 * when the query asked for acks). Emitted once per node per query.
 *
 * @param id the query
 * @param from the acknowledging node's name
 */
public record QueryAck(QueryId id, String from) implements ProtocolEvent {}
