// SPDX-License-Identifier: Apache-2.0
package io.grapevine.overlay;

import io.grapevine.stack.Protocol;
import io.grapevine.stack.ProtocolContext;
import io.grapevine.wire.MessageRange;
import io.grapevine.node.Delivery;
import io.grapevine.node.Endpoint;
import io.grapevine.node.Outbox;
import io.grapevine.wire.DropReason;
import io.grapevine.wire.MalformedPacketException;
import io.grapevine.wire.MessageType;
import io.grapevine.wire.PacketReader;
import io.grapevine.wire.PacketWriter;
import java.time.Duration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * Exact SUM and COUNT along the spanning tree of a {@link SortedRing}.
 *
 * <p>Once per round every node adds its own value (and 1) to the latest totals reported by its
 * children and sends the result to its parent in a REPORT; the parent answers each REPORT with the
 * cluster totals it knows (RESULT), so totals computed at the root flow back down one level per
 * round. With a stable tree of depth d the root's COUNT is exact d rounds after the tree settled and
 * every node has it d rounds later. A child that changes parent withdraws its report from the old one
 * (a REPORT with the detach flag); reports not refreshed for {@code childTimeoutRounds} rounds
 * expire, so a lost withdrawal or a crashed child costs only a bounded error window.
 */
public final class TreeAggregation implements Protocol<TreeAggregation.Message> {
  /** Rounds without a report before a child's subtree is dropped from the totals. */
  public static final int CHILD_TIMEOUT_ROUNDS = 3;
  /**
   * Most children tracked at once: a node has about one child per level below its own (tens), so a
   * report from a new child beyond this is refused and counted rather than grow a map that remote
   * input keys.
   */
  public static final int MAX_CHILDREN = 1024;

  /** A message of this protocol on the wire. */
  public sealed interface Message permits Report, Result {}

  record Report(long senderId, Endpoint sender, boolean detach, double sum, long count) implements Message {}

  record Result(Endpoint sender, long rootId, double sum, long count) implements Message {}

  private static final class Child {
    double sum;
    long count;
    long heardMillis;
  }

  private final SortedRing ring;
  private final long roundMillis;
  private final Map<Long, Child> children = new HashMap<>();
  private double value;
  private PacketWriter writer;
  private Endpoint self;
  private long nextRoundMillis = Long.MAX_VALUE;
  private Endpoint lastParent;
  private boolean known;
  private long globalCount;
  private double globalSum;
  private long globalRootId;
  private long subtreeCount = 1;
  private double subtreeSum;
  private long reportsRefused;

  /**
   * @param ring the sorted ring on the same host, whose tree this aggregates along
   * @param roundInterval one report per round
   * @param value this node's contribution to SUM
   */
  public TreeAggregation(SortedRing ring, Duration roundInterval, double value) {
    if (roundInterval == null || roundInterval.isNegative() || roundInterval.isZero()) {
      throw new IllegalArgumentException("roundInterval must be positive, got " + roundInterval);
    }
    this.ring = ring;
    this.roundMillis = roundInterval.toMillis();
    this.value = value;
    this.subtreeSum = value;
  }

  @Override
  public void attach(ProtocolContext context) {
    self = context.localEndpoint();
    writer = new PacketWriter(128, context.clusterName());
  }

  /** The protocol's name on a stack. */
  public static final String PROTOCOL_NAME = "tree";

  @Override
  public String protocolName() {
    return PROTOCOL_NAME;
  }

  @Override
  public MessageRange messageTypes() {
    return MessageRange.TREE;
  }

  public void setValue(double v) {
    value = v;
  }

  /** Whether cluster totals are known here (from the root, or computed at the root). */
  public boolean known() {
    return known;
  }

  /** Cluster-wide COUNT as last learned (exact once the tree is stable). */
  public long count() {
    return globalCount;
  }

  /** Cluster-wide SUM as last learned. */
  public double sum() {
    return globalSum;
  }

  /** Nodes in this node's subtree at its last round (itself included). */
  public long subtreeCount() {
    return subtreeCount;
  }

  /** Reports from new children refused because {@link #MAX_CHILDREN} were tracked. */
  public long reportsRefused() {
    return reportsRefused;
  }

  public int childCount() {
    return children.size();
  }

  @Override
  public void start(long nowMillis, io.grapevine.node.Outbox out) {
    start(nowMillis);
  }

  /** Starts the protocol's timers. */
  public void start(long nowMillis) {
    if (nextRoundMillis == Long.MAX_VALUE) {
      nextRoundMillis = nowMillis + 1 + (Math.floorMod(ring.id(), roundMillis));
    }
  }

  @Override
  public void onTick(long nowMillis, Outbox out) {
    if (nowMillis < nextRoundMillis) {
      return;
    }
    nextRoundMillis = nowMillis + roundMillis;
    long sumCount = 1;
    double sum = value;
    Iterator<Child> it = children.values().iterator();
    while (it.hasNext()) {
      Child c = it.next();
      if (nowMillis - c.heardMillis > CHILD_TIMEOUT_ROUNDS * roundMillis) {
        it.remove();
        continue;
      }
      sumCount += c.count;
      sum += c.sum;
    }
    subtreeCount = sumCount;
    subtreeSum = sum;
    SortedRing.Descriptor parent = ring.parent();
    Endpoint p = parent == null ? null : parent.endpoint();
    if (lastParent != null && !lastParent.equals(p)) {
      send(out, lastParent, true, 0, 0);
    }
    lastParent = p;
    if (p == null) {
      known = true;
      globalCount = sumCount;
      globalSum = sum;
      globalRootId = ring.id();
    } else {
      send(out, p, false, sum, sumCount);
    }
  }

  private void send(Outbox out, Endpoint to, boolean detach, double sum, long count) {
    writer.begin();
    writer.beginMessage(MessageType.TREE_REPORT);
    writer.putLong(ring.id()).putEndpoint(self).putByte(detach ? 1 : 0).putLong(Double.doubleToLongBits(sum))
        .putLong(count);
    writer.endMessage();
    out.send(to, writer.finish(), Delivery.DATAGRAM);
  }

  @Override
  public long nextDeadlineMillis() {
    return nextRoundMillis;
  }

  @Override
  public Message decode(PacketReader r) throws MalformedPacketException {
    int type = r.type() & 0xff;
    Message m;
    if (type == (MessageType.TREE_REPORT.code() & 0xff)) {
      long id = r.getLong();
      Endpoint sender = r.getEndpoint();
      int flag = r.getByte();
      if (flag > 1) {
        throw new MalformedPacketException(DropReason.BAD_FIELD, "flag " + flag);
      }
      double sum = Double.longBitsToDouble(r.getLong());
      long count = r.getLong();
      if (count < 0 || Double.isNaN(sum)) {
        throw new MalformedPacketException(DropReason.BAD_FIELD, "report count " + count + " sum " + sum);
      }
      m = new Report(id, sender, flag == 1, sum, count);
    } else if (type == (MessageType.TREE_RESULT.code() & 0xff)) {
      Endpoint sender = r.getEndpoint();
      long root = r.getLong();
      double sum = Double.longBitsToDouble(r.getLong());
      long count = r.getLong();
      if (count < 1 || Double.isNaN(sum)) {
        throw new MalformedPacketException(DropReason.BAD_FIELD, "result count " + count + " sum " + sum);
      }
      m = new Result(sender, root, sum, count);
    } else {
      throw new MalformedPacketException(DropReason.UNKNOWN_TYPE, "type " + type);
    }
    if (r.remaining() != 0) {
      throw new MalformedPacketException(DropReason.BAD_FIELD, r.remaining() + " trailing bytes in tree message");
    }
    return m;
  }

  @Override
  public void onMessage(long nowMillis, Endpoint from, Message message, Delivery delivery, Outbox out) {
    start(nowMillis);
    if (message instanceof Report rep) {
      if (rep.detach()) {
        children.remove(rep.senderId());
        return;
      }
      Child c = children.get(rep.senderId());
      if (c == null) {
        if (children.size() >= MAX_CHILDREN) {
          reportsRefused++;
          return;
        }
        c = new Child();
        children.put(rep.senderId(), c);
      }
      c.sum = rep.sum();
      c.count = rep.count();
      c.heardMillis = nowMillis;
      if (known) {
        writer.begin();
        writer.beginMessage(MessageType.TREE_RESULT);
        writer.putEndpoint(self).putLong(globalRootId).putLong(Double.doubleToLongBits(globalSum)).putLong(globalCount);
        writer.endMessage();
        out.send(rep.sender(), writer.finish(), Delivery.DATAGRAM);
      }
    } else if (message instanceof Result res) {
      if (lastParent != null && lastParent.equals(res.sender())) {
        known = true;
        globalCount = res.count();
        globalSum = res.sum();
        globalRootId = res.rootId();
      }
    }
  }
}
