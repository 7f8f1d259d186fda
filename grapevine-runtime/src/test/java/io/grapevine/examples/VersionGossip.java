// SPDX-License-Identifier: Apache-2.0
package io.grapevine.examples;

import io.grapevine.api.MemberEvent;
import io.grapevine.node.Delivery;
import io.grapevine.node.Endpoint;
import io.grapevine.node.Outbox;
import io.grapevine.node.ProtocolEvent;
import io.grapevine.stack.Protocol;
import io.grapevine.stack.ProtocolContext;
import io.grapevine.stack.PushPullState;
import io.grapevine.wire.DropReason;
import io.grapevine.wire.FieldWriter;
import io.grapevine.wire.MalformedPacketException;
import io.grapevine.wire.MessageEncoder;
import io.grapevine.wire.MessageRange;
import io.grapevine.wire.PacketReader;
import java.util.HashMap;
import java.util.Map;

/**
 * The worked example of docs/writing-a-protocol.md: every node announces the version of the
 * application it runs, and every node learns every other node's. The announcement rides on
 * membership's gossip (piggyback), so it costs no packet of its own; a node that joins later is told
 * directly by the nodes that see it join (a peer event answered with a datagram). Rumors can miss a
 * node, so the whole table also rides on membership's periodic full-state exchange ({@link
 * PushPullState}): anti-entropy, which makes every node learn every version eventually.
 */
public final class VersionGossip implements Protocol<VersionGossip.Announcement>, PushPullState {
  /** Its block of codes, taken from the application range. */
  public static final MessageRange TYPES = MessageRange.of(0xC0, 0xC0);
  private static final int ANNOUNCE = 0xC0;

  /** The one message: who runs which version, with a counter so a newer announcement wins. */
  public record Announcement(String node, long counter, String version) {}

  /** Emitted when a node's version is first seen or changes. */
  public record VersionSeen(String node, String version) implements ProtocolEvent {}

  /** Nodes remembered, at most: the table is keyed by what other nodes send, so it has a cap. */
  private static final int MAX_NODES = 10_000;

  private final Map<String, Announcement> known = new HashMap<>();
  private final MessageEncoder encoder = new MessageEncoder(600);
  private ProtocolContext ctx;
  private String version;
  private long counter;

  public VersionGossip(String version) {
    this.version = version;
  }

  @Override
  public String protocolName() {
    return "version";
  }

  @Override
  public MessageRange messageTypes() {
    return TYPES;
  }

  @Override
  public void attach(ProtocolContext context) {
    this.ctx = context;
  }

  @Override
  public void start(long nowMillis, Outbox out) {
    announce();
  }

  /** A command: the application upgraded. Call it on the node's thread (ClusterNode.submit). */
  public void setVersion(String newVersion) {
    version = newVersion;
    announce();
  }

  /** What this node knows: node name to version. Node's thread. */
  public Map<String, String> versions() {
    Map<String, String> out = new HashMap<>();
    known.forEach((node, a) -> out.put(node, a.version()));
    return out;
  }

  private void announce() {
    counter++;
    Announcement mine = new Announcement(ctx.localName(), counter, version);
    known.put(mine.node(), mine);
    // The same key for each node's announcements: a newer one replaces the older in the queue.
    ctx.piggyback("version:" + mine.node(), encode(mine));
  }

  private byte[] encode(Announcement a) {
    writeBody(encoder.begin(ANNOUNCE), a);
    return encoder.end();
  }

  /** The body on the wire, written alike to a queued message and to a packet. */
  private static void writeBody(FieldWriter w, Announcement a) {
    w.putString8(a.node()).putLong(a.counter()).putString8(a.version());
  }

  @Override
  public Announcement decode(PacketReader reader) throws MalformedPacketException {
    Announcement a = new Announcement(reader.getString8(), reader.getLong(), reader.getString8());
    if (a.counter() < 1) {
      throw new MalformedPacketException(DropReason.BAD_FIELD, "counter " + a.counter());
    }
    return a;
  }

  @Override
  public void onMessage(long nowMillis, Endpoint from, Announcement a, Delivery delivery, Outbox out) {
    learn(a, out);
  }

  private void learn(Announcement a, Outbox out) {
    Announcement old = known.get(a.node());
    if (old != null && old.counter() >= a.counter()) {
      return;
    }
    if (old == null && known.size() >= MAX_NODES) {
      ctx.dropped(DropReason.OVERSIZED);
      return;
    }
    known.put(a.node(), a);
    if (old == null || !old.version().equals(a.version())) {
      out.emit(new VersionSeen(a.node(), a.version()));
    }
    // Pass news on, as membership passes on its own: an epidemic, bounded by the queue's limits.
    ctx.piggyback("version:" + a.node(), encode(a));
  }

  @Override
  public void onPeerEvent(long nowMillis, MemberEvent event, Outbox out) {
    if (event.type() == MemberEvent.Type.JOINED && !event.member().name().equals(ctx.localName())) {
      // A newcomer missed the earlier gossip: tell it ours directly.
      io.grapevine.wire.PacketWriter w = new io.grapevine.wire.PacketWriter(700, ctx.clusterName()).begin();
      Announcement mine = known.get(ctx.localName());
      writeBody(w.beginMessage(ANNOUNCE), mine);
      w.endMessage();
      out.send(event.member().endpoint(), w.finish(), Delivery.DATAGRAM);
    }
  }

  /** The whole table, for membership's full-state exchange with one peer. */
  @Override
  public byte[] localState(boolean join) {
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    java.io.DataOutputStream data = new java.io.DataOutputStream(bytes);
    try {
      data.writeInt(known.size());
      for (Announcement a : known.values()) {
        data.writeUTF(a.node());
        data.writeLong(a.counter());
        data.writeUTF(a.version());
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /** A peer's table: every announcement newer than ours is learned (and announced as an event). */
  @Override
  public void mergeRemoteState(long nowMillis, byte[] state, boolean join, Outbox out) {
    java.io.DataInputStream data = new java.io.DataInputStream(new java.io.ByteArrayInputStream(state));
    try {
      int n = data.readInt();
      if (n < 0 || n > MAX_NODES) {
        return;
      }
      for (int i = 0; i < n; i++) {
        Announcement a = new Announcement(data.readUTF(), data.readLong(), data.readUTF());
        if (a.counter() >= 1) {
          learn(a, out);
        }
      }
    } catch (java.io.IOException e) {
      // A truncated or garbled state: what was read is kept, the rest waits for the next exchange.
    }
  }

}
