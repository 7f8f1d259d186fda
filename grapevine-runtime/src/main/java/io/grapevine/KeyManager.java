// SPDX-License-Identifier: Apache-2.0
package io.grapevine;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * Cluster-wide keyring operations ({@link Cluster#keys()}): each is a query under Grapevine's reserved
 * name {@code _grapevine-keys}, spread by gossip to every member; each member applies it to its own
 * keyring (persisting it when it has a keyring file) and answers with the outcome and the keys it now
 * holds. The future completes, at the query's deadline or once every member answered, with a
 * {@link KeyResponse} saying per node who answered and what failed.
 *
 * <p>Rotation without downtime, as {@code grapevine keys} does it: {@link #install} the new key,
 * {@link #use} it, then {@link #remove} the old one, each step complete (every node answered, none
 * failed) before the next.
 *
 * <p>Only key holders take part: the query travels in sealed packets, so a node that cannot open them
 * never hears it. Only {@link #install} sends the key itself, sealed under the current primary key;
 * {@link #use} and {@link #remove} name it by fingerprint.
 *
 * <p>Keys are base64 of 16, 24 or 32 bytes; a key that is not is refused at once, with an {@link
 * IllegalArgumentException} of one line, before anything is sent.
 */
public interface KeyManager {

  /**
   * Lists the keys every node holds, by fingerprint, without the keys themselves.
   *
   * @throws IllegalStateException when encryption is off on this node (it has no key)
   */
  CompletableFuture<KeyResponse> list();

  /**
   * Lists the keys every node holds, with each key's base64 text in {@link KeyResponse.KeyStatus#key()}
   * (secret: for an operator's own tools, never for logs).
   *
   * @throws IllegalStateException when encryption is off on this node (it has no key)
   */
  CompletableFuture<KeyResponse> listWithKeys();

  /**
   * Installs {@code key} on every node: nodes then open packets sealed with it, and still seal with
   * their primary. Installing a key held already is not an error.
   *
   * @throws IllegalArgumentException for a key that is not base64 of 16, 24 or 32 bytes
   * @throws IllegalStateException when encryption is off on this node (it has no key)
   */
  CompletableFuture<KeyResponse> install(String key);

  /**
   * Makes {@code key} primary on every node: they seal with it from then on. A node that does not
   * hold it fails (install it first).
   *
   * @throws IllegalArgumentException for a key that is not base64 of 16, 24 or 32 bytes
   * @throws IllegalStateException when encryption is off on this node (it has no key)
   */
  CompletableFuture<KeyResponse> use(String key);

  /**
   * Removes {@code key} from every node. A node for which it is the primary key refuses (and keeps it);
   * removing a key a node does not hold is not an error there.
   *
   * @throws IllegalArgumentException for a key that is not base64 of 16, 24 or 32 bytes, or that is
   *     this node's primary key (nothing is sent then)
   * @throws IllegalStateException when encryption is off on this node (it has no key)
   */
  CompletableFuture<KeyResponse> remove(String key);

  /**
   * The same operations, each waiting at most {@code timeout} for answers (default: the query
   * protocol's default timeout, {@code query.timeoutMult} gossip rounds × log10 N).
   *
   * @throws IllegalArgumentException for a timeout that is not positive or above {@code query.maxTimeout}
   */
  KeyManager withTimeout(Duration timeout);
}
