package io.grapevine.node;

import io.grapevine.wire.DropReason;
import io.grapevine.wire.MalformedPacketException;
import io.grapevine.wire.PacketReader;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs extensions without the membership protocol, over any {@link PeerSampler}: how the simulator
 * runs rumor spreading or aggregation at a million nodes with uniform peer sampling, and how partial
 * views host them. Opens envelopes, dispatches by type code, drops and counts what is malformed.
 */
public final class StandaloneHost implements ProtocolNode, ExtensionContext {
  private final String name;
  private final Endpoint endpoint;
  private final String clusterName;
  private final int datagramBytes;
  private final PeerSampler peers;
  private final List<Extension> extensions = new ArrayList<>();
  private final PacketReader reader;
  private final List<Object> decoded = new ArrayList<>();
  private final List<Extension> owners = new ArrayList<>();
  private long dropped;

  public StandaloneHost(String name, Endpoint endpoint, String clusterName, int datagramBytes, PeerSampler peers) {
    this.name = name;
    this.endpoint = endpoint;
    this.clusterName = clusterName;
    this.datagramBytes = datagramBytes;
    this.peers = peers;
    this.reader = new PacketReader(clusterName);
  }

  /** Adds an extension; its type range must not overlap another's. */
  public StandaloneHost attach(Extension extension) {
    Extensions.checkNoOverlap(extensions, extension);
    extensions.add(extension);
    extension.attach(this);
    return this;
  }

  @Override
  public void onPacket(long nowMillis, Endpoint from, ByteBuffer packet, Delivery delivery, Outbox out) {
    decoded.clear();
    owners.clear();
    try {
      reader.open(packet);
      while (reader.nextMessage()) {
        Extension owner = Extensions.ownerOf(extensions, reader.type());
        if (owner == null) {
          throw new MalformedPacketException(DropReason.UNKNOWN_TYPE, "type " + (reader.type() & 0xff));
        }
        decoded.add(owner.decode(reader));
        owners.add(owner);
      }
    } catch (MalformedPacketException e) {
      dropped++;
      release();
      return;
    }
    for (int i = 0; i < decoded.size(); i++) {
      owners.get(i).onMessage(nowMillis, from, decoded.get(i), delivery, out);
    }
    Extensions.packetEnd(owners, nowMillis, from, delivery, out);
    release();
  }

  /** Nothing of a handled packet stays reachable from the host (a simulator holds a million hosts). */
  private void release() {
    decoded.clear();
    owners.clear();
    reader.close();
  }

  @Override
  public void onTick(long nowMillis, Outbox out) {
    for (Extension e : extensions) {
      if (e.nextDeadlineMillis() <= nowMillis) {
        e.onTick(nowMillis, out);
      }
    }
  }

  @Override
  public void endpointResolver(io.grapevine.wire.EndpointResolver resolver) {
    reader.endpointResolver(resolver);
  }

  @Override
  public long nextDeadlineMillis() {
    long next = Long.MAX_VALUE;
    for (Extension e : extensions) {
      next = Math.min(next, e.nextDeadlineMillis());
    }
    return next;
  }

  /** Packets dropped as malformed or of unknown type. */
  public long dropped() {
    return dropped;
  }

  @Override
  public String localName() {
    return name;
  }

  @Override
  public Endpoint localEndpoint() {
    return endpoint;
  }

  @Override
  public String clusterName() {
    return clusterName;
  }

  @Override
  public int datagramBytes() {
    return datagramBytes;
  }

  @Override
  public PeerSampler peers() {
    return peers;
  }

  @Override
  public boolean piggyback(String key, byte[] encodedMessage) {
    return false;
  }

  @Override
  public int clusterSize() {
    return peers.size() + 1;
  }
}
