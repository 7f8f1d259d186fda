// SPDX-License-Identifier: Apache-2.0
package io.grapevine.overlay;

import io.grapevine.config.PlumtreeConfig;
import io.grapevine.config.HyParViewConfig;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grapevine.node.Delivery;
import io.grapevine.node.Endpoint;
import io.grapevine.node.Outbox;
import io.grapevine.node.ProtocolEvent;
import io.grapevine.stack.ProtocolStack;
import io.grapevine.runtime.EventLoop;
import io.grapevine.testkit.LinkLatency;
import io.grapevine.testkit.StackCluster;
import io.grapevine.transport.NioTransport;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * 50 nodes on real UDP sockets on loopback, each a {@link ProtocolStack} running HyParView (its
 * peer sampler) and Plumtree, driven by the runtime's event loop and NIO transport: every broadcast
 * reaches every node exactly once. The same stacks (same configuration, same seeds) also run on
 * the test kit's virtual network, where the outcome is deterministic: a failure there is the
 * protocols', not the sockets' or the scheduler's.
 */
class OverlayLoopbackClusterTest {
  private static final int N = 50;
  private static final String CLUSTER = "overlay-test";
  private static final HyParViewConfig HYPARVIEW = HyParViewConfig.defaults().toBuilder()
      .roundInterval(Duration.ofMillis(200)).failureTimeout(Duration.ofMillis(1500))
      .neighborTimeout(Duration.ofMillis(500)).build();

  /** Node {@code i}'s protocols, both drawing on {@code random} (one split of the seed per node). */
  private static void protocols(int i, SplittableRandom random, HyParView[] hpv, Plumtree[] pt) {
    hpv[i] = new HyParView(HYPARVIEW, random);
    pt[i] = new Plumtree(PlumtreeConfig.defaults(), hpv[i], random);
  }

  /** The origin of broadcast {@code b}. */
  private static int origin(int b) {
    return (b * 7) % N;
  }

  private final EventLoop loop = new EventLoop();
  private final List<NioTransport> transports = new ArrayList<>();

  /** Steps one host on the loop: packets in, timers re-armed at its next deadline after every call. */
  private final class Driver implements Outbox {
    ProtocolStack host;
    NioTransport transport;
    EventLoop.Timer timer;
    final Map<Long, AtomicInteger> delivered;

    Driver(Map<Long, AtomicInteger> delivered) {
      this.delivered = delivered;
    }

    void onPacket(Endpoint from, ByteBuffer packet, Delivery delivery) {
      host.onPacket(loop.nowMillis(), from, packet, delivery, this);
      rearm();
    }

    void rearm() {
      long next = host.nextDeadlineMillis();
      if (timer != null && timer.deadlineMillis() == next) {
        return;
      }
      if (timer != null) {
        timer.cancel();
        timer = null;
      }
      if (next != Long.MAX_VALUE) {
        timer = loop.schedule(next, () -> {
          timer = null;
          host.onTick(loop.nowMillis(), this);
          rearm();
        });
      }
    }

    @Override
    public void send(Endpoint to, ByteBuffer packet, Delivery delivery) {
      transport.send(to, packet, delivery);
    }

    @Override
    public void emit(ProtocolEvent event) {
      if (event instanceof Plumtree.Delivered d) {
        delivered.computeIfAbsent(d.messageId(), k -> new AtomicInteger()).incrementAndGet();
      }
    }
  }

  @AfterEach
  void close() {
    transports.forEach(NioTransport::close);
    loop.close();
  }

  /**
   * The socket test's run on the virtual network (0-2 ms latency): n0 starts, every other node joins
   * through it at once, ten broadcasts go out once every active view has two peers.
   *
   * @return each delivery, in order: virtual time, node, message id, hops
   */
  private static List<String> onTheVirtualNetwork() {
    HyParView[] hpv = new HyParView[N];
    Plumtree[] pt = new Plumtree[N];
    SplittableRandom seeds = new SplittableRandom(42);
    StackCluster c = StackCluster.builder(42).deferStart().clusterName(CLUSTER).latency(LinkLatency.uniform(0, 2))
        .build(N, (node, stack) -> {
          protocols(node.index(), seeds.split(), hpv, pt);
          stack.add(hpv[node.index()]).add(pt[node.index()]);
        });
    List<String> trace = new ArrayList<>();
    c.network().onEvent((node, now, event) -> {
      if (event instanceof Plumtree.Delivered d) {
        trace.add(now + " " + node.name() + " " + d.messageId() + " " + d.hops());
      }
    });
    c.start(0);
    for (int i = 1; i < N; i++) {
      HyParView h = hpv[i];
      c.start(i);
      c.call(i, (now, out) -> h.join(now, List.of(c.endpoint(0)), out));
    }
    assertThat(c.runUntil(() -> java.util.Arrays.stream(hpv).allMatch(h -> h.activeSize() >= 2), 30_000))
        .as("every active view has two peers").isTrue();
    List<Long> ids = new ArrayList<>();
    for (int b = 0; b < 10; b++) {
      int origin = origin(b);
      long id = c.apply(origin, (now, out) -> pt[origin].broadcast(now, ("event " + origin).getBytes(), out));
      ids.add(id);
    }
    c.runFor(30_000);
    for (int i = 0; i < N; i++) {
      List<Long> got = c.node(i).events(Plumtree.Delivered.class).stream().map(Plumtree.Delivered::messageId).toList();
      assertThat(got).as("deliveries at node %d", i).containsExactlyInAnyOrderElementsOf(ids);
    }
    return trace;
  }

  @Test
  void theSameStacksDeliverEveryBroadcastExactlyOnceOnTheVirtualNetworkAndRepeat() {
    List<String> first = onTheVirtualNetwork();
    assertThat(first).hasSize(10 * N);
    assertThat(onTheVirtualNetwork()).as("same seeds, same run").isEqualTo(first);
  }

  @Test
  void fiftyNodesDeliverEveryBroadcastToEveryNodeExactlyOnce() throws Exception {
    int n = N;
    List<Map<Long, AtomicInteger>> delivered = new ArrayList<>();
    List<Driver> drivers = new ArrayList<>();
    HyParView[] hpv = new HyParView[n];
    Plumtree[] pt = new Plumtree[n];
    SplittableRandom seeds = new SplittableRandom(42);
    for (int i = 0; i < n; i++) {
      Map<Long, AtomicInteger> d = new ConcurrentHashMap<>();
      delivered.add(d);
      Driver driver = new Driver(d);
      NioTransport t = new NioTransport(loop, new InetSocketAddress("127.0.0.1", 0),
          NioTransport.Options.defaults(1 << 20).withMaxDatagramBytes(1400));
      transports.add(t);
      driver.transport = t;
      t.start(driver::onPacket);
      protocols(i, seeds.split(), hpv, pt);
      driver.host = ProtocolStack.builder("n" + i, t.localEndpoint(), CLUSTER)
          .add(hpv[i]).add(pt[i]).build();
      drivers.add(driver);
    }
    Endpoint first = transports.get(0).localEndpoint();
    loop.call(() -> {
      hpv[0].start(loop.nowMillis());
      drivers.get(0).rearm();
      for (int i = 1; i < n; i++) {
        hpv[i].join(loop.nowMillis(), List.of(first), drivers.get(i));
        drivers.get(i).rearm();
      }
      return null;
    });
    await().atMost(Duration.ofSeconds(30)).until(() -> loop.call(() -> {
      for (HyParView h : hpv) {
        if (h.activeSize() < 2) {
          return false;
        }
      }
      return true;
    }));
    List<Long> ids = new ArrayList<>();
    for (int b = 0; b < 10; b++) {
      int origin = origin(b);
      ids.add(loop.call(() -> {
        long id = pt[origin].broadcast(loop.nowMillis(), ("event " + origin).getBytes(), drivers.get(origin));
        drivers.get(origin).rearm();
        return id;
      }));
    }
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      for (int i = 0; i < n; i++) {
        for (long id : ids) {
          AtomicInteger c = delivered.get(i).get(id);
          assertThat(c).as("node %d message %d", i, id).isNotNull();
          assertThat(c.get()).as("deliveries at node %d of message %d", i, id).isEqualTo(1);
        }
      }
    });
  }
}
