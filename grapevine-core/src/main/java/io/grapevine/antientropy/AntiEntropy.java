// SPDX-License-Identifier: Apache-2.0
package io.grapevine.antientropy;

import io.grapevine.api.AntiEntropyStats;
import io.grapevine.config.AntiEntropyConfig;
import io.grapevine.stack.Protocol;
import io.grapevine.stack.ProtocolContext;
import io.grapevine.wire.MessageRange;
import io.grapevine.antientropy.AntiEntropyMessages.Buckets;
import io.grapevine.antientropy.AntiEntropyMessages.Nodes;
import io.grapevine.antientropy.AntiEntropyMessages.Rumor;
import io.grapevine.antientropy.AntiEntropyMessages.SyncEntry;
import io.grapevine.antientropy.AntiEntropyMessages.Want;
import io.grapevine.api.MemberEvent;
import io.grapevine.node.Delivery;
import io.grapevine.node.Endpoint;
import io.grapevine.node.Outbox;
import io.grapevine.wire.MalformedPacketException;
import io.grapevine.wire.MessageType;
import io.grapevine.wire.PacketReader;
import io.grapevine.wire.PacketWriter;
import io.grapevine.wire.WireFormat;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.random.RandomGenerator;

/**
 * The replicated store's protocol, a {@link Protocol} of a node's stack (beside membership, or
 * alone over any peer sampler). Sans-I/O.
 *
 * <p><b>Fast path: rumors.</b> A local write is piggybacked on the host's gossip (retransmitted
 * {@code retransmitMult * ceil(log10(N+1))} times, a newer write of the same key replacing the
 * older) and pushed at once to {@link AntiEntropyConfig#rumorFanout} random peers. A node for which
 * a rumor is news piggybacks it in turn (or, on a host without piggybacking, pushes it on).
 *
 * <p><b>Anti-entropy path: hash-tree reconciliation.</b> Every {@link
 * AntiEntropyConfig#syncInterval}, and soon after a member joins or comes back (partition heal,
 * restart), a node picks a peer and the two descend their {@link MerkleTree}s over stream
 * messages, each step answered by the other side with only the subtrees whose hashes differ:
 *
 * <pre>
 * A -&gt; B  NODES(level 0: A's 16 child hashes of the root)
 * B -&gt; A  NODES(level 1: B's children of each level-1 node that differs)      ... alternating ...
 * X -&gt; Y  BUCKETS(X's digest (keyHash, entryHash) of each differing bucket)
 * Y -&gt; X  WANT(key hashes X has and Y lacks) + SYNC_ENTRY* (Y's versions X lacks)
 * X -&gt; Y  SYNC_ENTRY* (the wanted versions)
 * </pre>
 *
 * Responders keep no session state: each message carries what the answer needs, so a lost message
 * just ends the exchange and the next one starts over. With d differing keys among n, an exchange
 * moves about d * depth * 16 hashes plus the d entries, in depth + 3 messages, instead of n
 * digests. When replicas agree it is one message of ~170 bytes.
 *
 * <p><b>Flow control.</b> Each reply is at most {@link AntiEntropyConfig#syncChunkBytes}; when more
 * subtrees differ than fit, a rotating subset is explored and the rest is left to later exchanges.
 * Entries go oldest version first (newest last), in stream packets of at most {@code syncChunkBytes}
 * and at most {@link AntiEntropyConfig#syncMaxBytesPerExchange} per exchange; each packet holds whole
 * entries and each entry is merged on its own, so the receiver is consistent after every packet.
 *
 * <p><b>Durability.</b> A local write is applied to the replica at once and made durable by the
 * driver ({@link Durability}); until the driver reports it with {@link #onDurable}, the write is
 * not acknowledged and its key's version does not leave the node: its rumor waits, a rumor that
 * changes the key is not passed on, and reconciliation replies leave the key out. (Otherwise a
 * crash before the sync could take back a version peers already hold, and the restarted node would
 * reissue the same counter slot or set tags for different updates.) Over a store that needs no sync
 * nothing waits.
 *
 * <p>Both paths count the keys they change ({@link AntiEntropyStats}).
 */
public final class AntiEntropy implements Protocol<AntiEntropyMessages.Message> {
  /** Type codes owned: the anti-entropy range. */
  public static final int FIRST_TYPE = 0x40;

  public static final int LAST_TYPE = 0x5F;
  /** At most this many join-triggered reconciliations wait at once. */
  private static final int MAX_PENDING = 8;

  private final Replica replica;
  private final AntiEntropyConfig config;
  private final RandomGenerator random;
  private final long wallClockOffsetMillis;
  private final AntiEntropyCounters stats = new AntiEntropyCounters();
  private final ByteSink sink = new ByteSink(4096);
  private final LinkedHashSet<Endpoint> pending = new LinkedHashSet<>();
  private final List<Endpoint> peers = new ArrayList<>();
  private final long[] mine = new long[MerkleTree.FANOUT];
  private ProtocolContext ctx;
  private PacketWriter chunk;
  private int datagramRoom;
  private boolean started;
  private long nextSyncMillis;
  private long nextGcMillis;
  private long nextPendingMillis = Long.MAX_VALUE;
  private double tokens;
  private long tokensAtMillis = Long.MIN_VALUE;

  /**
   * @param replica the local replica
   * @param random the only source of randomness (peer choice, session ids, rotation)
   * @param wallClockOffsetMillis added to the driver's {@code now} to get physical (wall-clock)
   *     milliseconds, which HLC timestamps, TTLs and tombstone removal use; 0 when {@code now} is
   *     already wall-clock time (simulations, tests)
   */
  public AntiEntropy(Replica replica, RandomGenerator random, long wallClockOffsetMillis) {
    this.replica = replica;
    this.config = replica.config();
    this.random = random;
    this.wallClockOffsetMillis = wallClockOffsetMillis;
  }

  public Replica replica() {
    return replica;
  }

  public AntiEntropyStats stats() {
    return stats.snapshot();
  }

  /** Physical milliseconds at driver time {@code now}. */
  public long physicalMillis(long nowMillis) {
    return nowMillis + wallClockOffsetMillis;
  }

  // ------------------------------------------------------------------ extension contract

  @Override
  public void attach(ProtocolContext context) {
    this.ctx = context;
    int overhead = WireFormat.overhead(Entry.utf8(context.clusterName()).length);
    this.chunk = new PacketWriter(config.syncChunkBytes + overhead, context.clusterName());
    this.datagramRoom = context.datagramBytes() - overhead;
  }

  /** The protocol's name on a stack. */
  public static final String PROTOCOL_NAME = "kv";

  @Override
  public String protocolName() {
    return PROTOCOL_NAME;
  }

  @Override
  public MessageRange messageTypes() {
    return MessageRange.KV;
  }

  @Override
  public AntiEntropyMessages.Message decode(PacketReader reader) throws MalformedPacketException {
    return AntiEntropyMessages.decode(reader, config);
  }

  @Override
  public void onMessage(long nowMillis, Endpoint from, AntiEntropyMessages.Message message, Delivery delivery, Outbox out) {
    long phys = physicalMillis(nowMillis);
    if (message instanceof Rumor r) {
      stats.rumorsReceived++;
      List<Entry> changed = replica.merge(List.of(r.entry()), phys);
      if (!changed.isEmpty()) {
        stats.keysRepairedByRumor++;
        // With a local write of the key not yet durable, the merged version carries it: it goes out
        // with that write's rumor, once durable.
        if (!replica.awaitingDurability(changed.get(0).key())) {
          spread(nowMillis, changed.get(0), false, out);
        }
      }
      return;
    }
    stats.syncMessagesReceived++;
    if (message instanceof SyncEntry e) {
      stats.keysRepairedByAntiEntropy += replica.merge(List.of(e.entry()), phys).size();
    } else if (message instanceof Nodes n) {
      onNodes(n, out);
    } else if (message instanceof Buckets b) {
      onBuckets(b, out);
    } else if (message instanceof Want w) {
      onWant(w, out);
    }
  }

  @Override
  public void onTick(long nowMillis, Outbox out) {
    if (!started) {
      started = true;
      long interval = config.syncInterval.toMillis();
      // Random phase so nodes started together do not reconcile in lockstep.
      nextSyncMillis = nowMillis + 1 + random.nextLong(interval);
      nextGcMillis = nowMillis + config.gcInterval.toMillis();
    }
    // A replica holding nothing starts no exchange: a cluster that does not use the store pays
    // nothing, and convergence is unharmed because every replica holding data keeps reconciling
    // with random peers (one exchange repairs both sides).
    boolean hasData = replica.tree().size() > 0;
    if (!hasData) {
      pending.clear();
    }
    if (nowMillis >= nextPendingMillis) {
      Iterator<Endpoint> it = pending.iterator();
      if (it.hasNext()) {
        Endpoint peer = it.next();
        it.remove();
        sync(nowMillis, peer, out);
      }
      nextPendingMillis = pending.isEmpty() ? Long.MAX_VALUE
          : nowMillis + Math.max(20, config.syncInterval.toMillis() / 8);
    }
    if (nowMillis >= nextSyncMillis && hasData) {
      peers.clear();
      ctx.peers().sample(1, peers);
      if (!peers.isEmpty()) {
        sync(nowMillis, peers.get(0), out);
      }
    }
    if (nowMillis >= nextSyncMillis) {
      nextSyncMillis = nowMillis + config.syncInterval.toMillis();
    }
    if (nowMillis >= nextGcMillis) {
      replica.collectGarbage(physicalMillis(nowMillis));
      nextGcMillis = nowMillis + config.gcInterval.toMillis();
    }
  }

  @Override
  public long nextDeadlineMillis() {
    if (!started) {
      return Long.MIN_VALUE;
    }
    return Math.min(Math.min(nextSyncMillis, nextGcMillis), nextPendingMillis);
  }

  /**
   * A member joined or came back (after a partition, or restarted): reconcile with it soon. Only
   * with probability 2/(N-1), so that a newcomer is not hit by every member at once while each side
   * of a healed partition still starts about two exchanges per node; periodic exchanges do the rest.
   */
  @Override
  public void onPeerEvent(long nowMillis, MemberEvent me, Outbox out) {
    if ((me.type() != MemberEvent.Type.JOINED && me.type() != MemberEvent.Type.ALIVE)
        || me.member().name().equals(ctx.localName()) || replica.tree().size() == 0) {
      return;
    }
    int others = Math.max(1, ctx.clusterSize() - 1);
    if (others > 2 && random.nextInt(others) >= 2) {
      return;
    }
    pending.add(me.member().endpoint());
    if (pending.size() > MAX_PENDING) {
      Iterator<Endpoint> it = pending.iterator();
      it.next();
      it.remove();
    }
    nextPendingMillis = Math.min(nextPendingMillis, nowMillis);
  }

  // ------------------------------------------------------------------ local writes

  /**
   * Writes a value (see {@link Replica#put}) and spreads it, at once if the write is durable when
   * the replica returns, otherwise when {@link #onDurable} reports it. The write is acknowledged
   * once {@code replica().durableSeq() >= replica().writeSeq()} as read right after this call.
   */
  public Entry put(long nowMillis, String map, String key, byte[] value, long ttlMillis, Outbox out) {
    return local(nowMillis, replica.put(physicalMillis(nowMillis), map, key, value, ttlMillis), out);
  }

  /** Deletes a key and spreads the tombstone. */
  public Entry delete(long nowMillis, String map, String key, Outbox out) {
    return local(nowMillis, replica.delete(physicalMillis(nowMillis), map, key), out);
  }

  /** Adds to a counter and spreads the new state. */
  public Entry increment(long nowMillis, String map, String key, long delta, Outbox out) {
    return local(nowMillis, replica.increment(physicalMillis(nowMillis), map, key, delta), out);
  }

  /** Adds to a set and spreads the new state. */
  public Entry addToSet(long nowMillis, String map, String key, String element, Outbox out) {
    return local(nowMillis, replica.addToSet(physicalMillis(nowMillis), map, key, element), out);
  }

  /** Removes from a set and spreads the new state. */
  public Entry removeFromSet(long nowMillis, String map, String key, String element, Outbox out) {
    return local(nowMillis, replica.removeFromSet(physicalMillis(nowMillis), map, key, element), out);
  }

  private Entry local(long nowMillis, Entry e, Outbox out) {
    if (e != null && ctx != null && !replica.awaitingDurability(e.key())) {
      spread(nowMillis, e, true, out);
    }
    return e;
  }

  /**
   * The driver reports that local writes up to number {@code seq} ({@link Replica#writeSeq()}) are
   * durable: a sync that started after write {@code seq} was applied has finished. Records it in
   * the replica, counts the group commit, and spreads the keys whose writes were waiting for it
   * (their current versions). A number already reported changes nothing. Driver thread.
   */
  public void onDurable(long nowMillis, long seq, Outbox out) {
    long before = replica.durableSeq();
    List<StoreKey> ready = replica.markDurable(seq);
    long writes = replica.durableSeq() - before;
    if (writes > 0) {
      stats.durabilitySyncs++;
      stats.durableWrites += writes;
      stats.largestSyncGroup = Math.max(stats.largestSyncGroup, writes);
    }
    if (ctx == null) {
      return;
    }
    for (StoreKey k : ready) {
      Entry e = replica.get(k);
      if (e != null) {
        spread(nowMillis, e, true, out);
      }
    }
  }

  /** Takes one piggyback token (see {@link AntiEntropyConfig#rumorPiggybackPerSecond}). */
  private boolean piggybackToken(long nowMillis) {
    int rate = config.rumorPiggybackPerSecond;
    if (rate == 0) {
      return false;
    }
    if (tokensAtMillis == Long.MIN_VALUE) {
      tokens = rate;
    } else if (nowMillis > tokensAtMillis) {
      tokens = Math.min(rate, tokens + (nowMillis - tokensAtMillis) * rate / 1000.0);
    }
    tokensAtMillis = Math.max(tokensAtMillis, nowMillis);
    if (tokens >= 1) {
      tokens -= 1;
      return true;
    }
    return false;
  }

  /** Piggybacks a version and pushes it to a few peers (see the class doc). */
  private void spread(long nowMillis, Entry e, boolean local, Outbox out) {
    byte[] msg = AntiEntropyMessages.entryMessage(MessageType.KV_RUMOR, e);
    boolean fits = msg.length <= datagramRoom;
    boolean piggybacked = fits && piggybackToken(nowMillis)
        && ctx.piggyback("kv:" + e.key().map() + "/" + e.key().key(), msg);
    if (fits && !piggybacked) {
      stats.piggybacksDeclined++;
    }
    int fanout = local || !piggybacked ? config.rumorFanout : 0;
    if (fanout == 0) {
      return;
    }
    peers.clear();
    ctx.peers().sample(fanout, peers);
    for (Endpoint p : peers) {
      chunk.begin();
      chunk.putEncodedMessage(msg);
      out.send(p, chunk.finish(), fits ? Delivery.DATAGRAM : Delivery.STREAM);
      stats.rumorsSent++;
    }
  }

  // ------------------------------------------------------------------ reconciliation

  /** Starts a reconciliation with {@code peer} now. */
  public void sync(long nowMillis, Endpoint peer, Outbox out) {
    stats.syncsStarted++;
    MerkleTree tree = replica.tree();
    long[] hashes = new long[MerkleTree.FANOUT];
    tree.children(0, 0, hashes);
    sink.reset();
    AntiEntropyMessages.nodes(sink, random.nextLong(), ctx.localEndpoint(), tree.depth(), 0, new int[] {0}, 0, 1,
        hashes);
    send(peer, List.of(sink.toArray()));
    flush(peer, out);
  }

  private void onNodes(Nodes n, Outbox out) {
    MerkleTree tree = replica.tree();
    if (n.depth() != tree.depth()) {
      stats.unexpected++;
      return;
    }
    List<Integer> differing = new ArrayList<>();
    for (int i = 0; i < n.indexes().length; i++) {
      tree.children(n.level(), n.indexes()[i], mine);
      for (int c = 0; c < MerkleTree.FANOUT; c++) {
        if (mine[c] != n.hashes()[i * MerkleTree.FANOUT + c]) {
          differing.add(n.indexes()[i] * MerkleTree.FANOUT + c);
        }
      }
    }
    if (differing.isEmpty()) {
      if (n.level() == 0) {
        stats.syncsAlreadyEqual++;
      }
      return;
    }
    int childLevel = n.level() + 1;
    if (childLevel < tree.depth()) {
      replyNodes(n.session(), n.replyTo(), childLevel, differing, out);
    } else {
      replyBuckets(n.session(), n.replyTo(), differing, out);
    }
  }

  /** Rotates {@code list} to a random start, so a truncated reply explores a different subset each time. */
  private <T> List<T> rotated(List<T> list) {
    if (list.size() < 2) {
      return list;
    }
    int start = random.nextInt(list.size());
    List<T> r = new ArrayList<>(list.subList(start, list.size()));
    r.addAll(list.subList(0, start));
    return r;
  }

  private void replyNodes(long session, Endpoint to, int level, List<Integer> differing, Outbox out) {
    MerkleTree tree = replica.tree();
    int fit = Math.max(1, (config.syncChunkBytes - 256) / (AntiEntropyMessages.NODE_BYTES + 1));
    List<Integer> chosen = differing;
    if (differing.size() > fit) {
      chosen = rotated(differing).subList(0, fit);
      stats.exchangesTruncated++;
    }
    int[] indexes = new int[chosen.size()];
    long[] hashes = new long[chosen.size() * MerkleTree.FANOUT];
    for (int i = 0; i < indexes.length; i++) {
      indexes[i] = chosen.get(i);
      tree.children(level, indexes[i], mine);
      System.arraycopy(mine, 0, hashes, i * MerkleTree.FANOUT, MerkleTree.FANOUT);
    }
    int perMessage = (AntiEntropyMessages.MAX_BODY - AntiEntropyMessages.SYNC_HEADER_BYTES)
        / AntiEntropyMessages.NODE_BYTES;
    List<byte[]> messages = new ArrayList<>();
    for (int from = 0; from < indexes.length; from += perMessage) {
      sink.reset();
      AntiEntropyMessages.nodes(sink, session, ctx.localEndpoint(), tree.depth(), level, indexes, from,
          Math.min(perMessage, indexes.length - from), hashes);
      messages.add(sink.toArray());
    }
    send(to, messages);
    flush(to, out);
  }

  private void replyBuckets(long session, Endpoint to, List<Integer> differing, Outbox out) {
    MerkleTree tree = replica.tree();
    int budget = config.syncChunkBytes - 256;
    List<byte[]> messages = new ArrayList<>();
    List<Integer> order = rotated(differing);
    int i = 0;
    while (i < order.size() && budget > 0) {
      sink.reset();
      int[] marks = AntiEntropyMessages.beginBuckets(sink, session, ctx.localEndpoint(), tree.depth());
      int count = 0;
      while (i < order.size()) {
        List<MerkleTree.Slot> slots = tree.bucket(order.get(i));
        int bytes = AntiEntropyMessages.bucketBytes(slots.size());
        boolean messageFull = sink.size() + bytes > AntiEntropyMessages.MAX_BODY;
        if (count > 0 && (messageFull || bytes > budget)) {
          break;
        }
        AntiEntropyMessages.bucket(sink, order.get(i), slots);
        budget -= bytes;
        count++;
        i++;
      }
      AntiEntropyMessages.endBuckets(sink, marks, count);
      messages.add(sink.toArray());
    }
    if (i < order.size()) {
      stats.exchangesTruncated++;
    }
    send(to, messages);
    flush(to, out);
  }

  private void onBuckets(Buckets b, Outbox out) {
    MerkleTree tree = replica.tree();
    if (b.depth() != tree.depth()) {
      stats.unexpected++;
      return;
    }
    List<Entry> toSend = new ArrayList<>();
    List<Long> wants = new ArrayList<>();
    Set<Long> theirs = new HashSet<>();
    Set<Long> ours = new HashSet<>();
    for (int i = 0; i < b.buckets().length; i++) {
      theirs.clear();
      ours.clear();
      for (int j = b.offsets()[i]; j < b.offsets()[i + 1]; j++) {
        theirs.add(pairHash(b.keyHashes()[j], b.entryHashes()[j]));
      }
      for (MerkleTree.Slot s : tree.bucket(b.buckets()[i])) {
        long pair = pairHash(s.keyHash(), s.hash());
        ours.add(pair);
        if (!theirs.contains(pair) && !replica.awaitingDurability(s.key())) {
          Entry e = replica.get(s.key());
          if (e != null) {
            toSend.add(e);
          }
        }
      }
      for (int j = b.offsets()[i]; j < b.offsets()[i + 1]; j++) {
        if (!ours.contains(pairHash(b.keyHashes()[j], b.entryHashes()[j]))) {
          wants.add(b.keyHashes()[j]);
        }
      }
    }
    if (!wants.isEmpty()) {
      stats.keysWanted += wants.size();
      long[] kh = new long[wants.size()];
      for (int i = 0; i < kh.length; i++) {
        kh[i] = wants.get(i);
      }
      int perMessage = (AntiEntropyMessages.MAX_BODY - AntiEntropyMessages.SYNC_HEADER_BYTES) / 8;
      List<byte[]> messages = new ArrayList<>();
      for (int from = 0; from < kh.length; from += perMessage) {
        sink.reset();
        AntiEntropyMessages.want(sink, b.session(), ctx.localEndpoint(), kh, from,
            Math.min(perMessage, kh.length - from));
        messages.add(sink.toArray());
      }
      send(b.replyTo(), messages);
    }
    // The wants and the entries travel together: one leg, as few packets as fit.
    sendEntries(b.replyTo(), toSend, out);
  }

  private static long pairHash(long keyHash, long entryHash) {
    return Hash64.fmix(keyHash * 31 + entryHash);
  }

  private void onWant(Want w, Outbox out) {
    MerkleTree tree = replica.tree();
    List<Entry> toSend = new ArrayList<>();
    Set<Long> seen = new HashSet<>();
    for (long kh : w.keyHashes()) {
      if (!seen.add(kh)) {
        continue;
      }
      for (MerkleTree.Slot s : tree.bucket(tree.bucketOf(kh))) {
        if (s.keyHash() == kh && !replica.awaitingDurability(s.key())) {
          Entry e = replica.get(s.key());
          if (e != null) {
            toSend.add(e);
          }
        }
      }
    }
    sendEntries(w.replyTo(), toSend, out);
  }

  /** Ships entries oldest version first, in bounded stream packets, within the exchange budget. */
  private void sendEntries(Endpoint to, List<Entry> entries, Outbox out) {
    if (entries.isEmpty()) {
      flush(to, out);
      return;
    }
    entries.sort(Comparator.comparingLong(Entry::hlc).thenComparing(Entry::key));
    long budget = config.syncMaxBytesPerExchange;
    List<byte[]> messages = new ArrayList<>();
    for (Entry e : entries) {
      byte[] msg = AntiEntropyMessages.entryMessage(MessageType.KV_SYNC_ENTRY, e);
      if (msg.length > budget) {
        stats.exchangesTruncated++;
        break;
      }
      budget -= msg.length;
      messages.add(msg);
      stats.entriesSent++;
    }
    send(to, messages);
    flush(to, out);
  }

  // Packs whole messages into stream packets of at most syncChunkBytes.
  private final List<byte[]> queued = new ArrayList<>();

  private void send(Endpoint to, List<byte[]> messages) {
    queued.addAll(messages);
  }

  private void flush(Endpoint to, Outbox out) {
    chunk.begin();
    for (byte[] m : queued) {
      if (m.length > chunk.remaining() && chunk.messageCount() > 0) {
        emitChunk(to, out);
        chunk.begin();
      }
      chunk.putEncodedMessage(m);
    }
    if (chunk.messageCount() > 0) {
      emitChunk(to, out);
    }
    queued.clear();
  }

  private void emitChunk(Endpoint to, Outbox out) {
    ByteBuffer packet = chunk.finish();
    stats.syncPacketsSent++;
    stats.syncBytesSent += packet.remaining();
    out.send(to, packet, Delivery.STREAM);
  }
}
