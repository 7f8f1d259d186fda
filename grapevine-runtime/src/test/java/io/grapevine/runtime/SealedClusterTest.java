// SPDX-License-Identifier: Apache-2.0
package io.grapevine.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grapevine.Cluster;
import io.grapevine.api.Member;
import io.grapevine.api.MemberEvent;
import io.grapevine.api.MemberState;
import io.grapevine.config.EncryptionConfig;
import io.grapevine.node.Delivery;
import io.grapevine.node.Endpoint;
import io.grapevine.security.EncryptionMismatch;
import io.grapevine.security.Keyring;
import io.grapevine.security.Keys;
import io.grapevine.security.PacketSeal;
import io.grapevine.transport.Transport;
import io.grapevine.transport.TransportStats;
import io.grapevine.wire.DropReason;
import io.grapevine.wire.MessageType;
import io.grapevine.wire.PacketWriter;
import io.grapevine.wire.WireFormat;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Five real nodes on loopback UDP/TCP with sealed packets. */
class SealedClusterTest {
  private static final String CLUSTER = "sealed";
  private final SecureRandom random = new SecureRandom();

  private byte[] key() {
    return Keys.generate(256, random);
  }

  /** Counts SUSPECTED and DEAD events on every node it is attached to. */
  private static final class Suspicions {
    final AtomicLong count = new AtomicLong();

    void watch(Cluster c) {
      c.on(MemberEvent.class, e -> {
        if (e.type() == MemberEvent.Type.SUSPECTED || e.type() == MemberEvent.Type.DEAD) {
          count.incrementAndGet();
        }
      });
    }
  }

  private static Map<String, Long> incarnations(TestNodes nodes) {
    Map<String, Long> map = new HashMap<>();
    for (Cluster c : nodes.nodes.values()) {
      for (Member m : c.members()) {
        map.put(c.localMember().name() + "/" + m.name(), m.incarnation());
      }
    }
    return map;
  }

  private static boolean allAlive(TestNodes nodes, int n) {
    return nodes.nodes.values().stream().allMatch(c -> TestNodes.countIn(c, MemberState.ALIVE) == n);
  }

  private static ByteBuffer deadPacket(String name, long incarnation, String from) {
    PacketWriter w = new PacketWriter(512, CLUSTER).begin();
    w.beginMessage(MessageType.DEAD).putLong(incarnation).putString8(name).putString8(from).endMessage();
    ByteBuffer b = w.finish();
    return ByteBuffer.wrap(java.util.Arrays.copyOfRange(b.array(), 0, b.limit()));
  }

  private static void sendDatagram(DatagramChannel ch, Endpoint to, ByteBuffer packet) throws IOException {
    ch.send(packet.duplicate(), to.toSocketAddress());
  }

  /** Keeps a copy of every datagram a node sends. */
  private static Transport capturing(Transport inner, List<byte[]> into) {
    return new Transport() {
      @Override
      public void start(Receiver receiver) throws IOException {
        inner.start(receiver);
      }

      @Override
      public Endpoint localEndpoint() {
        return inner.localEndpoint();
      }

      @Override
      public void send(Endpoint to, ByteBuffer packet, Delivery delivery) {
        if (delivery == Delivery.DATAGRAM && into.size() < 1000) {
          byte[] b = new byte[packet.remaining()];
          packet.get(packet.position(), b);
          into.add(b);
        }
        inner.send(to, packet, delivery);
      }

      @Override
      public TransportStats stats() {
        return inner.stats();
      }

      @Override
      public void close() {
        inner.close();
      }
    };
  }

  /**
   * Paces a migration step: the cluster runs on for a probe period or so between two nodes' changes,
   * as an operator's rolling change would. Not a wait for a result; results are awaited below.
   */
  private static void letTheClusterRun() {
    await().pollDelay(Duration.ofMillis(700)).atMost(Duration.ofSeconds(2)).until(() -> true);
  }

  @Test
  void forgedAndReplayedPacketsAreDroppedCountedAndChangeNothing() throws Exception {
    byte[] k = key();
    List<byte[]> sentByN1 = new CopyOnWriteArrayList<>();
    try (TestNodes nodes = new TestNodes(CLUSTER, TestNodes.fastConfig(), 1, false);
        DatagramChannel attacker = DatagramChannel.open().bind(new InetSocketAddress("127.0.0.1", 0))) {
      Suspicions suspicions = new Suspicions();
      for (int i = 0; i < 5; i++) {
        int index = i;
        Cluster c = nodes.start("n" + i, "127.0.0.1:0", b -> {
          b.encryptionKey(k);
          if (index == 1) {
            b.transportDecorator(t -> capturing(t, sentByN1));
          }
        });
        suspicions.watch(c);
      }
      nodes.joinAllThrough("n0");
      await().atMost(Duration.ofSeconds(20)).until(() -> allAlive(nodes, 5));
      Map<String, Long> before = incarnations(nodes);
      Cluster victim = nodes.nodes.get("n3");
      long victimIncarnation = victim.localMember().incarnation();

      // A correctly framed DEAD for a live member at its current incarnation, plaintext and sealed
      // with a key of the attacker's own, to every node.
      ByteBuffer plain = deadPacket("n3", victimIncarnation, "n1");
      PacketSeal foreign = new PacketSeal(Keyring.of(List.of(key())), CLUSTER, EncryptionConfig.defaults(),
          System::currentTimeMillis, (dst, off, len) -> {
            byte[] n = new byte[len];
            random.nextBytes(n);
            System.arraycopy(n, 0, dst, off, len);
          });
      ByteBuffer sealedWrong = foreign.seal(deadPacket("n3", victimIncarnation, "n1"));
      for (Cluster c : nodes.nodes.values()) {
        sendDatagram(attacker, c.endpoint(), plain);
        sendDatagram(attacker, c.endpoint(), sealedWrong);
      }
      await().atMost(Duration.ofSeconds(5)).until(() -> nodes.nodes.values().stream().allMatch(c ->
          c.stats().dropped(DropReason.UNSEALED) >= 1 && c.stats().dropped(DropReason.BAD_SEAL) >= 1));

      // Captured sealed datagrams of n1, sent again from elsewhere within the window: duplicates.
      // (n1's plaintext refusals to the attacker aside, everything it sent was sealed.)
      List<byte[]> gossip = sentByN1.stream().filter(b -> (b[WireFormat.FLAGS_OFFSET] & WireFormat.FLAG_CONTROL) == 0)
          .toList();
      assertThat(gossip).isNotEmpty().allMatch(b -> (b[WireFormat.FLAGS_OFFSET] & WireFormat.FLAG_SEALED) != 0);
      List<byte[]> captured = new ArrayList<>(gossip.subList(0, Math.min(20, gossip.size())));
      long duplicatesBefore = nodes.nodes.values().stream().mapToLong(c -> c.stats().dropped(DropReason.REPLAY_DUPLICATE)).sum();
      for (byte[] b : captured) {
        for (Cluster c : nodes.nodes.values()) {
          if (!c.localMember().name().equals("n1")) {
            sendDatagram(attacker, c.endpoint(), ByteBuffer.wrap(b));
          }
        }
      }
      await().atMost(Duration.ofSeconds(5)).until(() -> nodes.nodes.values().stream()
          .mapToLong(c -> c.stats().dropped(DropReason.REPLAY_DUPLICATE)).sum() - duplicatesBefore >= captured.size());

      // Nothing changed, and nothing changes over several protocol periods.
      await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(6)).until(() -> allAlive(nodes, 5)
          && incarnations(nodes).equals(before));
      assertThat(suspicions.count.get()).isZero();
      assertThat(victim.localMember().incarnation()).isEqualTo(victimIncarnation);
      assertThat(nodes.nodes.get("n0").keyring().list().get(0).opened()).isPositive();
    }
  }

  @Test
  void sealedPacketsReplayedAfterTheWindowAreStaleOverRealSockets() throws Exception {
    byte[] k = key();
    // The shortest window the knob allows, so "later than the window" is seconds, not a minute.
    EncryptionConfig oneSecond = EncryptionConfig.defaults().toBuilder().replayWindow(Duration.ofSeconds(1)).build();
    List<byte[]> sentByN1 = new CopyOnWriteArrayList<>();
    java.util.concurrent.atomic.AtomicBoolean capturing = new java.util.concurrent.atomic.AtomicBoolean(true);
    try (TestNodes nodes = new TestNodes(CLUSTER, TestNodes.fastConfig(), 1, false);
        DatagramChannel attacker = DatagramChannel.open().bind(new InetSocketAddress("127.0.0.1", 0))) {
      Suspicions suspicions = new Suspicions();
      for (int i = 0; i < 5; i++) {
        int index = i;
        Cluster c = nodes.start("n" + i, "127.0.0.1:0", b -> {
          b.encryptionKey(k).encryptionConfig(oneSecond);
          if (index == 1) {
            b.transportDecorator(t -> capturing(t, capturingOnly(capturing, sentByN1)));
          }
        });
        suspicions.watch(c);
      }
      nodes.joinAllThrough("n0");
      await().atMost(Duration.ofSeconds(20)).until(() -> allAlive(nodes, 5));
      capturing.set(false);
      long capturedBy = System.currentTimeMillis();
      List<byte[]> captured = sentByN1.stream().filter(b -> (b[WireFormat.FLAGS_OFFSET] & WireFormat.FLAG_CONTROL) == 0)
          .limit(30).toList();
      assertThat(captured).isNotEmpty().allMatch(b -> (b[WireFormat.FLAGS_OFFSET] & WireFormat.FLAG_SEALED) != 0);
      Map<String, Long> before = incarnations(nodes);
      // Twice the window after the last capture: every captured packet is older than any receiver accepts.
      await().pollDelay(Duration.ofMillis(2_100)).atMost(Duration.ofSeconds(5))
          .until(() -> System.currentTimeMillis() > capturedBy + 2_000);
      long staleBefore = nodes.nodes.values().stream().mapToLong(c -> c.stats().dropped(DropReason.REPLAY_STALE)).sum();
      int sent = 0;
      for (byte[] b : captured) {
        for (Cluster c : nodes.except("n1")) {
          sendDatagram(attacker, c.endpoint(), ByteBuffer.wrap(b));
          sent++;
        }
      }
      int expected = sent;
      await().atMost(Duration.ofSeconds(5)).until(() -> nodes.nodes.values().stream()
          .mapToLong(c -> c.stats().dropped(DropReason.REPLAY_STALE)).sum() - staleBefore == expected);
      await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(4)).until(() -> allAlive(nodes, 5)
          && incarnations(nodes).equals(before));
      assertThat(suspicions.count.get()).isZero();
    }
  }

  /** Adds to {@code into} only while {@code on} is set. */
  private static List<byte[]> capturingOnly(java.util.concurrent.atomic.AtomicBoolean on, List<byte[]> into) {
    return new java.util.AbstractList<byte[]>() {
      @Override
      public boolean add(byte[] b) {
        return on.get() && into.add(b);
      }

      @Override
      public byte[] get(int i) {
        return into.get(i);
      }

      @Override
      public int size() {
        return into.size();
      }
    };
  }

  @Test
  void nodesWithTheWrongKeyOrNoKeyCannotJoinAndAreToldWhy() throws Exception {
    byte[] k = key();
    try (TestNodes nodes = new TestNodes(CLUSTER, TestNodes.fastConfig(), 1, false)) {
      Cluster seed = nodes.start("seed", "127.0.0.1:0", b -> b.encryptionKey(k));
      Cluster wrong = nodes.start("wrong", "127.0.0.1:0", b -> b.encryptionKey(key()).joinTimeout(Duration.ofSeconds(3)));
      Cluster none = nodes.start("none", "127.0.0.1:0", b -> b.joinTimeout(Duration.ofSeconds(3)));
      List<EncryptionMismatch> toldWrong = new CopyOnWriteArrayList<>();
      List<EncryptionMismatch> toldNone = new CopyOnWriteArrayList<>();
      wrong.on(EncryptionMismatch.class, toldWrong::add);
      none.on(EncryptionMismatch.class, toldNone::add);
      for (Cluster joiner : List.of(wrong, none)) {
        assertThatThrownBy(() -> joiner.join(List.of(seed.endpoint().toString())).get(10, TimeUnit.SECONDS))
            .isInstanceOf(ExecutionException.class).hasMessageContaining("no seed");
      }
      assertThat(toldWrong).contains(new EncryptionMismatch(seed.endpoint(), EncryptionMismatch.Kind.UNKNOWN_KEY, true));
      assertThat(toldNone).contains(new EncryptionMismatch(seed.endpoint(), EncryptionMismatch.Kind.UNSEALED, true));
      assertThat(seed.stats().dropped(DropReason.BAD_SEAL)).isPositive();
      assertThat(seed.stats().dropped(DropReason.UNSEALED)).isPositive();
      assertThat(seed.members()).hasSize(1);
    }
  }

  @Test
  void aLivePlaintextClusterMovesToEncryptionAndBackWithoutSuspicion() throws Exception {
    byte[] k = key();
    EncryptionConfig off = EncryptionConfig.defaults().toBuilder().verifyIncoming(false).verifyOutgoing(false).build();
    try (TestNodes nodes = new TestNodes(CLUSTER, TestNodes.fastConfig(), 2, false)) {
      Suspicions suspicions = new Suspicions();
      List<Cluster> all = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        Cluster c = nodes.start("n" + i, "127.0.0.1:0", b -> b.encryptionConfig(off));
        suspicions.watch(c);
        all.add(c);
      }
      nodes.joinAllThrough("n0");
      await().atMost(Duration.ofSeconds(20)).until(() -> allAlive(nodes, 5));
      // Node by node, a probe period or two apart, while the cluster runs.
      for (Cluster c : all) {
        c.keyring().install(k);
        letTheClusterRun();
      }
      for (Cluster c : all) {
        c.encryption().verifyOutgoing(true);
        letTheClusterRun();
      }
      for (Cluster c : all) {
        c.encryption().verifyIncoming(true);
        letTheClusterRun();
      }
      long sealedBefore = all.stream().mapToLong(c -> c.encryption().packetsSealed()).sum();
      await().atMost(Duration.ofSeconds(5)).until(() ->
          all.stream().mapToLong(c -> c.encryption().packetsSealed()).sum() > sealedBefore + 50);
      assertThat(all).allMatch(c -> c.encryption().active());
      assertThat(all.stream().mapToLong(c -> c.stats().dropped(DropReason.UNSEALED) + c.stats().dropped(DropReason.BAD_SEAL)).sum())
          .isZero();
      assertThat(suspicions.count.get()).isZero();
      // And back.
      for (Cluster c : all) {
        c.encryption().verifyIncoming(false);
        letTheClusterRun();
      }
      for (Cluster c : all) {
        c.encryption().verifyOutgoing(false);
        letTheClusterRun();
      }
      long sealedAfter = all.stream().mapToLong(c -> c.encryption().packetsSealed()).sum();
      await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(4)).until(() ->
          all.stream().mapToLong(c -> c.encryption().packetsSealed()).sum() == sealedAfter && allAlive(nodes, 5));
      assertThat(suspicions.count.get()).isZero();
      assertThat(all.stream().mapToLong(c -> c.stats().droppedTotal()).sum()).isZero();
    }
  }

  @Test
  void theKeyringFileKeepsRotatedKeysAcrossARestart(@TempDir Path dir) throws Exception {
    byte[] first = key();
    byte[] second = key();
    Path file = dir.resolve("keyring");
    try (TestNodes nodes = new TestNodes(CLUSTER, TestNodes.fastConfig(), 1, false)) {
      Cluster c = nodes.start("a", "127.0.0.1:0", b -> b.encryptionKey(first).keyringFile(file));
      assertThat(Files.readString(file)).contains(Keys.encode(first));
      c.keyring().install(second);
      c.keyring().use(second);
      c.keyring().remove(first);
      assertThatThrownBy(() -> c.keyring().remove(second)).hasMessageContaining("primary key and cannot be removed");
      c.close();
    }
    assertThat(Files.readString(file)).contains(Keys.encode(second)).doesNotContain(Keys.encode(first));
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
    try (TestNodes nodes = new TestNodes(CLUSTER, TestNodes.fastConfig(), 1, false)) {
      // Started again with the original key: the file's rotated keyring wins.
      Cluster c = nodes.start("a", "127.0.0.1:0", b -> b.encryptionKey(first).keyringFile(file));
      assertThat(c.keyring().list()).hasSize(1);
      assertThat(c.keyring().list().get(0).fingerprint()).isEqualTo(Keys.fingerprint(second));
    }
  }
}
