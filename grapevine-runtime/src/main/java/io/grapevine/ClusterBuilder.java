package io.grapevine;

import io.grapevine.membership.MembershipConfig;
import io.grapevine.runtime.EventLoop;
import io.grapevine.transport.Transport;
import java.time.Duration;
import java.util.function.UnaryOperator;

/**
 * Configures and starts a {@link Cluster} node. Required: {@link #name}. Every setter validates its
 * argument and {@link #start()} reports the first bad setting in one line.
 */
public final class ClusterBuilder {
  // Implementation in progress: fields and start() are filled in by the runtime.
  ClusterBuilder() {}

  /** Unique node name, 1..255 UTF-8 bytes. Required. */
  public ClusterBuilder name(String name) { throw new UnsupportedOperationException("TODO"); }
  /** Cluster name carried in every packet; nodes of other clusters are ignored. Default "grapevine". */
  public ClusterBuilder clusterName(String clusterName) { throw new UnsupportedOperationException("TODO"); }
  /** Local address to bind UDP and TCP, HOST:PORT (port 0 picks a free one). Default 127.0.0.1:7946. */
  public ClusterBuilder bind(String hostPort) { throw new UnsupportedOperationException("TODO"); }
  /** Address other nodes use to reach this one, if different from bind (NAT, containers). */
  public ClusterBuilder advertise(String hostPort) { throw new UnsupportedOperationException("TODO"); }
  /** Protocol configuration; default {@link MembershipConfig#lan()}. */
  public ClusterBuilder config(MembershipConfig config) { throw new UnsupportedOperationException("TODO"); }
  /** Initial metadata. */
  public ClusterBuilder metadata(byte[] metadata) { throw new UnsupportedOperationException("TODO"); }
  /** Share one event loop (one thread) among many nodes; default: a loop of its own. */
  public ClusterBuilder eventLoop(EventLoop loop) { throw new UnsupportedOperationException("TODO"); }
  /** Wraps the socket transport, e.g. with a fault injector for tests. */
  public ClusterBuilder transportDecorator(UnaryOperator<Transport> decorator) { throw new UnsupportedOperationException("TODO"); }
  /** How long {@link Cluster#join} waits for a seed to answer. Default 10 s. */
  public ClusterBuilder joinTimeout(Duration timeout) { throw new UnsupportedOperationException("TODO"); }
  /** Seed for the protocol's random choices (default: random). */
  public ClusterBuilder randomSeed(long seed) { throw new UnsupportedOperationException("TODO"); }
  /** Binds the sockets and starts the protocol. */
  public Cluster start() { throw new UnsupportedOperationException("TODO"); }
}
