package io.grapevine.node;

/** What a host offers the extensions it runs. */
public interface ExtensionContext {
  /** This node's name. */
  String localName();

  /** This node's advertised endpoint. */
  Endpoint localEndpoint();

  /** The cluster name to write into packets (see {@link io.grapevine.wire.PacketWriter}). */
  String clusterName();

  /** Largest datagram payload. */
  int datagramBytes();

  /** Gossip partners. */
  PeerSampler peers();

  /**
   * Queues an encoded message to ride on the host's outgoing datagrams, retransmitted like a
   * membership update ({@code retransmitMult * ceil(log10(N+1))} times); a newer message under the
   * same key replaces the older. Hosts without a piggyback queue return false and the extension
   * must send on its own.
   */
  boolean piggyback(String key, byte[] encodedMessage);

  /** Live nodes (this one included): the N of the formulas. */
  int clusterSize();
}
