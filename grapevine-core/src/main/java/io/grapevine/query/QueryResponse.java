// SPDX-License-Identifier: Apache-2.0
package io.grapevine.query;

import io.grapevine.node.ProtocolEvent;

/**
 * At the originator: node {@code from}'s answer to query {@code id}, before the deadline. Emitted
 * once per node per query; later copies (relayed ones) are counted as duplicates.
 *
 * @param id the query
 * @param from the answering node's name
 * @param payload its answer
 */
public record QueryResponse(QueryId id, String from, byte[] payload) implements ProtocolEvent {}
