// SPDX-License-Identifier: Apache-2.0
package io.grapevine;

import io.grapevine.config.AggregationConfig;
import io.grapevine.config.AntiEntropyConfig;
import io.grapevine.antientropy.ReplicaStore;
import io.grapevine.config.ClusterNames;
import io.grapevine.config.CoordinatesConfig;
import io.grapevine.config.HostPort;
import io.grapevine.config.ProtocolConfigs;
import io.grapevine.config.DisseminationConfig;
import io.grapevine.config.EncryptionConfig;
import io.grapevine.runtime.KeyringFile;
import io.grapevine.security.Keyring;
import io.grapevine.security.Keys;
import io.grapevine.security.PacketSeal;
import java.nio.file.Files;
import io.grapevine.config.MembershipConfig;
import io.grapevine.node.Endpoint;
import io.grapevine.config.HyParViewConfig;
import io.grapevine.config.PlumtreeConfig;
import io.grapevine.config.SortedRingConfig;
import io.grapevine.config.TransportConfig;
import io.grapevine.transport.TcpOnlyTransport;
import io.grapevine.config.QueryConfig;
import io.grapevine.runtime.ClusterNode;
import io.grapevine.runtime.EventLoop;
import io.grapevine.runtime.NodeSettings;
import io.grapevine.stack.Protocol;
import io.grapevine.runtime.Seeds;
import io.grapevine.transport.NioTransport;
import io.grapevine.transport.Transport;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;

/**
 * Configures and starts a {@link Cluster} node. Required: {@link #name}. Every setter validates its
 * argument and {@link #start()} reports the first bad setting in one line.
 */
public final class ClusterBuilder {
  private String name;
  private String clusterName = "grapevine";
  private Endpoint bind = Endpoint.ipv4(0x7f000001, 7946);
  private Endpoint advertise;
  private MembershipConfig config = MembershipConfig.lan();
  private byte[] metadata = new byte[0];
  private EventLoop loop;
  private UnaryOperator<Transport> decorator = UnaryOperator.identity();
  private Duration joinTimeout = Duration.ofSeconds(10);
  private Long randomSeed;
  private Path dataDir;
  private AntiEntropyConfig kvConfig = AntiEntropyConfig.defaults();
  private DisseminationConfig eventsConfig = DisseminationConfig.defaults();
  private AggregationConfig aggregatesConfig = AggregationConfig.defaults();
  private Duration reconnectInterval = Duration.ofSeconds(30);
  private EventOverlay eventOverlay = EventOverlay.FULL_MEMBERSHIP;
  private HyParViewConfig hyParViewConfig = HyParViewConfig.defaults();
  private PlumtreeConfig plumtreeConfig = PlumtreeConfig.defaults();
  private QueryConfig queryConfig = QueryConfig.defaults();
  private SortedRingConfig treeAggregation;
  private CoordinatesConfig coordinates;
  private TransportConfig transportConfig = TransportConfig.defaults();
  private final List<Protocol<?>> protocols = new ArrayList<>();
  private UnaryOperator<ReplicaStore> storeDecorator = UnaryOperator.identity();
  private EncryptionConfig encryptionConfig = EncryptionConfig.defaults();
  private byte[] encryptionKey;
  private Path keyringFile;

  ClusterBuilder() {}

  /**
   * Seals every packet with AES-GCM under {@code key} (16, 24 or 32 bytes: AES-128, -192, -256), and
   * drops packets not sealed with an installed key. With a {@link #keyringFile} that exists, the
   * file's keys are used instead (they may have been rotated since).
   */
  public ClusterBuilder encryptionKey(byte[] key) {
    Keys.check(key);
    this.encryptionKey = key.clone();
    return this;
  }

  /** {@link #encryptionKey(byte[])} from base64 text, as {@code grapevine keygen} prints it. */
  public ClusterBuilder encryptionKey(String base64) {
    this.encryptionKey = Keys.decode(base64);
    return this;
  }

  /**
   * Keeps the keyring in {@code file}: loaded at start when it exists (the keys, primary first, win
   * over {@link #encryptionKey}), written (mode 0600) whenever the keyring changes, so a restart keeps
   * rotated keys.
   */
  public ClusterBuilder keyringFile(Path file) {
    this.keyringFile = Objects.requireNonNull(file, "keyringFile");
    return this;
  }

  /** The encryption switches and replay protection (defaults: both switches on, 30 s window). */
  public ClusterBuilder encryptionConfig(EncryptionConfig config) {
    this.encryptionConfig = Objects.requireNonNull(config, "encryptionConfig");
    return this;
  }

  /** Unique node name, 1..255 UTF-8 bytes. Required. */
  public ClusterBuilder name(String name) {
    Objects.requireNonNull(name, "name");
    int n = name.getBytes(StandardCharsets.UTF_8).length;
    if (n < 1 || n > 255) {
      throw new IllegalArgumentException("name must be 1..255 UTF-8 bytes, got " + n);
    }
    this.name = name;
    return this;
  }

  /**
   * Cluster name carried in every packet, 1..{@value ClusterNames#MAX_BYTES} UTF-8 bytes; nodes of
   * other clusters are ignored. Default "grapevine".
   */
  public ClusterBuilder clusterName(String clusterName) {
    Objects.requireNonNull(clusterName, "clusterName");
    this.clusterName = ClusterNames.check(clusterName);
    return this;
  }

  /** Local address to bind UDP and TCP, HOST:PORT (port 0 picks a free one). Default 127.0.0.1:7946. */
  public ClusterBuilder bind(String hostPort) {
    this.bind = parseLocal("bind", hostPort);
    return this;
  }

  /**
   * Address other nodes use to reach this one, if different from bind (NAT, containers). Port 0
   * means the bound port. Required when binding a wildcard address (0.0.0.0, ::).
   */
  public ClusterBuilder advertise(String hostPort) {
    Endpoint e = parseLocal("advertise", hostPort);
    if (e.toSocketAddress().getAddress().isAnyLocalAddress()) {
      throw new IllegalArgumentException("advertise address must be a concrete address, got '" + hostPort + "'");
    }
    this.advertise = e;
    return this;
  }

  /** Protocol configuration; default {@link MembershipConfig#lan()}. */
  public ClusterBuilder config(MembershipConfig config) {
    this.config = Objects.requireNonNull(config, "config");
    return this;
  }

  /** Initial metadata (at most {@link MembershipConfig#metadataMaxBytes}, checked at start). Default empty. */
  public ClusterBuilder metadata(byte[] metadata) {
    this.metadata = Objects.requireNonNull(metadata, "metadata").clone();
    return this;
  }

  /**
   * Share one event loop (one thread) among many nodes; default: a loop of its own, closed with the
   * node. A shared loop is not closed by the node; close it after its nodes.
   */
  public ClusterBuilder eventLoop(EventLoop loop) {
    this.loop = Objects.requireNonNull(loop, "loop");
    return this;
  }

  /** Wraps the socket transport, e.g. with a fault injector for tests. */
  public ClusterBuilder transportDecorator(UnaryOperator<Transport> decorator) {
    this.decorator = Objects.requireNonNull(decorator, "decorator");
    return this;
  }

  /** How long {@link Cluster#join} waits for a seed to answer. Default 10 s. */
  public ClusterBuilder joinTimeout(Duration timeout) {
    if (timeout == null || timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("joinTimeout must be a positive duration, got " + timeout);
    }
    this.joinTimeout = timeout;
    return this;
  }

  /**
   * How often the node tries a push-pull with one member it believes dead (or, when alone, with a
   * seed), so both sides of a healed partition find each other again. Default 30 s, the LAN
   * push-pull interval: one extra TCP exchange per node per interval at most, and only while some
   * member is dead. {@link Duration#ZERO} turns it off.
   */
  public ClusterBuilder reconnectInterval(Duration interval) {
    if (interval == null || interval.isNegative()) {
      throw new IllegalArgumentException("reconnectInterval must be zero (off) or positive, got " + interval);
    }
    this.reconnectInterval = interval;
    return this;
  }

  /** Seed for the protocol's random choices (default: random). */
  public ClusterBuilder randomSeed(long seed) {
    this.randomSeed = seed;
    return this;
  }

  /**
   * Directory where the replicated store ({@link Cluster#kv}) keeps its data, so a restarted node
   * loses no acknowledged write; created if missing. Default: none, the store is in memory and a
   * restarted node catches up from its peers.
   */
  public ClusterBuilder dataDir(Path dir) {
    this.dataDir = Objects.requireNonNull(dir, "dataDir");
    return this;
  }

  /** Replicated-store configuration; default {@link AntiEntropyConfig#defaults()}. */
  public ClusterBuilder kvConfig(AntiEntropyConfig config) {
    this.kvConfig = Objects.requireNonNull(config, "kvConfig");
    return this;
  }

  /** User-event dissemination settings; default {@link DisseminationConfig#defaults()} (piggyback + anti-entropy). */
  public ClusterBuilder eventsConfig(DisseminationConfig config) {
    this.eventsConfig = Objects.requireNonNull(config, "eventsConfig");
    return this;
  }

  /** Aggregation settings; default {@link AggregationConfig#defaults()} (loss-robust flow updating). */
  public ClusterBuilder aggregatesConfig(AggregationConfig config) {
    this.aggregatesConfig = Objects.requireNonNull(config, "aggregatesConfig");
    return this;
  }

  /**
   * How user events travel: {@link EventOverlay#FULL_MEMBERSHIP} (default; membership gossip) or
   * {@link EventOverlay#HYPARVIEW_PLUMTREE} (Plumtree over a HyParView partial view, for very large
   * clusters). Membership runs either way.
   */
  public ClusterBuilder eventOverlay(EventOverlay overlay) {
    this.eventOverlay = Objects.requireNonNull(overlay, "eventOverlay");
    return this;
  }

  /** HyParView settings when {@link #eventOverlay} is HyParView + Plumtree; default {@link HyParViewConfig#defaults()}. */
  public ClusterBuilder hyParViewConfig(HyParViewConfig config) {
    this.hyParViewConfig = Objects.requireNonNull(config, "hyParViewConfig");
    return this;
  }

  /** Plumtree settings when {@link #eventOverlay} is HyParView + Plumtree; default {@link PlumtreeConfig#defaults()}. */
  public ClusterBuilder plumtreeConfig(PlumtreeConfig config) {
    this.plumtreeConfig = Objects.requireNonNull(config, "plumtreeConfig");
    return this;
  }

  /** Query settings ({@link Cluster#query}, {@link Cluster#onQuery}); default {@link QueryConfig#defaults()}. */
  public ClusterBuilder queryConfig(QueryConfig config) {
    this.queryConfig = Objects.requireNonNull(config, "queryConfig");
    return this;
  }

  /**
   * Turns on network coordinates (Vivaldi, as in Serf) with these settings: every ack of a
   * failure-detector probe carries the acking node's coordinate (48 bytes with 8 dimensions), and
   * each node folds the probe's round-trip time into its own, so {@link Cluster#estimateRtt}
   * estimates the RTT between any two members without measuring it. Default: off. Give every node
   * the same setting: a node without it neither sends nor learns coordinates.
   */
  public ClusterBuilder coordinates(CoordinatesConfig config) {
    this.coordinates = Objects.requireNonNull(config, "config");
    return this;
  }

  /**
   * Turns on the sorted ring and exact SUM/COUNT along its spanning tree ({@link Cluster#tree()}),
   * with these ring settings; null turns it off. Default: off (nothing is attached, no extra
   * traffic). With it on, each node exchanges ring tables with its two ring neighbors, one long link
   * and {@code randomPeersPerRound} members every {@code roundInterval} (a few small datagrams),
   * and reports to its tree parent once per round; totals are exact a few rounds per tree level
   * (about log2 N) after the tree settles. The node's ring id is {@link TreeService#nodeIdOf} of its
   * name, which is why names must be unique (as membership requires anyway). Give every node of a
   * cluster the same setting: nodes without it are not counted.
   */
  public ClusterBuilder treeAggregation(SortedRingConfig config) {
    this.treeAggregation = config;
    return this;
  }

  /**
   * How packets travel; default {@link TransportConfig#defaults()}, datagrams over UDP. With {@link
   * TransportConfig.Mode#TCP_ONLY} every packet goes over TCP, one connection each, for networks that
   * drop UDP; membership's TCP fallback ping is then redundant and is turned off. Give every node of
   * a cluster the same mode where UDP is dropped: a node that still sends datagrams is not heard.
   */
  public ClusterBuilder transportConfig(TransportConfig config) {
    this.transportConfig = Objects.requireNonNull(config, "transportConfig");
    return this;
  }

  /**
   * Wraps the replicated store (in memory, or the one under {@link #dataDir}), e.g. to make its
   * disk slow in tests. The wrapper must keep the {@link ReplicaStore} contract; whether it is
   * {@link ReplicaStore#persistent() persistent} decides whether writes wait for its {@link
   * ReplicaStore#sync() sync}.
   */
  public ClusterBuilder storeDecorator(UnaryOperator<ReplicaStore> decorator) {
    this.storeDecorator = Objects.requireNonNull(decorator, "decorator");
    return this;
  }

  /**
   * Adds an application protocol to the node's stack, after the built-in ones: it shares the node's
   * port, packet envelope, peers and piggyback room, and its message types must come from {@link
   * io.grapevine.wire.MessageRange#APPLICATION}. Call its commands through {@link
   * ClusterNode#submit} and receive its events with {@link ClusterNode#on}; see
   * docs/writing-a-protocol.md. One instance per node.
   */
  public ClusterBuilder protocol(Protocol<?> protocol) {
    protocols.add(Objects.requireNonNull(protocol, "protocol"));
    return this;
  }

  /**
   * Binds the sockets and starts the protocol. The node's first incarnation is the wall-clock time
   * in milliseconds, so a node restarted under the same name outranks what the cluster remembers of
   * its previous life.
   *
   * @throws IllegalStateException if the name is missing or settings conflict
   * @throws UncheckedIOException if the sockets cannot be bound
   */
  public Cluster start() {
    if (name == null) {
      throw new IllegalStateException("name is required: call name(...) before start()");
    }
    if (metadata.length > config.metadataMaxBytes) {
      throw new IllegalStateException("metadata is " + metadata.length + " bytes, above metadataMaxBytes "
          + config.metadataMaxBytes);
    }
    boolean wildcard = bind.toSocketAddress().getAddress().isAnyLocalAddress();
    if (wildcard && advertise == null) {
      throw new IllegalStateException("bind address " + bind + " is a wildcard: set advertise(HOST:PORT) to the"
          + " address other nodes should use");
    }
    if (advertise != null && !wildcard && advertise.isIpv6() != bind.isIpv6()) {
      throw new IllegalStateException("advertise " + advertise + " and bind " + bind + " are different IP families");
    }
    boolean ownsLoop = loop == null;
    EventLoop l = ownsLoop ? new EventLoop() : loop;
    Transport t;
    boolean tcpOnly = transportConfig.tcpOnly();
    // A failed probe is already a failed TCP exchange: a second one over TCP would only double it.
    MembershipConfig membershipConfig = tcpOnly ? config.toBuilder().tcpFallbackPing(false).build() : config;
    try {
      // A sealed stream frame is the seal's overhead longer than the protocol's limit.
      t = decorator.apply(new NioTransport(l, bind.toSocketAddress(),
          NioTransport.Options.defaults(config.streamMessageMaxBytes + PacketSeal.OVERHEAD)
              .withMaxInboundConnections(config.maxInboundConnections)
              .withInboundConnectionsPerSecondPerSource(config.inboundConnectionsPerSecondPerSource)));
      // Outermost, so a fault-injecting decorator sees the streams that really go out.
      if (tcpOnly) {
        t = new TcpOnlyTransport(t);
      }
    } catch (RuntimeException e) {
      if (ownsLoop) {
        l.close();
      }
      throw e;
    }
    Keyring keyring;
    try {
      keyring = keyring();
    } catch (RuntimeException e) {
      t.close();
      if (ownsLoop) {
        l.close();
      }
      throw e;
    }
    long seed = randomSeed == null ? new SplittableRandom().nextLong() : randomSeed;
    boolean overlay = eventOverlay == EventOverlay.HYPARVIEW_PLUMTREE;
    try {
      ProtocolConfigs configs = new ProtocolConfigs(membershipConfig, eventsConfig, kvConfig, aggregatesConfig,
          hyParViewConfig, plumtreeConfig, treeAggregation == null ? SortedRingConfig.defaults() : treeAggregation,
          coordinates == null ? CoordinatesConfig.defaults() : coordinates, transportConfig,
          encryptionConfig, queryConfig);
      return ClusterNode.start(l, ownsLoop, t, new NodeSettings(clusterName, name, advertise, metadata, configs, seed,
          joinTimeout.toMillis(), reconnectInterval.toMillis(), dataDir, overlay, treeAggregation != null,
          coordinates != null,
          List.copyOf(protocols), storeDecorator, keyring));
    } catch (IOException e) {
      throw new UncheckedIOException("node " + name + ": cannot bind " + bind + ": " + e.getMessage(), e);
    }
  }

  /** The keys to start with: the keyring file's if it exists, else the key given, else none. */
  private Keyring keyring() {
    Keyring keyring;
    if (keyringFile != null && Files.exists(keyringFile)) {
      keyring = Keyring.of(KeyringFile.load(keyringFile));
      if (encryptionKey != null && !keyring.contains(encryptionKey)) {
        org.slf4j.LoggerFactory.getLogger(ClusterBuilder.class).warn("{}: the keyring file {} exists and does not"
            + " hold the key given; using the file's keys (primary {})", name, keyringFile,
            keyring.primaryFingerprint());
      }
    } else {
      keyring = encryptionKey == null ? new Keyring() : Keyring.of(List.of(encryptionKey));
      if (keyringFile != null && !keyring.isEmpty()) {
        KeyringFile.save(keyringFile, keyring.keys());
      }
    }
    if (keyringFile != null) {
      Path file = keyringFile;
      keyring.addListener(() -> KeyringFile.save(file, keyring.keys()));
    }
    return keyring;
  }

  private static Endpoint parseLocal(String what, String hostPort) {
    Objects.requireNonNull(hostPort, what);
    try {
      // Port 0 is legal here (pick a free port); seeds need a real one.
      return Seeds.resolve(HostPort.parse(hostPort, 0));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(what + ": " + e.getMessage());
    }
  }
}
