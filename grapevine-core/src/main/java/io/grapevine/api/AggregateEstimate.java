// SPDX-License-Identifier: Apache-2.0
package io.grapevine.api;

/**
 * One node's estimate of a cluster-wide aggregate.
 *
 * @param name the aggregate
 * @param avg mean of the published values
 * @param sum sum of the published values
 * @param count cluster size (all live nodes, publishers or not)
 * @param publishers nodes that published a value for {@code name}
 * @param min smallest published value
 * @param max largest published value
 * @param epoch the epoch the estimate belongs to
 * @param rounds exchange rounds into that epoch
 * @param error estimated relative error of {@code avg} (spread between this node and its peers)
 */
public record AggregateEstimate(
    String name, double avg, double sum, double count, double publishers, double min, double max, long epoch,
    int rounds, double error) {}
