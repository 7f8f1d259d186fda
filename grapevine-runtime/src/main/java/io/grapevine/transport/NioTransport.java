// SPDX-License-Identifier: Apache-2.0
package io.grapevine.transport;

import io.grapevine.node.Delivery;
import io.grapevine.node.Endpoint;
import io.grapevine.runtime.EventLoop;
import java.io.IOException;
import java.net.BindException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.ProtocolFamily;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.HashSet;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * UDP and TCP on one port, with JDK NIO, driven by an {@link EventLoop}.
 *
 * <p>Datagrams go out as they are. A stream message opens a TCP connection, writes one frame
 * {@code [4-byte big-endian length][packet]} and closes; the receiver reads frames (several per
 * connection are accepted) and hands each to the node as {@link Delivery#STREAM}. Everything is
 * non-blocking on the loop's selector, with bounds everywhere a peer could make us hold memory: the
 * frame length ({@code streamMessageMaxBytes}), buffers grown only as bytes arrive, the number of
 * concurrent connections each way, new inbound connections per source address per second (a bounded
 * table), connect and idle timeouts. Refused connections are counted by {@link
 * TransportStats.ConnectionRefusal reason}. Send failures are counted in {@link
 * TransportStats}, never thrown at the protocol.
 *
 * <p>Binding port 0 picks a free UDP port and then binds TCP on the same number, retrying with a
 * new port if TCP's is taken.
 */
public final class NioTransport implements Transport {
  private static final Logger log = LoggerFactory.getLogger(NioTransport.class);
  private static final int BIND_ATTEMPTS = 32;
  private static final int FRAME_HEADER_BYTES = 4;
  private static final int INITIAL_FRAME_BUFFER_BYTES = 64 * 1024;
  /** Datagrams read per readiness event before other channels get their turn. */
  private static final int DATAGRAMS_PER_WAKEUP = 64;
  /** Stream bytes read per readiness event before other channels get their turn. */
  private static final int STREAM_BYTES_PER_WAKEUP = 1 << 20;

  /**
   * Limits of one transport.
   *
   * @param maxDatagramBytes largest datagram accepted; larger ones are dropped and counted. Default
   *     65,507 (the largest UDP payload over IPv4), so peers with a larger payload budget still work
   * @param streamMessageMaxBytes largest stream frame accepted; the protocol's own limit
   * @param maxInboundConnections concurrent inbound TCP connections; more are closed at accept.
   *     Default 256: push-pulls are short, a node rarely holds more than a few
   * @param maxOutboundConnections concurrent outbound TCP connections; more are dropped. Default 256
   * @param connectTimeoutMillis an outbound stream message must be connected and written within it.
   *     Default 3,000 ms: a TCP fallback ping older than a probe interval is useless anyway
   * @param streamIdleTimeoutMillis an inbound connection with no progress this long is closed.
   *     Default 10,000 ms, against peers that open connections and go silent
   * @param socketBufferBytes SO_RCVBUF/SO_SNDBUF for the UDP socket. Default 1 MiB so bursts (a
   *     join storm of 100 nodes in one process) are not dropped by the kernel; the OS may cap it
   * @param inboundConnectionsPerSecondPerSource new inbound connections accepted from one source
   *     address per second (and as a burst); more are closed at accept. 0: no limit. Default 256
   */
  public record Options(
      int maxDatagramBytes,
      int streamMessageMaxBytes,
      int maxInboundConnections,
      int maxOutboundConnections,
      long connectTimeoutMillis,
      long streamIdleTimeoutMillis,
      int socketBufferBytes,
      int inboundConnectionsPerSecondPerSource) {

    public Options {
      check(maxDatagramBytes >= 512 && maxDatagramBytes <= 65_507, "maxDatagramBytes must be in 512..65507, got "
          + maxDatagramBytes);
      check(streamMessageMaxBytes >= 1024, "streamMessageMaxBytes must be >= 1024, got " + streamMessageMaxBytes);
      check(maxInboundConnections >= 1, "maxInboundConnections must be >= 1, got " + maxInboundConnections);
      check(maxOutboundConnections >= 1, "maxOutboundConnections must be >= 1, got " + maxOutboundConnections);
      check(connectTimeoutMillis > 0, "connectTimeoutMillis must be > 0, got " + connectTimeoutMillis);
      check(streamIdleTimeoutMillis > 0, "streamIdleTimeoutMillis must be > 0, got " + streamIdleTimeoutMillis);
      check(socketBufferBytes >= 8192, "socketBufferBytes must be >= 8192, got " + socketBufferBytes);
      check(inboundConnectionsPerSecondPerSource >= 0,
          "inboundConnectionsPerSecondPerSource must be >= 0, got " + inboundConnectionsPerSecondPerSource);
    }

    /** Defaults, with the protocol's stream limit. */
    public static Options defaults(int streamMessageMaxBytes) {
      return new Options(65_507, streamMessageMaxBytes, 256, 256, 3_000, 10_000, 1 << 20, 256);
    }

    /**
     * Defaults with the limits a membership config sets: the frame size ({@code
     * streamMessageMaxBytes}), concurrent inbound connections and new connections per source.
     */
    public static Options from(io.grapevine.config.MembershipConfig config) {
      return defaults(config.streamMessageMaxBytes)
          .withMaxInboundConnections(config.maxInboundConnections)
          .withInboundConnectionsPerSecondPerSource(config.inboundConnectionsPerSecondPerSource);
    }

    public Options withMaxDatagramBytes(int v) {
      return new Options(v, streamMessageMaxBytes, maxInboundConnections, maxOutboundConnections,
          connectTimeoutMillis, streamIdleTimeoutMillis, socketBufferBytes, inboundConnectionsPerSecondPerSource);
    }

    public Options withMaxInboundConnections(int v) {
      return new Options(maxDatagramBytes, streamMessageMaxBytes, v, maxOutboundConnections, connectTimeoutMillis,
          streamIdleTimeoutMillis, socketBufferBytes, inboundConnectionsPerSecondPerSource);
    }

    public Options withStreamIdleTimeoutMillis(long v) {
      return new Options(maxDatagramBytes, streamMessageMaxBytes, maxInboundConnections, maxOutboundConnections,
          connectTimeoutMillis, v, socketBufferBytes, inboundConnectionsPerSecondPerSource);
    }

    public Options withInboundConnectionsPerSecondPerSource(int v) {
      return new Options(maxDatagramBytes, streamMessageMaxBytes, maxInboundConnections, maxOutboundConnections,
          connectTimeoutMillis, streamIdleTimeoutMillis, socketBufferBytes, v);
    }

    private static void check(boolean ok, String message) {
      if (!ok) {
        throw new IllegalArgumentException(message);
      }
    }
  }

  private final EventLoop loop;
  private final InetSocketAddress bindAddress;
  private final Options options;
  private final TransportStats stats = new TransportStats();
  private final Set<InboundConnection> inbound = new HashSet<>();
  private final Set<OutboundConnection> outbound = new HashSet<>();
  private final SourceRateLimiter connectionRate;
  private DatagramChannel udp;
  private ServerSocketChannel tcp;
  private volatile Endpoint local;
  private Receiver receiver;
  private boolean closed;

  public NioTransport(EventLoop loop, InetSocketAddress bindAddress, Options options) {
    if (bindAddress.isUnresolved()) {
      throw new IllegalArgumentException("bind address is unresolved: " + bindAddress);
    }
    this.loop = loop;
    this.bindAddress = bindAddress;
    this.options = options;
    this.connectionRate =
        new SourceRateLimiter(options.inboundConnectionsPerSecondPerSource(), SourceRateLimiter.DEFAULT_SOURCES);
  }

  @Override
  public void start(Receiver receiver) throws IOException {
    this.receiver = receiver;
    bind();
    IOException failure = loop.call(() -> {
      try {
        udp.configureBlocking(false);
        tcp.configureBlocking(false);
        loop.register(udp, SelectionKey.OP_READ, key -> readDatagrams());
        loop.register(tcp, SelectionKey.OP_ACCEPT, key -> accept());
        return null;
      } catch (IOException e) {
        return e;
      }
    });
    if (failure != null) {
      close();
      throw failure;
    }
  }

  private void bind() throws IOException {
    ProtocolFamily family =
        bindAddress.getAddress() instanceof Inet6Address ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET;
    IOException last = null;
    int attempts = bindAddress.getPort() == 0 ? BIND_ATTEMPTS : 1;
    for (int i = 0; i < attempts; i++) {
      DatagramChannel d = null;
      ServerSocketChannel s = null;
      try {
        d = DatagramChannel.open(family);
        d.setOption(StandardSocketOptions.SO_RCVBUF, options.socketBufferBytes());
        d.setOption(StandardSocketOptions.SO_SNDBUF, options.socketBufferBytes());
        d.bind(bindAddress);
        int port = ((InetSocketAddress) d.getLocalAddress()).getPort();
        s = ServerSocketChannel.open(family);
        // Lets a restarted node bind its port while old connections sit in TIME_WAIT.
        s.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        s.bind(new InetSocketAddress(bindAddress.getAddress(), port), 128);
        udp = d;
        tcp = s;
        local = Endpoint.of(new InetSocketAddress(bindAddress.getAddress(), port));
        return;
      } catch (BindException e) {
        last = e;
        closeQuietly(d);
        closeQuietly(s);
      } catch (IOException e) {
        closeQuietly(d);
        closeQuietly(s);
        throw e;
      }
    }
    BindException e = new BindException("cannot bind UDP and TCP on one port at " + bindAddress + " ("
        + attempts + " attempt(s)): " + (last == null ? "" : last.getMessage()));
    throw e;
  }

  @Override
  public Endpoint localEndpoint() {
    Endpoint e = local;
    if (e == null) {
      throw new IllegalStateException("transport not started");
    }
    return e;
  }

  @Override
  public TransportStats stats() {
    return stats;
  }

  public Options options() {
    return options;
  }

  // ------------------------------------------------------------------ send

  @Override
  public void send(Endpoint to, ByteBuffer packet, Delivery delivery) {
    if (closed) {
      stats.sendErrors.incrementAndGet();
      return;
    }
    if (delivery == Delivery.DATAGRAM) {
      sendDatagram(to, packet);
    } else {
      sendStream(to, packet);
    }
  }

  private void sendDatagram(Endpoint to, ByteBuffer packet) {
    int n = packet.remaining();
    try {
      if (udp.send(packet, to.toSocketAddress()) == 0) {
        // Socket buffer full: UDP may drop, and so do we (counted).
        stats.sendErrors.incrementAndGet();
        return;
      }
      stats.datagramsOut.incrementAndGet();
      stats.datagramBytesOut.addAndGet(n);
    } catch (IOException | RuntimeException e) {
      stats.sendErrors.incrementAndGet();
      log.debug("datagram to {} failed: {}", to, e.toString());
    }
  }

  private void sendStream(Endpoint to, ByteBuffer packet) {
    if (outbound.size() >= options.maxOutboundConnections()) {
      stats.rejectedConnections.incrementAndGet();
      stats.sendErrors.incrementAndGet();
      return;
    }
    int n = packet.remaining();
    if (n > options.streamMessageMaxBytes()) {
      stats.sendErrors.incrementAndGet();
      log.warn("stream message to {} of {} bytes is above streamMessageMaxBytes {}; not sent", to, n,
          options.streamMessageMaxBytes());
      return;
    }
    ByteBuffer frame = ByteBuffer.allocate(FRAME_HEADER_BYTES + n);
    frame.putInt(n).put(packet).flip();
    SocketChannel ch = null;
    try {
      ch = SocketChannel.open();
      ch.configureBlocking(false);
      OutboundConnection c = new OutboundConnection(to, ch, frame);
      outbound.add(c);
      c.timer = loop.scheduleAfter(options.connectTimeoutMillis(), c::timeout);
      if (ch.connect(to.toSocketAddress())) {
        c.key = loop.register(ch, SelectionKey.OP_WRITE, k -> c.onWritable());
      } else {
        c.key = loop.register(ch, SelectionKey.OP_CONNECT, k -> c.onConnectable());
      }
    } catch (IOException | RuntimeException e) {
      stats.sendErrors.incrementAndGet();
      log.debug("stream to {} failed: {}", to, e.toString());
      closeQuietly(ch);
      outbound.removeIf(c -> c.channel == null || !c.channel.isOpen());
    }
  }

  private final class OutboundConnection {
    final Endpoint to;
    final SocketChannel channel;
    final ByteBuffer frame;
    SelectionKey key;
    EventLoop.Timer timer;
    boolean connected;

    OutboundConnection(Endpoint to, SocketChannel channel, ByteBuffer frame) {
      this.to = to;
      this.channel = channel;
      this.frame = frame;
    }

    void onConnectable() {
      try {
        if (!channel.finishConnect()) {
          return;
        }
        connected = true;
        key.interestOps(SelectionKey.OP_WRITE);
        onWritable();
      } catch (IOException e) {
        fail(e);
      }
    }

    void onWritable() {
      connected = true;
      try {
        int n = frame.remaining();
        channel.write(frame);
        if (!frame.hasRemaining()) {
          stats.streamMessagesOut.incrementAndGet();
          stats.streamBytesOut.addAndGet(frame.capacity() - FRAME_HEADER_BYTES);
          finish();
        } else if (frame.remaining() == n) {
          key.interestOps(SelectionKey.OP_WRITE);
        }
      } catch (IOException e) {
        fail(e);
      }
    }

    void timeout() {
      if (!channel.isOpen()) {
        return;
      }
      if (!connected) {
        stats.connectTimeouts.incrementAndGet();
      }
      stats.sendErrors.incrementAndGet();
      log.debug("stream to {} timed out ({} ms)", to, options.connectTimeoutMillis());
      finish();
    }

    void fail(IOException e) {
      stats.sendErrors.incrementAndGet();
      log.debug("stream to {} failed: {}", to, e.toString());
      finish();
    }

    void finish() {
      if (timer != null) {
        timer.cancel();
      }
      outbound.remove(this);
      closeQuietly(channel);
    }
  }

  // ------------------------------------------------------------------ receive

  private void readDatagrams() throws IOException {
    for (int i = 0; i < DATAGRAMS_PER_WAKEUP && !closed; i++) {
      // One byte above the limit, so an oversized datagram shows as a full buffer.
      ByteBuffer datagramBuffer = loop.sharedReceiveBuffer(options.maxDatagramBytes() + 1);
      datagramBuffer.limit(options.maxDatagramBytes() + 1);
      SocketAddress from = udp.receive(datagramBuffer);
      if (from == null) {
        return;
      }
      datagramBuffer.flip();
      int n = datagramBuffer.remaining();
      // The buffer is one byte larger than the limit: filling it means the datagram was bigger.
      if (n > options.maxDatagramBytes()) {
        stats.oversizedDatagrams.incrementAndGet();
        continue;
      }
      stats.datagramsIn.incrementAndGet();
      stats.datagramBytesIn.addAndGet(n);
      receiver.onPacket(Endpoint.of((InetSocketAddress) from), datagramBuffer, Delivery.DATAGRAM);
    }
  }

  private void accept() throws IOException {
    while (!closed) {
      SocketChannel ch = tcp.accept();
      if (ch == null) {
        return;
      }
      if (inbound.size() >= options.maxInboundConnections()) {
        stats.rejectedConnections.incrementAndGet();
        stats.countRefused(TransportStats.ConnectionRefusal.CONCURRENT_LIMIT);
        refuse(ch);
        continue;
      }
      InetSocketAddress remote;
      try {
        remote = (InetSocketAddress) ch.getRemoteAddress();
      } catch (IOException e) {
        stats.streamReadErrors.incrementAndGet();
        closeQuietly(ch);
        continue;
      }
      if (remote == null || !connectionRate.tryAcquire(remote.getAddress(), loop.nowMillis())) {
        stats.countRefused(TransportStats.ConnectionRefusal.RATE_LIMIT);
        refuse(ch);
        continue;
      }
      try {
        ch.configureBlocking(false);
        InboundConnection c = new InboundConnection(ch, Endpoint.of(remote));
        inbound.add(c);
        c.key = loop.register(ch, SelectionKey.OP_READ, k -> c.onReadable());
        c.lastProgressMillis = loop.nowMillis();
        c.timer = loop.scheduleAfter(options.streamIdleTimeoutMillis(), c::checkIdle);
      } catch (IOException e) {
        stats.streamReadErrors.incrementAndGet();
        closeQuietly(ch);
      }
    }
  }

  /** Closes a refused connection at once, with a reset rather than a lingering close. */
  private static void refuse(SocketChannel ch) {
    try {
      ch.setOption(StandardSocketOptions.SO_LINGER, 0);
    } catch (IOException | RuntimeException e) {
      // Closed below either way.
    }
    closeQuietly(ch);
  }

  private final class InboundConnection {
    final SocketChannel channel;
    final Endpoint from;
    final ByteBuffer header = ByteBuffer.allocate(FRAME_HEADER_BYTES);
    ByteBuffer body;
    int frameLength = -1;
    SelectionKey key;
    EventLoop.Timer timer;
    long lastProgressMillis;

    InboundConnection(SocketChannel channel, Endpoint from) {
      this.channel = channel;
      this.from = from;
    }

    void onReadable() {
      int budget = STREAM_BYTES_PER_WAKEUP;
      try {
        while (budget > 0 && channel.isOpen()) {
          int n;
          if (frameLength < 0) {
            n = channel.read(header);
            if (n > 0 && !header.hasRemaining()) {
              frameLength = header.getInt(0);
              if (frameLength <= 0 || frameLength > options.streamMessageMaxBytes()) {
                stats.oversizedStreamMessages.incrementAndGet();
                log.debug("stream frame of {} bytes from {} refused (limit {})", frameLength, from,
                    options.streamMessageMaxBytes());
                finish();
                return;
              }
              body = ByteBuffer.allocate(Math.min(frameLength, INITIAL_FRAME_BUFFER_BYTES));
            }
          } else {
            if (!body.hasRemaining()) {
              // Grow only as bytes actually arrive: a peer announcing 16 MiB gets memory as it sends.
              ByteBuffer bigger = ByteBuffer.allocate((int) Math.min(frameLength, 2L * body.capacity()));
              body.flip();
              bigger.put(body);
              body = bigger;
            }
            n = channel.read(body);
            if (n > 0 && body.position() == frameLength) {
              deliver();
            }
          }
          if (n < 0) {
            if (frameLength >= 0 || header.position() > 0) {
              stats.streamReadErrors.incrementAndGet();
            }
            finish();
            return;
          }
          if (n == 0) {
            return;
          }
          budget -= n;
          lastProgressMillis = loop.nowMillis();
        }
      } catch (IOException e) {
        stats.streamReadErrors.incrementAndGet();
        finish();
      }
    }

    private void deliver() {
      ByteBuffer frame = body;
      frame.flip();
      frameLength = -1;
      header.clear();
      body = null;
      stats.streamMessagesIn.incrementAndGet();
      stats.streamBytesIn.addAndGet(frame.remaining());
      receiver.onPacket(from, frame, Delivery.STREAM);
    }

    void checkIdle() {
      if (!channel.isOpen()) {
        return;
      }
      long idle = loop.nowMillis() - lastProgressMillis;
      if (idle >= options.streamIdleTimeoutMillis()) {
        stats.streamReadErrors.incrementAndGet();
        finish();
      } else {
        timer = loop.scheduleAfter(options.streamIdleTimeoutMillis() - idle, this::checkIdle);
      }
    }

    void finish() {
      if (timer != null) {
        timer.cancel();
      }
      inbound.remove(this);
      closeQuietly(channel);
    }
  }

  /** Open inbound connections (loop thread). */
  public int inboundConnections() {
    return inbound.size();
  }

  // ------------------------------------------------------------------ close

  @Override
  public void close() {
    if (loop.inLoop()) {
      closeNow();
    } else {
      try {
        loop.call(() -> {
          closeNow();
          return null;
        });
      } catch (IllegalStateException e) {
        // The loop is gone; its selector closed every channel already.
        closeNow();
      }
    }
  }

  private void closeNow() {
    if (closed) {
      return;
    }
    closed = true;
    closeQuietly(udp);
    closeQuietly(tcp);
    for (InboundConnection c : new HashSet<>(inbound)) {
      c.finish();
    }
    for (OutboundConnection c : new HashSet<>(outbound)) {
      c.finish();
    }
    if (loop.inLoop()) {
      // A registered channel's socket is released only once the selector drops its key.
      loop.flushCancelledKeys();
    }
  }

  private static void closeQuietly(java.nio.channels.Channel c) {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (IOException e) {
      // Closing anyway.
    }
  }

  @Override
  public String toString() {
    return "NioTransport[" + local + "]";
  }
}
