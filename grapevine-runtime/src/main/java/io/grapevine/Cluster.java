// SPDX-License-Identifier: Apache-2.0
package io.grapevine;

import io.grapevine.api.Member;
import io.grapevine.config.MembershipConfig;
import io.grapevine.api.MembershipStats;
import io.grapevine.node.Endpoint;
import java.time.Duration;
import io.grapevine.security.Keyring;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * A running Grapevine node: the membership protocol over real UDP/TCP sockets.
 *
 * <pre>{@code
 * Cluster node = Cluster.builder()
 *     .name("node-1")
 *     .clusterName("prod")
 *     .bind("0.0.0.0:7946")
 *     .advertise("10.0.0.5:7946")
 *     .start();
 * node.addListener(event -> System.out.println(event));
 * node.join(List.of("10.0.0.4:7946")).get(10, SECONDS);
 * ...
 * node.leave().get();   // graceful: others see it as LEFT
 * node.close();
 * }</pre>
 *
 * <p>Thread-safe. Listeners run on the node's event-loop thread, after the state change and outside
 * any lock; they must not block (hand work to your own executor).
 */
public interface Cluster extends AutoCloseable {

  /** A builder with LAN defaults. */
  static ClusterBuilder builder() {
    return new ClusterBuilder();
  }

  /**
   * Joins through seeds, each {@code HOST:PORT} or {@code dns:NAME[:PORT]} (every A/AAAA record,
   * resolved now). Completes with the number of seeds that answered once the first one has; fails
   * if none answers within the join timeout.
   */
  CompletableFuture<Integer> join(Collection<String> seeds);

  /**
   * Leaves gracefully: announces the departure, keeps gossiping it for {@link
   * MembershipConfig#leavePropagateTime}, then completes. The node stays open until {@link #close()}.
   */
  CompletableFuture<Void> leave();

  /** Closes sockets at once, without announcing a departure (to others, it crashed). Idempotent. */
  @Override
  void close();

  /** Every known member, this node included, alive or not. */
  List<Member> members();

  Optional<Member> member(String name);

  Member localMember();

  /** Replaces this node's metadata (at most {@link MembershipConfig#metadataMaxBytes}); spreads to all. */
  void updateMetadata(byte[] metadata);

  /**
   * Removes a failed (suspect, dead or left) member for good and tells the cluster; stale gossip will
   * not bring it back, a restart of it will.
   *
   * @return false if unknown, alive, or this node
   */
  boolean forceLeave(String name);

  /**
   * Probes a member now, out of its turn, on a hint that it may have failed (for example a
   * connection to it that its host closed). The member is suspected only if the probe fails; hints
   * never raise the probe rate above one extra probe per probe interval.
   *
   * @return false if unknown, this node, already gone, or being probed
   */
  boolean probeSoon(String name);

  /** Registers a listener for membership events; the returned handle removes it. */
  AutoCloseable addListener(MembershipListener listener);

  /** The advertised address (UDP and TCP on the same port). */
  Endpoint endpoint();

  String clusterName();

  MembershipConfig config();

  /** Protocol counters (packets, probes, suspicions, drops by reason...). */
  MembershipStats stats();

  /**
   * The node's encryption: its keyring (install, use, remove, list with per-key open counts) and the
   * migration switches. Thread-safe; changes apply from the next packet on.
   */
  Encryption encryption();

  /**
   * Keyring operations on every member at once ({@code list}, {@code install}, {@code use}, {@code
   * remove}), carried by the query protocol; {@link #keyring()} changes this node's only.
   */
  KeyManager keys();

  /** The node's keys: {@code encryption().keyring()}. */
  default Keyring keyring() {
    return encryption().keyring();
  }

  /** Socket counters (datagrams, stream messages, send errors, oversized and refused input...). */
  io.grapevine.transport.TransportStats transportStats();

  /**
   * The replicated map {@code map} (created on first use; 1..64 of A-Z a-z 0-9 . _ -). Every node
   * holds every map; see {@link ReplicatedMap}.
   *
   * @throws IllegalArgumentException for a bad map name
   */
  ReplicatedMap kv(String map);

  /** User events: publish and subscribe, delivered at most once on every node. */
  Events events();

  /** Cluster-wide aggregates (AVG, SUM, COUNT, MIN, MAX) of published values. */
  Aggregates aggregates();

  /**
   * Exact SUM and COUNT along a sorted ring's spanning tree, if the node was built with {@link
   * ClusterBuilder#treeAggregation}; otherwise a service that reports {@code enabled() == false}.
   */
  TreeService tree();

  /**
   * Answers the queries named {@code name} that reach this node with {@code handler} (see {@link
   * QueryHandler}); one handler per name. Names starting with {@code _grapevine-} are reserved.
   *
   * @return closing it removes the handler
   * @throws IllegalArgumentException for a name that is not 1..255 UTF-8 bytes or is reserved
   * @throws IllegalStateException if the name has a handler already
   */
  AutoCloseable onQuery(String name, QueryHandler handler);

  /**
   * Asks the cluster: spreads the query by gossip to every node (this one included) that passes the
   * options' filters; each answers this node directly, until the deadline. See docs/queries.md.
   *
   * @param name what is asked, 1..255 UTF-8 bytes, not starting with {@code _grapevine-}
   * @param payload the question, at most {@code query.maxPayloadBytes} (1 KiB by default)
   * @throws IllegalArgumentException for a bad name, payload, filter, timeout or relay factor, or a
   *     query too large for one gossip datagram; the message says which
   * @throws IllegalStateException when {@code query.maxOutstanding} queries are collecting already
   */
  QueryHandle query(String name, byte[] payload, io.grapevine.query.QueryOptions options);

  /** Query counters: issued, delivered, answers sent and received, drops by reason. */
  io.grapevine.query.QueryStats queryStats();

  /** Lifeguard local-health score; 0 is healthy. */
  int healthScore();

  /**
   * The node's clock, in milliseconds from an arbitrary origin: the clock {@link
   * Member#stateSinceMillis()} is read on, so {@code clockMillis() - m.stateSinceMillis()} is how long
   * a member has been in its state.
   */
  default long clockMillis() {
    return System.nanoTime() / 1_000_000;
  }

  /**
   * This node's network coordinate; empty unless the node runs coordinates ({@link
   * ClusterBuilder#coordinates}).
   */
  default java.util.Optional<io.grapevine.api.Coordinate> coordinate() {
    return java.util.Optional.empty();
  }

  /**
   * The last coordinate this node heard from {@code member} (its own for its own name); empty when
   * none has arrived yet or coordinates are off.
   */
  default java.util.Optional<io.grapevine.api.Coordinate> coordinate(String member) {
    return java.util.Optional.empty();
  }

  /**
   * The round-trip time between members {@code a} and {@code b} estimated from their coordinates
   * (either may be this node); empty when this node holds no coordinate for one of them.
   */
  default java.util.Optional<Duration> estimateRtt(String a, String b) {
    return java.util.Optional.empty();
  }

  /** True once a join has succeeded (or the node was started without seeds as the first node). */
  boolean isJoined();

  /**
   * Runs {@code command} on the node's thread against its protocols (an application protocol's own
   * commands, see {@link ClusterBuilder#protocol}), then steps the node as after any input. The
   * command gets the node's time and outbox.
   */
  <T> java.util.concurrent.CompletableFuture<T> submit(
      java.util.function.BiFunction<Long, io.grapevine.node.Outbox, T> command);

  /**
   * Calls {@code handler} on the node's thread with every event of class {@code type} (or a
   * subclass) the node's protocols emit: membership changes, user events, an application
   * protocol's own. It must not block.
   *
   * @return closing it ends the subscription
   */
  <E extends io.grapevine.node.ProtocolEvent> AutoCloseable on(Class<E> type,
      java.util.function.Consumer<? super E> handler);
}
