// SPDX-License-Identifier: Apache-2.0
package io.grapevine.antientropy;

import io.grapevine.config.AntiEntropyConfig;
import static org.assertj.core.api.Assertions.assertThat;

import io.grapevine.node.Delivery;
import io.grapevine.node.Endpoint;
import io.grapevine.stack.ProtocolContext;
import io.grapevine.stack.StackStats;
import io.grapevine.wire.DropReason;
import java.util.random.RandomGenerator;
import io.grapevine.node.Outbox;
import io.grapevine.node.PeerSampler;
import io.grapevine.node.ProtocolEvent;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** A write burst may not flood the piggyback queue it shares with membership. */
class PiggybackBudgetTest {
  @Test
  void piggybackingIsRateLimitedAndTheRestIsPushed() {
    List<String> piggybacked = new ArrayList<>();
    List<Endpoint> pushedTo = new ArrayList<>();
    Endpoint self = Endpoint.ipv4(0x0A000001, 7000);
    Endpoint peer = Endpoint.ipv4(0x0A000002, 7000);
    ProtocolContext ctx = new ProtocolContext() {
      @Override public String localName() { return "a"; }
      @Override public Endpoint localEndpoint() { return self; }
      @Override public String clusterName() { return "c"; }
      @Override public int datagramBytes() { return 1400; }
      @Override public PeerSampler peers() {
        return new PeerSampler() {
          @Override public void sample(int k, List<Endpoint> out) { out.add(peer); }
          @Override public int size() { return 1; }
        };
      }
      @Override public boolean piggyback(String key, byte[] encodedMessage) { return piggybacked.add(key); }
      @Override public int clusterSize() { return 2; }
      @Override public RandomGenerator random() { return new SplittableRandom(2); }
      @Override public void dropped(DropReason reason) {}
      @Override public void emit(long nowMillis, ProtocolEvent event, Outbox out) { out.emit(event); }
      @Override public StackStats stats() { return new StackStats(); }
      @Override public List<io.grapevine.stack.Protocol<?>> protocols() { return List.of(); }
    };
    Outbox out = new Outbox() {
      @Override public void send(Endpoint to, ByteBuffer packet, Delivery delivery) { pushedTo.add(to); }
      @Override public void emit(ProtocolEvent event) {}
    };
    AntiEntropyConfig config = AntiEntropyConfig.builder().rumorPiggybackPerSecond(50).rumorFanout(1).build();
    AntiEntropy kv = new AntiEntropy(new Replica("a", new InMemoryReplicaStore(), config), new SplittableRandom(1), 0);
    kv.attach(ctx);
    long now = 1_000_000;
    for (int i = 0; i < 200; i++) {
      kv.put(now, "m", "k" + i, new byte[] {1}, 0, out);
    }
    assertThat(piggybacked).hasSize(50);
    assertThat(kv.stats().piggybacksDeclined()).isEqualTo(150);
    assertThat(pushedTo).hasSize(200); // every write is still pushed to rumorFanout peers
    // Half a second later, 25 more tokens.
    for (int i = 0; i < 100; i++) {
      kv.put(now + 500, "m", "later" + i, new byte[] {1}, 0, out);
    }
    assertThat(piggybacked).hasSize(75);
  }
}
