// SPDX-License-Identifier: Apache-2.0
package io.grapevine.bench;

import io.grapevine.Cluster;
import io.grapevine.api.MemberEvent;
import io.grapevine.config.MembershipConfig;
import io.grapevine.api.MembershipStats;
import io.grapevine.transport.TransportStats;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * One Grapevine node in its own process, driven over stdin/stdout by {@link CompareMembership}. It
 * speaks the same line protocol as the memberlist reference node, so both are measured by the same
 * code: one JSON object per line on stdout ({@code t} = Unix time in ms), commands on stdin.
 *
 * <p>Usage: {@code GrapevineNodeMain --port P [--join HOST:PORT] [--profile lan] [--cluster NAME] [--key BASE64]};
 * with {@code --key} every packet is sealed (AES-GCM) under that key.
 * Events: {@code ready}, {@code joined}, {@code err}, {@code join}/{@code leave} (a member became
 * alive / dead or left; {@code n} = members not dead or left, self included), {@code suspect},
 * {@code stats}, {@code bcast} (this node published a user event) and {@code user} (first delivery
 * of a user event from another node, with {@code id}, {@code origin}, {@code lat_ms} and
 * {@code bytes} as the memberlist node prints them). Commands: {@code join HOST:PORT} (lets a
 * driver start every JVM first and then join them all at once, so JVM start-up is not counted as
 * protocol time), {@code bcast ID [PAD_BYTES]} (publish a user event on topic {@code bench} whose
 * payload carries the id, the origin and the send time), {@code stats}, {@code quit}. End of stdin closes the node, so the node
 * never outlives its driver.
 */
public final class GrapevineNodeMain {
  private static final PrintStream OUT = new PrintStream(System.out, true, StandardCharsets.UTF_8);
  /** Topic of the benchmark's user events. */
  private static final String TOPIC = "bench";

  private GrapevineNodeMain() {}

  public static void main(String[] args) throws Exception {
    int port = -1;
    String join = null;
    String profile = "lan";
    String clusterName = "compare";
    String key = null;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (i + 1 >= args.length) {
        fail("missing value after " + a);
      }
      switch (a) {
        case "--port" -> port = Integer.parseInt(args[++i]);
        case "--join" -> join = args[++i];
        case "--profile" -> profile = args[++i];
        case "--cluster" -> clusterName = args[++i];
        case "--key" -> key = args[++i];
        default -> fail("unknown option " + a + " (expected --port, --join, --profile, --cluster, --key)");
      }
    }
    if (port <= 0 || port >= 32768) {
      fail("--port must be in 1..32767 (below the ephemeral range), got " + port);
    }
    String name = "g" + port;
    MembershipConfig config = MembershipConfig.profile(profile);
    Set<String> live = new HashSet<>();
    live.add(name);
    io.grapevine.ClusterBuilder builder = Cluster.builder().name(name).clusterName(clusterName)
        .bind("127.0.0.1:" + port).config(config);
    if (key != null) {
      builder.encryptionKey(key);
    }
    Cluster node = builder.start();
    node.addListener(e -> {
      String peer = e.member().name();
      if (peer.equals(name)) {
        return;
      }
      MemberEvent.Type type = e.type();
      int n;
      synchronized (live) {
        switch (type) {
          case JOINED, ALIVE, UPDATED -> live.add(peer);
          case DEAD, LEFT, REAPED -> live.remove(peer);
          default -> { }
        }
        n = live.size();
      }
      switch (type) {
        case JOINED -> emit(name, "join", "\"peer\":\"" + peer + "\",\"n\":" + n);
        case SUSPECTED -> emit(name, "suspect", "\"peer\":\"" + peer + "\"");
        case DEAD, LEFT -> emit(name, "leave", "\"peer\":\"" + peer + "\",\"n\":" + n + ",\"state\":\""
            + type.name().toLowerCase(Locale.ROOT) + "\"");
        case ALIVE -> emit(name, "refuted", "\"peer\":\"" + peer + "\",\"n\":" + n);
        default -> { }
      }
    });
    node.events().subscribe(TOPIC, e -> {
      // Payload: id|origin|sent-ms|padding (the same fields as the memberlist node's rumor).
      String[] p = new String(e.payload(), StandardCharsets.UTF_8).split("\\|", 4);
      if (p.length < 3 || p[1].equals(name)) {
        return;
      }
      double t = nowMs();
      emitAt(t, name, "user", String.format(Locale.ROOT, "\"id\":\"%s\",\"origin\":\"%s\",\"lat_ms\":%.3f,\"bytes\":%d",
          p[0], p[1], t - Double.parseDouble(p[2]), e.payloadLength()));
    });
    emit(name, "ready", "\"pid\":" + ProcessHandle.current().pid());
    if (join != null) {
      join(node, name, join);
    }
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    while ((line = in.readLine()) != null) {
      String cmd = line.trim();
      if (cmd.equals("stats")) {
        TransportStats ts = node.transportStats();
        MembershipStats ms = node.stats();
        emit(name, "stats", "\"udp_out_b\":" + ts.datagramBytesOut() + ",\"udp_out_p\":" + ts.datagramsOut()
            + ",\"tcp_out_b\":" + ts.streamBytesOut() + ",\"tcp_out_m\":" + ts.streamMessagesOut()
            + ",\"udp_in_b\":" + ts.datagramBytesIn() + ",\"tcp_in_b\":" + ts.streamBytesIn()
            + ",\"proto_out_b\":" + ms.bytesOut() + ",\"proto_out_p\":" + ms.packetsOut()
            + ",\"pushpulls\":" + ms.pushPulls() + ",\"probes\":" + ms.probes()
            + ",\"probe_failures\":" + ms.probeFailures() + ",\"suspicions\":" + ms.suspicionsRaised()
            + ",\"indirect\":" + ms.indirectProbes() + ",\"health\":" + node.healthScore());
      } else if (cmd.startsWith("bcast ")) {
        String[] f = cmd.split("\\s+");
        int pad = f.length > 2 ? Integer.parseInt(f[2]) : 0;
        double t = nowMs();
        byte[] payload = (f[1] + "|" + name + "|" + String.format(Locale.ROOT, "%.3f", t) + "|" + "x".repeat(pad))
            .getBytes(StandardCharsets.UTF_8);
        try {
          node.events().publish(TOPIC, payload);
          emitAt(t, name, "bcast", "\"id\":\"" + f[1] + "\",\"bytes\":" + payload.length);
        } catch (RuntimeException e) {
          emit(name, "err", "\"msg\":\"publish failed: " + String.valueOf(e.getMessage()).replace('"', '\'') + "\"");
        }
      } else if (cmd.startsWith("join ")) {
        join(node, name, cmd.substring(5).trim());
      } else if (cmd.equals("quit")) {
        break;
      }
    }
    node.close();
    emit(name, "shutdown", "");
    System.exit(0);
  }

  private static void join(Cluster node, String name, String seed) {
    Exception last = null;
    for (int attempt = 0; attempt < 3; attempt++) {
      try {
        int contacted = node.join(List.of(seed)).get(15, TimeUnit.SECONDS);
        emit(name, "joined", "\"contacted\":" + contacted);
        return;
      } catch (Exception e) {
        last = e;
      }
    }
    emit(name, "err", "\"msg\":\"join failed: " + String.valueOf(last).replace('"', '\'') + "\"");
  }

  private static double nowMs() {
    Instant now = Instant.now();
    return now.getEpochSecond() * 1000.0 + now.getNano() / 1e6;
  }

  private static void emit(String node, String ev, String fields) {
    emitAt(nowMs(), node, ev, fields);
  }

  private static void emitAt(double t, String node, String ev, String fields) {
    OUT.println(String.format(Locale.ROOT, "{\"t\":%.3f,\"node\":\"%s\",\"ev\":\"%s\"%s}", t, node, ev,
        fields.isEmpty() ? "" : "," + fields));
  }

  private static void fail(String msg) {
    System.err.println("grapevine-node: " + msg);
    System.exit(2);
  }
}
