// SPDX-License-Identifier: Apache-2.0
package io.grapevine.runtime;

import static io.grapevine.runtime.TestNodes.countIn;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grapevine.Cluster;
import io.grapevine.api.MemberState;
import io.grapevine.wire.DropReason;
import io.grapevine.wire.WireFormat;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Garbage sent over real sockets to a live node is dropped and counted; the node carries on. */
class MalformedInputTest {
  private static final long SEED = Long.getLong("grapevine.test.seed", System.nanoTime());

  @Test
  void randomDatagramsAndBrokenStreamsAreDroppedAndCounted() throws Exception {
    System.out.println("MalformedInputTest seed " + SEED + " (rerun with -Dgrapevine.test.seed=" + SEED + ")");
    SplittableRandom random = new SplittableRandom(SEED);
    try (TestNodes cluster = new TestNodes("garbage", TestNodes.fastConfig(), 1, false)) {
      Cluster target = cluster.start("target");
      Cluster peer = cluster.start("peer");
      peer.join(List.of(target.endpoint().toString())).get(10, TimeUnit.SECONDS);
      await().atMost(Duration.ofSeconds(10)).until(() -> countIn(target, MemberState.ALIVE) == 2);

      InetSocketAddress to = target.endpoint().toSocketAddress();
      long droppedBefore = target.stats().droppedTotal();
      int sent = 0;
      try (DatagramChannel ch = DatagramChannel.open()) {
        for (int batch = 0; batch < 10; batch++) {
          for (int i = 0; i < 40; i++) {
            byte[] junk = new byte[1 + random.nextInt(1400)];
            random.nextBytes(junk);
            if (i % 2 == 0 && junk.length > 8) {
              // Half of them look like ours at first glance: magic, version, a cluster name length.
              junk[0] = WireFormat.MAGIC_0;
              junk[1] = WireFormat.MAGIC_1;
              junk[2] = WireFormat.VERSION;
              junk[3] = 0;
            }
            ch.send(ByteBuffer.wrap(junk), to);
            sent++;
          }
          long expected = droppedBefore + sent;
          // Paced by batch so the socket buffer never overflows: every one must be counted.
          await().atMost(Duration.ofSeconds(5)).until(() -> target.stats().droppedTotal() >= expected);
        }
      }
      assertThat(target.stats().droppedTotal() - droppedBefore).isEqualTo(sent);
      assertThat(target.stats().dropped(DropReason.BAD_MAGIC)).isGreaterThan(0);

      // Streams: an absurd length prefix, a random frame, a frame cut short.
      long oversizedBefore = target.transportStats().oversizedStreamMessages();
      try (SocketChannel s = SocketChannel.open(to)) {
        s.write(ByteBuffer.allocate(4).putInt(0, Integer.MAX_VALUE));
      }
      await().atMost(Duration.ofSeconds(5))
          .until(() -> target.transportStats().oversizedStreamMessages() == oversizedBefore + 1);
      long dropsBeforeStream = target.stats().droppedTotal();
      try (SocketChannel s = SocketChannel.open(to)) {
        byte[] junk = new byte[5000];
        random.nextBytes(junk);
        ByteBuffer frame = ByteBuffer.allocate(4 + junk.length).putInt(junk.length).put(junk).flip();
        while (frame.hasRemaining()) {
          s.write(frame);
        }
      }
      await().atMost(Duration.ofSeconds(5)).until(() -> target.stats().droppedTotal() == dropsBeforeStream + 1);
      long readErrorsBefore = target.transportStats().streamReadErrors();
      try (SocketChannel s = SocketChannel.open(to)) {
        s.write(ByteBuffer.allocate(14).putInt(0, 100));
      }
      await().atMost(Duration.ofSeconds(5))
          .until(() -> target.transportStats().streamReadErrors() == readErrorsBefore + 1);

      // Still working: a new node joins through it and a metadata change spreads.
      Cluster late = cluster.start("late");
      late.join(List.of(target.endpoint().toString())).get(10, TimeUnit.SECONDS);
      byte[] meta = "still-here".getBytes(StandardCharsets.UTF_8);
      target.updateMetadata(meta);
      await().atMost(Duration.ofSeconds(10)).until(() -> cluster.nodes.values().stream()
          .allMatch(c -> countIn(c, MemberState.ALIVE) == 3
              && c.member("target").map(m -> Arrays.equals(m.metadata(), meta)).orElse(false)));
      assertThat(cluster.loops.get(0).errors()).isZero();
    }
  }
}
