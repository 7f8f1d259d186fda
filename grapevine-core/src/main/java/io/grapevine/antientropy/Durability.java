// SPDX-License-Identifier: Apache-2.0
package io.grapevine.antientropy;

/**
 * Where a {@link Replica} asks for its local writes to be made durable: an effect the driver
 * performs, as it sends the packets handed to an {@link io.grapevine.node.Outbox}. The replica never
 * forces the disk itself, so a slow disk cannot stall the thread that steps the protocols.
 *
 * <p>Every local write (put, delete, counter or set update) gets the next sequence number: 1, 2, 3...
 * The replica applies it to its store at once (visible to local reads, not yet durable) and calls
 * {@link #requestSync(long)} with that number. The driver then makes every write up to it durable,
 * typically with {@link ReplicaStore#sync()} on a thread of its own, and reports it back on the
 * driver thread with {@link AntiEntropy#onDurable} (or {@link Replica#markDurable} when no extension
 * is attached). Requests that arrive while a sync runs wait for the next one, which covers them all:
 * group commit, one fsync for many writes.
 *
 * <p>Until its sequence number is reported durable a local write is not acknowledged to the client
 * and does not leave the node: {@link AntiEntropy} holds back its rumor and keeps the key out of
 * reconciliation replies. So a crash can lose only writes nobody was told about, and a peer never
 * holds a version of this replica's own counter slot or set tags that the replica itself lost.
 */
@FunctionalInterface
public interface Durability {

  /**
   * Every write is durable as soon as it is in the store: for stores that keep nothing across
   * process lives ({@link InMemoryReplicaStore}, simulations), where there is nothing to wait for.
   */
  Durability IMMEDIATE = seq -> true;

  /**
   * Asks for local writes {@code 1..seq} to be made durable. Called on the driver thread, right
   * after write {@code seq} was applied to the store; must not block unless the driver means to
   * (see {@link #blocking}).
   *
   * @param seq the sequence number of the latest local write
   * @return true if those writes are durable already when this returns (the replica records it
   *     itself, nothing is reported later); false if the driver will report them with {@link
   *     AntiEntropy#onDurable} or {@link Replica#markDurable} once a sync has covered them
   */
  boolean requestSync(long seq);

  /**
   * Syncs {@code store} on the calling thread before each local write returns: one fsync per write,
   * on the driver thread. For tools and single-threaded programs that use a {@link Replica} directly;
   * a node's runtime hands the sync to another thread instead.
   */
  static Durability blocking(ReplicaStore store) {
    return seq -> {
      store.sync();
      return true;
    };
  }
}
