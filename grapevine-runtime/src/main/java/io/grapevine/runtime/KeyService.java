// SPDX-License-Identifier: Apache-2.0
package io.grapevine.runtime;

import io.grapevine.KeyManager;
import io.grapevine.KeyResponse;
import io.grapevine.QueryHandle;
import io.grapevine.QueryHandler;
import io.grapevine.query.QueryOptions;
import io.grapevine.query.QueryRequest;
import io.grapevine.query.QueryResult;
import io.grapevine.security.Keyring;
import io.grapevine.security.Keys;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cluster-wide keyring operations over the query protocol: answers {@value #QUERY_NAME} queries with
 * the local {@link Keyring} and issues them for {@link KeyManager}.
 *
 * <p>Wire format (all within {@code query.maxPayloadBytes} and {@code query.maxResponseBytes}):
 *
 * <pre>
 * request:  version(1)=1 | op(1) | flags(1: bit 0 = send keys) | length(1) | the key (install) or
 *           its fingerprint's 4 bytes (use, remove); nothing for list
 * response: version(1)=1 | flags(1: bit 0 = failed, bit 1 = keys included) | errorLength(2) | error (UTF-8)
 *           | count(1) | count × (keyLength(1) | fingerprint(4) | key if included), primary first
 * </pre>
 *
 * A keyring holds at most {@link Keyring#MAX_KEYS} keys, so a full answer is at most
 * {@code 5 + MAX_ERROR_BYTES + 16 × 37 = 853} bytes; when {@code query.maxResponseBytes} is smaller,
 * the keys' text is left out, then the error shortened, so the node still answers if it can.
 */
public final class KeyService implements KeyManager {
  private static final Logger log = LoggerFactory.getLogger(KeyService.class);

  /** The internal query every keyring operation travels as. */
  public static final String QUERY_NAME = "_grapevine-keys";

  static final int VERSION = 1;
  static final int OP_LIST = 0;
  static final int OP_INSTALL = 1;
  static final int OP_USE = 2;
  static final int OP_REMOVE = 3;
  private static final String[] OP_NAMES = {"list", "install", "use", "remove"};
  /** Longest error text carried in an answer; longer ones are cut. */
  static final int MAX_ERROR_BYTES = 256;
  private static final int FINGERPRINT_BYTES = 4;

  private final String nodeName;
  private final Keyring keyring;
  private final int maxResponseBytes;
  private final BiFunction<byte[], QueryOptions, QueryHandle> issue;
  private final Duration timeout;

  KeyService(String nodeName, Keyring keyring, int maxResponseBytes,
      BiFunction<byte[], QueryOptions, QueryHandle> issue, Duration timeout) {
    this.nodeName = nodeName;
    this.keyring = keyring;
    this.maxResponseBytes = maxResponseBytes;
    this.issue = issue;
    this.timeout = timeout;
  }

  /**
   * Registers the {@value #QUERY_NAME} handler with {@code node}'s queries and returns the manager that
   * issues them.
   */
  static KeyService start(ClusterNode node, Keyring keyring, int maxResponseBytes) {
    KeyService s = new KeyService(node.name(), keyring, maxResponseBytes,
        (payload, options) -> node.internalQuery(QUERY_NAME, payload, options), null);
    node.onInternalQuery(QUERY_NAME, QueryHandler.sync(s::answer));
    return s;
  }

  @Override
  public KeyManager withTimeout(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("keys timeout must be positive, got " + timeout);
    }
    return new KeyService(nodeName, keyring, maxResponseBytes, issue, timeout);
  }

  @Override
  public CompletableFuture<KeyResponse> list() {
    return ask(OP_LIST, null, false);
  }

  @Override
  public CompletableFuture<KeyResponse> listWithKeys() {
    return ask(OP_LIST, null, true);
  }

  @Override
  public CompletableFuture<KeyResponse> install(String key) {
    return ask(OP_INSTALL, Keys.decode(key), false);
  }

  @Override
  public CompletableFuture<KeyResponse> use(String key) {
    return ask(OP_USE, Keys.decode(key), false);
  }

  @Override
  public CompletableFuture<KeyResponse> remove(String key) {
    byte[] k = Keys.decode(key);
    List<byte[]> local = keyring.keys();
    if (!local.isEmpty() && Arrays.equals(local.get(0), k)) {
      throw new IllegalArgumentException("key " + Keys.fingerprint(k) + " is the primary key of node " + nodeName
          + " and cannot be removed; make another key primary first (keys use NEW_KEY)");
    }
    return ask(OP_REMOVE, k, false);
  }

  private CompletableFuture<KeyResponse> ask(int op, byte[] key, boolean withKeys) {
    if (keyring.isEmpty()) {
      throw new IllegalStateException("encryption is off on node " + nodeName
          + ": keyring operations need a node started with an encryption key (--encrypt KEY)");
    }
    byte[] payload = request(op, key, withKeys);
    QueryOptions options = QueryOptions.defaults();
    if (timeout != null) {
      options = options.timeout(timeout);
    }
    String fingerprint = key == null ? null : Keys.fingerprint(key);
    return issue.apply(payload, options).result().thenApply(r -> aggregate(OP_NAMES[op], fingerprint, r));
  }

  /**
   * The request payload of {@code op} (unit tests build requests with it). Only {@code install}
   * carries the key; {@code use} and {@code remove} name it by fingerprint, so a key that is already
   * everywhere (installed out of band after a leak, say) never crosses the network again.
   */
  static byte[] request(int op, byte[] key, boolean withKeys) {
    byte[] k = key == null ? new byte[0]
        : op == OP_INSTALL ? key : HexFormat.of().parseHex(Keys.fingerprint(key));
    return ByteBuffer.allocate(4 + k.length).put((byte) VERSION).put((byte) op)
        .put((byte) (withKeys ? 1 : 0)).put((byte) k.length).put(k).array();
  }

  // ---- answering (on the node's event-loop thread) ----

  /** This node's answer to a keyring query: the outcome here and the keys held afterwards. */
  byte[] answer(QueryRequest request) {
    ByteBuffer in = ByteBuffer.wrap(request.payload());
    String error = null;
    boolean withKeys = false;
    try {
      if (in.remaining() < 4 || in.get() != VERSION) {
        throw new IllegalArgumentException("unknown keyring request format (a newer version asked?)");
      }
      int op = in.get();
      withKeys = (in.get() & 1) != 0;
      int length = in.get() & 0xFF;
      if (op < OP_LIST || op > OP_REMOVE || in.remaining() != length) {
        throw new IllegalArgumentException("malformed keyring request");
      }
      byte[] key = new byte[length];
      in.get(key);
      error = apply(op, key, request.id().origin());
    } catch (IllegalArgumentException e) {
      error = e.getMessage();
    }
    return encode(error, withKeys);
  }

  /** Applies {@code op}; null when it succeeded here, else the one-line reason. */
  private String apply(int op, byte[] key, String origin) {
    if (keyring.isEmpty()) {
      return "encryption is off on this node (no key)";
    }
    String fp = null;
    if (op == OP_INSTALL) {
      Keys.check(key);
      fp = Keys.fingerprint(key);
    } else if (op != OP_LIST) {
      if (key.length != FINGERPRINT_BYTES) {
        throw new IllegalArgumentException("malformed keyring request");
      }
      fp = HexFormat.of().formatHex(key);
      key = held(fp);
      if (key == null) {
        if (op == OP_USE) {
          return "key " + fp + " is not installed; install it first";
        }
        return null; // removing a key this node lacks: nothing to do
      }
    }
    try {
      switch (op) {
        case OP_INSTALL -> {
          if (keyring.install(key)) {
            log.info("{}: keyring: installed key {} (asked by {})", nodeName, fp, origin);
          }
        }
        case OP_USE -> {
          if (keyring.use(key)) {
            log.info("{}: keyring: key {} is now primary (asked by {})", nodeName, fp, origin);
          }
        }
        case OP_REMOVE -> {
          if (keyring.remove(key)) {
            log.info("{}: keyring: removed key {} (asked by {})", nodeName, fp, origin);
          }
        }
        default -> {
          // list: nothing to change
        }
      }
    } catch (UncheckedIOException e) {
      // The keyring changed in memory; only its file could not be written.
      log.warn("{}: keyring changed but not saved: {}", nodeName, e.getMessage());
      return "keyring changed but not saved: " + e.getMessage();
    }
    return null;
  }

  /** The installed key of fingerprint {@code fp}, or null. */
  private byte[] held(String fp) {
    byte[] found = null;
    for (byte[] k : keyring.keys()) {
      if (Keys.fingerprint(k).equals(fp)) {
        if (found != null) {
          // Two keys sharing 32 bits of hash: astronomically unlikely, but never act on the wrong one.
          throw new IllegalArgumentException("two installed keys share fingerprint " + fp
              + "; change this node's keyring locally");
        }
        found = k;
      }
    }
    return found;
  }

  private byte[] encode(String error, boolean withKeys) {
    List<byte[]> keys = keyring.keys();
    byte[] err = error == null ? new byte[0] : cut(error, MAX_ERROR_BYTES);
    byte[] out = encode(err, error != null, keys, withKeys);
    if (out.length > maxResponseBytes && withKeys) {
      out = encode(err, error != null, keys, false);
    }
    if (out.length > maxResponseBytes && err.length > 0) {
      int room = Math.max(0, err.length - (out.length - maxResponseBytes));
      out = encode(cut(error, room), true, keys, false);
    }
    // Still too large (query.maxResponseBytes below ~85 bytes): the query refuses it and counts it.
    return out;
  }

  private static byte[] encode(byte[] err, boolean failed, List<byte[]> keys, boolean withKeys) {
    int size = 5 + err.length;
    for (byte[] k : keys) {
      size += 1 + FINGERPRINT_BYTES + (withKeys ? k.length : 0);
    }
    ByteBuffer b = ByteBuffer.allocate(size);
    b.put((byte) VERSION).put((byte) ((failed ? 1 : 0) | (withKeys ? 2 : 0))).putShort((short) err.length).put(err);
    b.put((byte) keys.size());
    for (byte[] k : keys) {
      b.put((byte) k.length).put(HexFormat.of().parseHex(Keys.fingerprint(k)));
      if (withKeys) {
        b.put(k);
      }
    }
    return b.array();
  }

  /** {@code s} as UTF-8, cut to at most {@code max} bytes on a character boundary. */
  private static byte[] cut(String s, int max) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    if (b.length <= max) {
      return b;
    }
    int end = max;
    while (end > 0 && (b[end] & 0xC0) == 0x80) {
      end--;
    }
    return Arrays.copyOf(b, end);
  }

  // ---- collecting (at the originator) ----

  /** One node's decoded answer. */
  record Answer(String error, List<String> fingerprints, List<Integer> bits, List<String> keys) {}

  static Answer decode(byte[] bytes) {
    ByteBuffer b = ByteBuffer.wrap(bytes);
    if (b.remaining() < 5 || b.get() != VERSION) {
      throw new IllegalArgumentException("unknown answer format");
    }
    int flags = b.get();
    int errLength = b.getShort() & 0xFFFF;
    if (errLength > b.remaining()) {
      throw new IllegalArgumentException("truncated answer");
    }
    byte[] err = new byte[errLength];
    b.get(err);
    int count = b.get() & 0xFF;
    if (count > Keyring.MAX_KEYS) {
      throw new IllegalArgumentException("answer lists " + count + " keys");
    }
    List<String> fps = new ArrayList<>(count);
    List<Integer> bits = new ArrayList<>(count);
    List<String> keys = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      int length = b.get() & 0xFF;
      byte[] fp = new byte[FINGERPRINT_BYTES];
      b.get(fp);
      fps.add(HexFormat.of().formatHex(fp));
      bits.add(length * 8);
      if ((flags & 2) != 0) {
        byte[] k = new byte[length];
        b.get(k);
        keys.add(Keys.encode(k));
      } else {
        keys.add(null);
      }
    }
    if (b.hasRemaining()) {
      throw new IllegalArgumentException("answer has " + b.remaining() + " bytes too many");
    }
    String error = (flags & 1) != 0 ? new String(err, StandardCharsets.UTF_8) : null;
    return new Answer(error == null ? null : error.isEmpty() ? "failed" : error, fps, bits, keys);
  }

  static KeyResponse aggregate(String operation, String fingerprint, QueryResult r) {
    Map<String, int[]> counts = new LinkedHashMap<>(); // fingerprint -> {bits, nodes, primaryNodes}
    Map<String, String> text = new LinkedHashMap<>();
    Map<String, String> primaries = new LinkedHashMap<>();
    Map<String, String> failed = new LinkedHashMap<>();
    for (Map.Entry<String, byte[]> e : r.responses().entrySet()) {
      Answer a;
      try {
        a = decode(e.getValue());
      } catch (RuntimeException ex) {
        failed.put(e.getKey(), "malformed answer: " + ex.getMessage());
        continue;
      }
      if (a.error() != null) {
        failed.put(e.getKey(), a.error());
      }
      for (int i = 0; i < a.fingerprints().size(); i++) {
        String fp = a.fingerprints().get(i);
        int[] c = counts.computeIfAbsent(fp, x -> new int[3]);
        c[0] = a.bits().get(i);
        c[1]++;
        if (i == 0) {
          c[2]++;
          primaries.put(e.getKey(), fp);
        }
        if (a.keys().get(i) != null) {
          text.put(fp, a.keys().get(i));
        }
      }
    }
    List<KeyResponse.KeyStatus> keys = new ArrayList<>();
    counts.forEach((fp, c) -> keys.add(new KeyResponse.KeyStatus(fp, c[0], c[1], c[2], text.get(fp))));
    keys.sort((a, b) -> a.nodes() != b.nodes() ? Integer.compare(b.nodes(), a.nodes())
        : a.primaryNodes() != b.primaryNodes() ? Integer.compare(b.primaryNodes(), a.primaryNodes())
        : a.fingerprint().compareTo(b.fingerprint()));
    return new KeyResponse(operation, fingerprint, r.expected().size(), r.responses().size(), keys, primaries,
        failed, r.missingResponses());
  }
}
