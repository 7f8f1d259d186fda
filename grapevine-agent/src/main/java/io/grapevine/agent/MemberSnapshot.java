// SPDX-License-Identifier: Apache-2.0
package io.grapevine.agent;

import io.grapevine.api.Member;
import io.grapevine.api.MemberState;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The members an agent knew, kept under its data directory so that an agent restarted without
 * {@code --join} can rejoin through them (Serf's snapshot and rejoin). Pure: {@link #merge} folds the
 * live member list into the previous snapshot, {@link #encode} and {@link #decode} are the file
 * format, {@link #rejoinTargets} chooses whom to try. {@link SnapshotKeeper} does the I/O.
 *
 * <p>Failed (dead) members are kept, not only live ones: after a whole-cluster outage the last
 * agents to go down saw the others fail, and a snapshot of live members only would leave them
 * nobody to rejoin through. Members that left gracefully are dropped: they said they are not
 * coming back. A member the node no longer lists at all (membership forgets the dead after a while)
 * keeps its last entry, since nothing says it left.
 *
 * @param entries by recency: live members first, each group most recently seen alive first
 */
public record MemberSnapshot(List<Entry> entries) {
  /** Most entries kept: enough to find a way back into any cluster, and a file of a few tens of KB. */
  public static final int MAX_ENTRIES = 512;
  /** First line of the file: its format, so a future change can be told apart. */
  static final String HEADER = "grapevine-member-snapshot 1";

  /**
   * One remembered member.
   *
   * @param name its node name
   * @param endpoint its advertised address, {@code HOST:PORT}
   * @param alive true when last seen alive or suspect, false when last seen dead
   * @param seenAliveMillis wall-clock time it was last seen alive (or first listed, if never)
   */
  public record Entry(String name, String endpoint, boolean alive, long seenAliveMillis) {}

  /** The empty snapshot. */
  public static MemberSnapshot empty() {
    return new MemberSnapshot(List.of());
  }

  public MemberSnapshot {
    entries = List.copyOf(entries);
  }

  /**
   * This snapshot updated with the member list of a running node.
   *
   * @param members what the node lists now, itself included
   * @param selfName the node's own name, never recorded
   * @param nowMillis wall-clock time
   */
  public MemberSnapshot merge(Collection<Member> members, String selfName, long nowMillis) {
    Map<String, Entry> byName = new LinkedHashMap<>();
    for (Entry e : entries) {
      byName.put(e.name(), e);
    }
    for (Member m : members) {
      if (m.name().equals(selfName)) {
        continue;
      }
      if (m.state() == MemberState.LEFT) {
        byName.remove(m.name());
        continue;
      }
      boolean alive = !m.state().isGone();
      Entry old = byName.get(m.name());
      long seen = alive || old == null ? nowMillis : old.seenAliveMillis();
      byName.put(m.name(), new Entry(m.name(), m.endpoint().toString(), alive, seen));
    }
    byName.remove(selfName);
    List<Entry> sorted = new ArrayList<>(byName.values());
    sorted.sort(ORDER);
    return new MemberSnapshot(sorted.size() > MAX_ENTRIES ? sorted.subList(0, MAX_ENTRIES) : sorted);
  }

  private static final Comparator<Entry> ORDER =
      Comparator.comparing((Entry e) -> !e.alive())
          .thenComparing(Comparator.comparingLong(Entry::seenAliveMillis).reversed())
          .thenComparing(Entry::name);

  /**
   * Whom a restarted node tries, at most {@code limit}: members last seen alive first, then failed
   * ones, most recent first; never itself (by name or by its own address), each address once.
   */
  public List<String> rejoinTargets(String selfName, String selfEndpoint, int limit) {
    List<Entry> sorted = new ArrayList<>(entries);
    sorted.sort(ORDER);
    Set<String> seen = new HashSet<>();
    List<String> out = new ArrayList<>();
    for (Entry e : sorted) {
      if (out.size() >= limit) {
        break;
      }
      if (e.name().equals(selfName) || e.endpoint().equals(selfEndpoint) || !seen.add(e.endpoint())) {
        continue;
      }
      out.add(e.endpoint());
    }
    return out;
  }

  /** The file's text: a header line, then one line per entry: name, endpoint, alive|failed, time. */
  public String encode() {
    StringBuilder b = new StringBuilder(HEADER).append('\n');
    for (Entry e : entries) {
      // Names may hold any character: URL-encoding keeps one entry on one line.
      b.append(URLEncoder.encode(e.name(), StandardCharsets.UTF_8)).append(' ')
          .append(e.endpoint()).append(' ')
          .append(e.alive() ? "alive" : "failed").append(' ')
          .append(e.seenAliveMillis()).append('\n');
    }
    return b.toString();
  }

  /**
   * Reads {@link #encode}'s text.
   *
   * @throws IllegalArgumentException naming the first bad line
   */
  public static MemberSnapshot decode(String text) {
    List<String> lines = text.lines().toList();
    if (lines.isEmpty() || !lines.get(0).equals(HEADER)) {
      throw new IllegalArgumentException("line 1: expected '" + HEADER + "'");
    }
    List<Entry> out = new ArrayList<>();
    for (int i = 1; i < lines.size() && out.size() < MAX_ENTRIES; i++) {
      String line = lines.get(i);
      if (line.isBlank()) {
        continue;
      }
      String[] f = line.split(" ");
      if (f.length != 4 || !(f[2].equals("alive") || f[2].equals("failed"))) {
        throw new IllegalArgumentException("line " + (i + 1) + ": expected NAME HOST:PORT alive|failed MILLIS");
      }
      String endpointError = io.grapevine.config.HostPort.error(f[1], 1);
      if (endpointError != null) {
        throw new IllegalArgumentException("line " + (i + 1) + ": " + endpointError);
      }
      long seen;
      try {
        seen = Long.parseLong(f[3]);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("line " + (i + 1) + ": bad time '" + f[3] + "'");
      }
      out.add(new Entry(URLDecoder.decode(f[0], StandardCharsets.UTF_8), f[1], f[2].equals("alive"), seen));
    }
    return new MemberSnapshot(out);
  }
}
