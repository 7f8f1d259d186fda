// SPDX-License-Identifier: Apache-2.0
package io.grapevine.agent.api;

import io.grapevine.Cluster;
import io.grapevine.MembershipListener;
import io.grapevine.api.Member;
import io.grapevine.api.MemberState;
import io.grapevine.config.MembershipConfig;
import io.grapevine.api.MembershipStats;
import io.grapevine.node.Endpoint;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/** A scripted {@link Cluster} for unit tests of the HTTP handlers and formatting. */
final class FakeCluster implements Cluster {
  final Map<String, Member> members = new ConcurrentHashMap<>();
  final MembershipStats stats = MembershipStats.empty();
  final io.grapevine.transport.TransportStats transport = new io.grapevine.transport.TransportStats();
  final List<Collection<String>> joins = new ArrayList<>();
  volatile CompletableFuture<Integer> joinResult = CompletableFuture.completedFuture(1);
  volatile boolean joined = true;
  volatile boolean left;
  volatile int health;
  final List<String> forced = new ArrayList<>();
  final String localName;

  FakeCluster(String localName) {
    this.localName = localName;
    put(localName, MemberState.ALIVE, "role=seed");
  }

  FakeCluster put(String name, MemberState state, String meta) {
    int port = 7946 + members.size();
    members.put(name, new Member(name, Endpoint.parse("127.0.0.1:" + port), state, 3, meta.getBytes(
        java.nio.charset.StandardCharsets.UTF_8), 1, 1, 0));
    return this;
  }

  @Override
  public CompletableFuture<Integer> join(Collection<String> seeds) {
    joins.add(List.copyOf(seeds));
    return joinResult;
  }

  @Override
  public CompletableFuture<Void> leave() {
    left = true;
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public void close() {}

  @Override
  public List<Member> members() {
    return List.copyOf(members.values());
  }

  @Override
  public Optional<Member> member(String name) {
    return Optional.ofNullable(members.get(name));
  }

  @Override
  public Member localMember() {
    return members.get(localName);
  }

  @Override
  public void updateMetadata(byte[] metadata) {
    if (metadata.length > 65_535) { // the largest membership.metadataMaxBytes allows
      throw new IllegalArgumentException("metadata is " + metadata.length + " bytes, more than 65535");
    }
    lastMetadata = metadata.clone();
  }

  /** What the last {@link #updateMetadata} set, or null. */
  volatile byte[] lastMetadata;

  @Override
  public boolean forceLeave(String name) {
    forced.add(name);
    Member m = members.get(name);
    if (m == null || m.state() == MemberState.ALIVE || name.equals(localName)) {
      return false;
    }
    put(name, MemberState.LEFT, "");
    return true;
  }

  @Override
  public boolean probeSoon(String name) {
    Member m = members.get(name);
    return m != null && !name.equals(localName) && m.state() != MemberState.DEAD
        && m.state() != MemberState.LEFT;
  }

  @Override
  public AutoCloseable addListener(MembershipListener listener) {
    return () -> {};
  }

  @Override
  public Endpoint endpoint() {
    return localMember().endpoint();
  }

  @Override
  public String clusterName() {
    return "test";
  }

  @Override
  public MembershipConfig config() {
    return MembershipConfig.local();
  }

  @Override
  public MembershipStats stats() {
    return stats;
  }

  final io.grapevine.Encryption encryption = new io.grapevine.Encryption(new io.grapevine.security.PacketSeal(
      new io.grapevine.security.Keyring(), "test", io.grapevine.config.EncryptionConfig.defaults(),
      System::currentTimeMillis, (dst, off, len) -> {}), new io.grapevine.stack.StackStats());

  @Override
  public io.grapevine.Encryption encryption() {
    return encryption;
  }

  /** What {@link #keys()} returns; tests set their own. */
  io.grapevine.KeyManager keys;

  @Override
  public io.grapevine.KeyManager keys() {
    if (keys == null) {
      throw new UnsupportedOperationException("no keyring operations on a fake node");
    }
    return keys;
  }

  @Override
  public io.grapevine.transport.TransportStats transportStats() {
    return transport;
  }

  @Override
  public int healthScore() {
    return health;
  }

  @Override
  public boolean isJoined() {
    return joined;
  }

  @Override
  public <T> java.util.concurrent.CompletableFuture<T> submit(
      java.util.function.BiFunction<Long, io.grapevine.node.Outbox, T> command) {
    throw new UnsupportedOperationException("the API server never steps protocols directly");
  }

  @Override
  public <E extends io.grapevine.node.ProtocolEvent> AutoCloseable on(Class<E> type,
      java.util.function.Consumer<? super E> handler) {
    throw new UnsupportedOperationException("the API server subscribes through the Cluster facades");
  }

  final FakeEvents events = new FakeEvents();
  final FakeAggregates aggregates = new FakeAggregates();
  final Map<String, FakeKv> maps = new ConcurrentHashMap<>();

  @Override
  public io.grapevine.ReplicatedMap kv(String map) {
    if (map.isEmpty() || map.contains("/")) {
      throw new IllegalArgumentException("map name must be 1..255 UTF-8 bytes without '/'");
    }
    return maps.computeIfAbsent(map, FakeKv::new);
  }

  @Override
  public io.grapevine.Events events() {
    return events;
  }

  @Override
  public io.grapevine.Aggregates aggregates() {
    return aggregates;
  }

  final FakeTree tree = new FakeTree();

  @Override
  public io.grapevine.TreeService tree() {
    return tree;
  }

  @Override
  public AutoCloseable onQuery(String name, io.grapevine.QueryHandler handler) {
    throw new IllegalStateException("this scripted cluster runs no query protocol");
  }

  @Override
  public io.grapevine.QueryHandle query(String name, byte[] payload, io.grapevine.query.QueryOptions options) {
    throw new IllegalStateException("this scripted cluster runs no query protocol");
  }

  @Override
  public io.grapevine.query.QueryStats queryStats() {
    throw new IllegalStateException("this scripted cluster runs no query protocol");
  }
}
