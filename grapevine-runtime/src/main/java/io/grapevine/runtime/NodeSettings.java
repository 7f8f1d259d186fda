package io.grapevine.runtime;

import io.grapevine.aggregate.AggregationConfig;
import io.grapevine.antientropy.AntiEntropyConfig;
import io.grapevine.dissemination.DisseminationConfig;
import io.grapevine.membership.MembershipConfig;
import io.grapevine.node.Endpoint;
import io.grapevine.overlay.HyParViewConfig;
import io.grapevine.overlay.PlumtreeConfig;
import io.grapevine.overlay.SortedRingConfig;
import io.grapevine.stack.Protocol;
import java.nio.file.Path;
import java.util.List;

/**
 * Everything a socket-runtime node is assembled from (see {@link io.grapevine.ClusterBuilder}, which
 * validates each value).
 *
 * @param advertise address to advertise, or null for the bound address; port 0 means the bound port
 * @param seed the node's seed: every protocol's randomness derives from it and the protocol's name
 * @param reconnectIntervalMillis how often to retry a dead member or a seed (see {@link Joiner}); 0: off
 * @param dataDir where the replicated store is kept; null keeps it in memory
 * @param hyParView with {@code plumtree}: user events over a HyParView + Plumtree overlay; null:
 *     over membership gossip (the default)
 * @param tree a sorted ring with exact SUM/COUNT along its tree; null: off
 * @param protocols the application's own protocols, added to the stack after the built-in ones
 */
public record NodeSettings(
    String clusterName,
    String name,
    Endpoint advertise,
    byte[] metadata,
    MembershipConfig membership,
    long seed,
    long joinTimeoutMillis,
    long reconnectIntervalMillis,
    Path dataDir,
    AntiEntropyConfig kv,
    DisseminationConfig events,
    AggregationConfig aggregation,
    HyParViewConfig hyParView,
    PlumtreeConfig plumtree,
    SortedRingConfig tree,
    List<Protocol<?>> protocols) {}
