// SPDX-License-Identifier: Apache-2.0
package io.grapevine.stack;

import io.grapevine.api.MemberEvent;
import io.grapevine.internal.hash.Hash64;
import io.grapevine.node.Delivery;
import io.grapevine.node.Endpoint;
import io.grapevine.node.Outbox;
import io.grapevine.node.PeerSampler;
import io.grapevine.node.ProtocolEvent;
import io.grapevine.node.ProtocolNode;
import io.grapevine.security.EncryptionMismatch;
import io.grapevine.security.PacketSeal;
import io.grapevine.wire.DropReason;
import io.grapevine.wire.EndpointResolver;
import io.grapevine.wire.MalformedPacketException;
import io.grapevine.wire.PacketReader;
import io.grapevine.wire.WireFormat;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import java.util.zip.CRC32C;

/**
 * One node: the protocols it runs, stacked on one port and one packet envelope. The stack is what a
 * driver (the socket runtime, the simulator, a test) steps: it implements {@link ProtocolNode}.
 *
 * <p>It opens each packet's envelope, has the owner of each message's type code decode it, and only
 * when the whole packet decoded applies the messages in order (a malformed packet is dropped,
 * counted by reason in {@link #stats()}, and changes nothing). It runs the protocols' lifecycles and
 * timers, hands every membership change to every protocol ({@link Protocol#onPeerEvent}), and gives
 * each protocol a {@link ProtocolContext}: the node's identity, gossip partners, piggyback room on
 * gossip, and a random generator of its own, seeded from the node's seed and the protocol's name.
 *
 * <p>Application commands ({@code join}, {@code put}, {@code publish}...) are called on the protocol
 * itself, with the time and the driver's outbox as {@link #outbox(Outbox)} returns it, between the
 * stack's own calls.
 *
 * <p>With a {@link PacketSeal} ({@link Builder#seal}), the stack seals every packet its protocols
 * send and opens every sealed packet before anything reads it; the protocols never see the
 * difference. A packet it cannot open, or a plaintext packet it refuses, is dropped and counted
 * ({@code bad_seal}, {@code no_key}, {@code unsealed}, {@code replay_*}); if it came as a datagram,
 * the sender gets a small plaintext refusal (at most one a second), so a node with the wrong key can
 * say why it cannot join ({@link EncryptionMismatch}).
 *
 * <p>Not thread-safe: a driver steps one stack from one thread at a time.
 */
public final class ProtocolStack implements ProtocolNode {
  private final String name;
  private final Endpoint endpoint;
  private final String clusterName;
  private final int datagramBytes;
  private final int streamMessageMaxBytes;
  private final long seed;
  private final Protocol<?>[] protocols;
  private final PeerSampler peers;
  private final Piggyback piggyback;
  private final PacketReader reader;
  private final StackStats stats;
  /** Null without encryption: the plaintext path then runs exactly as before. */
  private final PacketSeal seal;
  private SealingOutbox lastOutbox;
  private long nextNoticeMillis = Long.MIN_VALUE;
  /** The refusal budget: one refusal is due for each {@code 1000 / REFUSALS_PER_SECOND} ms since. */
  private long refusalCreditFromMillis = Long.MIN_VALUE;
  private long nextRefusedEventMillis = Long.MIN_VALUE;

  /**
   * Per-packet scratch, shared by the stacks a thread steps (a simulator holds a million stacks, so
   * none keeps lists of its own) and emptied after each packet so nothing of it stays reachable.
   */
  private static final class Scratch {
    final List<Object> decoded = new ArrayList<>();
    final List<Protocol<?>> decodedOwners = new ArrayList<>();
    final List<Protocol<?>> packetOwners = new ArrayList<>();
    final List<Object> mine = new ArrayList<>();
    boolean busy;

    void clear() {
      decoded.clear();
      decodedOwners.clear();
      packetOwners.clear();
      mine.clear();
      busy = false;
    }
  }

  private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

  private boolean started;
  private boolean stopped;

  private ProtocolStack(Builder b) {
    this.name = b.name;
    this.endpoint = b.endpoint;
    this.clusterName = b.clusterName;
    this.seal = b.seal;
    // Protocols fill what is left once the seal's overhead is set aside.
    this.datagramBytes = b.seal == null ? b.datagramBytes : b.datagramBytes - PacketSeal.OVERHEAD;
    this.streamMessageMaxBytes = b.streamMessageMaxBytes;
    this.seed = b.seed;
    this.protocols = b.protocols.toArray(new Protocol<?>[0]);
    String[] names = new String[protocols.length];
    for (int i = 0; i < names.length; i++) {
      names[i] = protocols[i].protocolName();
    }
    this.stats = new StackStats(names);
    this.peers = b.peers != null ? b.peers : firstOf(PeerSampler.class, NO_PEERS);
    this.piggyback = firstOf(Piggyback.class, null);
    this.reader = new PacketReader(clusterName);
    for (Protocol<?> p : protocols) {
      p.attach(new Context(p));
    }
  }

  /** Starts building the stack of node {@code name}, advertised at {@code endpoint}. */
  public static Builder builder(String name, Endpoint endpoint, String clusterName) {
    return new Builder(name, endpoint, clusterName);
  }

  /**
   * The random generator of protocol {@code protocolName} on a node seeded with {@code nodeSeed}: the
   * same for the same pair, independent of every other protocol.
   */
  public static RandomGenerator randomFor(long nodeSeed, String protocolName) {
    return new SplittableRandom(seedFor(nodeSeed, protocolName));
  }

  /** The seed {@link #randomFor} uses: the node's seed mixed with a 64-bit hash of the name. */
  public static long seedFor(long nodeSeed, String protocolName) {
    long h = Hash64.fnv1a(protocolName);
    return Hash64.mix(nodeSeed ^ Long.rotateLeft(h, 29) ^ h);
  }

  private <T> T firstOf(Class<T> kind, T otherwise) {
    for (Protocol<?> p : protocols) {
      if (kind.isInstance(p)) {
        return kind.cast(p);
      }
    }
    return otherwise;
  }

  // ------------------------------------------------------------------ lifecycle and commands

  /**
   * Starts every protocol, in the order they were added. Call once. Packets that arrive before are
   * still handed to the protocols, each of which decides what it accepts before it started.
   */
  public void start(long nowMillis, Outbox out) {
    if (started) {
      throw new IllegalStateException("stack of " + name + " already started");
    }
    started = true;
    out = outbox(out);
    for (Protocol<?> p : protocols) {
      p.start(nowMillis, out);
    }
  }

  /** Stops every protocol, in reverse order; the stack then drops every packet and timer. */
  public void stop(long nowMillis, Outbox out) {
    if (!started || stopped) {
      return;
    }
    out = outbox(out);
    for (int i = protocols.length - 1; i >= 0; i--) {
      protocols[i].stop(nowMillis, out);
    }
    stopped = true;
  }

  // ------------------------------------------------------------------ driver contract

  @Override
  public void onPacket(long nowMillis, Endpoint from, ByteBuffer packet, Delivery delivery, Outbox out) {
    int size = packet.remaining();
    stats.received(size);
    if (stopped) {
      stats.drop(DropReason.UNEXPECTED);
      return;
    }
    int limit = delivery == Delivery.DATAGRAM ? WireFormat.MAX_DATAGRAM_BYTES
        : seal == null ? streamMessageMaxBytes : streamMessageMaxBytes + PacketSeal.OVERHEAD;
    if (size > limit) {
      stats.drop(DropReason.OVERSIZED);
      return;
    }
    boolean checksummed = true;
    int flags = size > WireFormat.FLAGS_OFFSET ? packet.get(packet.position() + WireFormat.FLAGS_OFFSET) & 0xff : 0;
    if (seal != null || flags != 0) {
      // Sealed, control, or a node with a key: all off the plain path.
      if ((flags & WireFormat.FLAG_SEALED) != 0) {
        if (seal == null) {
          stats.drop(DropReason.NO_KEY);
          notice(nowMillis, from, EncryptionMismatch.Kind.NO_KEY, delivery, out);
          return;
        }
        try {
          packet = seal.open(packet);
        } catch (MalformedPacketException e) {
          stats.drop(e.reason());
          if (e.reason() == DropReason.BAD_SEAL) {
            notice(nowMillis, from, EncryptionMismatch.Kind.UNKNOWN_KEY, delivery, out);
          } else if (e.reason() == DropReason.NO_KEY) {
            notice(nowMillis, from, EncryptionMismatch.Kind.NO_KEY, delivery, out);
          }
          return;
        }
        checksummed = false;
        flags &= ~WireFormat.FLAG_SEALED;
      } else if (seal != null && seal.refusesPlaintext() && !isRefusal(packet)) {
        stats.drop(DropReason.UNSEALED);
        notice(nowMillis, from, EncryptionMismatch.Kind.UNSEALED, delivery, out);
        return;
      }
      if ((flags & WireFormat.FLAG_CONTROL) != 0) {
        control(nowMillis, from, packet, checksummed, out);
        return;
      }
      out = outbox(out);
    }
    // A nested call (an outbox that delivers synchronously) gets scratch of its own.
    Scratch sc = SCRATCH.get();
    if (sc.busy) {
      sc = new Scratch();
    }
    sc.busy = true;
    List<Object> decoded = sc.decoded;
    List<Protocol<?>> decodedOwners = sc.decodedOwners;
    List<Protocol<?>> packetOwners = sc.packetOwners;
    try {
      // Decode everything first: a packet is applied whole or not at all.
      try {
        reader.open(packet, checksummed, WireFormat.KNOWN_FLAGS);
        while (reader.nextMessage()) {
          Protocol<?> owner = ownerOf(reader.type() & 0xff);
          if (owner == null) {
            throw new MalformedPacketException(DropReason.UNKNOWN_TYPE,
                "no protocol owns type " + (reader.type() & 0xff));
          }
          decoded.add(owner.decode(reader));
          decodedOwners.add(owner);
          if (!packetOwners.contains(owner)) {
            packetOwners.add(owner);
          }
        }
        if (decoded.isEmpty()) {
          throw new MalformedPacketException(DropReason.TRUNCATED, "no messages");
        }
        for (int i = 0; i < packetOwners.size(); i++) {
          check(packetOwners.get(i), sc, delivery);
        }
      } catch (MalformedPacketException e) {
        stats.drop(e.reason());
        return;
      }
      for (int i = 0; i < decoded.size(); i++) {
        apply(decodedOwners.get(i), nowMillis, from, decoded.get(i), delivery, out);
      }
      for (int i = 0; i < packetOwners.size(); i++) {
        packetOwners.get(i).onPacketEnd(nowMillis, from, delivery, out);
      }
    } finally {
      sc.clear();
      // Nothing of a handled packet stays reachable from the stack.
      reader.close();
    }
  }

  // ------------------------------------------------------------------ encryption

  /** Control codes: the message type of a control packet's one message. */
  private static final int HELLO = 0x01;
  private static final int REFUSED_UNSEALED = 0x02;
  private static final int REFUSED_UNKNOWN_KEY = 0x03;
  private static final int REFUSED_NO_KEY = 0x04;
  /** Mismatch events emitted at most this often: enough for an operator to see why. */
  private static final long NOTICE_INTERVAL_MILLIS = 1000;
  /**
   * Refusals sent at most this many a second (and in a burst): a few nodes joining with a wrong key
   * at once each hear back, and a spoofed flood cannot turn the node into a reflector.
   */
  private static final int REFUSALS_PER_SECOND = 8;

  /**
   * The outbox the stack's protocols and commands send through: {@code driverOutbox} itself without
   * a seal, else a wrapper sealing each packet while the seal says so. Drivers pass what this returns
   * to application commands; the stack's own calls wrap what they are given.
   */
  public Outbox outbox(Outbox driverOutbox) {
    if (seal == null || driverOutbox instanceof SealingOutbox s && s.stack() == this) {
      return driverOutbox;
    }
    SealingOutbox last = lastOutbox;
    if (last != null && last.inner == driverOutbox) {
      return last;
    }
    last = new SealingOutbox(driverOutbox);
    lastOutbox = last;
    return last;
  }

  /** The seal, or null when the node has no encryption. */
  public PacketSeal seal() {
    return seal;
  }

  /**
   * Sends {@code to} a hello: a control packet, sealed when we seal, that a node which cannot open or
   * accept it answers with a refusal, so a joining node learns of a key mismatch (an {@link
   * EncryptionMismatch} event) instead of only hearing nothing. A node that accepts it stays silent.
   */
  public void hello(long nowMillis, Endpoint to, Outbox out) {
    outbox(out).send(to, controlPacket(HELLO), Delivery.DATAGRAM);
  }

  private final class SealingOutbox implements Outbox {
    final Outbox inner;

    SealingOutbox(Outbox inner) {
      this.inner = inner;
    }

    ProtocolStack stack() {
      return ProtocolStack.this;
    }

    @Override
    public void send(Endpoint to, ByteBuffer packet, Delivery delivery) {
      inner.send(to, seal.sealsOutgoing() ? seal.seal(packet) : packet, delivery);
    }

    @Override
    public void emit(ProtocolEvent event) {
      inner.emit(event);
    }
  }

  private static Outbox raw(Outbox out) {
    return out instanceof SealingOutbox s ? s.inner : out;
  }

  /** A plaintext control packet of ours with a refusal code: accepted even when plaintext is not. */
  private boolean isRefusal(ByteBuffer packet) {
    try {
      reader.open(packet, true, WireFormat.FLAG_CONTROL);
      int flags = packet.get(packet.position() + WireFormat.FLAGS_OFFSET);
      if ((flags & WireFormat.FLAG_CONTROL) == 0 || !reader.nextMessage()) {
        return false;
      }
      int code = reader.type() & 0xff;
      return code == REFUSED_UNSEALED || code == REFUSED_UNKNOWN_KEY || code == REFUSED_NO_KEY;
    } catch (MalformedPacketException e) {
      return false;
    } finally {
      reader.close();
    }
  }

  /** A control packet, opened if it was sealed: a hello (nothing to do) or a peer's refusal. */
  private void control(long nowMillis, Endpoint from, ByteBuffer packet, boolean checksummed, Outbox out) {
    int code;
    try {
      reader.open(packet, checksummed, WireFormat.FLAG_CONTROL);
      if (!reader.nextMessage()) {
        throw new MalformedPacketException(DropReason.TRUNCATED, "no control message");
      }
      code = reader.type() & 0xff;
    } catch (MalformedPacketException e) {
      stats.drop(e.reason());
      return;
    } finally {
      reader.close();
    }
    EncryptionMismatch.Kind kind;
    switch (code) {
      case HELLO -> {
        return;
      }
      case REFUSED_UNSEALED -> kind = EncryptionMismatch.Kind.UNSEALED;
      case REFUSED_UNKNOWN_KEY -> kind = EncryptionMismatch.Kind.UNKNOWN_KEY;
      case REFUSED_NO_KEY -> kind = EncryptionMismatch.Kind.NO_KEY;
      default -> {
        stats.drop(DropReason.UNKNOWN_TYPE);
        return;
      }
    }
    stats.refusalReceived();
    if (nowMillis >= nextRefusedEventMillis) {
      nextRefusedEventMillis = nowMillis + NOTICE_INTERVAL_MILLIS;
      raw(out).emit(new EncryptionMismatch(from, kind, true));
    }
  }

  /** A packet of {@code from} was refused: tell the application, and the sender if it can hear us. */
  private void notice(long nowMillis, Endpoint from, EncryptionMismatch.Kind kind, Delivery delivery, Outbox out) {
    Outbox plain = raw(out);
    if (nowMillis >= nextNoticeMillis) {
      nextNoticeMillis = nowMillis + NOTICE_INTERVAL_MILLIS;
      plain.emit(new EncryptionMismatch(from, kind, false));
    }
    // A datagram came from the sender's own port; a stream's source port is not where it listens.
    long step = 1000 / REFUSALS_PER_SECOND;
    // Credit for at most one second's refusals: the burst.
    refusalCreditFromMillis = Math.max(refusalCreditFromMillis, nowMillis - 1000);
    if (delivery == Delivery.DATAGRAM && nowMillis - refusalCreditFromMillis >= step) {
      refusalCreditFromMillis += step;
      int code = switch (kind) {
        case UNSEALED -> REFUSED_UNSEALED;
        case UNKNOWN_KEY -> REFUSED_UNKNOWN_KEY;
        case NO_KEY -> REFUSED_NO_KEY;
      };
      plain.send(from, controlPacket(code), Delivery.DATAGRAM);
      stats.refusalSent();
    }
  }

  /** A plaintext control packet: header with the control flag, one empty message of type {@code code}, CRC. */
  private ByteBuffer controlPacket(int code) {
    byte[] cluster = clusterName.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    int header = WireFormat.CLUSTER_OFFSET + cluster.length;
    ByteBuffer b = ByteBuffer.allocate(header + WireFormat.MESSAGE_HEADER_LENGTH + WireFormat.CRC_LENGTH);
    b.put(WireFormat.MAGIC_0).put(WireFormat.MAGIC_1).put(WireFormat.VERSION).put((byte) WireFormat.FLAG_CONTROL)
        .put((byte) cluster.length).put(cluster).put((byte) code).putShort((short) 0);
    CRC32C crc = new CRC32C();
    crc.update(b.array(), 0, b.position());
    b.putInt((int) crc.getValue());
    return b.flip();
  }

  /**
   * A scan of a handful of ranges: cheaper in memory than a 256-slot table per node, which matters
   * to a simulator holding a million stacks.
   */
  private Protocol<?> ownerOf(int code) {
    for (int i = 0; i < protocols.length; i++) {
      Protocol<?> p = protocols[i];
      if (p.messageTypes().contains(code)) {
        return p;
      }
    }
    return null;
  }

  @SuppressWarnings("unchecked")
  private <M> void check(Protocol<M> owner, Scratch sc, Delivery delivery) throws MalformedPacketException {
    List<Object> mine = sc.mine;
    mine.clear();
    for (int i = 0; i < sc.decoded.size(); i++) {
      if (sc.decodedOwners.get(i) == owner) {
        mine.add(sc.decoded.get(i));
      }
    }
    owner.checkPacket((List<M>) mine, sc.decoded.size(), delivery);
    mine.clear();
  }

  @SuppressWarnings("unchecked")
  private <M> void apply(Protocol<M> owner, long now, Endpoint from, Object message, Delivery delivery,
      Outbox out) {
    for (int i = 0; i < protocols.length; i++) {
      if (protocols[i] == owner) {
        stats.applied(i);
        break;
      }
    }
    owner.onMessage(now, from, (M) message, delivery, out);
  }

  @Override
  public void onTick(long nowMillis, Outbox out) {
    if (stopped) {
      return;
    }
    out = outbox(out);
    for (int i = 0; i < protocols.length; i++) {
      Protocol<?> p = protocols[i];
      if (p.nextDeadlineMillis() <= nowMillis) {
        p.onTick(nowMillis, out);
      }
    }
  }

  @Override
  public long nextDeadlineMillis() {
    if (stopped) {
      return Long.MAX_VALUE;
    }
    long next = Long.MAX_VALUE;
    for (int i = 0; i < protocols.length; i++) {
      next = Math.min(next, protocols[i].nextDeadlineMillis());
    }
    return next;
  }

  @Override
  public void endpointResolver(EndpointResolver resolver) {
    reader.endpointResolver(resolver);
  }

  @Override
  public void stringResolver(io.grapevine.wire.StringResolver strings) {
    reader.stringResolver(strings);
  }

  // ------------------------------------------------------------------ queries

  /** This node's name. */
  public String name() {
    return name;
  }

  /** This node's advertised endpoint. */
  public Endpoint endpoint() {
    return endpoint;
  }

  /** The cluster this node belongs to. */
  public String clusterName() {
    return clusterName;
  }

  /** The node's seed, from which each protocol's randomness derives. */
  public long seed() {
    return seed;
  }

  /** The protocols, in the order they were added (and started). */
  public List<Protocol<?>> protocols() {
    return List.of(protocols);
  }

  /** The protocol named {@code protocolName}, or null. */
  public Protocol<?> protocol(String protocolName) {
    for (Protocol<?> p : protocols) {
      if (p.protocolName().equals(protocolName)) {
        return p;
      }
    }
    return null;
  }

  /** The first protocol of class {@code type}, or null. */
  public <P> P protocol(Class<P> type) {
    for (Protocol<?> p : protocols) {
      if (type.isInstance(p)) {
        return type.cast(p);
      }
    }
    return null;
  }

  /** Packets in and drops by reason. */
  public StackStats stats() {
    return stats;
  }

  /** Packets dropped for any reason. */
  public long dropped() {
    return stats.droppedTotal();
  }

  /** The peer sampler the protocols share. */
  public PeerSampler peers() {
    return peers;
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("ProtocolStack[").append(name).append(':');
    for (Protocol<?> p : protocols) {
      sb.append(' ').append(p.protocolName());
    }
    return sb.append(']').toString();
  }

  // ------------------------------------------------------------------ context

  private static final PeerSampler NO_PEERS = new PeerSampler() {
    @Override
    public void sample(int k, List<Endpoint> out) {}

    @Override
    public int size() {
      return 0;
    }
  };

  private final class Context implements ProtocolContext {
    private final Protocol<?> protocol;
    private final String protocolName;
    private RandomGenerator random;

    Context(Protocol<?> protocol) {
      this.protocol = protocol;
      this.protocolName = protocol.protocolName();
    }

    @Override
    public String localName() {
      return name;
    }

    @Override
    public Endpoint localEndpoint() {
      return endpoint;
    }

    @Override
    public String clusterName() {
      return clusterName;
    }

    @Override
    public int datagramBytes() {
      return datagramBytes;
    }

    @Override
    public PeerSampler peers() {
      return peers;
    }

    @Override
    public boolean piggyback(String key, byte[] encodedMessage) {
      return piggyback != null && piggyback.piggyback(key, encodedMessage);
    }

    @Override
    public int clusterSize() {
      return peers.size() + 1;
    }

    @Override
    public RandomGenerator random() {
      if (random == null) {
        random = randomFor(seed, protocolName);
      }
      return random;
    }

    @Override
    public void emit(long nowMillis, ProtocolEvent event, Outbox out) {
      out.emit(event);
      if (event instanceof MemberEvent change) {
        for (int i = 0; i < protocols.length; i++) {
          Protocol<?> p = protocols[i];
          if (p != protocol) {
            p.onPeerEvent(nowMillis, change, out);
          }
        }
      }
    }

    @Override
    public List<Protocol<?>> protocols() {
      return ProtocolStack.this.protocols();
    }

    @Override
    public void dropped(DropReason reason) {
      stats.drop(reason);
    }

    @Override
    public StackStats stats() {
      return stats;
    }
  }

  // ------------------------------------------------------------------ builder

  /** Assembles a stack; {@link #build()} checks it and attaches every protocol. */
  public static final class Builder {
    private final String name;
    private final Endpoint endpoint;
    private final String clusterName;
    private final List<Protocol<?>> protocols = new ArrayList<>();
    private int datagramBytes = 1400;
    private int streamMessageMaxBytes = WireFormat.MAX_MESSAGE_LENGTH;
    private long seed;
    private PeerSampler peers;
    private PacketSeal seal;

    private Builder(String name, Endpoint endpoint, String clusterName) {
      this.name = name;
      this.endpoint = endpoint;
      this.clusterName = clusterName;
    }

    /** Adds a protocol; protocols start in the order added. */
    public Builder add(Protocol<?> protocol) {
      protocols.add(protocol);
      return this;
    }

    /** Largest datagram payload in bytes (default 1400: an Ethernet MTU less IP and UDP headers). */
    public Builder datagramBytes(int bytes) {
      this.datagramBytes = bytes;
      return this;
    }

    /** Largest stream (TCP) packet accepted, in bytes; larger ones are dropped as oversized. */
    public Builder streamMessageMaxBytes(int bytes) {
      this.streamMessageMaxBytes = bytes;
      return this;
    }

    /** The node's seed: every protocol's randomness derives from it and the protocol's name. */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /** The random generator protocol {@code protocolName} gets on this node ({@link #randomFor}). */
    public RandomGenerator randomFor(String protocolName) {
      return ProtocolStack.randomFor(seed, protocolName);
    }

    /**
     * Seals and opens this node's packets with {@code seal} (null: plaintext, the default). The
     * protocols then get {@link PacketSeal#OVERHEAD} bytes less than {@link #datagramBytes} to fill, so
     * a sealed datagram is never larger than that; a protocol that sizes its datagrams from its own
     * config (membership's {@code udpPayloadBytes}) must be given the smaller size too.
     */
    public Builder seal(PacketSeal seal) {
      this.seal = seal;
      return this;
    }

    /**
     * Gossip partners for every protocol; by default the first protocol that is a {@link
     * PeerSampler} (membership, or HyParView), or none.
     */
    public Builder peers(PeerSampler sampler) {
      this.peers = sampler;
      return this;
    }

    /**
     * Checks the assembly and attaches every protocol.
     *
     * @throws IllegalArgumentException when two protocols share a name or a message type code
     */
    public ProtocolStack build() {
      List<String> errors = new ArrayList<>();
      for (int i = 0; i < protocols.size(); i++) {
        Protocol<?> p = protocols.get(i);
        for (int j = 0; j < i; j++) {
          Protocol<?> q = protocols.get(j);
          if (p.protocolName().equals(q.protocolName())) {
            errors.add("two protocols are named '" + p.protocolName() + "'");
          }
          if (p.messageTypes().overlaps(q.messageTypes())) {
            errors.add("protocol '" + p.protocolName() + "' claims message types " + p.messageTypes()
                + ", which overlap " + q.messageTypes() + " of protocol '" + q.protocolName() + "'");
          }
        }
      }
      int least = seal == null ? 64 : 64 + PacketSeal.OVERHEAD;
      if (datagramBytes < least || datagramBytes > WireFormat.MAX_DATAGRAM_BYTES) {
        errors.add("datagramBytes must be " + least + ".." + WireFormat.MAX_DATAGRAM_BYTES + ", got " + datagramBytes);
      }
      if (!errors.isEmpty()) {
        throw new IllegalArgumentException("stack of node " + name + ": " + String.join("; ", errors));
      }
      return new ProtocolStack(this);
    }
  }
}
