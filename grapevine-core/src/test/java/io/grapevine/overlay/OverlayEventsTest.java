// SPDX-License-Identifier: Apache-2.0
package io.grapevine.overlay;

import io.grapevine.config.PlumtreeConfig;
import io.grapevine.config.HyParViewConfig;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grapevine.api.RumorId;
import io.grapevine.api.UserEvent;
import io.grapevine.node.Delivery;
import io.grapevine.node.Endpoint;
import io.grapevine.node.Outbox;
import io.grapevine.node.ProtocolEvent;
import io.grapevine.stack.ProtocolStack;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** User events over Plumtree, as the core runs them: ids, Lamport times, coalescing, bad payloads. */
class OverlayEventsTest {
  private final List<ProtocolEvent> emitted = new ArrayList<>();
  private final Outbox out = new Outbox() {
    @Override
    public void send(Endpoint to, ByteBuffer packet, Delivery delivery) {}

    @Override
    public void emit(ProtocolEvent event) {
      emitted.add(event);
    }
  };

  private OverlayEvents node(String name) {
    HyParView h = new HyParView(HyParViewConfig.defaults(), new SplittableRandom(1));
    Plumtree p = new Plumtree(PlumtreeConfig.defaults(), h, new SplittableRandom(2));
    ProtocolStack.builder(name, Endpoint.ipv4(0x0A000001, 7946), "c").add(h).add(p).build();
    return new OverlayEvents(name, 77, p);
  }

  private static byte[] event(String origin, long seq, long lamport, String topic, String key, String payload) {
    byte[] k = key == null ? new byte[0] : key.getBytes(StandardCharsets.UTF_8);
    return OverlayEventCodec.encode(new RumorId(origin, 5, seq), lamport, UserEvent.NO_ORIGIN_TIME, topic.getBytes(StandardCharsets.UTF_8), k,
        origin.getBytes(StandardCharsets.UTF_8), payload.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void aPublishedEventIsDeliveredHereAsAUserEventWithItsIdAndLamportTime() {
    OverlayEvents events = node("a");
    RumorId id = events.publish(10, "deploy", new byte[] {4, 2}, null, out);
    assertThat(id).isEqualTo(new RumorId("a", 77, 1));
    assertThat(emitted).hasSize(1);
    UserEvent e = (UserEvent) emitted.get(0);
    assertThat(e.id()).isEqualTo(id);
    assertThat(e.topic()).isEqualTo("deploy");
    assertThat(e.payload()).containsExactly(4, 2);
    assertThat(e.lamport()).isEqualTo(1);
    assertThat(events.published()).isEqualTo(1);
    assertThat(events.delivered()).isEqualTo(1);
  }

  @Test
  void anOlderEventUnderTheSameCoalesceKeyIsDroppedAndLamportTimeFollowsTheNewest() {
    OverlayEvents events = node("a");
    events.delivered(1, new Plumtree.Delivered(1, event("b", 1, 40, "cfg", "k", "new"), 1), out);
    events.delivered(2, new Plumtree.Delivered(2, event("c", 1, 30, "cfg", "k", "old"), 1), out);
    events.delivered(3, new Plumtree.Delivered(3, event("c", 2, 31, "cfg", "other", "x"), 1), out);
    events.delivered(4, new Plumtree.Delivered(4, event("c", 3, 32, "cfg", null, "no key"), 1), out);
    assertThat(emitted).extracting(e -> new String(((UserEvent) e).payload(), StandardCharsets.UTF_8))
        .containsExactly("new", "x", "no key");
    assertThat(events.coalesced()).isEqualTo(1);
    // The next own event is after everything seen.
    events.publish(5, "cfg", new byte[0], null, out);
    assertThat(((UserEvent) emitted.get(emitted.size() - 1)).lamport()).isEqualTo(41);
  }

  @Test
  void anEventCarriesItsOriginsPublishTimeToTheNodesThatDeliverIt() {
    OverlayEvents origin = node("a");
    // The runtime's wall clock, passed in: the core reads no clock.
    origin.publish(10, 1_700_000_000_123L, "deploy", new byte[] {1}, null, out);
    UserEvent own = (UserEvent) emitted.get(0);
    assertThat(own.originMillis()).isEqualTo(1_700_000_000_123L);

    OverlayEvents remote = node("b");
    byte[] timed = OverlayEventCodec.encode(new RumorId("a", 77, 2), 3, 1_700_000_000_456L,
        "t".getBytes(StandardCharsets.UTF_8), new byte[0], "a".getBytes(StandardCharsets.UTF_8), new byte[] {7});
    assertThat(timed[0]).as("version").isEqualTo((byte) OverlayEventCodec.VERSION_TIMED);
    remote.delivered(1, new Plumtree.Delivered(1, timed, 1), out);
    UserEvent e = (UserEvent) emitted.get(1);
    assertThat(e.hasOriginTime()).isTrue();
    assertThat(e.originMillis()).isEqualTo(1_700_000_000_456L);
    assertThat(e.payload()).containsExactly(7);

    // Events without a time keep the first version's bytes and still decode.
    byte[] untimed = event("c", 1, 1, "t", null, "x");
    assertThat(untimed[0]).isEqualTo((byte) OverlayEventCodec.VERSION);
    remote.delivered(2, new Plumtree.Delivered(2, untimed, 1), out);
    assertThat(((UserEvent) emitted.get(2)).hasOriginTime()).isFalse();
    assertThat(remote.malformed()).isZero();
  }

  @Test
  void aPayloadThatIsNotAnEventIsCountedAndNotDelivered() {
    OverlayEvents events = node("a");
    events.delivered(1, new Plumtree.Delivered(1, new byte[] {9, 9, 9}, 1), out);
    assertThat(emitted).isEmpty();
    assertThat(events.malformed()).isEqualTo(1);
  }

  @Test
  void aPayloadTooLargeForABroadcastIsRefusedWithTheLimit() {
    OverlayEvents events = node("a");
    byte[] big = new byte[PlumtreeConfig.defaults().maxPayloadBytes];
    assertThatThrownBy(() -> events.publish(1, "t", big, null, out))
        .hasMessageContaining("above the limit of").hasMessageContaining("maxPayloadBytes");
    assertThatThrownBy(() -> events.check("", new byte[0], null)).hasMessageContaining("topic must be 1..255");
  }
}
