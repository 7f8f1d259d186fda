// SPDX-License-Identifier: Apache-2.0
package io.grapevine.stack;

import io.grapevine.aggregate.Aggregation;
import io.grapevine.antientropy.AntiEntropy;
import io.grapevine.assembly.NodeSetup;
import io.grapevine.assembly.ProtocolRegistry;
import io.grapevine.config.ProtocolConfigs;
import io.grapevine.dissemination.Dissemination;
import io.grapevine.membership.Membership;
import io.grapevine.node.Delivery;
import io.grapevine.overlay.HyParView;
import io.grapevine.overlay.Plumtree;
import io.grapevine.overlay.TreeAggregation;
import io.grapevine.testkit.Packet;
import io.grapevine.testkit.StackCluster;
import io.grapevine.wire.MalformedPacketException;
import io.grapevine.wire.PacketReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Seeds for the stack fuzz targets, made by the real encoders: five nodes running every registered
 * protocol join, write, publish, broadcast and leave on a virtual network, and what node {@code n0}
 * receives becomes inputs (see {@link FuzzStack} for the format): two packets of every distinct
 * shape (delivery and message types) alone, and the first packets in their order, so the fuzzer
 * starts from a node that has joined.
 *
 * <p>Regenerate (after a wire change) from the repository root, once the core's tests are compiled:
 * <pre>
 * java -cp grapevine-core/target/test-classes:grapevine-core/target/classes \
 *     io.grapevine.stack.StackFuzzCorpus grapevine-core/src/test/resources/io/grapevine/stack
 * </pre>
 */
public final class StackFuzzCorpus {
  private StackFuzzCorpus() {}

  /** The inputs: file name to content, for the raw ({@code framed} false) or framed target. */
  static Map<String, byte[]> seeds(boolean framed) {
    List<Packet> received = traffic();
    Map<String, byte[]> out = new LinkedHashMap<>();
    Map<String, Integer> perShape = new LinkedHashMap<>();
    for (Packet p : received) {
      String shape = shape(p);
      int n = perShape.merge(shape, 1, Integer::sum);
      if (n <= 2) {
        ByteArrayOutputStream in = new ByteArrayOutputStream();
        FuzzStack.record(in, framed ? FuzzStack.unframe(p.bytes()) : p.bytes(), p.delivery(), 0);
        out.put("seed-" + shape + "-" + n, in.toByteArray());
      }
    }
    for (int count : new int[] {8, 32, FuzzStack.MAX_PACKETS}) {
      ByteArrayOutputStream in = new ByteArrayOutputStream();
      long last = received.get(0).sentAtMillis();
      for (Packet p : received.subList(0, Math.min(count, received.size()))) {
        int steps = (int) Math.min(127, (p.sentAtMillis() - last) / FuzzStack.STEP_MILLIS);
        last += steps * FuzzStack.STEP_MILLIS;
        FuzzStack.record(in, framed ? FuzzStack.unframe(p.bytes()) : p.bytes(), p.delivery(), steps);
      }
      out.put("seed-session-" + count, in.toByteArray());
    }
    return out;
  }

  /** Delivery and message type codes, e.g. {@code datagram-01-40}. */
  static String shape(Packet p) {
    StringBuilder sb = new StringBuilder(p.delivery() == Delivery.STREAM ? "stream" : "datagram");
    PacketReader r = new PacketReader(FuzzStack.CLUSTER);
    try {
      r.open(p.buffer());
      while (r.nextMessage()) {
        String code = String.format("-%02x", r.type() & 0xff);
        if (!sb.toString().endsWith(code)) {
          sb.append(code);
        }
      }
    } catch (MalformedPacketException e) {
      throw new IllegalStateException("a real node sent a malformed packet", e);
    }
    return sb.toString();
  }

  /** What n0 receives while five nodes run every protocol through their lives. */
  static List<Packet> traffic() {
    ProtocolRegistry registry = ProtocolRegistry.builtIn();
    StackCluster c = StackCluster.builder(7).clusterName(FuzzStack.CLUSTER).uniformPeers(false).build(5, (slot, b) ->
        registry.assemble(List.copyOf(registry.names()),
            new NodeSetup(slot.name(), slot.endpoint(), slot.clusterName(), 1, slot.seed(), new byte[0]),
            ProtocolConfigs.defaults(), Map.of(), b));
    List<Packet> received = new ArrayList<>();
    c.network().onDeliver(p -> {
      if (p.to().equals(FuzzStack.SELF)) {
        received.add(p);
      }
    });
    for (int i = 1; i < c.size(); i++) {
      int node = i;
      c.call(node, (now, out) -> {
        c.protocol(node, Membership.class).join(now, List.of(c.endpoint(0)), out);
        c.protocol(node, HyParView.class).join(now, List.of(c.endpoint(0)), out);
      });
    }
    c.runFor(5_000);
    c.call(1, (now, out) -> c.protocol(1, AntiEntropy.class).put(now, "config", "db/url",
        "postgres://db:5432".getBytes(StandardCharsets.UTF_8), 0, out));
    // With an origin time (a fixed wall clock), as the runtime publishes.
    c.call(2, (now, out) -> c.protocol(2, Dissemination.class).publish(now, 1_765_000_000_000L, "deploy",
        "v1.2.3".getBytes(StandardCharsets.UTF_8), null, out));
    c.call(3, (now, out) -> c.protocol(3, Aggregation.class).publish("load", 0.75));
    c.call(1, (now, out) -> c.protocol(1, Plumtree.class).broadcast(now,
        "hello".getBytes(StandardCharsets.UTF_8), out));
    c.call(2, (now, out) -> c.protocol(2, TreeAggregation.class).setValue(3.5));
    c.call(3, (now, out) -> c.protocol(3, Membership.class).updateMetadata(now,
        "zone=b".getBytes(StandardCharsets.UTF_8), out));
    c.call(1, (now, out) -> c.protocol(1, AntiEntropy.class).delete(now, "config", "db/url", out));
    c.runFor(20_000);
    c.call(4, (now, out) -> c.protocol(4, Membership.class).leave(now, out));
    c.runFor(5_000);
    c.crash(3);
    c.runFor(30_000);
    return received;
  }

  /** Writes both targets' seeds under {@code args[0]} (the stack package's test resources). */
  public static void main(String[] args) throws IOException {
    Path base = Path.of(args[0]);
    write(base.resolve("StackPacketFuzzTestInputs/fuzz"), seeds(FuzzStack.RAW));
    write(base.resolve("StackMessageFuzzTestInputs/fuzz"), seeds(FuzzStack.FRAMED));
  }

  private static void write(Path dir, Map<String, byte[]> seeds) throws IOException {
    Files.createDirectories(dir);
    for (Map.Entry<String, byte[]> e : seeds.entrySet()) {
      Files.write(dir.resolve(e.getKey()), e.getValue());
    }
    System.out.println(seeds.size() + " seeds in " + dir);
  }
}
