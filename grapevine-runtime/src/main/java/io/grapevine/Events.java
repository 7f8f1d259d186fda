// SPDX-License-Identifier: Apache-2.0
package io.grapevine;

import io.grapevine.api.DisseminationStats;
import io.grapevine.api.RumorId;
import io.grapevine.api.UserEvent;
import java.util.function.Consumer;

/**
 * User events: published on one node, delivered at most once on every node (the publisher
 * included), by rumor mongering with an anti-entropy backup. See docs/dissemination.md.
 *
 * <pre>{@code
 * node.events().subscribe("deploy", e -> System.out.println(new String(e.payload())));
 * node.events().publish("deploy", "v42".getBytes());
 * }</pre>
 */
public interface Events {

  /**
   * Publishes an event.
   *
   * @throws IllegalArgumentException if the topic is not 1..255 UTF-8 bytes or the payload exceeds
   *     the configured limit (64 KiB by default); the message says which
   */
  RumorId publish(String topic, byte[] payload);

  /**
   * Publishes an event of which only the newest per ({@code topic}, {@code coalesceKey}) matters:
   * a node that already delivered a newer one skips it.
   */
  RumorId publish(String topic, byte[] payload, String coalesceKey);

  /**
   * Calls {@code handler} for every event on {@code topic} (null: every topic), on the node's event
   * loop thread; keep it short. The returned handle unsubscribes.
   */
  AutoCloseable subscribe(String topic, Consumer<UserEvent> handler);

  /** Counters: published, delivered, duplicates, repaired by anti-entropy... */
  DisseminationStats stats();
}
