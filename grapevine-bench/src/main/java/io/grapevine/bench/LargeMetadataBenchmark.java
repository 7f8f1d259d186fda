// SPDX-License-Identifier: Apache-2.0
package io.grapevine.bench;

import io.grapevine.Cluster;
import io.grapevine.api.MemberEvent;
import io.grapevine.api.MemberState;
import io.grapevine.config.MembershipConfig;
import io.grapevine.node.Delivery;
import io.grapevine.node.Endpoint;
import io.grapevine.transport.Transport;
import io.grapevine.transport.TransportStats;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/**
 * Large member metadata on loopback: N nodes (real UDP and TCP sockets, all in this JVM, each on its
 * own event loop) each carry metadata of the given size (random bytes: deflate cannot shrink them,
 * the worst case). For each size: the time from the first of N − 1 joins (one after another, through
 * one seed) until every node holds every node's metadata; steady-state bytes out per node (UDP and TCP) over a window; then a few metadata updates
 * by random nodes, each timed from the update to all N holding the new version, with the bytes the
 * cluster sent meanwhile.
 *
 * <p>Usage: {@code LargeMetadataBenchmark [sizes=8192,65535] [nodes=50] [steadySeconds=60]
 * [updates=3]}; see {@code bench/large-metadata.sh}. Every wait is bounded (each join 60 s, convergence
 * 120 s, each update 60 s), so a run of the defaults takes about four minutes.
 */
public final class LargeMetadataBenchmark {
  private static final long POLL_MILLIS = 10;

  public static void main(String[] args) throws Exception {
    int[] sizes = args.length > 0 ? Arrays.stream(args[0].split(",")).mapToInt(Integer::parseInt).toArray()
        : new int[] {8192, 65_535};
    int n = args.length > 1 ? Integer.parseInt(args[1]) : 50;
    int steadySeconds = args.length > 2 ? Integer.parseInt(args[2]) : 60;
    int updates = args.length > 3 ? Integer.parseInt(args[3]) : 3;
    if (n < 2 || n > 200 || steadySeconds < 1 || steadySeconds > 600 || updates < 1 || updates > 20) {
      System.err.println("nodes must be 2..200, steadySeconds 1..600, updates 1..20");
      System.exit(2);
    }
    MembershipConfig config = MembershipConfig.lan().toBuilder().metadataMaxBytes(65_535).build();
    System.out.printf(Locale.ROOT, "Grapevine large-metadata benchmark: %d nodes, LAN profile (metadataMaxBytes"
        + " 65535, inline up to %d bytes, %d fetches in flight), loopback, one JVM, one event loop per node;"
        + " steady window %d s; %d update(s) per size%n", n, config.inlineMetadataLimit(),
        config.metadataFetchesInFlight, steadySeconds, updates);
    System.out.printf(Locale.ROOT, "java %s (%s), %d cores visible%n", System.getProperty("java.version"),
        System.getProperty("java.vm.name"), Runtime.getRuntime().availableProcessors());
    List<String> rows = new ArrayList<>();
    for (int size : sizes) {
      rows.add(runOnce(n, size, config, steadySeconds, updates));
    }
    System.out.println();
    System.out.println("| metadata | N | all hold all after joins | update → all N hold it (each) | bytes/s out per"
        + " node, steady (UDP + TCP) | of which UDP | bytes sent cluster-wide per update | largest datagram |"
        + " false suspicions |");
    System.out.println("|---|---|---|---|---|---|---|---|---|");
    rows.forEach(System.out::println);
  }

  private static byte[] meta(int size, long seed) {
    byte[] b = new byte[size];
    new SplittableRandom(seed).nextBytes(b);
    return b;
  }

  private static String runOnce(int n, int size, MembershipConfig config, int steadySeconds, int updates)
      throws Exception {
    List<Cluster> nodes = new ArrayList<>(n);
    AtomicLong falseSuspicions = new AtomicLong();
    AtomicInteger largestDatagram = new AtomicInteger();
    try {
      for (int i = 0; i < n; i++) {
        Cluster c = Cluster.builder().name(String.format("node-%03d", i)).clusterName("meta-" + size)
            .bind("127.0.0.1:0").config(config).metadata(meta(size, i)).randomSeed(size * 1000L + i)
            .transportDecorator(t -> measuring(t, largestDatagram)).start();
        c.addListener(e -> {
          if (e.type() == MemberEvent.Type.SUSPECTED) {
            falseSuspicions.incrementAndGet();
          }
        });
        nodes.add(c);
      }
      long t0 = System.nanoTime();
      // One after another (a rolling start): N simultaneous joins through one seed would have it
      // send N full states of up to N × size bytes at once.
      for (int i = 1; i < n; i++) {
        nodes.get(i).join(List.of(nodes.get(0).endpoint().toString())).get(60, TimeUnit.SECONDS);
      }
      // Held: a member learned by reference shows empty metadata until it is fetched.
      boolean converged = waitUntil(120_000, () -> nodes.stream().allMatch(c -> c.members().size() == n
          && c.members().stream().allMatch(m -> m.state() == MemberState.ALIVE && m.metadata().length == size)));
      double convergedS = converged ? (System.nanoTime() - t0) / 1e9 : Double.NaN;
      System.out.printf(Locale.ROOT, "  %d B: all hold all after %.2f s%n", size, convergedS);

      Thread.sleep(3_000);
      long bytes0 = nodes.stream().mapToLong(c -> c.transportStats().datagramBytesOut()
          + c.transportStats().streamBytesOut()).sum();
      long udp0 = nodes.stream().mapToLong(c -> c.transportStats().datagramBytesOut()).sum();
      long w0 = System.nanoTime();
      Thread.sleep(steadySeconds * 1000L);
      double window = (System.nanoTime() - w0) / 1e9;
      long bytes1 = nodes.stream().mapToLong(c -> c.transportStats().datagramBytesOut()
          + c.transportStats().streamBytesOut()).sum();
      long udp1 = nodes.stream().mapToLong(c -> c.transportStats().datagramBytesOut()).sum();
      double perNode = (bytes1 - bytes0) / window / n;
      double udpPerNode = (udp1 - udp0) / window / n;
      System.out.printf(Locale.ROOT, "  %d B: steady %.0f B/s per node (UDP %.0f B/s)%n", size, perNode, udpPerNode);

      SplittableRandom pick = new SplittableRandom(size);
      List<String> times = new ArrayList<>();
      List<String> sent = new ArrayList<>();
      for (int u = 0; u < updates; u++) {
        Cluster source = nodes.get(pick.nextInt(n));
        String name = source.localMember().name();
        byte[] updated = meta(size, 1_000_000L + u);
        long b0 = nodes.stream().mapToLong(c -> c.transportStats().datagramBytesOut()
            + c.transportStats().streamBytesOut()).sum();
        long tu = System.nanoTime();
        source.updateMetadata(updated);
        boolean all = waitUntil(Boolean.getBoolean("grapevine.bench.diagnose") ? 5_000 : 60_000, () -> nodes.stream()
            .allMatch(c -> c.member(name).map(m -> Arrays.equals(m.metadata(), updated)).orElse(false)));
        if (!all && Boolean.getBoolean("grapevine.bench.diagnose")) {
          diagnose(nodes, name, updated);
          all = waitUntil(55_000, () -> nodes.stream()
              .allMatch(c -> c.member(name).map(m -> Arrays.equals(m.metadata(), updated)).orElse(false)));
        }
        double ms = all ? (System.nanoTime() - tu) / 1e6 : Double.NaN;

        long b1 = nodes.stream().mapToLong(c -> c.transportStats().datagramBytesOut()
            + c.transportStats().streamBytesOut()).sum();
        times.add(String.format(Locale.ROOT, "%.0f ms", ms));
        sent.add(String.format(Locale.ROOT, "%.2f MB", (b1 - b0) / 1e6));
        System.out.printf(Locale.ROOT, "  %d B: update %d by %s held by all %d after %.0f ms; %.2f MB sent meanwhile%n",
            size, u + 1, name, n, ms, (b1 - b0) / 1e6);
        Thread.sleep(2_000);
      }
      String datagrams = largestDatagram.get() + " B";
      return String.format(Locale.ROOT, "| %s | %d | %.2f s | %s | %.0f B/s | %.0f B/s | %s | %s | %d |",
          size == 65_535 ? "64 KiB (65,535 B)" : size + " B", n, convergedS, String.join(", ", times), perNode,
          udpPerNode, String.join(", ", sent), datagrams, falseSuspicions.get());
    } finally {
      nodes.forEach(Cluster::close);
    }
  }

  /** With -Dgrapevine.bench.diagnose=true: what the nodes that lack an update hold of it. */
  private static void diagnose(List<Cluster> nodes, String name, byte[] updated) throws Exception {
    for (Cluster c : nodes) {
      io.grapevine.runtime.ClusterNode node = (io.grapevine.runtime.ClusterNode) c;
      io.grapevine.membership.Membership m = node.stack().protocol(io.grapevine.membership.Membership.class);
      String line = node.submit((now, out) -> {
        io.grapevine.api.Member x = m.member(name);
        io.grapevine.api.Member pub = c.member(name).orElse(null);
        return m.metadataStats() + " " + x.state() + "@" + x.incarnation() + " holds=" + Arrays.equals(x.metadata(),
            updated) + " published=" + (pub == null ? null : pub.incarnation() + "/" + Arrays.equals(pub.metadata(),
            updated)) + " version=" + m.version();
      }).get(5, TimeUnit.SECONDS);
      System.out.println("    " + c.localMember().name() + " " + line);
    }
  }

  /** Passes everything through, noting the largest datagram sent. */
  private static Transport measuring(Transport inner, AtomicInteger largestDatagram) {
    return new Transport() {
      @Override
      public void start(Receiver receiver) throws IOException {
        inner.start(receiver);
      }

      @Override
      public Endpoint localEndpoint() {
        return inner.localEndpoint();
      }

      @Override
      public void send(Endpoint to, ByteBuffer packet, Delivery delivery) {
        if (delivery == Delivery.DATAGRAM) {
          largestDatagram.accumulateAndGet(packet.remaining(), Math::max);
        }
        inner.send(to, packet, delivery);
      }

      @Override
      public TransportStats stats() {
        return inner.stats();
      }

      @Override
      public void close() {
        inner.close();
      }
    };
  }

  private static boolean waitUntil(long boundMillis, BooleanSupplier condition) throws InterruptedException {
    long end = System.nanoTime() + boundMillis * 1_000_000;
    while (System.nanoTime() < end) {
      if (condition.getAsBoolean()) {
        return true;
      }
      Thread.sleep(POLL_MILLIS);
    }
    return condition.getAsBoolean();
  }
}
