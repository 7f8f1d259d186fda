package io.grapevine.node;

import io.grapevine.wire.MalformedPacketException;
import io.grapevine.wire.PacketReader;

/**
 * A protocol that runs on a node beside membership (dissemination, anti-entropy, aggregates...) and
 * shares its sockets, its peers and its piggyback queue. Sans-I/O like every protocol: it is stepped
 * with the time and gets an {@link Outbox} for its outputs.
 *
 * <p>A host (the membership node, or {@link StandaloneHost} for runs without membership) opens each
 * packet's envelope, calls {@link #decode} for every message whose type code falls in this
 * extension's range, and only when the whole packet decoded applies the messages with {@link
 * #onMessage}. Messages of an extension may arrive in their own packets or piggybacked on membership
 * traffic.
 */
public interface Extension {

  /** Called once when attached, before any other call. */
  void attach(ExtensionContext context);

  /** Lowest message type code this extension owns. */
  int firstType();

  /** Highest message type code this extension owns. */
  int lastType();

  /**
   * Decodes the current message of {@code reader} (type in this extension's range), reading it
   * whole, without changing any state.
   *
   * @throws MalformedPacketException for any bad field; the packet is then dropped and counted
   */
  Object decode(PacketReader reader) throws MalformedPacketException;

  /** Applies a message this extension decoded. */
  void onMessage(long nowMillis, Endpoint from, Object message, Delivery delivery, Outbox out);

  /**
   * Called once after all messages of a packet were applied, if any of them was this extension's:
   * the place to send one reply per packet (feedback, acknowledgements).
   */
  default void onPacketEnd(long nowMillis, Endpoint from, Delivery delivery, Outbox out) {}

  /** Fires this extension's timers due at or before {@code nowMillis}. */
  void onTick(long nowMillis, Outbox out);

  /** When {@link #onTick} must next run, or {@link Long#MAX_VALUE}. */
  long nextDeadlineMillis();

  /** The member list changed (membership hosts only); default ignores it. */
  default void onMembershipEvent(long nowMillis, ProtocolEvent event, Outbox out) {}
}
