// SPDX-License-Identifier: Apache-2.0
package io.grapevine.antientropy;

import static io.grapevine.antientropy.Replicas.replica;
import static org.assertj.core.api.Assertions.assertThat;

import io.grapevine.config.AntiEntropyConfig;
import io.grapevine.node.Delivery;
import io.grapevine.testkit.VirtualNetwork;
import io.grapevine.wire.DropReason;
import io.grapevine.wire.MessageType;
import io.grapevine.wire.PacketWriter;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** A replicated value above the receiver's valueMaxBytes is dropped under its own reason. */
class ValueSizeLimitTest {
  @Test
  void aValueAboveTheReceiversLimitIsDroppedCountedAndNotStored() {
    AntiEntropyConfig roomy = AntiEntropyConfig.builder().syncInterval(Duration.ofDays(1)).rumorFanout(0).build();
    AntiEntropyConfig strict = roomy.toBuilder().valueMaxBytes(64).build();
    VirtualNetwork net = Replicas.network(3);
    VirtualNetwork.Node writer = Replicas.add(net, roomy);
    VirtualNetwork.Node victim = Replicas.add(net, strict);
    Entry fits = replica(writer).put(net.now(), "m", "fits", new byte[64], 0);
    Entry big = replica(writer).put(net.now(), "m", "big", new byte[65], 0);

    victim.deliverNow(writer.endpoint(), packet(fits), Delivery.DATAGRAM);
    victim.deliverNow(writer.endpoint(), packet(big), Delivery.DATAGRAM);

    assertThat(replica(victim).get(fits.key())).isNotNull();
    assertThat(replica(victim).get(big.key())).isNull();
    assertThat(victim.stack().stats().dropped(DropReason.KV_VALUE_TOO_LARGE)).isEqualTo(1);
    assertThat(victim.stack().stats().dropped(DropReason.OVERSIZED)).isZero();
  }

  private static java.nio.ByteBuffer packet(Entry e) {
    PacketWriter w = new PacketWriter(4096, Replicas.CLUSTER).begin();
    w.putEncodedMessage(AntiEntropyMessages.entryMessage(MessageType.KV_RUMOR, e));
    return w.finish();
  }
}
