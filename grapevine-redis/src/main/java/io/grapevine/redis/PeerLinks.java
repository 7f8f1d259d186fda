// SPDX-License-Identifier: Apache-2.0
package io.grapevine.redis;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Kept-open RESP connections to the other nodes, for the bus's own requests (vote requests, claim
 * pushes): a request borrows an idle connection to its peer (or opens one), and gives it back once
 * the reply is read, so a request costs one round trip and no new connection or server thread.
 * Per peer at most {@link #MAX_IDLE} idle connections are kept; a connection that fails in any way
 * is closed, never reused.
 *
 * <p>Thread-safe: borrowing and returning are synchronized; each borrowed connection is used by one
 * thread at a time.
 */
final class PeerLinks implements AutoCloseable {
  static final int MAX_IDLE = 2;
  /**
   * Connections {@link #maintain} opens per call at most: a cluster that starts at once would
   * otherwise open every replica's link to every node in the same instant (435 connections and
   * server threads at N = 30), on machines whose CPU the failure detector is also waiting for.
   */
  static final int MAX_OPENS_PER_ROUND = 4;

  /** Where a peer's RESP server listens. */
  record Target(String id, String host, int port) {}

  private static final class Link {
    final Target target;
    final Socket socket;
    final InputStream in;
    final OutputStream out;
    final boolean reused;

    Link(Target target, Socket socket, InputStream in, OutputStream out, boolean reused) {
      this.target = target;
      this.socket = socket;
      this.in = in;
      this.out = out;
      this.reused = reused;
    }

    Link reuse() {
      return new Link(target, socket, in, out, true);
    }
  }

  private final int connectTimeoutMillis;
  private final int readTimeoutMillis;
  private final Resp.Limits limits;
  private final Map<String, Deque<Link>> idle = new HashMap<>();
  private long opened;
  private long reusedCount;
  private boolean closed;

  PeerLinks(int connectTimeoutMillis, int readTimeoutMillis, Resp.Limits limits) {
    this.connectTimeoutMillis = connectTimeoutMillis;
    this.readTimeoutMillis = readTimeoutMillis;
    this.limits = limits;
  }

  /** Connections opened so far (for INFO and tests). */
  synchronized long opened() {
    return opened;
  }

  /** Requests sent on a connection that had served an earlier one (for INFO and tests). */
  synchronized long reused() {
    return reusedCount;
  }

  /** Idle connections to {@code id} right now. */
  synchronized int idleTo(String id) {
    Deque<Link> d = idle.get(id);
    return d == null ? 0 : d.size();
  }

  private synchronized Link takeIdle(Target t) {
    Deque<Link> d = idle.get(t.id());
    while (d != null && !d.isEmpty()) {
      Link l = d.pollFirst();
      if (l.target.equals(t)) {
        reusedCount++;
        return l.reuse();
      }
      closeQuietly(l.socket); // the peer moved (restarted on another port)
    }
    return null;
  }

  private Link open(Target t) throws IOException {
    Socket s = new Socket();
    try {
      s.setTcpNoDelay(true);
      s.connect(new InetSocketAddress(t.host(), t.port()), connectTimeoutMillis);
      s.setSoTimeout(readTimeoutMillis);
      synchronized (this) {
        opened++;
      }
      return new Link(t, s, new BufferedInputStream(s.getInputStream(), 4096), s.getOutputStream(), false);
    } catch (IOException | RuntimeException e) {
      closeQuietly(s);
      throw e;
    }
  }

  private void giveBack(Link l) {
    synchronized (this) {
      if (!closed) {
        Deque<Link> d = idle.computeIfAbsent(l.target.id(), k -> new ArrayDeque<>());
        if (d.size() < MAX_IDLE) {
          d.addLast(l);
          return;
        }
      }
    }
    closeQuietly(l.socket);
  }

  /**
   * Sends {@code command} to every target, then reads every reply: one round costs about the
   * slowest peer's round trip. A request that fails on a reused connection (the peer closed it
   * while idle, for example after a restart) is sent once more on a new connection.
   *
   * @return each target's reply (Long, byte[], Simple, Err...), or an IOException for a target
   *     that could not be reached or did not answer in time
   */
  Map<Target, Object> fanOut(Collection<Target> targets, byte[] command) {
    return fanOut(targets, command, (t, r) -> { });
  }

  /**
   * As {@link #fanOut(Collection, byte[])}, calling {@code onReply} with each reply as it arrives
   * (in the order the peers answer, not the order they were asked), on the calling thread.
   */
  Map<Target, Object> fanOut(Collection<Target> targets, byte[] command,
      java.util.function.BiConsumer<Target, Object> onReply) {
    Map<Target, Object> replies = new HashMap<>();
    List<Target> retry = round(targets, command, replies, onReply);
    if (!retry.isEmpty()) {
      round(retry, command, replies, onReply);
    }
    return replies;
  }

  /** One request to one peer. */
  Object call(Target target, byte[] command) {
    return fanOut(List.of(target), command).get(target);
  }

  private List<Target> round(Collection<Target> targets, byte[] command, Map<Target, Object> replies,
      java.util.function.BiConsumer<Target, Object> onReply) {
    List<Link> sent = new ArrayList<>();
    List<Target> retry = new ArrayList<>();
    for (Target t : targets) {
      Link l = null;
      try {
        l = takeIdle(t);
        if (l == null) {
          l = open(t);
        }
        l.out.write(command);
        l.out.flush();
        sent.add(l);
      } catch (IOException | RuntimeException e) {
        if (l != null) {
          closeQuietly(l.socket);
        }
        fail(t, l, e, replies, retry);
      }
    }
    // read the replies as they arrive: a slow peer does not hold up the answers of the others
    long deadline = System.nanoTime() + readTimeoutMillis * 1_000_000L;
    List<Link> pending = new ArrayList<>(sent);
    while (!pending.isEmpty()) {
      boolean late = System.nanoTime() >= deadline;
      boolean progress = false;
      for (Iterator<Link> it = pending.iterator(); it.hasNext(); ) {
        Link l = it.next();
        try {
          if (late) {
            throw new java.net.SocketTimeoutException("no answer in " + readTimeoutMillis + " ms");
          }
          if (l.in.available() == 0) {
            continue;
          }
          Object reply = Resp.readReply(l.in, limits); // the rest of it, bounded by the read timeout
          replies.put(l.target, reply);
          giveBack(l);
          onReply.accept(l.target, reply);
        } catch (IOException | RuntimeException e) {
          closeQuietly(l.socket);
          fail(l.target, l, e, replies, retry);
        }
        it.remove();
        progress = true;
      }
      if (!progress && !pending.isEmpty()) {
        try {
          Thread.sleep(1);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          deadline = 0;
        }
      }
    }
    return retry;
  }

  private static void fail(Target t, Link l, Exception e, Map<Target, Object> replies, List<Target> retry) {
    if (l != null && l.reused && !replies.containsKey(t)) {
      retry.add(t);
      return;
    }
    replies.put(t, e instanceof IOException io ? io : new IOException(e.toString(), e));
  }

  /**
   * Keeps one idle connection open to each of {@code keep} (connecting those that have none) and
   * closes the idle connections to every peer not in {@code known}.
   */
  void maintain(Collection<Target> keep, Set<String> known) {
    List<Target> missing = new ArrayList<>();
    synchronized (this) {
      if (closed) {
        return;
      }
      for (Iterator<Map.Entry<String, Deque<Link>>> it = idle.entrySet().iterator(); it.hasNext(); ) {
        Map.Entry<String, Deque<Link>> e = it.next();
        if (!known.contains(e.getKey())) {
          for (Link l : e.getValue()) {
            closeQuietly(l.socket);
          }
          it.remove();
        }
      }
      for (Target t : keep) {
        Deque<Link> d = idle.get(t.id());
        if (d == null || d.isEmpty()) {
          missing.add(t);
        }
      }
    }
    for (Target t : missing.subList(0, Math.min(missing.size(), MAX_OPENS_PER_ROUND))) {
      try {
        giveBack(open(t));
      } catch (IOException | RuntimeException e) {
        // not reachable now: the next round tries again
      }
    }
  }

  /** Ids of the peers with an idle connection. */
  synchronized Set<String> connectedPeers() {
    Set<String> s = new HashSet<>();
    for (Map.Entry<String, Deque<Link>> e : idle.entrySet()) {
      if (!e.getValue().isEmpty()) {
        s.add(e.getKey());
      }
    }
    return s;
  }

  @Override
  public void close() {
    List<Link> all = new ArrayList<>();
    synchronized (this) {
      closed = true;
      for (Deque<Link> d : idle.values()) {
        all.addAll(d);
      }
      idle.clear();
    }
    for (Link l : all) {
      closeQuietly(l.socket);
    }
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // closing
    }
  }
}
