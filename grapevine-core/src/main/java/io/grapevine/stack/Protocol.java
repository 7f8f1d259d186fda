// SPDX-License-Identifier: Apache-2.0
package io.grapevine.stack;

import io.grapevine.api.MemberEvent;
import io.grapevine.node.Delivery;
import io.grapevine.node.Endpoint;
import io.grapevine.node.Outbox;
import io.grapevine.wire.MalformedPacketException;
import io.grapevine.wire.MessageRange;
import io.grapevine.wire.PacketReader;
import java.util.List;

/**
 * One protocol of a node: membership, dissemination, the replicated store, aggregation, an overlay,
 * or an application's own. Every protocol is a sans-I/O state machine stepped by its {@link
 * ProtocolStack} with the time and an {@link Outbox}; it never reads a clock, sleeps, starts a
 * thread or touches a socket or a disk, so it runs unchanged over sockets and in the simulator.
 *
 * <p>Life of a protocol: {@link #attach} once (the stack hands over its {@link ProtocolContext}),
 * {@link #start}, then any number of {@link #decode}/{@link #onMessage}, {@link #onTick} and {@link
 * #onPeerEvent} calls, then {@link #stop}. Calls never overlap.
 *
 * <p>Receiving: the stack opens each packet's envelope and asks the owner of each message's type
 * code (its {@link #messageTypes()}) to {@link #decode} it. Only when the whole packet decoded, and
 * every owner accepted the packet's shape in {@link #checkPacket}, are the messages applied, in
 * order, with {@link #onMessage}; then {@link #onPacketEnd} runs once per owner. A malformed packet
 * is dropped and counted, and changes nothing.
 *
 * @param <M> the type of this protocol's decoded messages
 */
public interface Protocol<M> {

  /**
   * A short stable name ({@code membership}, {@code events}...): it names the protocol in errors
   * and configuration, and seeds its randomness, so it must be unique within a stack.
   */
  String protocolName();

  /** The message type codes this protocol owns; no other protocol of the stack may share one. */
  MessageRange messageTypes();

  /** Called once by the stack, before any other call. */
  void attach(ProtocolContext context);

  /** Starts the protocol's timers. Called once, after every protocol of the stack is attached. */
  default void start(long nowMillis, Outbox out) {}

  /** The node is shutting down: the last call. */
  default void stop(long nowMillis, Outbox out) {}

  /**
   * Decodes the current message of {@code reader} (a type in {@link #messageTypes()}), reading it
   * whole, without changing any state.
   *
   * @throws MalformedPacketException for any bad field; the packet is then dropped and counted
   */
  M decode(PacketReader reader) throws MalformedPacketException;

  /**
   * Checks the packet's shape before anything of it is applied, for protocols whose messages only
   * make sense together (a header and the entries it announces). The default accepts any shape.
   *
   * @param mine this protocol's messages of the packet, in order
   * @param messagesInPacket every message of the packet, this protocol's and others'
   * @throws MalformedPacketException to drop the whole packet
   */
  default void checkPacket(List<M> mine, int messagesInPacket, Delivery delivery) throws MalformedPacketException {}

  /** Applies one message this protocol decoded. */
  void onMessage(long nowMillis, Endpoint from, M message, Delivery delivery, Outbox out);

  /**
   * Called once after all messages of a packet were applied, if any of them was this protocol's:
   * the place to send one reply per packet (feedback, acknowledgements, a merged state).
   */
  default void onPacketEnd(long nowMillis, Endpoint from, Delivery delivery, Outbox out) {}

  /** Fires this protocol's timers due at or before {@code nowMillis}. The default has none. */
  default void onTick(long nowMillis, Outbox out) {}

  /** When {@link #onTick} must next run, or {@link Long#MAX_VALUE} (the default: no timers). */
  default long nextDeadlineMillis() {
    return Long.MAX_VALUE;
  }

  /**
   * A member joined, was suspected, died, left...: every membership change of the stack's
   * membership protocol reaches every other protocol here. The default ignores it.
   */
  default void onPeerEvent(long nowMillis, MemberEvent event, Outbox out) {}
}
