// SPDX-License-Identifier: Apache-2.0
package io.grapevine.agent.api;

import io.grapevine.Events;
import io.grapevine.api.DisseminationStats;
import io.grapevine.api.RumorId;
import io.grapevine.api.UserEvent;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/** Events delivered locally at once, for handler tests; the runtime's limits are mimicked. */
final class FakeEvents implements Events {
  record Sub(String topic, Consumer<UserEvent> handler) {}

  final List<Sub> subs = new CopyOnWriteArrayList<>();
  final DisseminationStats stats = DisseminationStats.empty();
  private long seq;

  @Override
  public RumorId publish(String topic, byte[] payload) {
    return publish(topic, payload, null);
  }

  @Override
  public synchronized RumorId publish(String topic, byte[] payload, String coalesceKey) {
    if (topic.isEmpty() || topic.length() > 255) {
      throw new IllegalArgumentException("topic must be 1..255 UTF-8 bytes");
    }
    if (payload.length > 65536) {
      throw new IllegalArgumentException("payload is " + payload.length + " bytes, more than 65536");
    }
    RumorId id = new RumorId("n1", 1, ++seq);
    UserEvent e = new UserEvent(id, seq, topic, coalesceKey, payload);
    for (Sub s : subs) {
      if (s.topic == null || s.topic.equals(topic)) {
        s.handler.accept(e);
      }
    }
    return id;
  }

  @Override
  public AutoCloseable subscribe(String topic, Consumer<UserEvent> handler) {
    Sub s = new Sub(topic, handler);
    subs.add(s);
    return () -> subs.remove(s);
  }

  @Override
  public DisseminationStats stats() {
    return stats;
  }
}
