// SPDX-License-Identifier: Apache-2.0
package io.grapevine.sim;

import io.grapevine.node.Delivery;
import io.grapevine.node.Endpoint;
import io.grapevine.node.Outbox;
import io.grapevine.node.ProtocolEvent;
import io.grapevine.node.ProtocolNode;
import java.nio.ByteBuffer;
import java.util.random.RandomGenerator;

/**
 * Plain push-pull rumor spreading over uniformly random peers, as a sans-I/O {@link ProtocolNode}: the
 * protocol of Karp et al. ("Randomized Rumor Spreading", FOCS 2000), kept minimal so a million of them fit in one JVM.
 *
 * <p>Every period each node sends one request to a peer drawn uniformly at random; the request
 * carries the rumor if the node has it (push). A node that has the rumor answers a request that lacks
 * it with the rumor (pull). A rumor learned during a round is relayed from the next round on, so with
 * rounds aligned across nodes the run follows the synchronous model of the theory exactly. There is no
 * termination rule: the simulator stops the run once every live node is informed.
 *
 * <p>Wire format (a simulator-only protocol, not part of Grapevine's wire format): {@code 'R', type
 * (1 request, 2 answer), has-rumor (0/1), rumor id (8 bytes, big-endian)} = 11 bytes.
 *
 * <p>This class lives in the simulator as a scale test of the engine; Grapevine's own dissemination
 * protocols live in the core.
 */
public final class RumorNode implements ProtocolNode {
  static final int MESSAGE_BYTES = 11;
  private static final byte MAGIC = 'R';
  private static final byte REQUEST = 1;
  private static final byte ANSWER = 2;

  /** Emitted once, when this node first learns the rumor. */
  public record Informed(long rumorId, boolean byPull) implements ProtocolEvent {}

  /** How a node reaches its peers: the peer-sampling service, here uniform over all N nodes. */
  public interface Peers {
    int count();

    Endpoint endpoint(int index);

    /** A scratch buffer the node may fill before each send (one driver thread). */
    ByteBuffer scratch();
  }

  private final int self;
  private final Peers peers;
  private final RandomGenerator random;
  private final long periodMillis;
  private long nextTickMillis;
  private long lastTickMillis = Long.MIN_VALUE;
  private long informedAtMillis = Long.MAX_VALUE;
  private long rumorId;

  /**
   * @param self this node's index among the peers (never picked as its own peer)
   * @param firstTickMillis time of its first round
   */
  public RumorNode(int self, Peers peers, RandomGenerator random, long periodMillis, long firstTickMillis) {
    this.self = self;
    this.peers = peers;
    this.random = random;
    this.periodMillis = periodMillis;
    this.nextTickMillis = firstTickMillis;
  }

  /** Makes this node the origin of rumor {@code id}, known as of {@code nowMillis}. */
  public void inject(long nowMillis, long id) {
    rumorId = id;
    informedAtMillis = Long.MIN_VALUE;
  }

  public boolean informed() {
    return informedAtMillis != Long.MAX_VALUE;
  }

  /** Known before this node's latest round started, so it may be relayed now. */
  private boolean relayable() {
    return informedAtMillis != Long.MAX_VALUE && informedAtMillis <= lastTickMillis;
  }

  @Override
  public void onTick(long nowMillis, Outbox out) {
    if (nowMillis < nextTickMillis) {
      return;
    }
    lastTickMillis = nowMillis;
    nextTickMillis = nowMillis + periodMillis;
    int n = peers.count();
    if (n < 2) {
      return;
    }
    int peer = random.nextInt(n - 1);
    if (peer >= self) {
      peer++;
    }
    send(out, peers.endpoint(peer), REQUEST);
  }

  @Override
  public void onPacket(long nowMillis, Endpoint from, ByteBuffer packet, Delivery delivery, Outbox out) {
    if (packet.remaining() != MESSAGE_BYTES || packet.get(packet.position()) != MAGIC) {
      return; // foreign or malformed: dropped
    }
    int p = packet.position();
    byte type = packet.get(p + 1);
    boolean carries = packet.get(p + 2) == 1;
    long id = packet.getLong(p + 3);
    if (carries && !informed()) {
      rumorId = id;
      informedAtMillis = nowMillis;
      out.emit(new Informed(id, type == ANSWER));
    }
    if (type == REQUEST && !carries && relayable()) {
      send(out, from, ANSWER);
    }
  }

  private void send(Outbox out, Endpoint to, byte type) {
    ByteBuffer b = peers.scratch();
    b.clear();
    b.put(MAGIC).put(type).put((byte) (relayable() ? 1 : 0)).putLong(rumorId);
    b.flip();
    out.send(to, b, Delivery.DATAGRAM);
  }

  @Override
  public long nextDeadlineMillis() {
    return nextTickMillis;
  }
}
