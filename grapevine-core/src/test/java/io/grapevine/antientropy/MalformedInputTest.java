// SPDX-License-Identifier: Apache-2.0
package io.grapevine.antientropy;

import io.grapevine.config.AntiEntropyConfig;
import static io.grapevine.antientropy.Replicas.kv;
import static io.grapevine.antientropy.Replicas.replica;
import static org.assertj.core.api.Assertions.assertThat;

import io.grapevine.node.Delivery;
import io.grapevine.testkit.Packet;
import io.grapevine.testkit.VirtualNetwork;
import io.grapevine.wire.PacketWriter;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Hostile input to the anti-entropy messages: random bodies, every truncation, bit flips (behind a
 * valid checksum, so the message decoder itself is exercised), unknown codes in the range. Nothing
 * escapes, every such packet is dropped and counted, and the replica does not change.
 */
class MalformedInputTest {
  private static final AntiEntropyConfig CONFIG = AntiEntropyConfig.builder()
      .syncInterval(Duration.ofDays(1)).rumorFanout(0).merkleDepth(2).build();

  /** Valid messages of every type, captured from a real exchange plus a rumor. */
  private static List<byte[]> sampleMessages(VirtualNetwork net, VirtualNetwork.Node a, VirtualNetwork.Node b)
      throws Exception {
    List<byte[]> out = new ArrayList<>();
    Entry counter = replica(a).increment(net.now(), "m", "c", 5);
    Entry set = replica(a).addToSet(net.now(), "m", "s", "x");
    Entry value = replica(a).put(net.now(), "m", "v", new byte[] {1, 2, 3}, 60_000);
    Entry tomb = replica(a).delete(net.now(), "m", "t");
    for (Entry e : List.of(counter, set, value, tomb)) {
      out.add(AntiEntropyMessages.entryMessage(io.grapevine.wire.MessageType.KV_RUMOR, e));
    }
    replica(b).put(net.now(), "m", "b-only", new byte[] {9}, 0);
    List<Packet> sniffed = new ArrayList<>();
    net.onSend(sniffed::add);
    net.runFor(10);
    kv(a).sync(net.now(), b.endpoint(), a.outbox());
    net.runFor(100);
    // Extract messages by walking the raw packets.
    for (Packet p : sniffed) {
      byte[] bytes = p.bytes();
      int pos = 5 + bytes[4];
      int end = bytes.length - 4;
      while (pos < end) {
        int len = ((bytes[pos + 1] & 0xff) << 8) | (bytes[pos + 2] & 0xff);
        out.add(java.util.Arrays.copyOfRange(bytes, pos, pos + 3 + len));
        pos += 3 + len;
      }
    }
    return out;
  }

  private static ByteBuffer packet(byte[]... messages) {
    PacketWriter w = new PacketWriter(200_000, Replicas.CLUSTER).begin();
    for (byte[] m : messages) {
      w.putEncodedMessage(m);
    }
    ByteBuffer p = w.finish();
    ByteBuffer copy = ByteBuffer.allocate(p.remaining());
    copy.put(p).flip();
    return copy;
  }

  @Test
  void malformedMessagesAreDroppedCountedAndChangeNothing() throws Exception {
    VirtualNetwork net = Replicas.network(11);
    VirtualNetwork.Node a = Replicas.add(net, CONFIG);
    VirtualNetwork.Node b = Replicas.add(net, CONFIG);
    VirtualNetwork.Node victim = Replicas.add(net, CONFIG);
    replica(victim).put(net.now(), "m", "keep", new byte[] {4}, 0);
    List<byte[]> samples = sampleMessages(net, a, b);
    assertThat(samples.stream().map(m -> m[0]).distinct().count()).isGreaterThanOrEqualTo(5);

    long root = replica(victim).tree().root();
    long size = replica(victim).store().size();
    SplittableRandom r = new SplittableRandom(0x3c6ef372fe94f82bL);
    long sent = 0;
    long expectedDrops = 0;
    for (byte[] m : samples) {
      // Every truncation of the body (the length field is rewritten to match: a short but
      // well-framed message).
      for (int cut = 3; cut < m.length; cut += Math.max(1, m.length / 40)) {
        byte[] t = java.util.Arrays.copyOf(m, cut);
        t[1] = (byte) ((cut - 3) >>> 8);
        t[2] = (byte) (cut - 3);
        deliver(net, victim, packet(t));
        sent++;
        expectedDrops++;
      }
      // Random bit flips in the body.
      for (int i = 0; i < 60; i++) {
        byte[] f = m.clone();
        int bit = 24 + r.nextInt((f.length - 3) * 8);
        f[bit / 8] ^= (byte) (1 << (bit % 8));
        long before = victim.stack().dropped();
        deliver(net, victim, packet(f));
        sent++;
        // A flip may leave a valid message (e.g. in a hash or a value byte): that is fine, but it
        // must then be applied as a valid message, which the checks below allow for.
        expectedDrops += victim.stack().dropped() - before;
      }
      // Garbage bodies with the message's type.
      for (int i = 0; i < 30; i++) {
        byte[] g = new byte[3 + r.nextInt(300)];
        r.nextBytes(g);
        g[0] = m[0];
        g[1] = (byte) ((g.length - 3) >>> 8);
        g[2] = (byte) (g.length - 3);
        long before = victim.stack().dropped();
        deliver(net, victim, packet(g));
        sent++;
        expectedDrops += victim.stack().dropped() - before;
      }
    }
    // Unknown codes of the anti-entropy range, and a valid message followed by a bad one: the
    // packet is dropped whole, the valid part is not applied.
    VirtualNetwork.Node fresh = Replicas.add(net, CONFIG);
    deliver(net, fresh, packet(new byte[] {0x45, 0, 0}));
    deliver(net, fresh, packet(samples.get(0), new byte[] {0x40, 0, 1, 9}));
    assertThat(fresh.stack().dropped()).isEqualTo(2);
    assertThat(replica(fresh).store().size()).isZero();
    deliver(net, fresh, packet(samples.get(0)));
    assertThat(replica(fresh).get(new StoreKey("m", "c"))).isNotNull();

    assertThat(sent).isGreaterThan(1000);
    assertThat(victim.stack().dropped()).isGreaterThanOrEqualTo(expectedDrops);
    // Truncations alone: all dropped.
    assertThat(expectedDrops).isGreaterThan(sent / 3);
    // Flipped bits that still decode may have added versions, but never touched the victim's own key.
    assertThat(replica(victim).get(new StoreKey("m", "keep")).value()).containsExactly(4);
    if (replica(victim).store().size() == size) {
      assertThat(replica(victim).tree().root()).isEqualTo(root);
    }
  }

  @Test
  void randomBytesNeverEscape() {
    VirtualNetwork net = Replicas.network(12);
    VirtualNetwork.Node victim = Replicas.add(net, CONFIG);
    SplittableRandom r = new SplittableRandom(99);
    for (int i = 0; i < 5000; i++) {
      byte[] body = new byte[r.nextInt(400)];
      r.nextBytes(body);
      byte[] m = new byte[3 + body.length];
      m[0] = (byte) (0x40 + r.nextInt(0x20));
      m[1] = (byte) (body.length >>> 8);
      m[2] = (byte) body.length;
      System.arraycopy(body, 0, m, 3, body.length);
      deliver(net, victim, packet(m));
    }
    assertThat(victim.stack().dropped()).isEqualTo(5000);
    assertThat(replica(victim).store().size()).isZero();
  }

  private static void deliver(VirtualNetwork net, VirtualNetwork.Node n, ByteBuffer packet) {
    n.deliverNow(net.node(0).endpoint(), packet, Delivery.STREAM);
  }
}
