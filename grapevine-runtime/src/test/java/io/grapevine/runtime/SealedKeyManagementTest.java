// SPDX-License-Identifier: Apache-2.0
package io.grapevine.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grapevine.Cluster;
import io.grapevine.KeyManager;
import io.grapevine.KeyResponse;
import io.grapevine.api.MemberState;
import io.grapevine.security.Keyring;
import io.grapevine.security.Keys;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Cluster-wide keyring operations ({@link Cluster#keys()}) on five real nodes over loopback. */
class SealedKeyManagementTest {
  private static final String CLUSTER = "keys";
  private static final int N = 5;
  private final SecureRandom random = new SecureRandom();

  private String key() {
    return Keys.encode(Keys.generate(256, random));
  }

  private static KeyResponse done(java.util.concurrent.CompletableFuture<KeyResponse> f) throws Exception {
    return f.get(20, TimeUnit.SECONDS);
  }

  private static TestNodes five(String k, Path dir) throws Exception {
    TestNodes nodes = new TestNodes(CLUSTER, TestNodes.fastConfig(), 1, false);
    for (int i = 0; i < N; i++) {
      Path file = dir == null ? null : dir.resolve("n" + i + ".keyring");
      nodes.start("n" + i, "127.0.0.1:0", b -> {
        b.encryptionKey(k);
        if (file != null) {
          b.keyringFile(file);
        }
      });
    }
    nodes.joinAllThrough("n0");
    await().atMost(Duration.ofSeconds(20)).until(() -> nodes.nodes.values().stream()
        .allMatch(c -> TestNodes.countIn(c, MemberState.ALIVE) == N));
    return nodes;
  }

  @Test
  void installUseRemoveRotatesEveryNodeAndEveryKeyringFile(@TempDir Path dir) throws Exception {
    String old = key();
    String next = key();
    String oldFp = Keys.fingerprint(Keys.decode(old));
    String nextFp = Keys.fingerprint(Keys.decode(next));
    try (TestNodes nodes = five(old, dir)) {
      KeyManager keys = nodes.nodes.get("n2").keys();

      KeyResponse list = done(keys.list());
      assertThat(list.operation()).isEqualTo("list");
      assertThat(list.nodesAsked()).isEqualTo(N);
      assertThat(list.nodesAnswered()).isEqualTo(N);
      assertThat(list.complete()).isTrue();
      assertThat(list.keys()).containsExactly(new KeyResponse.KeyStatus(oldFp, 256, N, N, null));

      KeyResponse installed = done(keys.install(next));
      assertThat(installed.complete()).as("%s", installed).isTrue();
      assertThat(installed.fingerprint()).isEqualTo(nextFp);
      assertThat(installed.keys()).containsExactly(new KeyResponse.KeyStatus(oldFp, 256, N, N, null),
          new KeyResponse.KeyStatus(nextFp, 256, N, 0, null));
      for (Cluster c : nodes.nodes.values()) {
        assertThat(c.keyring().contains(Keys.decode(next))).isTrue();
        assertThat(c.keyring().primaryFingerprint()).isEqualTo(oldFp);
      }
      // Installing it again is no error anywhere.
      assertThat(done(keys.install(next)).complete()).isTrue();

      KeyResponse used = done(keys.use(next));
      assertThat(used.complete()).isTrue();
      assertThat(used.primaries()).hasSize(N).allSatisfy((node, fp) -> assertThat(fp).isEqualTo(nextFp));
      assertThat(nodes.nodes.values()).allMatch(c -> nextFp.equals(c.keyring().primaryFingerprint()));

      KeyResponse removed = done(keys.remove(old));
      assertThat(removed.complete()).isTrue();
      assertThat(removed.keys()).containsExactly(new KeyResponse.KeyStatus(nextFp, 256, N, N, null));
      for (int i = 0; i < N; i++) {
        String text = Files.readString(dir.resolve("n" + i + ".keyring"));
        assertThat(text).contains(next).doesNotContain(old);
      }
      // The cluster still talks: every node sealing with the new key, all alive.
      long opened = nodes.nodes.get("n0").encryption().packetsOpened();
      await().atMost(Duration.ofSeconds(5)).until(() -> nodes.nodes.get("n0").encryption().packetsOpened() > opened + 20);
      assertThat(nodes.nodes.values()).allMatch(c -> TestNodes.countIn(c, MemberState.ALIVE) == N);

      // Only when asked, the keys' text.
      KeyResponse shown = done(keys.listWithKeys());
      assertThat(shown.keys()).containsExactly(new KeyResponse.KeyStatus(nextFp, 256, N, N, next));
      assertThat(shown.toString()).doesNotContain(next);
    }
  }

  @Test
  void badKeysAndThePrimaryAreRefusedUpFrontAndFailuresAreReportedPerNode() throws Exception {
    String k = key();
    String other = key();
    try (TestNodes nodes = five(k, null)) {
      Cluster n0 = nodes.nodes.get("n0");
      KeyManager keys = n0.keys();
      assertThatThrownBy(() -> keys.install("not base64!"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("encryption key is not valid base64; expected base64 of 16, 24 or 32 bytes"
              + " (make one with: grapevine keygen)");
      assertThatThrownBy(() -> keys.install(Base64.getEncoder().encodeToString(new byte[20])))
          .hasMessage("encryption key must be 16, 24 or 32 bytes (AES-128, -192 or -256), got 20 bytes");
      assertThatThrownBy(() -> keys.remove(k))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("is the primary key of node n0 and cannot be removed");

      // Use of a key nobody holds fails on every node, which keep their primary.
      KeyResponse use = done(keys.use(other));
      assertThat(use.nodesAnswered()).isEqualTo(N);
      assertThat(use.complete()).isFalse();
      assertThat(use.failed()).hasSize(N).allSatisfy((node, error) -> assertThat(error).contains("is not installed"));
      assertThat(use.primaries().values()).containsOnly(Keys.fingerprint(Keys.decode(k)));

      // A key of a bad length inside a request (a foreign or newer originator) fails there, in one line.
      assertThat(nodes.nodes.values()).allMatch(c -> c.keyring().size() == 1);
    }
  }

  @Test
  void aFullKeyringStillAnswersWithinTheResponseLimit() throws Exception {
    String k = key();
    try (TestNodes nodes = five(k, null)) {
      KeyManager keys = nodes.nodes.get("n1").keys();
      List<String> added = new ArrayList<>();
      for (int i = 1; i < Keyring.MAX_KEYS; i++) {
        added.add(key());
        KeyResponse r = done(keys.install(added.get(added.size() - 1)));
        assertThat(r.complete()).as("install %d: %s", i, r).isTrue();
      }
      KeyResponse full = done(keys.install(key()));
      assertThat(full.failed()).hasSize(N).allSatisfy((node, e) -> assertThat(e).contains("keyring is full"));
      // 16 keys of 32 bytes, with their text: every node's answer fits query.maxResponseBytes (1 KiB).
      KeyResponse shown = done(keys.listWithKeys());
      assertThat(shown.complete()).isTrue();
      assertThat(shown.keys()).hasSize(Keyring.MAX_KEYS).allMatch(s -> s.nodes() == N && s.key() != null);
      assertThat(nodes.nodes.values()).allMatch(c -> c.queryStats().responsesTooLarge() == 0);
    }
  }

  @Test
  void aSmallResponseLimitLeavesTheKeysTextOut() throws Exception {
    String k = key();
    try (TestNodes nodes = new TestNodes(CLUSTER, TestNodes.fastConfig(), 1, false)) {
      Cluster c = nodes.start("solo", "127.0.0.1:0", b -> b.encryptionKey(k)
          .queryConfig(io.grapevine.config.QueryConfig.defaults().toBuilder().maxResponseBytes(40).build()));
      KeyResponse shown = done(c.keys().listWithKeys());
      assertThat(shown.complete()).isTrue();
      assertThat(shown.keys()).containsExactly(new KeyResponse.KeyStatus(Keys.fingerprint(Keys.decode(k)), 256, 1, 1, null));
    }
  }

  @Test
  void aNodeWithoutEncryptionRefusesKeyringOperations() throws Exception {
    try (TestNodes nodes = new TestNodes(CLUSTER, TestNodes.fastConfig(), 1, false)) {
      Cluster plain = nodes.start("plain");
      assertThatThrownBy(() -> plain.keys().list()).isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("encryption is off on node plain");
    }
  }
}
