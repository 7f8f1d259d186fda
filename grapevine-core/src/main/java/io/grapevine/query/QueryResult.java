// SPDX-License-Identifier: Apache-2.0
package io.grapevine.query;

import io.grapevine.node.ProtocolEvent;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * At the originator: query {@code id} is finished (its deadline passed, or every expected node
 * answered): who was expected, who acknowledged, who answered what. Answers arriving later are
 * dropped and counted ({@link QueryStats#lateAnswers()}).
 *
 * @param id the query
 * @param name what was asked
 * @param expected the nodes the originator knew alive (or suspect) and matching the filters when it
 *     issued the query, itself included if it matched; empty when the stack has no membership
 * @param acked the nodes that acknowledged, in arrival order (empty unless acks were asked for)
 * @param responses each answering node's answer, in arrival order
 * @param ackRequested whether the query asked for acks
 * @param timedOut true when the deadline ended it, false when every expected node answered first
 */
public record QueryResult(QueryId id, String name, Set<String> expected, Set<String> acked,
    Map<String, byte[]> responses, boolean ackRequested, boolean timedOut) implements ProtocolEvent {

  /** Copies the collections (unmodifiable, order kept). */
  public QueryResult {
    expected = Collections.unmodifiableSet(new LinkedHashSet<>(expected));
    acked = Collections.unmodifiableSet(new LinkedHashSet<>(acked));
    responses = Collections.unmodifiableMap(new java.util.LinkedHashMap<>(responses));
  }

  /** The expected nodes that did not answer, in the order of {@link #expected()}. */
  public List<String> missingResponses() {
    return expected.stream().filter(n -> !responses.containsKey(n)).toList();
  }

  /** The expected nodes that did not acknowledge (empty unless acks were asked for). */
  public List<String> missingAcks() {
    return ackRequested ? expected.stream().filter(n -> !acked.contains(n)).toList() : List.of();
  }
}
