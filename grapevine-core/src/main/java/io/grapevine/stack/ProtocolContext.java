// SPDX-License-Identifier: Apache-2.0
package io.grapevine.stack;

import io.grapevine.node.Endpoint;
import io.grapevine.node.Outbox;
import io.grapevine.node.ProtocolEvent;
import io.grapevine.node.PeerSampler;
import io.grapevine.wire.DropReason;
import java.util.random.RandomGenerator;

/**
 * What a {@link ProtocolStack} gives each of its protocols. The time and the outbox come with each
 * call ({@code nowMillis}, {@code out}): sends go to {@code out.send}, and events for the application
 * to {@code out.emit} (typed records, which the application subscribes to by class), or to {@link
 * #emit} for an event the stack's other protocols must hear of too.
 */
public interface ProtocolContext {
  /** This node's name. */
  String localName();

  /** This node's advertised endpoint. */
  Endpoint localEndpoint();

  /** The cluster name to write into packets (see {@link io.grapevine.wire.PacketWriter}). */
  String clusterName();

  /** Largest datagram payload, bytes. */
  int datagramBytes();

  /**
   * Gossip partners: the stack's peer-sampling protocol (membership, or a partial view such as
   * HyParView), or uniform sampling in the simulator.
   */
  PeerSampler peers();

  /**
   * Queues an encoded message to ride on the stack's gossip (see {@link Piggyback}); false when the
   * stack has no carrier, and the protocol must send on its own.
   */
  boolean piggyback(String key, byte[] encodedMessage);

  /** Live nodes, this one included: the N of the formulas. */
  int clusterSize();

  /**
   * This protocol's own random generator, seeded from the node's seed and the protocol's name, so
   * adding or removing a protocol never shifts another's randomness.
   */
  RandomGenerator random();

  /**
   * Reports {@code event} to the application through {@code out} and, if it is a membership change
   * ({@link io.grapevine.api.MemberEvent}), to every other protocol of the stack through
   * {@link Protocol#onPeerEvent}.
   */
  void emit(long nowMillis, ProtocolEvent event, Outbox out);

  /** Every protocol of the stack, this one included, in the order they were added. */
  java.util.List<Protocol<?>> protocols();

  /** Counts a packet this protocol dropped after decoding (the stack counts decode failures). */
  void dropped(DropReason reason);

  /** The node's packet counters (packets in, drops by reason). */
  StackStats stats();
}
