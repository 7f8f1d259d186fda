// SPDX-License-Identifier: Apache-2.0
package io.grapevine.runtime;

/**
 * Sizes of a node's queues and overlay views at one moment, read together on the node's loop ({@link
 * ClusterNode#gauges()}): what a metrics scrape shows as gauges. A protocol the node does not run
 * reads -1.
 *
 * @param membershipBroadcasts membership updates queued for piggybacking (alive, suspect, dead,
 *     and other protocols' messages riding on membership's datagrams)
 * @param disseminationRumors user-event rumors still being pushed by the dissemination protocol
 * @param hyParViewActive HyParView active view size (the overlay's neighbours)
 * @param hyParViewPassive HyParView passive view size (the reserve)
 * @param plumtreeEager Plumtree eager peers (the spanning tree's links)
 * @param plumtreeLazy Plumtree lazy peers (announced to only)
 * @param kvKeys entries in the replicated key-value store, tombstones included
 */
public record NodeGauges(
    int membershipBroadcasts,
    int disseminationRumors,
    int hyParViewActive,
    int hyParViewPassive,
    int plumtreeEager,
    int plumtreeLazy,
    long kvKeys) {}
