// SPDX-License-Identifier: Apache-2.0
package io.grapevine.coordinates;

import io.grapevine.api.Coordinate;
import io.grapevine.api.MemberEvent;
import io.grapevine.config.CoordinatesConfig;
import io.grapevine.node.Delivery;
import io.grapevine.node.Endpoint;
import io.grapevine.node.Outbox;
import io.grapevine.stack.ProbeListener;
import io.grapevine.stack.Protocol;
import io.grapevine.stack.ProtocolContext;
import io.grapevine.wire.DropReason;
import io.grapevine.wire.MalformedPacketException;
import io.grapevine.wire.MessageEncoder;
import io.grapevine.wire.MessageRange;
import io.grapevine.wire.PacketReader;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.random.RandomGenerator;

/**
 * Network coordinates: every node keeps a Vivaldi coordinate, updated from the round-trip times of
 * membership's probes, so that any node can estimate the RTT between any two members without
 * measuring it ({@code serf rtt}). Each ack carries the acking node's coordinate ({@link
 * ProbeListener}); the prober folds (the peer's coordinate, the probe's RTT) into its own and keeps
 * the peer's coordinate for estimates. Since SWIM probes every member in turn, every node soon holds
 * every member's coordinate.
 *
 * <p>Costs: one {@code COORDINATE} message on each ack (3 + 1 + 4 × (dimensions + 3) bytes: 48 with
 * 8 dimensions) and, per known peer, its coordinate and a few RTT samples. Peers are forgotten when
 * membership reports them dead, left or reaped; the cache is capped at {@code maxPeers}.
 */
public final class Coordinates implements Protocol<Coordinates.Update>, ProbeListener {
  /** The name this protocol registers under. */
  public static final String PROTOCOL_NAME = "coordinates";
  /** Message type of a coordinate. */
  static final int COORDINATE = MessageRange.COORDINATES.first();

  /** A peer's coordinate as it arrived on an ack. */
  public record Update(Coordinate coordinate) {}

  /** What the node knows of one peer. */
  private static final class Peer {
    Coordinate coordinate;
    final double[] samples;
    int next;
    int count;

    Peer(int filter) {
      samples = new double[filter];
    }

    /** Adds a sample and returns the median of those kept. */
    double filter(double rtt) {
      samples[next] = rtt;
      next = (next + 1) % samples.length;
      count = Math.min(count + 1, samples.length);
      double[] s = Arrays.copyOf(samples, count);
      Arrays.sort(s);
      return s[count / 2];
    }
  }

  private final CoordinatesConfig config;
  private final RandomGenerator random;
  private final Vivaldi vivaldi;
  private final Map<String, Peer> peers = new HashMap<>();
  private final MessageEncoder encoder;
  private final double maxRtt;
  private ProtocolContext ctx;
  private byte[] attachment;
  /** A coordinate that arrived in the packet being applied, waiting for the ack behind it. */
  private Coordinate arrived;
  private long samples;
  private long rejected;
  private long peersRefused;

  public Coordinates(CoordinatesConfig config, RandomGenerator random) {
    this.config = config;
    this.random = random;
    this.vivaldi = new Vivaldi(config);
    this.encoder = new MessageEncoder(8 + 4 * (config.dimensions + 3));
    this.maxRtt = config.maxRtt.toNanos() / 1e6;
  }

  @Override
  public String protocolName() {
    return PROTOCOL_NAME;
  }

  @Override
  public MessageRange messageTypes() {
    return MessageRange.COORDINATES;
  }

  @Override
  public void attach(ProtocolContext context) {
    this.ctx = context;
  }

  // ------------------------------------------------------------------ queries (node's thread)

  /** This node's coordinate. */
  public Coordinate coordinate() {
    return vivaldi.coordinate();
  }

  /** The last coordinate heard from member {@code name}; this node's own for its own name; or null. */
  public Coordinate coordinateOf(String name) {
    if (name.equals(ctx.localName())) {
      return vivaldi.coordinate();
    }
    Peer p = peers.get(name);
    return p == null ? null : p.coordinate;
  }

  /** Every member's coordinate this node holds, its own included. */
  public Map<String, Coordinate> coordinates() {
    Map<String, Coordinate> all = new HashMap<>();
    peers.forEach((name, p) -> all.put(name, p.coordinate));
    all.put(ctx.localName(), vivaldi.coordinate());
    return all;
  }

  /**
   * The estimated RTT between members {@code a} and {@code b}, in milliseconds, or NaN when the
   * coordinate of either is unknown here.
   */
  public double estimateRttMillis(String a, String b) {
    Coordinate ca = coordinateOf(a);
    Coordinate cb = coordinateOf(b);
    if (ca == null || cb == null || !ca.isCompatibleWith(cb)) {
      return Double.NaN;
    }
    return ca.estimateRttMillis(cb);
  }

  /** RTT samples folded into this node's coordinate. */
  public long samples() {
    return samples;
  }

  /** Samples discarded: above {@code maxRtt}, or from a peer of another dimensionality. */
  public long rejected() {
    return rejected;
  }

  /** Times the coordinate went invalid and restarted from the origin. */
  public long resets() {
    return vivaldi.resets();
  }

  // ------------------------------------------------------------------ probe listener

  @Override
  public byte[] ackAttachment() {
    if (attachment == null) {
      Coordinate c = vivaldi.coordinate();
      encoder.begin(COORDINATE).putByte(c.dimensions());
      for (int i = 0; i < c.dimensions(); i++) {
        encoder.putInt(Float.floatToIntBits((float) c.component(i)));
      }
      encoder.putInt(Float.floatToIntBits((float) c.error()))
          .putInt(Float.floatToIntBits((float) c.adjustment()))
          .putInt(Float.floatToIntBits((float) c.height()));
      attachment = encoder.end();
    }
    return attachment;
  }

  @Override
  public void onProbeAcked(long nowMillis, String name, long rttMillis) {
    Coordinate other = arrived;
    arrived = null;
    if (other == null) {
      return; // the peer runs no coordinates
    }
    if (!other.isCompatibleWith(vivaldi.coordinate()) || rttMillis > maxRtt || rttMillis < 0) {
      rejected++;
      return;
    }
    Peer p = peers.get(name);
    if (p == null) {
      if (peers.size() >= config.maxPeers) {
        peersRefused++;
        ctx.dropped(DropReason.OVERSIZED);
        return;
      }
      p = new Peer(config.latencyFilter);
      peers.put(name, p);
    }
    p.coordinate = other;
    vivaldi.observe(other, p.filter(rttMillis), random);
    samples++;
    attachment = null;
  }

  // ------------------------------------------------------------------ messages

  @Override
  public Update decode(PacketReader reader) throws MalformedPacketException {
    int dims = reader.getByte() & 0xff;
    if (dims < 1 || dims > 16) {
      throw new MalformedPacketException(DropReason.BAD_FIELD, "coordinate of " + dims + " dimensions");
    }
    double[] v = new double[dims];
    for (int i = 0; i < dims; i++) {
      v[i] = Float.intBitsToFloat(reader.getInt());
    }
    double error = Float.intBitsToFloat(reader.getInt());
    double adjustment = Float.intBitsToFloat(reader.getInt());
    double height = Float.intBitsToFloat(reader.getInt());
    Coordinate c = new Coordinate(v, error, adjustment, height);
    if (!Vivaldi.valid(c) || error < 0 || height < 0) {
      throw new MalformedPacketException(DropReason.BAD_FIELD, "coordinate not finite or negative");
    }
    return new Update(c);
  }

  @Override
  public void onMessage(long nowMillis, Endpoint from, Update message, Delivery delivery, Outbox out) {
    // Only meaningful beside the ack that follows it in the same packet.
    arrived = message.coordinate();
  }

  @Override
  public void onPacketEnd(long nowMillis, Endpoint from, Delivery delivery, Outbox out) {
    arrived = null;
  }

  @Override
  public void onPeerEvent(long nowMillis, MemberEvent event, Outbox out) {
    switch (event.type()) {
      case DEAD, LEFT, REAPED -> peers.remove(event.member().name());
      default -> { }
    }
  }

  /** Peers not cached because the cache was full. */
  public long peersRefused() {
    return peersRefused;
  }
}
