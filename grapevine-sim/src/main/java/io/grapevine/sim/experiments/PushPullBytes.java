// SPDX-License-Identifier: Apache-2.0
package io.grapevine.sim.experiments;

import io.grapevine.config.MembershipConfig;
import io.grapevine.membership.Membership;
import io.grapevine.node.Delivery;
import io.grapevine.node.Endpoint;
import io.grapevine.testkit.LinkLatency;
import io.grapevine.testkit.StackCluster;
import io.grapevine.wire.MessageType;
import io.grapevine.wire.WireFormat;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Bytes of one push-pull (the packet one node writes per exchange: its state) in a settled cluster,
 * for each {@code membership.pushPullDeflateLevel} asked for. N nodes named as the side-by-side
 * benchmark names its agents ({@code g26000}, {@code g26001}, ...), IPv4 endpoints, metadata of
 * {@code --meta-bytes} bytes of {@code role=...} text, LAN profile; joined through node 0, then
 * every push-pull sent from {@code --from-s} to {@code --until-s} (virtual) is measured.
 *
 * <pre>PushPullBytes --nodes 50 --levels 0,1,6,9 [--meta-bytes 0] [--seed 1]</pre>
 *
 * Not a test: {@code bench/push-pull-bytes.sh}.
 */
public final class PushPullBytes {
  private PushPullBytes() {}

  public static void main(String[] args) {
    int n = 50;
    String levels = "0,1,6,9";
    int metaBytes = 0;
    long seed = 1;
    long fromS = 120;
    long untilS = 600;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--nodes" -> n = Integer.parseInt(args[++i]);
        case "--levels" -> levels = args[++i];
        case "--meta-bytes" -> metaBytes = Integer.parseInt(args[++i]);
        case "--seed" -> seed = Long.parseLong(args[++i]);
        case "--from-s" -> fromS = Long.parseLong(args[++i]);
        case "--until-s" -> untilS = Long.parseLong(args[++i]);
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    System.out.println("level,nodes,meta_bytes,push_pulls,deflated,mean_bytes,min_bytes,max_bytes,mean_deflated,mean_plain");
    for (String l : levels.split(",")) {
      run(n, Integer.parseInt(l.strip()), metaBytes, seed, fromS, untilS);
    }
  }

  private static void run(int n, int level, int metaBytes, long seed, long fromS, long untilS) {
    MembershipConfig m = MembershipConfig.lan().toBuilder().pushPullDeflateLevel(level).build();
    byte[] meta = metaBytes == 0 ? new byte[0]
        : ("role=" + "w".repeat(Math.max(0, metaBytes - 5))).getBytes(StandardCharsets.UTF_8);
    String cluster = "grapevine";
    StackCluster c = StackCluster.builder(seed).clusterName(cluster).latency(LinkLatency.uniform(1, 5))
        .names(i -> "g" + (26000 + i))
        .build(n, (node, b) -> b.datagramBytes(m.udpPayloadBytes).streamMessageMaxBytes(m.streamMessageMaxBytes)
            .add(new Membership(cluster, node.name(), node.endpoint(), 1, meta, m, node.random("membership"))));
    c.network().collectEvents(false);
    int typeAt = WireFormat.CLUSTER_OFFSET + cluster.getBytes(StandardCharsets.UTF_8).length;
    List<Integer> sizes = new ArrayList<>();
    List<Integer> deflatedSizes = new ArrayList<>();
    int[] deflated = {0};
    long from = fromS * 1000;
    c.network().onSend(p -> {
      if (p.delivery() == Delivery.STREAM && p.sentAtMillis() >= from && p.bytes().length > typeAt
          && p.bytes()[typeAt] == MessageType.PUSH_PULL.code()) {
        sizes.add(p.bytes().length);
        // The flags byte follows the message header (type, 2-byte length).
        if ((p.bytes()[typeAt + 3] & 4) != 0) {
          deflated[0]++;
          deflatedSizes.add(p.bytes().length);
        }
      }
    });
    for (int i = 1; i < n; i++) {
      int k = i;
      List<Endpoint> seedList = List.of(c.endpoint(0));
      c.call(k, (now, out) -> c.protocol(k, Membership.class).join(now, seedList, out));
    }
    c.runUntil(untilS * 1000);
    long sum = 0;
    int min = Integer.MAX_VALUE;
    int max = 0;
    for (int s : sizes) {
      sum += s;
      min = Math.min(min, s);
      max = Math.max(max, s);
    }
    long dsum = deflatedSizes.stream().mapToLong(x -> x).sum();
    System.out.printf(Locale.ROOT, "%d,%d,%d,%d,%d,%.0f,%d,%d,%.0f,%.0f%n", level, n, metaBytes, sizes.size(),
        deflated[0], sizes.isEmpty() ? Double.NaN : sum / (double) sizes.size(), min, max,
        deflatedSizes.isEmpty() ? Double.NaN : dsum / (double) deflatedSizes.size(),
        sizes.size() == deflatedSizes.size() ? Double.NaN : (sum - dsum) / (double) (sizes.size() - deflatedSizes.size()));
  }
}
