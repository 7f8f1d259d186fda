// SPDX-License-Identifier: Apache-2.0
package com.example.consumer;

import io.grapevine.Cluster;
import io.grapevine.api.MemberState;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Two Grapevine nodes in one process on loopback: the second joins the first, both must list two
 * alive members, and a replicated value written on one is read on the other. Exits 0 on success.
 */
public final class TwoNodes {
  public static void main(String[] args) throws Exception {
    try (Cluster a = Cluster.builder().name("a").clusterName("consumer").bind("127.0.0.1:0").start();
        Cluster b = Cluster.builder().name("b").clusterName("consumer").bind("127.0.0.1:0").start()) {
      b.join(List.of(a.endpoint().toString())).get(20, TimeUnit.SECONDS);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (alive(a) < 2 || alive(b) < 2) {
        if (System.nanoTime() > deadline) {
          System.out.println("consumer: the nodes did not see each other");
          System.exit(1);
        }
        Thread.sleep(50);
      }
      a.kv("config").put("greeting", "hello".getBytes());
      while (b.kv("config").get("greeting").isEmpty()) {
        if (System.nanoTime() > deadline) {
          System.out.println("consumer: the value did not replicate");
          System.exit(1);
        }
        Thread.sleep(50);
      }
      System.out.println("consumer: 2 members alive, value replicated: "
          + new String(b.kv("config").get("greeting").get()));
    }
  }

  private static long alive(Cluster c) {
    return c.members().stream().filter(m -> m.state() == MemberState.ALIVE).count();
  }
}
