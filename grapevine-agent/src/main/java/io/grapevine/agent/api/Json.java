// SPDX-License-Identifier: Apache-2.0
package io.grapevine.agent.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.grapevine.config.Durations;
import io.grapevine.agent.Metadata;
import io.grapevine.api.Member;
import io.grapevine.api.MemberState;
import io.grapevine.config.MembershipConfig;
import io.grapevine.api.MembershipStats;
import io.grapevine.transport.TransportStats;
import io.grapevine.wire.DropReason;
import io.grapevine.KvChange;
import io.grapevine.TreeSnapshot;
import io.grapevine.api.AggregateEstimate;
import io.grapevine.api.DisseminationStats;
import io.grapevine.api.RumorId;
import io.grapevine.api.UserEvent;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.lang.reflect.Modifier;
import java.time.Duration;
import java.util.Base64;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The JSON shapes of the HTTP API, shared by the server and the command-line client. */
public final class Json {
  private Json() {}

  /**
   * One mapper for the process, thread-safe once configured; for reading JSON. Built on first use,
   * so that an agent that only answers reads never loads it.
   */
  public static ObjectMapper mapper() {
    return MapperHolder.MAPPER;
  }

  private static final class MapperHolder {
    static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  }

  /**
   * Pretty-printed JSON text of {@code value}. Maps, collections, strings, numbers, booleans, enums
   * and nulls (all the server writes) are written without the mapper; anything else, such as the
   * client's JSON trees, goes through it, laid out the same way.
   */
  public static String write(Object value) {
    try {
      return JsonText.pretty(value);
    } catch (IllegalArgumentException notPlain) {
      try {
        return mapper().writeValueAsString(value);
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        throw new IllegalStateException("cannot serialize " + value.getClass().getSimpleName(), e);
      }
    }
  }

  /** The lower-case name used for a state in JSON and metrics: alive, suspect, dead, left. */
  public static String state(MemberState s) {
    return s.name().toLowerCase(Locale.ROOT);
  }

  /**
   * A member: name, address, state, incarnation and metadata as a map. Metadata not written in the
   * agent's {@code key=value} format is given as {@code metadataBase64} instead.
   */
  public static Map<String, Object> member(Member m) {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("name", m.name());
    o.put("address", m.endpoint().toString());
    o.put("state", state(m.state()));
    o.put("incarnation", m.incarnation());
    byte[] raw = m.metadata();
    Map<String, String> meta = Metadata.decode(raw);
    if (meta != null) {
      o.put("metadata", meta);
    } else {
      o.put("metadata", Map.of());
      o.put("metadataBase64", Base64.getEncoder().encodeToString(raw));
    }
    o.put("protocolMin", m.protocolMin());
    o.put("protocolMax", m.protocolMax());
    return o;
  }

  /** Members sorted by name. */
  public static List<Map<String, Object>> members(List<Member> members) {
    return members.stream().sorted(Comparator.comparing(Member::name)).map(Json::member).toList();
  }

  /** Members sorted by name, each with {@code stateAgeMs}: how long it has been in its state. */
  public static List<Map<String, Object>> members(List<Member> members, long nowMillis) {
    return members.stream().sorted(Comparator.comparing(Member::name)).map(m -> member(m, nowMillis)).toList();
  }

  /** {@link #member(Member)} with {@code stateAgeMs}, the time since its state last changed here. */
  public static Map<String, Object> member(Member m, long nowMillis) {
    Map<String, Object> o = member(m);
    o.put("stateAgeMs", Math.max(0, nowMillis - m.stateSinceMillis()));
    return o;
  }

  /** A network coordinate: vector, error, adjustment and height (milliseconds). */
  public static Map<String, Object> coordinate(io.grapevine.api.Coordinate c) {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("vector", c.vector());
    o.put("error", c.error());
    o.put("adjustmentMs", c.adjustment());
    o.put("heightMs", c.height());
    return o;
  }

  /** How many members are in each state (every state present, zero included). */
  public static Map<String, Long> countByState(List<Member> members) {
    Map<MemberState, Long> counts = new EnumMap<>(MemberState.class);
    for (MemberState s : MemberState.values()) {
      counts.put(s, 0L);
    }
    for (Member m : members) {
      counts.merge(m.state(), 1L, Long::sum);
    }
    Map<String, Long> out = new LinkedHashMap<>();
    counts.forEach((s, n) -> out.put(state(s), n));
    return out;
  }

  /** Every knob of the config by field name; durations as {@code 500ms}, {@code 2s}. */
  public static Map<String, Object> config(MembershipConfig c) {
    Map<String, Object> o = new LinkedHashMap<>();
    for (Field f : MembershipConfig.class.getFields()) {
      if (Modifier.isStatic(f.getModifiers())) {
        continue;
      }
      try {
        Object v = f.get(c);
        o.put(f.getName(), v instanceof Duration d ? Durations.format(d) : v);
      } catch (IllegalAccessException e) {
        throw new AssertionError("public field", e);
      }
    }
    return o;
  }

  /** The protocol counters. */
  public static Map<String, Object> stats(MembershipStats s) {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("packetsIn", s.packetsIn());
    o.put("packetsOut", s.packetsOut());
    o.put("bytesIn", s.bytesIn());
    o.put("bytesOut", s.bytesOut());
    o.put("probes", s.probes());
    o.put("probeFailures", s.probeFailures());
    o.put("indirectProbes", s.indirectProbes());
    o.put("tcpFallbackPings", s.tcpFallbackPings());
    o.put("nacksReceived", s.nacksReceived());
    o.put("suspicionsRaised", s.suspicionsRaised());
    o.put("suspicionsRefuted", s.suspicionsRefuted());
    o.put("selfRefutations", s.selfRefutations());
    o.put("deathsDeclared", s.deathsDeclared());
    o.put("pushPulls", s.pushPulls());
    o.put("backlogSyncs", s.backlogSyncs());
    o.put("digestSyncs", s.digestSyncs());
    o.put("digestSyncRepairs", s.digestSyncRepairs());
    o.put("pushPullsReused", s.pushPullsReused());
    o.put("nameConflicts", s.nameConflicts());
    Map<String, Long> dropped = new LinkedHashMap<>();
    for (DropReason r : DropReason.values()) {
      dropped.put(r.label(), s.dropped(r));
    }
    o.put("packetsDropped", dropped);
    return o;
  }

  /** Encryption state and counters; keys by fingerprint only, never the key itself. */
  public static Map<String, Object> encryption(io.grapevine.Encryption e) {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("active", e.active());
    o.put("verifyIncoming", e.verifyIncoming());
    o.put("verifyOutgoing", e.verifyOutgoing());
    o.put("packetsSealed", e.packetsSealed());
    o.put("packetsOpened", e.packetsOpened());
    o.put("refusalsSent", e.refusalsSent());
    o.put("refusalsReceived", e.refusalsReceived());
    List<Map<String, Object>> keys = new java.util.ArrayList<>();
    for (io.grapevine.security.KeyInfo k : e.keys()) {
      Map<String, Object> key = new LinkedHashMap<>();
      key.put("fingerprint", k.fingerprint());
      key.put("bits", k.bits());
      key.put("primary", k.primary());
      key.put("opened", k.opened());
      keys.add(key);
    }
    o.put("keys", keys);
    return o;
  }

  /**
   * A cluster-wide keyring operation's outcome ({@code /v1/keys}): keys by fingerprint, their text
   * only when the response carries it (asked for with {@code showKeys=true}).
   */
  public static Map<String, Object> keys(io.grapevine.KeyResponse r) {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("operation", r.operation());
    if (r.fingerprint() != null) {
      o.put("fingerprint", r.fingerprint());
    }
    o.put("complete", r.complete());
    o.put("nodesAsked", r.nodesAsked());
    o.put("nodesAnswered", r.nodesAnswered());
    List<Map<String, Object>> keys = new java.util.ArrayList<>();
    for (io.grapevine.KeyResponse.KeyStatus k : r.keys()) {
      Map<String, Object> key = new LinkedHashMap<>();
      key.put("fingerprint", k.fingerprint());
      key.put("bits", k.bits());
      key.put("nodes", k.nodes());
      key.put("primaryNodes", k.primaryNodes());
      if (k.key() != null) {
        key.put("key", k.key());
      }
      keys.add(key);
    }
    o.put("keys", keys);
    o.put("primaries", new java.util.TreeMap<>(r.primaries()));
    o.put("failed", new java.util.TreeMap<>(r.failed()));
    o.put("missing", r.missing().stream().sorted().toList());
    return o;
  }

  /** The socket transport's own counters (what it failed to send or refused to read). */
  public static Map<String, Object> transport(TransportStats t) {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("datagramsIn", t.datagramsIn());
    o.put("datagramsOut", t.datagramsOut());
    o.put("streamMessagesIn", t.streamMessagesIn());
    o.put("streamMessagesOut", t.streamMessagesOut());
    o.put("sendErrors", t.sendErrors());
    o.put("connectTimeouts", t.connectTimeouts());
    o.put("rejectedConnections", t.rejectedConnections());
    o.put("streamReadErrors", t.streamReadErrors());
    o.put("oversizedDatagrams", t.oversizedDatagrams());
    o.put("oversizedStreamMessages", t.oversizedStreamMessages());
    Map<String, Object> refused = new LinkedHashMap<>();
    for (TransportStats.ConnectionRefusal r : TransportStats.ConnectionRefusal.values()) {
      refused.put(r.label(), t.refused(r));
    }
    o.put("connectionsRefused", refused);
    return o;
  }

  /** {@code origin/epoch/seq}: how an event id is written for people and in JSON. */
  public static String eventId(RumorId id) {
    return id.origin() + "/" + id.epoch() + "/" + id.seq();
  }

  /**
   * Puts {@code bytes} under {@code field} as text when they are valid UTF-8, else under {@code
   * field + "Base64"}: payloads and values are bytes, but almost always text.
   */
  public static void putBytes(Map<String, Object> o, String field, byte[] bytes) {
    String text = utf8(bytes);
    if (text != null) {
      o.put(field, text);
    } else {
      o.put(field + "Base64", Base64.getEncoder().encodeToString(bytes));
    }
  }

  /** The bytes as a string if they are valid UTF-8, else null. */
  public static String utf8(byte[] bytes) {
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }

  /**
   * A finished query, without the answers' payloads (streamed before it): who was expected, who
   * acknowledged and answered, who did not, and counts of each.
   */
  public static Map<String, Object> queryResult(io.grapevine.query.QueryResult r) {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("id", r.id().toString());
    o.put("name", r.name());
    o.put("ackRequested", r.ackRequested());
    o.put("timedOut", r.timedOut());
    o.put("expected", List.copyOf(r.expected()));
    o.put("acks", r.acked().size());
    o.put("responses", r.responses().size());
    o.put("acked", List.copyOf(r.acked()));
    o.put("responded", List.copyOf(r.responses().keySet()));
    o.put("missingAcks", r.missingAcks());
    o.put("missingResponses", r.missingResponses());
    return o;
  }

  /** A delivered event: id, topic, origin, lamport time, coalesce key and payload. */
  public static Map<String, Object> event(UserEvent e) {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("id", eventId(e.id()));
    o.put("topic", e.topic());
    o.put("origin", e.id().origin());
    o.put("lamport", e.lamport());
    if (e.coalesceKey() != null) {
      o.put("coalesceKey", e.coalesceKey());
    }
    putBytes(o, "payload", e.payload());
    return o;
  }

  /** An aggregate estimate; values not yet known (NaN) are null. */
  public static Map<String, Object> aggregate(AggregateEstimate e) {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("name", e.name());
    o.put("avg", finite(e.avg()));
    o.put("sum", finite(e.sum()));
    // count is the cluster size (every node takes part); publishers, the nodes that published the name.
    o.put("count", finite(e.count()));
    o.put("publishers", finite(e.publishers()));
    o.put("min", finite(e.min()));
    o.put("max", finite(e.max()));
    o.put("epoch", e.epoch());
    o.put("rounds", e.rounds());
    o.put("error", finite(e.error()));
    return o;
  }

  /**
   * The sorted ring and tree aggregation of a node: {@code {"enabled": false}} when it runs without
   * them; otherwise ids as 16 hex digits (unsigned 64 bits, which JSON numbers cannot all carry),
   * neighbors as {@code {name, address, id}} or null, and {@code count}/{@code sum} null until the
   * totals are known.
   */
  public static Map<String, Object> tree(TreeSnapshot s) {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("enabled", s.enabled());
    if (!s.enabled()) {
      return o;
    }
    o.put("nodeId", hexId(s.nodeId()));
    o.put("level", s.level());
    o.put("root", s.root());
    o.put("parent", neighbor(s.parent()));
    o.put("successor", neighbor(s.successor()));
    o.put("predecessor", neighbor(s.predecessor()));
    o.put("children", s.children());
    o.put("subtreeCount", s.subtreeCount());
    o.put("value", s.value());
    o.put("known", s.known());
    o.put("count", s.known() ? s.count() : null);
    o.put("sum", s.known() ? finite(s.sum()) : null);
    return o;
  }

  private static Map<String, Object> neighbor(TreeSnapshot.Neighbor n) {
    if (n == null) {
      return null;
    }
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("name", n.name());
    o.put("address", n.endpoint().toString());
    o.put("id", hexId(n.id()));
    return o;
  }

  /** A ring id as 16 lower-case hex digits. */
  public static String hexId(long id) {
    return String.format("%016x", id);
  }

  /** {@code v}, or null when it is NaN or infinite (JSON has no such numbers). */
  public static Double finite(double v) {
    return Double.isFinite(v) ? v : null;
  }

  /** A key change seen by a watcher. */
  public static Map<String, Object> kvChange(KvChange c) {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("map", c.map());
    o.put("key", c.key());
    boolean deleted = c.deleted();
    o.put("deleted", deleted);
    byte[] value = c.value();
    if (value != null) {
      putBytes(o, "value", value);
      if (c.entry().expiresAtMillis() > 0) {
        o.put("expiresAtMillis", c.entry().expiresAtMillis());
      }
    } else if (!deleted && c.entry().kind() == io.grapevine.antientropy.Entry.Kind.COUNTER) {
      o.put("counter", c.entry().counter().value());
    } else if (!deleted && c.entry().kind() == io.grapevine.antientropy.Entry.Kind.SET) {
      o.put("elements", new java.util.TreeSet<>(c.entry().set().elements()));
    }
    o.put("local", c.local());
    return o;
  }

  /** The event counters. */
  public static Map<String, Object> eventStats(DisseminationStats s) {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("published", s.published());
    o.put("delivered", s.delivered());
    o.put("duplicates", s.duplicates());
    o.put("coalesced", s.coalesced());
    o.put("repaired", s.repaired());
    o.put("messagesSent", s.messagesSent());
    o.put("bytesSent", s.bytesSent());
    return o;
  }

  /** An error body: {@code {"error": message}}. */
  public static Map<String, Object> error(String message) {
    return Map.of("error", message);
  }
}
