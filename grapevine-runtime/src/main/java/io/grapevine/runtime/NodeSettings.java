// SPDX-License-Identifier: Apache-2.0
package io.grapevine.runtime;

import io.grapevine.antientropy.ReplicaStore;
import io.grapevine.config.ProtocolConfigs;
import io.grapevine.node.Endpoint;
import io.grapevine.security.Keyring;
import io.grapevine.stack.Protocol;
import java.nio.file.Path;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Everything a socket-runtime node is assembled from (see {@link io.grapevine.ClusterBuilder}, which
 * validates each value).
 *
 * @param advertise address to advertise, or null for the bound address; port 0 means the bound port
 * @param configs every protocol's knobs
 * @param seed the node's seed: every protocol's randomness derives from it and the protocol's name
 * @param reconnectIntervalMillis how often to retry a dead member or a seed (see {@link Joiner}); 0: off
 * @param dataDir where the replicated store is kept; null keeps it in memory
 * @param overlay user events over a HyParView + Plumtree overlay instead of membership gossip
 * @param tree a sorted ring with exact SUM/COUNT along its tree
 * @param coordinates network coordinates from membership's probes
 * @param protocols the application's own protocols, added to the stack after the built-in ones
 * @param storeDecorator wraps the replicated store (see {@link KvService#create}); identity for none
 * @param keyring the encryption keys, possibly none (plaintext until a key is installed); the
 *     switches and replay window are {@code configs.encryption()}
 */
public record NodeSettings(
    String clusterName,
    String name,
    Endpoint advertise,
    byte[] metadata,
    ProtocolConfigs configs,
    long seed,
    long joinTimeoutMillis,
    long reconnectIntervalMillis,
    Path dataDir,
    boolean overlay,
    boolean tree,
    boolean coordinates,
    List<Protocol<?>> protocols,
    UnaryOperator<ReplicaStore> storeDecorator,
    Keyring keyring) {}
