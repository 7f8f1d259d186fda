// SPDX-License-Identifier: Apache-2.0
package io.grapevine.query;

/**
 * Counters of one node's query protocol: an immutable snapshot ({@link Query#stats()}).
 *
 * @param issued queries this node issued
 * @param refused queries this node refused to issue (too many outstanding, or the dedupe window full)
 * @param delivered queries delivered to this node's application (they passed the filters)
 * @param filteredOut queries received that this node's name or metadata did not match
 * @param duplicates copies of queries already seen (the cost of gossip redundancy)
 * @param windowFull queries received while the dedupe window was full: dropped, not delivered or spread
 * @param timeoutTooLong queries received asking for more than {@code query.maxTimeout}: dropped
 * @param badFilter queries received whose metadata pattern does not compile: dropped
 * @param filterBudgetExceeded metadata matches stopped for taking too long (the node did not match)
 * @param acksSent acks this node sent (to originators, relays excluded)
 * @param responsesSent answers this node sent (relays excluded)
 * @param responsesOverTcp of those, answers too large for a datagram, sent as a stream message
 * @param responsesTooLarge answers refused here for exceeding {@code query.maxResponseBytes}
 * @param lateResponsesRefused answers given here after the query's local deadline: not sent
 * @param relaysSent acks and answers this node sent through other nodes (the relay factor)
 * @param relaysForwarded acks and answers other nodes asked this one to forward
 * @param acksReceived acks accepted at this node as originator (one per node per query)
 * @param responsesReceived answers accepted at this node as originator (one per node per query)
 * @param duplicateAnswers acks or answers from a node already counted for that query (relayed copies)
 * @param lateAnswers acks or answers for this node's queries after their deadline: dropped
 * @param unknownAnswers acks or answers for queries this node did not issue: dropped
 * @param tooManyAnswers answers dropped because a query already had as many as it can hold
 * @param finished queries of this node that finished (by deadline or once every expected node answered)
 */
public record QueryStats(
    long issued,
    long refused,
    long delivered,
    long filteredOut,
    long duplicates,
    long windowFull,
    long timeoutTooLong,
    long badFilter,
    long filterBudgetExceeded,
    long acksSent,
    long responsesSent,
    long responsesOverTcp,
    long responsesTooLarge,
    long lateResponsesRefused,
    long relaysSent,
    long relaysForwarded,
    long acksReceived,
    long responsesReceived,
    long duplicateAnswers,
    long lateAnswers,
    long unknownAnswers,
    long tooManyAnswers,
    long finished) {}
