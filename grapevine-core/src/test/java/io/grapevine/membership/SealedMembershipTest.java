// SPDX-License-Identifier: Apache-2.0
package io.grapevine.membership;

import static org.assertj.core.api.Assertions.assertThat;

import io.grapevine.api.MemberEvent;
import io.grapevine.api.MemberState;
import io.grapevine.config.EncryptionConfig;
import io.grapevine.config.MembershipConfig;
import io.grapevine.membership.MembershipMessages.Dead;
import io.grapevine.node.Delivery;
import io.grapevine.security.EncryptionMismatch;
import io.grapevine.security.Keyring;
import io.grapevine.security.PacketSeal;
import io.grapevine.testkit.Packet;
import io.grapevine.testkit.StackCluster;
import io.grapevine.testkit.VirtualNetwork;
import io.grapevine.wire.DropReason;
import io.grapevine.wire.WireFormat;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Membership with sealed packets on the test kit's network: forged and replayed packets change
 * nothing, a node with the wrong key cannot join and hears why, and a running plaintext cluster
 * moves to encryption and back without a false suspicion. The wall clock each seal reads is the
 * network's virtual time plus a fixed epoch, so "a minute later" is exact.
 */
class SealedMembershipTest {
  private static final long EPOCH = 1_700_000_000_000L;
  private static final MembershipConfig LAN = MembershipConfig.lan();

  private final SplittableRandom random = new SplittableRandom(99);
  private final AtomicReference<StackCluster> clusterRef = new AtomicReference<>();
  private final List<PacketSeal> seals = new ArrayList<>();

  private byte[] key() {
    byte[] k = new byte[32];
    random.nextBytes(k);
    return k;
  }

  private long wall() {
    StackCluster c = clusterRef.get();
    return EPOCH + (c == null ? 0 : c.network().now());
  }

  private PacketSeal newSeal(StackCluster.Slot node, EncryptionConfig config, byte[]... keys) {
    SplittableRandom nonces = node.random("nonces");
    PacketSeal seal = new PacketSeal(Keyring.of(List.of(keys)), Members.CLUSTER, config, this::wall,
        (dst, off, len) -> {
          byte[] b = new byte[len];
          nonces.nextBytes(b);
          System.arraycopy(b, 0, dst, off, len);
        });
    seals.add(seal);
    return seal;
  }

  /** {@code n} nodes sharing {@code key} (none: empty keyrings), joined through n0. */
  private StackCluster cluster(int n, long seed, EncryptionConfig config, byte[]... keys) {
    return cluster(n, seed, config, i -> keys);
  }

  /** {@code n} nodes, node i holding {@code keys.apply(i)}, joined through n0. */
  private StackCluster cluster(int n, long seed, EncryptionConfig config, java.util.function.IntFunction<byte[][]> keys) {
    // The stack leaves membership the seal's room within the 1400 bytes on the wire.
    StackCluster c = Members.cluster(n, seed, 1, LAN, (node, b) -> b.seal(newSeal(node, config, keys.apply(node.index()))));
    clusterRef.set(c);
    return c;
  }

  private static long suspicions(StackCluster c) {
    long sum = 0;
    for (VirtualNetwork.Node n : c.network().nodes()) {
      sum += n.events(MemberEvent.class).stream()
          .filter(e -> e.type() == MemberEvent.Type.SUSPECTED || e.type() == MemberEvent.Type.DEAD)
          .count();
    }
    return sum;
  }

  private static long dropped(StackCluster c, DropReason reason) {
    return c.network().nodes().stream().mapToLong(n -> n.stack().stats().dropped(reason)).sum();
  }

  private static long[] incarnations(StackCluster c) {
    List<Membership> all = Members.all(c);
    long[] inc = new long[all.size() * all.size()];
    for (int i = 0; i < all.size(); i++) {
      for (int j = 0; j < all.size(); j++) {
        inc[i * all.size() + j] = all.get(i).member("n" + j).incarnation();
      }
    }
    return inc;
  }

  private static void assertAllAlive(StackCluster c, int n) {
    for (Membership m : Members.all(c)) {
      assertThat(m.members()).hasSize(n).allMatch(x -> x.state() == MemberState.ALIVE);
    }
  }

  @Test
  void aForgedDeadWithoutTheKeyIsDroppedCountedAndChangesNothing() {
    byte[] k = key();
    StackCluster c = cluster(5, 1, EncryptionConfig.defaults(), k);
    c.runFor(5_000);
    assertAllAlive(c, 5);
    long[] before = incarnations(c);
    long victimIncarnation = Members.membership(c.node(3)).localMember().incarnation();
    // Plaintext, correctly framed: what an attacker who read the old plaintext traffic would send.
    ByteBuffer plain = MembershipMessagesTestAccess.packet(new Dead(victimIncarnation, "n3", "n1"));
    // The same, sealed with a key of the attacker's own.
    PacketSeal foreign = new PacketSeal(Keyring.of(List.of(key())), Members.CLUSTER, EncryptionConfig.defaults(),
        this::wall, (dst, off, len) -> {
          for (int i = 0; i < len; i++) {
            dst[off + i] = (byte) random.nextInt();
          }
        });
    ByteBuffer sealedWrong = foreign.seal(MembershipMessagesTestAccess.packet(new Dead(victimIncarnation, "n3", "n1")));
    for (VirtualNetwork.Node n : c.network().nodes()) {
      n.deliverNow(c.node(1).endpoint(), plain.duplicate(), Delivery.DATAGRAM);
      n.deliverNow(c.node(1).endpoint(), sealedWrong.duplicate(), Delivery.DATAGRAM);
    }
    assertThat(dropped(c, DropReason.UNSEALED)).isEqualTo(5);
    assertThat(dropped(c, DropReason.BAD_SEAL)).isEqualTo(5);
    c.runFor(10_000);
    assertThat(incarnations(c)).isEqualTo(before);
    assertAllAlive(c, 5);
    assertThat(suspicions(c)).isZero();
    // Each node told the application once, and answered the datagram's sender.
    assertThat(c.network().nodes()).allMatch(n -> !n.events(EncryptionMismatch.class).isEmpty());
  }

  @Test
  void capturedSealedPacketsReplayedChangeNothing() {
    byte[] k = key();
    StackCluster c = cluster(5, 2, EncryptionConfig.defaults(), k);
    List<Packet> captured = new ArrayList<>();
    c.runFor(5_000);
    c.network().onSend(p -> {
      if (captured.size() < 200) {
        captured.add(p);
      }
    });
    // Suspicion and refutation traffic is worth replaying: isolate n2 until it is suspected.
    VirtualNetwork.LinkRule cut = c.network().isolate(c.node(2));
    c.network().runUntil(() -> Members.all(c).stream()
        .anyMatch(m -> Members.stateOf(m, "n2") == MemberState.SUSPECT), 20_000);
    cut.remove();
    // n2 refuted, and stays shown suspect for one flap half-life (10 s) after that (flap hold).
    c.network().runUntil(() -> Members.all(c).stream().allMatch(m -> m.members().stream()
        .allMatch(x -> x.state() == MemberState.ALIVE)), 60_000);
    List<Packet> replay = List.copyOf(captured.subList(0, Math.min(200, captured.size())));
    assertAllAlive(c, 5);
    assertThat(replay).isNotEmpty().allMatch(p -> (p.bytes()[WireFormat.FLAGS_OFFSET] & WireFormat.FLAG_SEALED) != 0);
    long[] before = incarnations(c);
    long suspicionsBefore = suspicions(c);

    // Within the window, a packet its receiver already got is a duplicate. (Packets to or from n2
    // were cut, never delivered: handing them over late is a delay, not a replay, so they are left out.)
    long duplicatesBefore = dropped(c, DropReason.REPLAY_DUPLICATE);
    int replayed = 0;
    for (Packet p : replay) {
      VirtualNetwork.Node to = c.network().find(p.to());
      if (to != null && to != c.node(2) && !p.from().equals(c.node(2).endpoint())
          && c.network().now() - p.sentAtMillis() < 25_000) {
        to.deliverNow(p.from(), p.buffer(), p.delivery());
        replayed++;
      }
    }
    assertThat(replayed).isPositive();
    assertThat(dropped(c, DropReason.REPLAY_DUPLICATE) - duplicatesBefore).isEqualTo(replayed);

    // A minute later, every one of them, to every node, is stale.
    c.runFor(60_000);
    long staleBefore = dropped(c, DropReason.REPLAY_STALE);
    int delivered = 0;
    for (Packet p : replay) {
      for (VirtualNetwork.Node n : c.network().nodes()) {
        n.deliverNow(p.from(), p.buffer(), p.delivery());
        delivered++;
      }
    }
    assertThat(dropped(c, DropReason.REPLAY_STALE) - staleBefore).isEqualTo(delivered);
    c.runFor(10_000);
    assertThat(incarnations(c)).isEqualTo(before);
    assertThat(suspicions(c)).isEqualTo(suspicionsBefore);
    assertAllAlive(c, 5);
  }

  @Test
  void aNodeWithTheWrongKeyOrNoKeyCannotJoinAndHearsWhy() {
    byte[] k = key();
    byte[] wrong = key();
    // n3 has the wrong key, n4 none at all.
    StackCluster c = cluster(5, 3, EncryptionConfig.defaults(),
        i -> i == 3 ? new byte[][] {wrong} : i == 4 ? new byte[0][] : new byte[][] {k});
    c.runFor(5_000);
    for (int i = 3; i <= 4; i++) {
      VirtualNetwork.Node joiner = c.node(i);
      joiner.call((now, out) -> joiner.stack().hello(now, c.node(0).endpoint(), out));
    }
    c.runFor(30_000);
    for (int i = 0; i < 3; i++) {
      assertThat(Members.membership(c.node(i)).members()).as("n%d's view", i).hasSize(3);
    }
    assertThat(Members.membership(c.node(3)).members()).hasSize(1);
    assertThat(Members.membership(c.node(4)).members()).hasSize(1);
    assertThat(dropped(c, DropReason.BAD_SEAL)).isPositive();
    assertThat(dropped(c, DropReason.UNSEALED)).isPositive();
    assertThat(c.node(3).events(EncryptionMismatch.class))
        .contains(new EncryptionMismatch(c.node(0).endpoint(), EncryptionMismatch.Kind.UNKNOWN_KEY, true));
    assertThat(c.node(4).events(EncryptionMismatch.class))
        .contains(new EncryptionMismatch(c.node(0).endpoint(), EncryptionMismatch.Kind.UNSEALED, true));
    assertThat(c.node(0).stack().stats().refusalsSent()).isPositive();
    assertThat(c.node(3).stack().stats().refusalsReceived()).isPositive();
  }

  @Test
  void aRunningPlaintextClusterMovesToEncryptionAndBackWithoutSuspicion() {
    byte[] k = key();
    EncryptionConfig off = EncryptionConfig.defaults().toBuilder().verifyIncoming(false).verifyOutgoing(false).build();
    StackCluster c = cluster(5, 4, off);
    List<Packet> sent = new ArrayList<>();
    c.network().onSend(sent::add);
    c.runFor(5_000);
    assertAllAlive(c, 5);
    assertThat(sent).isNotEmpty().allMatch(p -> (p.bytes()[WireFormat.FLAGS_OFFSET] & WireFormat.FLAG_SEALED) == 0);
    int n = 5;
    // One node at a time, with gossip running between the steps.
    for (int i = 0; i < n; i++) {
      c.node(i).stack().seal().keyring().install(k);
      c.runFor(1_500);
    }
    for (int i = 0; i < n; i++) {
      c.node(i).stack().seal().verifyOutgoing(true);
      c.runFor(1_500);
    }
    for (int i = 0; i < n; i++) {
      c.node(i).stack().seal().verifyIncoming(true);
      c.runFor(1_500);
    }
    sent.clear();
    c.runFor(5_000);
    assertThat(sent).isNotEmpty().allMatch(p -> (p.bytes()[WireFormat.FLAGS_OFFSET] & WireFormat.FLAG_SEALED) != 0);
    assertThat(sent).filteredOn(p -> p.delivery() == Delivery.DATAGRAM)
        .allMatch(p -> p.size() <= LAN.udpPayloadBytes);
    assertThat(dropped(c, DropReason.UNSEALED) + dropped(c, DropReason.BAD_SEAL)).isZero();
    assertThat(suspicions(c)).isZero();
    assertAllAlive(c, 5);
    // And back.
    for (int i = 0; i < n; i++) {
      c.node(i).stack().seal().verifyIncoming(false);
      c.runFor(1_500);
    }
    for (int i = 0; i < n; i++) {
      c.node(i).stack().seal().verifyOutgoing(false);
      c.runFor(1_500);
    }
    sent.clear();
    c.runFor(5_000);
    assertThat(sent).isNotEmpty().allMatch(p -> (p.bytes()[WireFormat.FLAGS_OFFSET] & WireFormat.FLAG_SEALED) == 0);
    assertThat(suspicions(c)).isZero();
    assertThat(c.network().nodes().stream().mapToLong(x -> x.stack().dropped()).sum()).isZero();
    assertAllAlive(c, 5);
  }

  @Test
  void fullSealedDatagramsStayWithinTheConfiguredSize() {
    byte[] k = key();
    MembershipConfig small = LAN.toBuilder().udpPayloadBytes(512).build();
    List<Packet> sent = new ArrayList<>();
    StackCluster c = Members.cluster(30, 5, 1, small, (node, b) -> b.seal(newSeal(node, EncryptionConfig.defaults(), k)));
    clusterRef.set(c);
    c.network().onSend(sent::add);
    c.runFor(10_000);
    int largest = sent.stream().filter(p -> p.delivery() == Delivery.DATAGRAM).mapToInt(Packet::size).max().orElse(0);
    // Gossip of 30 joins fills datagrams to the brim, and the seal still fits.
    assertThat(largest).isLessThanOrEqualTo(512).isGreaterThan(512 - 64);
    assertThat(Members.all(c)).allMatch(m -> m.liveCount() == 30);
  }
}
