// SPDX-License-Identifier: Apache-2.0
package io.grapevine.redis;

import io.grapevine.api.MembershipStats;
import io.grapevine.redis.BusState.Peer;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The replies of CLUSTER NODES, INFO, SLOTS, SHARDS and REPLICAS in Redis's formats, so tools
 * written for Redis parse them. Pure functions of a {@link BusState}.
 */
final class ClusterFormats {
  private ClusterFormats() {}

  /** One node as the replies need it. */
  private record NodeView(NodeClaim claim, String host, int busPort, boolean failed, boolean myself) {}

  private static List<NodeView> views(BusState state, String myHost, int myBusPort) {
    List<NodeView> out = new ArrayList<>();
    out.add(new NodeView(state.self(), myHost, myBusPort, false, true));
    for (Peer p : state.peers().values()) {
      out.add(new NodeView(p.claim(), p.host(), p.busPort(), p.failed(), false));
    }
    return out;
  }

  private static Map<String, BitSet> ownedSlots(String[] owners) {
    Map<String, BitSet> m = new LinkedHashMap<>();
    for (int s = 0; s < owners.length; s++) {
      if (owners[s] != null) {
        m.computeIfAbsent(owners[s], k -> new BitSet(KeySlot.SLOTS)).set(s);
      }
    }
    return m;
  }

  private static String line(BusState state, NodeView n, BitSet slots, long now) {
    NodeClaim c = n.claim();
    // as Redis's nodeEpoch(): a replica shows its primary's config epoch
    NodeClaim epochOf = c.primary() ? c : state.claimOf(c.primaryId());
    long epoch = epochOf == null ? c.configEpoch() : epochOf.configEpoch();
    StringBuilder sb = new StringBuilder();
    sb.append(c.id()).append(' ').append(n.host()).append(':').append(c.respPort()).append('@')
        .append(n.busPort()).append(' ');
    if (n.myself()) {
      sb.append("myself,");
    }
    sb.append(c.primary() ? "master" : "slave");
    if (n.failed()) {
      sb.append(",fail");
    }
    sb.append(' ').append(c.primary() ? "-" : c.primaryId()).append(' ')
        .append("0 ").append(n.myself() ? 0 : now).append(' ')
        .append(epoch).append(' ')
        .append(n.failed() ? "disconnected" : "connected");
    if (slots != null && !slots.isEmpty()) {
      sb.append(' ').append(NodeClaim.ranges(slots, " ", ""));
    }
    return sb.toString();
  }

  /**
   * CLUSTER NODES: one line per node, Redis's field order; this node's line ends with its open
   * slots, {@code [SLOT->-TARGET]} and {@code [SLOT-<-SOURCE]}, as Redis prints them.
   */
  static String nodes(BusState state, String myHost, int myBusPort, Map<Integer, String> migrating,
      Map<Integer, String> importing) {
    Map<String, BitSet> owned = state.ownedSlotsByOwner();
    long now = System.currentTimeMillis();
    StringBuilder sb = new StringBuilder();
    for (NodeView n : views(state, myHost, myBusPort)) {
      sb.append(line(state, n, owned.get(n.claim().id()), now));
      if (n.myself()) {
        migrating.forEach((slot, id) -> sb.append(" [").append(slot).append("->-").append(id).append(']'));
        importing.forEach((slot, id) -> sb.append(" [").append(slot).append("-<-").append(id).append(']'));
      }
      sb.append('\n');
    }
    return sb.toString();
  }

  /** CLUSTER REPLICAS ID: the CLUSTER NODES lines of its replicas. */
  static Object replicas(BusState state, String id, String myHost, int myBusPort) {
    NodeClaim p = state.claimOf(id);
    if (p == null) {
      return new Resp.Err("ERR Unknown node " + id);
    }
    if (!p.primary()) {
      return new Resp.Err("ERR The specified node is not a master");
    }
    long now = System.currentTimeMillis();
    List<Object> out = new ArrayList<>();
    for (NodeView n : views(state, myHost, myBusPort)) {
      if (!n.claim().primary() && id.equals(n.claim().primaryId())) {
        out.add(line(state, n, null, now));
      }
    }
    return out;
  }

  /** CLUSTER INFO. */
  static String info(BusState state, MembershipStats stats) {
    int assigned = 0;
    int fail = 0;
    for (Map.Entry<String, BitSet> e : state.ownedSlotsByOwner().entrySet()) {
      int n = e.getValue().cardinality();
      assigned += n;
      Peer p = state.peers().get(e.getKey());
      if (p != null && p.failed()) {
        fail += n;
      }
    }
    NodeClaim self = state.self();
    long myEpoch = self.configEpoch();
    if (!self.primary()) {
      NodeClaim p = state.claimOf(self.primaryId());
      myEpoch = p == null ? myEpoch : p.configEpoch();
    }
    boolean ok = assigned == KeySlot.SLOTS && fail == 0;
    return "cluster_state:" + (ok ? "ok" : "fail") + "\r\n"
        + "cluster_slots_assigned:" + assigned + "\r\n"
        + "cluster_slots_ok:" + (assigned - fail) + "\r\n"
        + "cluster_slots_pfail:0\r\n"
        + "cluster_slots_fail:" + fail + "\r\n"
        + "cluster_known_nodes:" + (state.peers().size() + 1) + "\r\n"
        + "cluster_size:" + state.primariesWithSlots() + "\r\n"
        + "cluster_current_epoch:" + state.currentEpoch() + "\r\n"
        + "cluster_my_epoch:" + myEpoch + "\r\n"
        + "cluster_stats_messages_sent:" + stats.packetsOut() + "\r\n"
        + "cluster_stats_messages_received:" + stats.packetsIn() + "\r\n"
        + "total_cluster_links_buffer_limit_exceeded:0\r\n";
  }

  private static List<Object> endpoint(BusState state, String id, String myHost) {
    NodeClaim c = state.claimOf(id);
    Peer p = state.peers().get(id);
    String host = p == null ? myHost : p.host();
    return List.of(host, (long) c.respPort(), id, List.of());
  }

  private static List<String> liveReplicas(BusState state, String primaryId) {
    List<String> out = new ArrayList<>();
    NodeClaim self = state.self();
    if (!self.primary() && primaryId.equals(self.primaryId())) {
      out.add(self.id());
    }
    for (Peer p : state.peers().values()) {
      if (!p.failed() && !p.claim().primary() && primaryId.equals(p.claim().primaryId())) {
        out.add(p.claim().id());
      }
    }
    return out;
  }

  /** CLUSTER SLOTS: per range of one owner, [start, end, owner, replicas...]. */
  static List<Object> slots(BusState state, String myHost) {
    String[] owners = state.slotOwners();
    List<Object> out = new ArrayList<>();
    int s = 0;
    while (s < owners.length) {
      if (owners[s] == null) {
        s++;
        continue;
      }
      int e = s;
      while (e + 1 < owners.length && owners[s].equals(owners[e + 1])) {
        e++;
      }
      List<Object> range = new ArrayList<>();
      range.add((long) s);
      range.add((long) e);
      range.add(endpoint(state, owners[s], myHost));
      for (String r : liveReplicas(state, owners[s])) {
        range.add(endpoint(state, r, myHost));
      }
      out.add(range);
      s = e + 1;
    }
    return out;
  }

  /** CLUSTER SHARDS (RESP2: maps as flat arrays). */
  static List<Object> shards(BusState state, String myHost, long myOffset) {
    Map<String, BitSet> owned = ownedSlots(state.slotOwners());
    List<Object> out = new ArrayList<>();
    List<NodeClaim> primaries = new ArrayList<>();
    for (NodeView n : views(state, myHost, 0)) {
      if (n.claim().primary()) {
        primaries.add(n.claim());
      }
    }
    for (NodeClaim p : primaries) {
      List<Object> slotList = new ArrayList<>();
      BitSet b = owned.getOrDefault(p.id(), new BitSet());
      for (int a = b.nextSetBit(0); a >= 0; ) {
        int e = b.nextClearBit(a) - 1;
        slotList.add((long) a);
        slotList.add((long) e);
        a = b.nextSetBit(e + 1);
      }
      List<Object> nodes = new ArrayList<>();
      nodes.add(shardNode(state, p, myHost, myOffset));
      for (NodeView n : views(state, myHost, 0)) {
        if (!n.claim().primary() && p.id().equals(n.claim().primaryId())) {
          nodes.add(shardNode(state, n.claim(), myHost, myOffset));
        }
      }
      out.add(List.of("slots", slotList, "nodes", nodes));
    }
    return out;
  }

  private static List<Object> shardNode(BusState state, NodeClaim c, String myHost, long myOffset) {
    Peer p = state.peers().get(c.id());
    String host = p == null ? myHost : p.host();
    boolean failed = p != null && p.failed();
    long off = p == null ? myOffset : c.replOffset();
    return List.of("id", c.id(), "port", (long) c.respPort(), "ip", host, "endpoint", host,
        "role", c.primary() ? "master" : "replica", "replication-offset", off,
        "health", failed ? "fail" : "online");
  }
}
