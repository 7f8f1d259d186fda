// SPDX-License-Identifier: Apache-2.0
package io.grapevine.internal.broadcast;

import static org.assertj.core.api.Assertions.assertThat;

import io.grapevine.wire.MessageEncoder;
import io.grapevine.wire.MessageType;
import io.grapevine.wire.PacketReader;
import io.grapevine.wire.PacketWriter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The queue against a plain sorted-list model of its documented order, over seeded random operations. */
class BroadcastQueuePropertyTest {
  private static final MessageEncoder ENC = new MessageEncoder(1400);

  private static final class Model {
    final String key;
    final String text;
    int transmits;
    long stamp;

    Model(String key, String text, long stamp) {
      this.key = key;
      this.text = text;
      this.stamp = stamp;
    }
  }

  @Test
  void matchesTheModel() throws Exception {
    for (long seed = 1; seed <= 150; seed++) {
      SplittableRandom random = new SplittableRandom(seed);
      int capacity = 1 + random.nextInt(40);
      BroadcastQueue queue = new BroadcastQueue(capacity);
      List<Model> model = new ArrayList<>();
      long[] clock = {0};
      Comparator<Model> order = Comparator.<Model>comparingInt(m -> m.transmits)
          .thenComparing(m -> -m.stamp);
      for (int op = 0; op < 400; op++) {
        int kind = random.nextInt(10);
        String key = "k" + random.nextInt(60);
        String text = key + "/" + op + "/" + "x".repeat(random.nextInt(120));
        byte[] message = ENC.begin(MessageType.USER_EVENT).putString8(text).end();
        if (kind < 5) {
          queue.add(key, message);
          model.removeIf(m -> m.key.equals(key));
          model.add(new Model(key, text, ++clock[0]));
          while (model.size() > capacity) {
            Model victim = model.stream()
                .max(Comparator.<Model>comparingInt(m -> m.transmits).thenComparing(m -> -m.stamp)).get();
            model.remove(victim);
          }
        } else if (kind < 6) {
          boolean present = model.stream().anyMatch(m -> m.key.equals(key));
          boolean expected = present || model.size() < capacity;
          assertThat(queue.offer(key, message)).as("seed %d op %d offer", seed, op).isEqualTo(expected);
          if (expected) {
            model.removeIf(m -> m.key.equals(key));
            model.add(new Model(key, text, ++clock[0]));
          }
        } else {
          int room = 200 + random.nextInt(1200);
          int limit = 1 + random.nextInt(6);
          PacketWriter w = new PacketWriter(room, "c").begin();
          queue.fill(w, limit);
          PacketReader r = new PacketReader("c");
          r.open(w.finish());
          List<String> got = new ArrayList<>();
          while (r.nextMessage()) {
            got.add(r.getString8());
          }
          // Model: walk in order, take what fits (same misfit rule), then move taken ones up a count.
          model.sort(order);
          PacketWriter probe = new PacketWriter(room, "c").begin();
          List<Model> taken = new ArrayList<>();
          List<Model> retired = new ArrayList<>();
          int misfits = 0;
          for (Model m : model) {
            int remaining = probe.remaining();
            if (remaining < 16) {
              break;
            }
            byte[] bytes = ENC.begin(MessageType.USER_EVENT).putString8(m.text).end();
            if (m.transmits >= limit) {
              retired.add(m);
            } else if (bytes.length <= remaining) {
              probe.putEncodedMessage(bytes);
              taken.add(m);
            } else if (++misfits >= 32) {
              break;
            }
          }
          List<String> expected = new ArrayList<>();
          taken.forEach(m -> expected.add(m.text));
          assertThat(got).as("seed %d op %d fill", seed, op).containsExactlyElementsOf(expected);
          model.removeAll(retired);
          for (int i = taken.size() - 1; i >= 0; i--) {
            Model m = taken.get(i);
            m.transmits++;
            m.stamp = ++clock[0];
            if (m.transmits >= limit) {
              model.remove(m);
            }
          }
        }
        assertThat(queue.size()).as("seed %d op %d size", seed, op).isEqualTo(model.size());
        int owedLimit = 1 + random.nextInt(8);
        long owed = Math.max(0, model.stream().mapToLong(m -> owedLimit - m.transmits).sum());
        assertThat(queue.pendingTransmissions(owedLimit)).as("seed %d op %d pending", seed, op).isEqualTo(owed);
      }
    }
  }
}
