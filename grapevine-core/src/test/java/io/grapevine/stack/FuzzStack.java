// SPDX-License-Identifier: Apache-2.0
package io.grapevine.stack;

import io.grapevine.assembly.NodeSetup;
import io.grapevine.assembly.ProtocolRegistry;
import io.grapevine.config.ProtocolConfigs;
import io.grapevine.node.Delivery;
import io.grapevine.node.Endpoint;
import io.grapevine.node.Outbox;
import io.grapevine.node.ProtocolEvent;
import io.grapevine.testkit.VirtualNetwork;
import io.grapevine.wire.MalformedPacketException;
import io.grapevine.wire.PacketReader;
import io.grapevine.wire.WireFormat;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * What the stack fuzz targets drive: node {@code n0} of cluster {@code test} at 10.0.0.1 (as on a
 * {@link io.grapevine.testkit.StackCluster}), running every protocol of {@link
 * ProtocolRegistry#builtIn()}, started, fed a sequence of packets.
 *
 * <p>An input is a sequence of records, so one input can build state (a join, then a suspicion) and
 * let timers fire in between:
 *
 * <pre>
 * +--------+-----------+-------------------+
 * | ctl(1) | length(2) | bytes(length)     |  repeated; a length past the end takes what is left
 * +--------+-----------+-------------------+
 * ctl bit 0: 0 datagram, 1 stream; bits 1..7: virtual time to let pass first, in 100 ms steps
 * </pre>
 *
 * The bytes are a whole packet ({@link #RAW}) or only its messages ({@link #FRAMED}: type, length,
 * body, repeated), wrapped here in a valid header and CRC so mutations reach the decoders.
 *
 * <p>Invariants checked: nothing escapes {@code onPacket} or {@code onTick}, and every packet the
 * node sends in answer has a valid envelope and at least one message.
 *
 * <p>When the sealed envelope lands, its open path gets a third mode beside these two: the bytes
 * sealed with a test key before delivery, so mutations reach what the seal protects.
 */
final class FuzzStack {
  /** Whole packets: mutations mostly exercise the envelope checks. */
  static final boolean RAW = false;
  /** Messages only, framed here with a valid header and checksum. */
  static final boolean FRAMED = true;

  static final String CLUSTER = "test";
  static final Endpoint SELF = VirtualNetwork.endpointOf(0);
  static final Endpoint PEER = VirtualNetwork.endpointOf(1);
  static final int MAX_PACKETS = 64;
  static final long STEP_MILLIS = 100;

  private final ProtocolStack stack;
  private final CheckingOutbox out = new CheckingOutbox();
  private long now = 1_000;

  FuzzStack() {
    NodeSetup node = new NodeSetup("n0", SELF, CLUSTER, 1, 42, new byte[0]);
    ProtocolStack.Builder b = node.stackBuilder();
    ProtocolRegistry registry = ProtocolRegistry.builtIn();
    registry.assemble(List.copyOf(registry.names()), node, ProtocolConfigs.defaults(), Map.of(), b);
    stack = b.build();
    stack.start(now, out);
  }

  ProtocolStack stack() {
    return stack;
  }

  /** Feeds every record of {@code input} to a fresh stack; throws if an invariant breaks. */
  static FuzzStack run(byte[] input, boolean framed) {
    FuzzStack f = new FuzzStack();
    ByteBuffer in = ByteBuffer.wrap(input);
    for (int i = 0; i < MAX_PACKETS && in.remaining() >= 1; i++) {
      int ctl = in.get() & 0xff;
      int length = in.remaining() >= 2 ? in.getShort() & 0xFFFF : 0;
      byte[] bytes = new byte[Math.min(length, in.remaining())];
      in.get(bytes);
      f.advance((ctl >>> 1) * STEP_MILLIS);
      f.deliver(framed ? frame(bytes) : bytes, (ctl & 1) == 1 ? Delivery.STREAM : Delivery.DATAGRAM);
    }
    f.advance(10 * STEP_MILLIS);
    return f;
  }

  void advance(long millis) {
    long until = now + millis;
    // Bounded: a protocol that keeps asking for the same instant must not spin the fuzzer.
    for (int ticks = 0; ticks < 64; ticks++) {
      long next = stack.nextDeadlineMillis();
      if (next > until) {
        break;
      }
      now = Math.max(now, next);
      stack.onTick(now, out);
    }
    now = until;
  }

  void deliver(byte[] packet, Delivery delivery) {
    stack.onPacket(now, PEER, ByteBuffer.wrap(packet), delivery, out);
  }

  /** {@code messages} inside a valid envelope of cluster {@link #CLUSTER}. */
  static byte[] frame(byte[] messages) {
    byte[] cluster = CLUSTER.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(WireFormat.overhead(cluster.length) + messages.length)
        .order(ByteOrder.BIG_ENDIAN);
    b.put(WireFormat.MAGIC_0).put(WireFormat.MAGIC_1).put(WireFormat.VERSION).put((byte) 0);
    b.put((byte) cluster.length).put(cluster).put(messages);
    CRC32C crc = new CRC32C();
    crc.update(b.array(), 0, b.position());
    b.putInt((int) crc.getValue());
    return b.array();
  }

  /** The messages of a whole packet: what {@link #frame} wraps. */
  static byte[] unframe(byte[] packet) {
    int start = WireFormat.CLUSTER_OFFSET + (packet[WireFormat.CLUSTER_LENGTH_OFFSET] & 0xff);
    byte[] m = new byte[packet.length - start - WireFormat.CRC_LENGTH];
    System.arraycopy(packet, start, m, 0, m.length);
    return m;
  }

  /** One record of an input. */
  static void record(java.io.ByteArrayOutputStream to, byte[] bytes, Delivery delivery, int steps) {
    to.write(((steps & 0x7f) << 1) | (delivery == Delivery.STREAM ? 1 : 0));
    to.write(bytes.length >>> 8);
    to.write(bytes.length);
    to.write(bytes, 0, bytes.length);
  }

  /** Checks what the node sends: a node must never put a packet on the wire that peers would drop. */
  private static final class CheckingOutbox implements Outbox {
    private final PacketReader reader = new PacketReader(CLUSTER);
    final List<ProtocolEvent> events = new ArrayList<>();

    @Override
    public void send(Endpoint to, ByteBuffer packet, Delivery delivery) {
      try {
        // A stack control packet (a refusal sent back to a sender whose packet could not be opened)
        // carries the control flag, which the receiving stack expects.
        int flags = packet.remaining() > WireFormat.FLAGS_OFFSET
            ? packet.get(packet.position() + WireFormat.FLAGS_OFFSET) & 0xff : 0;
        reader.open(packet.duplicate(), true, flags == WireFormat.FLAG_CONTROL ? WireFormat.FLAG_CONTROL : 0);
        if (!reader.nextMessage()) {
          throw new AssertionError("sent a packet without messages to " + to);
        }
        while (reader.nextMessage()) {
          // walks every message header: lengths must add up
        }
      } catch (MalformedPacketException e) {
        throw new AssertionError("sent a malformed packet to " + to + ": " + e.getMessage(), e);
      } finally {
        reader.close();
      }
    }

    @Override
    public void emit(ProtocolEvent event) {
      if (events.size() < 1024) {
        events.add(event);
      }
    }
  }
}
