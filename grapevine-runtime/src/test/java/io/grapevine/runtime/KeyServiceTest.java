// SPDX-License-Identifier: Apache-2.0
package io.grapevine.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.grapevine.KeyResponse;
import io.grapevine.node.Endpoint;
import io.grapevine.query.QueryId;
import io.grapevine.query.QueryRequest;
import io.grapevine.query.QueryResult;
import io.grapevine.security.Keyring;
import io.grapevine.security.Keys;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** One node's answers to keyring requests, and how the originator sums them up. */
class KeyServiceTest {
  private final SplittableRandom random = new SplittableRandom(7);

  private byte[] key() {
    return Keys.generate(256, random);
  }

  private static KeyService.Answer ask(Keyring ring, int maxResponse, byte[] payload) {
    KeyService s = new KeyService("n1", ring, maxResponse, null, null);
    return KeyService.decode(s.answer(new QueryRequest(new QueryId("n0", 1, 1), KeyService.QUERY_NAME, payload,
        Endpoint.parse("127.0.0.1:1"), Long.MAX_VALUE)));
  }

  @Test
  void thePrimaryIsNotRemovedAndBadRequestsFailInOneLine() {
    byte[] primary = key();
    byte[] other = key();
    Keyring ring = Keyring.of(List.of(primary, other));

    KeyService.Answer refused = ask(ring, 1024, KeyService.request(KeyService.OP_REMOVE, primary, false));
    assertThat(refused.error()).isEqualTo("key " + Keys.fingerprint(primary)
        + " is the primary key and cannot be removed; make another key primary first");
    assertThat(refused.fingerprints()).containsExactly(Keys.fingerprint(primary), Keys.fingerprint(other));
    assertThat(ring.size()).isEqualTo(2);

    KeyService.Answer shortKey = ask(ring, 1024, KeyService.request(KeyService.OP_INSTALL, new byte[5], false));
    assertThat(shortKey.error()).isEqualTo("encryption key must be 16, 24 or 32 bytes (AES-128, -192 or -256), got 5 bytes");
    assertThat(ask(ring, 1024, new byte[] {9, 0, 0, 0}).error()).contains("unknown keyring request format");
    assertThat(ask(ring, 1024, new byte[] {1, 7, 0, 0}).error()).isEqualTo("malformed keyring request");
    assertThat(ring.size()).isEqualTo(2);

    KeyService.Answer removed = ask(ring, 1024, KeyService.request(KeyService.OP_REMOVE, other, false));
    assertThat(removed.error()).isNull();
    assertThat(removed.fingerprints()).containsExactly(Keys.fingerprint(primary));
    assertThat(removed.keys()).containsOnlyNulls();
  }

  @Test
  void onlyInstallCarriesTheKey() {
    byte[] k = key();
    assertThat(KeyService.request(KeyService.OP_INSTALL, k, false)).hasSize(4 + 32);
    for (int op : new int[] {KeyService.OP_USE, KeyService.OP_REMOVE}) {
      byte[] payload = KeyService.request(op, k, false);
      assertThat(payload).hasSize(4 + 4);
      assertThat(java.util.HexFormat.of().formatHex(payload, 4, 8)).isEqualTo(Keys.fingerprint(k));
    }
    Keyring ring = Keyring.of(List.of(key(), k));
    assertThat(ask(ring, 1024, KeyService.request(KeyService.OP_USE, k, false)).error()).isNull();
    assertThat(ring.primaryFingerprint()).isEqualTo(Keys.fingerprint(k));
    byte[] absent = key();
    assertThat(ask(ring, 1024, KeyService.request(KeyService.OP_USE, absent, false)).error())
        .isEqualTo("key " + Keys.fingerprint(absent) + " is not installed; install it first");
    assertThat(ask(ring, 1024, KeyService.request(KeyService.OP_REMOVE, absent, false)).error()).isNull();
    assertThat(ring.size()).isEqualTo(2);
  }

  @Test
  void aNodeWithoutKeysSaysSoAndChangesNothing() {
    Keyring ring = new Keyring();
    KeyService.Answer a = ask(ring, 1024, KeyService.request(KeyService.OP_INSTALL, key(), false));
    assertThat(a.error()).isEqualTo("encryption is off on this node (no key)");
    assertThat(ring.isEmpty()).isTrue();
  }

  @Test
  void answersFitTheResponseLimit() {
    Keyring ring = new Keyring();
    for (int i = 0; i < Keyring.MAX_KEYS; i++) {
      ring.install(key());
    }
    KeyService s = new KeyService("n1", ring, 1024, null, null);
    byte[] full = s.answer(new QueryRequest(new QueryId("n0", 1, 1), KeyService.QUERY_NAME,
        KeyService.request(KeyService.OP_INSTALL, key(), true), Endpoint.parse("127.0.0.1:1"), Long.MAX_VALUE));
    // The keyring is full: an error, and the 16 keys with their text.
    assertThat(full.length).isLessThanOrEqualTo(1024);
    KeyService.Answer a = KeyService.decode(full);
    assertThat(a.error()).startsWith("keyring is full");
    assertThat(a.keys()).hasSize(Keyring.MAX_KEYS).doesNotContainNull();

    // A small limit: the text goes, then the error is cut.
    KeyService small = new KeyService("n1", ring, 120, null, null);
    byte[] cut = small.answer(new QueryRequest(new QueryId("n0", 1, 1), KeyService.QUERY_NAME,
        KeyService.request(KeyService.OP_INSTALL, key(), true), Endpoint.parse("127.0.0.1:1"), Long.MAX_VALUE));
    KeyService.Answer b = KeyService.decode(cut);
    assertThat(cut.length).isLessThanOrEqualTo(120);
    assertThat(b.keys()).hasSize(Keyring.MAX_KEYS).containsOnlyNulls();
  }

  @Test
  void theOriginatorCountsKeysPrimariesFailuresAndMissingNodes() {
    byte[] k1 = key();
    byte[] k2 = key();
    Keyring a = Keyring.of(List.of(k1, k2));
    Keyring b = Keyring.of(List.of(k2, k1));
    Keyring c = Keyring.of(List.of(k1));
    Map<String, byte[]> answers = new LinkedHashMap<>();
    for (Map.Entry<String, Keyring> e : Map.of("a", a, "b", b, "c", c).entrySet()) {
      answers.put(e.getKey(), new KeyService(e.getKey(), e.getValue(), 1024, null, null).answer(new QueryRequest(
          new QueryId("a", 1, 1), KeyService.QUERY_NAME, KeyService.request(KeyService.OP_LIST, null, false),
          Endpoint.parse("127.0.0.1:1"), Long.MAX_VALUE)));
    }
    answers.put("x", new byte[] {1, 2, 3});
    QueryResult r = new QueryResult(new QueryId("a", 1, 1), KeyService.QUERY_NAME, Set.of("a", "b", "c", "x", "gone"),
        Set.of(), answers, false, true);
    KeyResponse out = KeyService.aggregate("list", null, r);
    String f1 = Keys.fingerprint(k1);
    String f2 = Keys.fingerprint(k2);
    assertThat(out.nodesAsked()).isEqualTo(5);
    assertThat(out.nodesAnswered()).isEqualTo(4);
    assertThat(out.keys()).containsExactly(new KeyResponse.KeyStatus(f1, 256, 3, 2, null),
        new KeyResponse.KeyStatus(f2, 256, 2, 1, null));
    assertThat(out.primaries()).containsExactlyInAnyOrderEntriesOf(Map.of("a", f1, "b", f2, "c", f1));
    assertThat(out.failed()).containsOnlyKeys("x");
    assertThat(out.failed().get("x")).startsWith("malformed answer");
    assertThat(out.missing()).containsExactly("gone");
    assertThat(out.complete()).isFalse();
  }
}
