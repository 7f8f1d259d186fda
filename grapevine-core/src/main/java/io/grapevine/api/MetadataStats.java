// SPDX-License-Identifier: Apache-2.0
package io.grapevine.api;

/**
 * Counters of member metadata that travels by reference (larger than {@code
 * membership.metadataInlineBytes}): fetched from its member over TCP when an alive message names a
 * version this node does not hold. An immutable snapshot.
 *
 * @param fetches metadata requests this node sent
 * @param fetched answers received to them
 * @param timeouts fetches given up unanswered ({@code metadataFetchTimeout}); retried later
 * @param deferred newer versions learned while every fetch slot ({@code metadataFetchesInFlight})
 *     was busy: their fetch waited for a slot, or a push-pull brought them
 * @param served requests for this node's own metadata it answered
 * @param refused requests it did not answer: from a node it does not list, alive or suspect, at the
 *     address the request gives (a forged request, or a joiner not known yet, which asks again)
 * @param stale members whose current metadata this node does not hold yet, now
 */
public record MetadataStats(long fetches, long fetched, long timeouts, long deferred, long served, long refused,
    int stale) {}
