// SPDX-License-Identifier: Apache-2.0
package io.grapevine.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grapevine.node.Delivery;
import io.grapevine.node.Endpoint;
import io.grapevine.runtime.EventLoop;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class FaultInjectingTransportTest {
  private final EventLoop loop = new EventLoop();
  private final List<Integer> received = new CopyOnWriteArrayList<>();
  private FaultInjectingTransport sender;
  private NioTransport receiver;

  @BeforeEach
  void open() throws Exception {
    receiver = new NioTransport(loop, new InetSocketAddress("127.0.0.1", 0), NioTransport.Options.defaults(1 << 20));
    receiver.start((from, packet, delivery) -> received.add(packet.getInt()));
    NioTransport inner =
        new NioTransport(loop, new InetSocketAddress("127.0.0.1", 0), NioTransport.Options.defaults(1 << 20));
    sender = new FaultInjectingTransport(inner, loop, 7);
    sender.start((from, packet, delivery) -> {});
  }

  @AfterEach
  void close() {
    sender.close();
    receiver.close();
    loop.close();
  }

  private void send(int value) {
    loop.call(() -> {
      sender.send(receiver.localEndpoint(), ByteBuffer.allocate(4).putInt(0, value), Delivery.DATAGRAM);
      return null;
    });
  }

  @Test
  void dropsAboutTheConfiguredShare() {
    sender.drop(0.3);
    for (int i = 0; i < 1000; i++) {
      send(i);
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> received.size() == sender.passed());
    assertThat(sender.dropped() + sender.passed()).isEqualTo(1000);
    assertThat(sender.dropped()).isBetween(240L, 360L);
  }

  @Test
  void duplicatesDelaysAndReorders() {
    sender.duplicate(1.0);
    send(1);
    await().atMost(Duration.ofSeconds(5)).until(() -> received.size() == 2);
    assertThat(received).containsExactly(1, 1);
    assertThat(sender.duplicated()).isEqualTo(1);

    received.clear();
    sender.duplicate(0).reorder(1.0).reorderHold(Duration.ofMillis(200));
    send(2);
    sender.reorder(0);
    send(3);
    await().atMost(Duration.ofSeconds(5)).until(() -> received.size() == 2);
    assertThat(received).containsExactly(3, 2);
    assertThat(sender.reordered()).isEqualTo(1);

    received.clear();
    sender.delay(Duration.ofMillis(50), Duration.ofMillis(100));
    long start = System.nanoTime();
    send(4);
    await().atMost(Duration.ofSeconds(5)).until(() -> received.size() == 1);
    assertThat((System.nanoTime() - start) / 1_000_000).isGreaterThanOrEqualTo(50);
    assertThat(sender.delayed()).isEqualTo(2);
  }

  @Test
  void partitionsBlockUntilHealed() {
    Endpoint peer = receiver.localEndpoint();
    sender.partition(Set.of(peer));
    send(1);
    assertThat(sender.blocked()).isEqualTo(1);
    sender.heal();
    send(2);
    await().atMost(Duration.ofSeconds(5)).until(() -> received.size() == 1);
    assertThat(received).containsExactly(2);
  }

  @Test
  void badSettingsAreRefusedWithAClearMessage() {
    assertThatThrownBy(() -> sender.drop(1.5)).hasMessage("drop probability must be in 0..1, got 1.5");
    assertThatThrownBy(() -> sender.delay(Duration.ofMillis(10), Duration.ofMillis(5)))
        .hasMessage("delay max (5 ms) is below delay min (10 ms)");
  }
}
