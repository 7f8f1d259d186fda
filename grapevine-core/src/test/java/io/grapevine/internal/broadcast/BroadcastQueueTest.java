// SPDX-License-Identifier: Apache-2.0
package io.grapevine.internal.broadcast;

import static org.assertj.core.api.Assertions.assertThat;

import io.grapevine.wire.MessageEncoder;
import io.grapevine.wire.MessageType;
import io.grapevine.wire.PacketReader;
import io.grapevine.wire.PacketWriter;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BroadcastQueueTest {
  private static final MessageEncoder ENC = new MessageEncoder(1400);

  private static byte[] message(String text, int pad) {
    return ENC.begin(MessageType.USER_EVENT).putString8(text).putBytes16(new byte[pad]).end();
  }

  private static List<String> pack(BroadcastQueue q, int capacity, int limit) throws Exception {
    PacketWriter w = new PacketWriter(capacity, "c").begin();
    q.fill(w, limit);
    ByteBuffer p = w.finish();
    PacketReader r = new PacketReader("c");
    r.open(p);
    List<String> out = new ArrayList<>();
    while (r.nextMessage()) {
      out.add(r.getString8());
    }
    return out;
  }

  @Test
  void entriesAreRetiredAfterTheLimit() throws Exception {
    BroadcastQueue q = new BroadcastQueue(100);
    q.add("a", message("a1", 0));
    for (int i = 0; i < 3; i++) {
      assertThat(pack(q, 1400, 3)).containsExactly("a1");
    }
    assertThat(q.size()).isZero();
    assertThat(pack(q, 1400, 3)).isEmpty();
  }

  @Test
  void newerUpdateReplacesOlderForTheSameKey() throws Exception {
    BroadcastQueue q = new BroadcastQueue(100);
    q.add("a", message("old", 0));
    pack(q, 1400, 5);
    q.add("a", message("new", 0));
    assertThat(q.transmits("a")).isZero();
    assertThat(pack(q, 1400, 5)).containsExactly("new");
  }

  @Test
  void aRemovedEntryIsNeverSentAgain() throws Exception {
    BroadcastQueue q = new BroadcastQueue(100);
    q.add("a", message("a", 0));
    q.add("b", message("b", 0));
    pack(q, 1400, 5);
    assertThat(q.remove("a")).isTrue();
    assertThat(q.remove("a")).isFalse();
    assertThat(q.size()).isEqualTo(1);
    assertThat(q.pendingTransmissions(5)).isEqualTo(4);
    assertThat(pack(q, 1400, 5)).containsExactly("b");
  }

  @Test
  void leastTransmittedAndNewestGoFirstWhenSpaceIsShort() throws Exception {
    BroadcastQueue q = new BroadcastQueue(100);
    q.add("a", message("a", 200));
    pack(q, 1400, 10); // a has 1 transmit
    q.add("b", message("b", 200));
    q.add("c", message("c", 200));
    // Room for about two 200-byte messages: c (newest, 0) then b (0), not a.
    assertThat(pack(q, 512, 10)).containsExactly("c", "b");
  }

  @Test
  void capacityEvictsTheMostTransmitted() throws Exception {
    BroadcastQueue q = new BroadcastQueue(2);
    q.add("a", message("a", 0));
    pack(q, 1400, 10);
    q.add("b", message("b", 0));
    q.add("c", message("c", 0));
    assertThat(q.contains("a")).isFalse();
    assertThat(q.dropped()).isEqualTo(1);
    assertThat(pack(q, 1400, 10)).containsExactlyInAnyOrder("b", "c");
  }

  @Test
  void offerNeverEvictsButStillReplacesItsOwnKey() throws Exception {
    BroadcastQueue q = new BroadcastQueue(2);
    q.add("a", message("a", 0));
    q.add("b", message("b", 0));
    assertThat(q.offer("c", message("c", 0))).isFalse();
    assertThat(q.refused()).isEqualTo(1);
    assertThat(q.dropped()).isZero();
    assertThat(q.offer("a", message("a2", 0))).isTrue();
    assertThat(pack(q, 1400, 10)).containsExactlyInAnyOrder("a2", "b");
    BroadcastQueue roomy = new BroadcastQueue(3);
    roomy.add("a", message("a", 0));
    assertThat(roomy.offer("b", message("b", 0))).isTrue();
    assertThat(roomy.size()).isEqualTo(2);
  }
}
