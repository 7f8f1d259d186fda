// SPDX-License-Identifier: Apache-2.0
package io.grapevine.store.bench;

import io.grapevine.antientropy.AntiEntropy;
import io.grapevine.config.AntiEntropyConfig;
import io.grapevine.antientropy.Entry;
import io.grapevine.antientropy.InMemoryReplicaStore;
import io.grapevine.antientropy.MerkleTree;
import io.grapevine.antientropy.Replica;
import io.grapevine.antientropy.StoreKey;
import io.grapevine.node.Delivery;
import io.grapevine.node.Endpoint;
import io.grapevine.node.Outbox;
import io.grapevine.node.PeerSampler;
import io.grapevine.node.ProtocolEvent;
import io.grapevine.stack.ProtocolStack;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Cost of one anti-entropy reconciliation between two replicas of n keys that differ in d keys:
 * bytes on the wire (whole packets, envelope included), packets, one-way legs (round trips = legs /
 * 2), against a full digest exchange (every key's 16-byte digest, then the differing entries).
 * Runs the real protocol code ({@link AntiEntropy} on two stacks) over an in-process
 * queue. Not a test: run {@code bench/kv-reconcile.sh [n] [depths]}.
 */
public final class ReconciliationBenchmark {
  private static final String CLUSTER = "bench";
  private static final int[] DIFFS = {1, 10, 100, 1000};

  private record Packet(int wave, Endpoint from, Endpoint to, byte[] bytes) {}

  private ReconciliationBenchmark() {}

  public static void main(String[] args) {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
    String depths = args.length > 1 ? args[1] : "4,5";
    System.out.printf("Reconciliation cost, n = %,d keys (16-byte values), JVM %s, %d cores%n", n,
        System.getProperty("java.version"), Runtime.getRuntime().availableProcessors());
    List<Entry> base = new ArrayList<>(n);
    long t0 = System.nanoTime();
    for (int i = 0; i < n; i++) {
      byte[] value = new byte[16];
      value[0] = (byte) i;
      Entry e = Entry.value(new StoreKey("bench", String.format("key-%07d", i)), (1_700_000_000_000L << 16) + i, "a",
          value, 0);
      e.hash(); // computes and caches the encoding and hash once, shared by both replicas
      base.add(e);
    }
    System.out.printf("built %,d entries in %d ms%n%n", n, (System.nanoTime() - t0) / 1_000_000);
    System.out.println("| depth | buckets | d | bytes | packets | round trips | exchanges | ms | full digest bytes | ratio |");
    System.out.println("|---|---|---|---|---|---|---|---|---|---|");
    for (String ds : depths.split(",")) {
      int depth = Integer.parseInt(ds.trim());
      AntiEntropyConfig config = AntiEntropyConfig.builder().merkleDepth(depth).rumorFanout(0).build();
      for (int d : DIFFS) {
        runOne(base, config, d);
      }
    }
  }

  private static void runOne(List<Entry> base, AntiEntropyConfig config, int d) {
    SplittableRandom random = new SplittableRandom(d * 31L + config.merkleDepth);
    int n = base.size();
    // d differences: half of them keys B lacks, half keys B holds in a newer version.
    Set<Integer> picked = new HashSet<>();
    while (picked.size() < d) {
      picked.add(random.nextInt(n));
    }
    InMemoryReplicaStore storeA = new InMemoryReplicaStore();
    InMemoryReplicaStore storeB = new InMemoryReplicaStore();
    storeA.write(base, List.of(), false);
    List<Entry> bEntries = new ArrayList<>(n);
    int k = 0;
    for (int i = 0; i < n; i++) {
      if (!picked.contains(i)) {
        bEntries.add(base.get(i));
      } else if (k++ % 2 == 1) {
        Entry old = base.get(i);
        bEntries.add(Entry.value(old.key(), old.hlc() + (1L << 20), "b", new byte[] {1, 2, 3}, 0));
      }
    }
    storeB.write(bEntries, List.of(), false);
    Replica a = new Replica("a", storeA, config);
    Replica b = new Replica("b", storeB, config);

    Endpoint ea = Endpoint.ipv4(0x7f000001, 7001);
    Endpoint eb = Endpoint.ipv4(0x7f000001, 7002);
    ArrayDeque<Packet> queue = new ArrayDeque<>();
    long[] totals = new long[3]; // bytes, packets, max wave
    AntiEntropy ka = new AntiEntropy(a, new SplittableRandom(1), 0);
    AntiEntropy kb = new AntiEntropy(b, new SplittableRandom(2), 0);
    ProtocolStack ha = host("a", ea, eb, ka);
    ProtocolStack hb = host("b", eb, ea, kb);
    long now = 1_700_000_000_000L;
    long start = System.nanoTime();
    int exchanges = 0;
    while (a.tree().root() != b.tree().root() && exchanges < 50) {
      exchanges++;
      ka.sync(now, eb, outbox(ea, 1, queue, totals));
      while (!queue.isEmpty()) {
        Packet p = queue.poll();
        ProtocolStack target = p.to.equals(ea) ? ha : hb;
        target.onPacket(now, p.from, ByteBuffer.wrap(p.bytes), Delivery.STREAM, outbox(p.to, p.wave + 1, queue, totals));
      }
    }
    long ms = (System.nanoTime() - start) / 1_000_000;
    if (a.tree().root() != b.tree().root()) {
      throw new AssertionError("replicas did not converge");
    }
    // A full digest exchange sends every key's 16-byte digest (key hash, entry hash), then the
    // differing entries both ways and the key hashes asked for: 3 one-way legs.
    MerkleTree tree = a.tree();
    long digest = 16L * n;
    digest += 40 * (digest / 65_000 + 1); // message headers and envelopes
    long entryBytes = 0;
    for (int i : picked) {
      entryBytes += 3 + base.get(i).encodedSize();
    }
    long full = digest + entryBytes + 8L * d;
    double trips = totals[2] / 2.0;
    System.out.printf("| %d | %,d | %d | %,d | %d | %.1f | %d | %d | %,d | %.1fx |%n", config.merkleDepth,
        tree.bucketCount(), d, totals[0], totals[1], trips, exchanges, ms, full, full / (double) totals[0]);
  }

  private static ProtocolStack host(String name, Endpoint self, Endpoint other, AntiEntropy kv) {
    return ProtocolStack.builder(name, self, CLUSTER).add(kv).peers(new PeerSampler() {
      @Override
      public void sample(int k, List<Endpoint> out) {
        if (k > 0) {
          out.add(other);
        }
      }

      @Override
      public int size() {
        return 1;
      }
    }).build();
  }

  private static Outbox outbox(Endpoint self, int wave, ArrayDeque<Packet> queue, long[] totals) {
    return new Outbox() {
      @Override
      public void send(Endpoint to, ByteBuffer packet, Delivery delivery) {
        byte[] bytes = new byte[packet.remaining()];
        packet.get(bytes);
        totals[0] += bytes.length;
        totals[1]++;
        totals[2] = Math.max(totals[2], wave);
        queue.add(new Packet(wave, self, to, bytes));
      }

      @Override
      public void emit(ProtocolEvent event) {}
    };
  }
}
