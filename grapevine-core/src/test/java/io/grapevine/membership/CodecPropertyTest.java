// SPDX-License-Identifier: Apache-2.0
package io.grapevine.membership;

import io.grapevine.config.MembershipConfig;
import io.grapevine.api.MemberState;
import io.grapevine.api.Member;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.grapevine.membership.MembershipMessages.Ack;
import io.grapevine.membership.MembershipMessages.Alive;
import io.grapevine.membership.MembershipMessages.Dead;
import io.grapevine.membership.MembershipMessages.IndirectPing;
import io.grapevine.membership.MembershipMessages.MemberStateEntry;
import io.grapevine.membership.MembershipMessages.Message;
import io.grapevine.membership.MembershipMessages.Nack;
import io.grapevine.membership.MembershipMessages.Ping;
import io.grapevine.membership.MembershipMessages.PushPull;
import io.grapevine.membership.MembershipMessages.Suspect;
import io.grapevine.node.Delivery;
import io.grapevine.node.Endpoint;
import io.grapevine.testkit.VirtualNetwork;
import io.grapevine.wire.MalformedPacketException;
import io.grapevine.wire.MessageEncoder;
import io.grapevine.wire.PacketReader;
import io.grapevine.wire.PacketWriter;
import io.grapevine.wire.WireFormat;
import java.nio.BufferOverflowException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

/**
 * Seeded property tests of the membership codec. Each test derives its cases from one base seed
 * (override with -Dgrapevine.seed=N) and names the failing case's seed in the assertion message.
 */
class CodecPropertyTest {
  private static final long BASE_SEED = Long.getLong("grapevine.seed", 0x5EED_6A7EL);
  private static final int CASES = 2_000;
  private static final String CLUSTER = "prop";

  // ----------------------------------------------------------------- generators

  static String name(SplittableRandom r) {
    int len = 1 + r.nextInt(40);
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < len; i++) {
      int kind = r.nextInt(10);
      sb.append(kind == 0 ? (char) ('\u00e0' + r.nextInt(20)) : (char) ('a' + r.nextInt(26)));
    }
    return sb.toString();
  }

  static Endpoint endpoint(SplittableRandom r) {
    byte[] addr = new byte[r.nextBoolean() ? 4 : 16];
    r.nextBytes(addr);
    return Endpoint.of(addr, r.nextInt(65536));
  }

  static byte[] bytes(SplittableRandom r, int max) {
    byte[] b = new byte[r.nextInt(max + 1)];
    r.nextBytes(b);
    return b;
  }

  static Message message(SplittableRandom r) {
    switch (r.nextInt(9)) {
      case 0: return new Ping(r.nextInt(), name(r), name(r), endpoint(r));
      case 1: return new IndirectPing(r.nextInt(), name(r), endpoint(r), endpoint(r), r.nextBoolean());
      case 2: return new Ack(r.nextInt());
      case 3: return new Nack(r.nextInt());
      case 4: {
        int min = 1 + r.nextInt(5);
        return new Alive(r.nextLong(), name(r), endpoint(r), min, min + r.nextInt(3), bytes(r, 300));
      }
      case 5: return new Suspect(r.nextLong(), name(r), name(r));
      case 6: return new Dead(r.nextLong(), name(r), name(r));
      case 7: return new PushPull(r.nextBoolean(), r.nextBoolean(), name(r), endpoint(r), r.nextInt(1000));
      default: {
        int min = 1 + r.nextInt(5);
        return new MemberStateEntry(MemberState.values()[r.nextInt(4)], r.nextLong(), name(r), endpoint(r), min,
            min + r.nextInt(3), bytes(r, 300));
      }
    }
  }

  static byte[] encode(Message m) {
    MessageEncoder e = new MessageEncoder(4096);
    e.begin(m.type());
    m.writeBody(e);
    return e.end();
  }

  /** A valid packet of random messages and the messages in it. */
  static ByteBuffer packet(SplittableRandom r, List<Message> written) {
    PacketWriter w = new PacketWriter(1400, CLUSTER).begin();
    int n = 1 + r.nextInt(6);
    for (int i = 0; i < n; i++) {
      Message m = message(r);
      w.mark();
      try {
        w.beginMessage(m.type());
        m.writeBody(w);
        w.endMessage();
        written.add(m);
      } catch (BufferOverflowException full) {
        w.reset();
        break;
      }
    }
    ByteBuffer p = w.finish();
    ByteBuffer copy = ByteBuffer.allocate(p.remaining()).put(p);
    copy.flip();
    return copy;
  }

  static List<Message> decode(ByteBuffer packet) throws MalformedPacketException {
    PacketReader reader = new PacketReader(CLUSTER);
    reader.open(packet);
    List<Message> out = new ArrayList<>();
    while (reader.nextMessage()) {
      out.add(MembershipMessages.read(reader, 1024));
    }
    return out;
  }

  // ----------------------------------------------------------------- properties

  /** A push-pull sizes its entries without encoding them; the size must be what encoding measures. */
  @Test
  void memberStateEntrySizeIsTheEncodedSize() {
    for (int c = 0; c < CASES; c++) {
      long seed = BASE_SEED + c;
      SplittableRandom r = new SplittableRandom(seed);
      String name = name(r);
      Endpoint endpoint = endpoint(r);
      byte[] metadata = new byte[r.nextInt(10) == 0 ? r.nextInt(70_000) : r.nextInt(64)];
      MemberStateEntry e = new MemberStateEntry(MemberState.values()[r.nextInt(MemberState.values().length)],
          r.nextLong(), name, endpoint, 1, 1, metadata);
      assertThat(MemberStateEntry.size(name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length, endpoint,
          metadata.length)).as("seed %d", seed).isEqualTo(Membership.stateBytes(e));
    }
  }

  @Test
  void everyMessageRoundTrips() throws Exception {
    for (int i = 0; i < CASES; i++) {
      long seed = BASE_SEED + i;
      SplittableRandom r = new SplittableRandom(seed);
      List<Message> written = new ArrayList<>();
      ByteBuffer p = packet(r, written);
      List<Message> read = decode(p);
      assertThat(read).as("seed %d", seed).hasSameSizeAs(written);
      for (int j = 0; j < read.size(); j++) {
        assertThat(read.get(j).type()).as("seed %d", seed).isEqualTo(written.get(j).type());
        assertThat(encode(read.get(j))).as("seed %d message %d", seed, j).isEqualTo(encode(written.get(j)));
      }
    }
  }

  @Test
  void fieldsSurviveExactly() throws Exception {
    Endpoint v6 = Endpoint.parse("[::1]:7946");
    Alive a = new Alive(Long.MAX_VALUE, "nöde-1", v6, 1, 3, new byte[] {0, -1, 7});
    PacketWriter w = new PacketWriter(1400, CLUSTER).begin();
    w.beginMessage(a.type());
    a.writeBody(w);
    w.endMessage();
    Alive back = (Alive) decode(w.finish()).get(0);
    assertThat(back.incarnation()).isEqualTo(Long.MAX_VALUE);
    assertThat(back.name()).isEqualTo("nöde-1");
    assertThat(back.endpoint()).isEqualTo(v6);
    assertThat(back.protocolMax()).isEqualTo(3);
    assertThat(back.metadata()).containsExactly(0, -1, 7);
  }

  @Test
  void everyTruncationIsRejected() {
    for (int i = 0; i < 200; i++) {
      long seed = BASE_SEED + i;
      ByteBuffer p = packet(new SplittableRandom(seed), new ArrayList<>());
      byte[] full = toArray(p);
      for (int len = 0; len < full.length; len++) {
        expectMalformed(Arrays.copyOf(full, len), "seed " + seed + " truncated to " + len);
      }
    }
  }

  @Test
  void bitFlipsAreRejected() {
    for (int i = 0; i < CASES; i++) {
      long seed = BASE_SEED + i;
      SplittableRandom r = new SplittableRandom(seed);
      byte[] b = toArray(packet(r, new ArrayList<>()));
      // 1 to 3 distinct bits: CRC32C detects every such error at datagram lengths.
      int flips = 1 + r.nextInt(3);
      java.util.Set<Integer> bits = new java.util.HashSet<>();
      while (bits.size() < flips) {
        bits.add(r.nextInt(b.length * 8));
      }
      for (int bit : bits) {
        b[bit / 8] ^= (byte) (1 << (bit % 8));
      }
      expectMalformed(b, "seed " + seed);
    }
  }

  @Test
  void randomBytesAreRejected() {
    for (int i = 0; i < CASES; i++) {
      long seed = BASE_SEED + i;
      SplittableRandom r = new SplittableRandom(seed);
      byte[] b = bytes(r, 1500);
      if (r.nextBoolean() && b.length > 2) {
        b[0] = 'G';
        b[1] = 'V';
      }
      expectMalformed(b, "seed " + seed);
    }
  }

  /**
   * Garbage behind a valid header and checksum: only a sender that knows the format can produce
   * this. Decoding may succeed by chance, but nothing may escape other than MalformedPacketException,
   * and a node fed these packets either applies a packet whole or changes nothing.
   */
  @Test
  void garbageWithAValidChecksumNeverEscapesNorHalfApplies() {
    // The victim is of the packets' own cluster, so they reach its decoder.
    VirtualNetwork.Node victim = new VirtualNetwork(1).add(
        Members.builder(CLUSTER, "victim", VirtualNetwork.endpointOf(0), 1, MembershipConfig.lan(),
            new SplittableRandom(1)).build()).start();
    Membership node = Members.membership(victim);
    for (int i = 0; i < CASES; i++) {
      long seed = BASE_SEED + i;
      SplittableRandom r = new SplittableRandom(seed);
      byte[] body = bytes(r, 200);
      if (body.length > 0 && r.nextBoolean()) {
        body[0] = (byte) (1 + r.nextInt(9)); // a known type code
      }
      byte[] packet = sealed(body);
      try {
        decode(ByteBuffer.wrap(packet));
      } catch (MalformedPacketException expected) {
        // fine
      } catch (RuntimeException e) {
        fail("seed " + seed + ": " + e, e);
      }
      long dropsBefore = node.stats().droppedTotal();
      long versionBefore = node.version();
      try {
        victim.deliverNow(VirtualNetwork.endpointOf(8), ByteBuffer.wrap(packet), Delivery.DATAGRAM);
      } catch (RuntimeException e) {
        fail("seed " + seed + ": node threw " + e, e);
      }
      if (node.stats().droppedTotal() > dropsBefore) {
        assertThat(node.version()).as("seed %d: dropped packet changed state", seed).isEqualTo(versionBefore);
      }
    }
  }

  @Test
  void aMalformedPacketThroughTheNodeIsCountedAndChangesNothing() {
    VirtualNetwork.Node victim = new VirtualNetwork(2).add(
        Members.builder(CLUSTER, "victim", VirtualNetwork.endpointOf(0), 1, MembershipConfig.lan(),
            new SplittableRandom(2)).build()).start();
    Membership node = Members.membership(victim);
    List<Member> before = node.members();
    for (int i = 0; i < 500; i++) {
      long seed = BASE_SEED + i;
      SplittableRandom r = new SplittableRandom(seed);
      byte[] b = toArray(packet(r, new ArrayList<>()));
      b[r.nextInt(b.length)] ^= (byte) (1 + r.nextInt(255));
      victim.deliverNow(VirtualNetwork.endpointOf(8), ByteBuffer.wrap(b), Delivery.DATAGRAM);
    }
    assertThat(node.stats().droppedTotal()).isEqualTo(500);
    assertThat(node.members()).isEqualTo(before);
  }

  @Test
  void foreignClusterIsRejected() {
    PacketWriter w = new PacketWriter(1400, "other").begin();
    Message m = new Ack(1);
    w.beginMessage(m.type());
    m.writeBody(w);
    w.endMessage();
    try {
      decode(w.finish());
      fail("accepted a foreign cluster's packet");
    } catch (MalformedPacketException e) {
      assertThat(e.reason()).isEqualTo(io.grapevine.wire.DropReason.FOREIGN_CLUSTER);
    }
  }

  // ----------------------------------------------------------------- helpers

  private static byte[] sealed(byte[] messages) {
    byte[] cluster = CLUSTER.getBytes();
    ByteBuffer b = ByteBuffer.allocate(WireFormat.overhead(cluster.length) + messages.length);
    b.put(WireFormat.MAGIC_0).put(WireFormat.MAGIC_1).put(WireFormat.VERSION).put((byte) 0);
    b.put((byte) cluster.length).put(cluster).put(messages);
    CRC32C crc = new CRC32C();
    crc.update(b.array(), 0, b.position());
    b.putInt((int) crc.getValue());
    return b.array();
  }

  private static byte[] toArray(ByteBuffer p) {
    byte[] b = new byte[p.remaining()];
    p.duplicate().get(b);
    return b;
  }

  private static void expectMalformed(byte[] bytes, String what) {
    try {
      decode(ByteBuffer.wrap(bytes));
      fail(what + ": accepted");
    } catch (MalformedPacketException expected) {
      // the only acceptable outcome
    } catch (RuntimeException e) {
      fail(what + ": escaped " + e, e);
    }
  }
}
