// SPDX-License-Identifier: Apache-2.0
/**
 * Cluster-wide queries (Serf's {@code serf query}): a request spread by gossip, answered by each
 * node directly to its originator, collected until a deadline. {@link io.grapevine.query.Query} is
 * the protocol; the records here are its options, its events and its counters. Names starting with
 * {@link io.grapevine.query.Query#INTERNAL_PREFIX} are reserved for Grapevine's own cluster-wide
 * commands. See docs/queries.md.
 */
package io.grapevine.query;
