// SPDX-License-Identifier: Apache-2.0
package io.grapevine.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.awaitility.Awaitility.await;

import io.grapevine.node.Delivery;
import io.grapevine.node.Endpoint;
import io.grapevine.runtime.EventLoop;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class NioTransportTest {
  private final EventLoop loop = new EventLoop();
  private final List<Transport> transports = new ArrayList<>();

  record Received(Endpoint from, byte[] bytes, Delivery delivery) {}

  @AfterEach
  void close() {
    transports.forEach(Transport::close);
    loop.close();
  }

  private NioTransport open(String host, NioTransport.Options options, List<Received> sink) throws IOException {
    NioTransport t = new NioTransport(loop, new InetSocketAddress(InetAddress.getByName(host), 0), options);
    transports.add(t);
    t.start((from, packet, delivery) -> {
      byte[] b = new byte[packet.remaining()];
      packet.get(b);
      sink.add(new Received(from, b, delivery));
    });
    return t;
  }

  private NioTransport open(List<Received> sink) throws IOException {
    return open("127.0.0.1", NioTransport.Options.defaults(1 << 24), sink);
  }

  private static byte[] bytes(int n, long seed) {
    byte[] b = new byte[n];
    new SplittableRandom(seed).nextBytes(b);
    return b;
  }

  private void send(Transport from, Endpoint to, byte[] payload, Delivery delivery) {
    loop.call(() -> {
      from.send(to, ByteBuffer.wrap(payload), delivery);
      return null;
    });
  }

  @Test
  void udpAndTcpShareOnePortAndBothCarryPackets() throws Exception {
    List<Received> a = new CopyOnWriteArrayList<>();
    List<Received> b = new CopyOnWriteArrayList<>();
    NioTransport ta = open(a);
    NioTransport tb = open(b);
    assertThat(ta.localEndpoint().port()).isPositive();
    // The TCP listener is on the UDP port: a plain connect succeeds.
    try (SocketChannel probe = SocketChannel.open(ta.localEndpoint().toSocketAddress())) {
      assertThat(probe.isConnected()).isTrue();
    }
    byte[] small = bytes(1200, 1);
    byte[] large = bytes(3 * 1024 * 1024, 2);
    send(ta, tb.localEndpoint(), small, Delivery.DATAGRAM);
    send(ta, tb.localEndpoint(), large, Delivery.STREAM);
    await().atMost(Duration.ofSeconds(10)).until(() -> b.size() == 2);
    Received dg = b.stream().filter(r -> r.delivery() == Delivery.DATAGRAM).findFirst().orElseThrow();
    Received st = b.stream().filter(r -> r.delivery() == Delivery.STREAM).findFirst().orElseThrow();
    assertThat(dg.bytes()).isEqualTo(small);
    assertThat(dg.from()).isEqualTo(ta.localEndpoint());
    assertThat(st.bytes()).isEqualTo(large);
    assertThat(tb.stats().streamMessagesIn()).isEqualTo(1);
    await().atMost(Duration.ofSeconds(5)).until(() -> ta.stats().streamMessagesOut() == 1);
    assertThat(ta.stats().datagramsOut()).isEqualTo(1);
  }

  @Test
  void ipv6LoopbackWorksWhenAvailable() throws Exception {
    boolean v6;
    try (DatagramChannel ch = DatagramChannel.open()) {
      ch.bind(new InetSocketAddress(InetAddress.getByName("::1"), 0));
      v6 = true;
    } catch (IOException e) {
      v6 = false;
    }
    assumeTrue(v6, "no IPv6 loopback on this host");
    List<Received> a = new CopyOnWriteArrayList<>();
    List<Received> b = new CopyOnWriteArrayList<>();
    NioTransport ta = open("::1", NioTransport.Options.defaults(1 << 20), a);
    NioTransport tb = open("::1", NioTransport.Options.defaults(1 << 20), b);
    assertThat(ta.localEndpoint().isIpv6()).isTrue();
    send(ta, tb.localEndpoint(), bytes(100, 3), Delivery.DATAGRAM);
    send(ta, tb.localEndpoint(), bytes(100_000, 4), Delivery.STREAM);
    await().atMost(Duration.ofSeconds(10)).until(() -> b.size() == 2);
    assertThat(b).extracting(r -> r.bytes().length).containsExactlyInAnyOrder(100, 100_000);
  }

  @Test
  void datagramsAboveTheLimitAreDroppedAndCounted() throws Exception {
    List<Received> b = new CopyOnWriteArrayList<>();
    NioTransport tb = open("127.0.0.1", NioTransport.Options.defaults(1 << 20).withMaxDatagramBytes(1000), b);
    try (DatagramChannel ch = DatagramChannel.open()) {
      ch.send(ByteBuffer.wrap(bytes(2000, 5)), tb.localEndpoint().toSocketAddress());
      ch.send(ByteBuffer.wrap(bytes(1001, 6)), tb.localEndpoint().toSocketAddress());
      ch.send(ByteBuffer.wrap(bytes(1000, 7)), tb.localEndpoint().toSocketAddress());
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> b.size() == 1 && tb.stats().oversizedDatagrams() == 2);
    assertThat(b.get(0).bytes()).hasSize(1000);
  }

  @Test
  void inboundConnectionsAreCappedAndIdleOnesClosed() throws Exception {
    List<Received> b = new CopyOnWriteArrayList<>();
    NioTransport tb = open("127.0.0.1",
        NioTransport.Options.defaults(1 << 20).withMaxInboundConnections(2).withStreamIdleTimeoutMillis(300), b);
    InetSocketAddress to = tb.localEndpoint().toSocketAddress();
    try (SocketChannel c1 = SocketChannel.open(to);
        SocketChannel c2 = SocketChannel.open(to)) {
      await().atMost(Duration.ofSeconds(5)).until(() -> loop.call(tb::inboundConnections) == 2);
      try (SocketChannel c3 = SocketChannel.open(to)) {
        await().atMost(Duration.ofSeconds(5)).until(() -> tb.stats().rejectedConnections() == 1);
      }
      // Silent connections are closed after the idle timeout, freeing the slots.
      await().atMost(Duration.ofSeconds(5)).until(() -> loop.call(tb::inboundConnections) == 0);
      assertThat(tb.stats().streamReadErrors()).isEqualTo(2);
    }
  }

  @Test
  void newConnectionsFromOneSourceAreRateLimitedAndCounted() throws Exception {
    List<Received> b = new CopyOnWriteArrayList<>();
    NioTransport tb = open("127.0.0.1",
        NioTransport.Options.defaults(1 << 20).withInboundConnectionsPerSecondPerSource(2), b);
    InetSocketAddress to = tb.localEndpoint().toSocketAddress();
    long start = System.nanoTime();
    for (int i = 0; i < 8; i++) {
      try (SocketChannel c = SocketChannel.open(to)) {
        // Opened and closed at once: only the rate limit, not the concurrent cap, can refuse these.
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    // A burst of 2, then 2 a second: every connection beyond that was refused.
    long allowed = 2 + (long) Math.ceil(seconds * 2);
    await().atMost(Duration.ofSeconds(5)).until(() ->
        tb.stats().refused(TransportStats.ConnectionRefusal.RATE_LIMIT) >= 8 - allowed);
    assertThat(tb.stats().refused(TransportStats.ConnectionRefusal.CONCURRENT_LIMIT)).isZero();
  }

  @Test
  void theConcurrentCapCountsItsOwnRefusalReason() throws Exception {
    List<Received> b = new CopyOnWriteArrayList<>();
    NioTransport tb = open("127.0.0.1", NioTransport.Options.defaults(1 << 20).withMaxInboundConnections(1), b);
    InetSocketAddress to = tb.localEndpoint().toSocketAddress();
    try (SocketChannel c1 = SocketChannel.open(to)) {
      await().atMost(Duration.ofSeconds(5)).until(() -> loop.call(tb::inboundConnections) == 1);
      try (SocketChannel c2 = SocketChannel.open(to)) {
        await().atMost(Duration.ofSeconds(5)).until(() ->
            tb.stats().refused(TransportStats.ConnectionRefusal.CONCURRENT_LIMIT) == 1);
        // The refused connection is closed from the far end: a read ends (EOF or reset).
        c2.socket().setSoTimeout(5000);
        int n;
        try {
          n = c2.socket().getInputStream().read();
        } catch (java.io.IOException reset) {
          n = -1;
        }
        assertThat(n).isEqualTo(-1);
      }
      assertThat(tb.stats().refused(TransportStats.ConnectionRefusal.RATE_LIMIT)).isZero();
    }
  }

  @Test
  void sendFailuresAreCountedNotThrown() throws Exception {
    List<Received> a = new CopyOnWriteArrayList<>();
    NioTransport ta = open(a);
    // A port nobody listens on (ours, just closed).
    NioTransport gone = open(new CopyOnWriteArrayList<>());
    Endpoint nowhere = gone.localEndpoint();
    gone.close();
    send(ta, nowhere, bytes(10, 8), Delivery.STREAM);
    await().atMost(Duration.ofSeconds(5)).until(() -> ta.stats().sendErrors() == 1);
    // An IPv6 destination from an IPv4 socket fails locally: counted as well.
    send(ta, Endpoint.parse("[::1]:7"), bytes(10, 9), Delivery.DATAGRAM);
    await().atMost(Duration.ofSeconds(5)).until(() -> ta.stats().sendErrors() == 2);
    ta.close();
    send(ta, nowhere, bytes(10, 10), Delivery.DATAGRAM);
    assertThat(ta.stats().sendErrors()).isEqualTo(3);
    assertThat(loop.errors()).isZero();
  }

  @Test
  void aClosedPortCanBeBoundAgainAtOnce() throws Exception {
    NioTransport first = open(new CopyOnWriteArrayList<>());
    Endpoint e = first.localEndpoint();
    first.close();
    NioTransport second = new NioTransport(loop, e.toSocketAddress(), NioTransport.Options.defaults(1 << 20));
    transports.add(second);
    second.start((from, packet, delivery) -> {});
    assertThat(second.localEndpoint()).isEqualTo(e);
  }
}
