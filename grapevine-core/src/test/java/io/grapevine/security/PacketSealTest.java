// SPDX-License-Identifier: Apache-2.0
package io.grapevine.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grapevine.config.EncryptionConfig;
import io.grapevine.wire.DropReason;
import io.grapevine.wire.MalformedPacketException;
import io.grapevine.wire.MessageType;
import io.grapevine.wire.PacketReader;
import io.grapevine.wire.PacketWriter;
import io.grapevine.wire.WireFormat;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Sealing and opening single packets: keys, tampering, the associated data, replays. */
class PacketSealTest {
  private final SplittableRandom random = new SplittableRandom(17);
  private long wallMillis = 1_700_000_000_000L;

  private byte[] key(int bytes) {
    byte[] k = new byte[bytes];
    random.nextBytes(k);
    return k;
  }

  private PacketSeal seal(String cluster, byte[]... keys) {
    return seal(cluster, EncryptionConfig.defaults(), keys);
  }

  private PacketSeal seal(String cluster, EncryptionConfig config, byte[]... keys) {
    SplittableRandom nonces = new SplittableRandom(random.nextLong());
    return new PacketSeal(Keyring.of(List.of(keys)), cluster, config, () -> wallMillis,
        (dst, off, len) -> {
          byte[] b = new byte[len];
          nonces.nextBytes(b);
          System.arraycopy(b, 0, dst, off, len);
        });
  }

  /** A plaintext packet of {@code cluster} with one ACK message carrying {@code seq}. */
  private static ByteBuffer plain(String cluster, int seq) {
    PacketWriter w = new PacketWriter(256, cluster).begin();
    w.beginMessage(MessageType.ACK).putInt(seq).endMessage();
    ByteBuffer b = w.finish();
    return ByteBuffer.wrap(Arrays.copyOfRange(b.array(), 0, b.limit()));
  }

  private static int readAck(String cluster, ByteBuffer opened) throws MalformedPacketException {
    PacketReader r = new PacketReader(cluster);
    r.open(opened, false, WireFormat.KNOWN_FLAGS);
    assertThat(r.nextMessage()).isTrue();
    assertThat(r.type()).isEqualTo(MessageType.ACK.code());
    int seq = r.getInt();
    assertThat(r.nextMessage()).isFalse();
    return seq;
  }

  @ParameterizedTest
  @ValueSource(ints = {16, 24, 32})
  void roundTripWithEveryKeyLength(int keyBytes) throws Exception {
    byte[] k = key(keyBytes);
    PacketSeal a = seal("c", k);
    PacketSeal b = seal("c", k);
    ByteBuffer p = plain("c", 42);
    int plainLength = p.remaining();
    ByteBuffer sealed = a.seal(p);
    assertThat(sealed.remaining()).isEqualTo(plainLength + PacketSeal.OVERHEAD);
    assertThat(sealed.get(WireFormat.FLAGS_OFFSET) & WireFormat.FLAG_SEALED).isNotZero();
    // The message is not readable in the sealed bytes: seq 42 as 4 bytes never appears after the header.
    assertThat(readAck("c", b.open(sealed))).isEqualTo(42);
    assertThat(b.keyring().list().get(0).opened()).isEqualTo(1);
    assertThat(b.openedCount()).isEqualTo(1);
  }

  @Test
  void everyTamperedByteIsDropped() throws Exception {
    byte[] k = key(32);
    PacketSeal a = seal("cluster", k);
    ByteBuffer sealed = a.seal(plain("cluster", 7));
    byte[] bytes = Arrays.copyOfRange(sealed.array(), 0, sealed.limit());
    for (int i = 0; i < bytes.length; i++) {
      if (i == WireFormat.CLUSTER_LENGTH_OFFSET) {
        continue; // a changed name length is a foreign cluster, checked below
      }
      byte[] t = bytes.clone();
      t[i] ^= 0x10;
      PacketSeal b = seal("cluster", k);
      final int at = i;
      assertThatThrownBy(() -> b.open(ByteBuffer.wrap(t)))
          .as("byte %d flipped", at)
          .isInstanceOfSatisfying(MalformedPacketException.class, e -> assertThat(e.reason()).isIn(
              DropReason.BAD_SEAL, DropReason.BAD_MAGIC, DropReason.UNSUPPORTED_VERSION, DropReason.FOREIGN_CLUSTER));
      assertThat(b.keyring().list().get(0).opened()).isZero();
    }
    // The untouched copy still opens: the loop did not test a broken packet.
    assertThat(readAck("cluster", seal("cluster", k).open(ByteBuffer.wrap(bytes)))).isEqualTo(7);
  }

  @Test
  void aWrongKeyOpensNothingAndANodeWithoutKeysSaysSo() {
    PacketSeal a = seal("c", key(16));
    ByteBuffer sealed = a.seal(plain("c", 1));
    PacketSeal other = seal("c", key(16), key(32));
    assertThatThrownBy(() -> other.open(sealed.duplicate()))
        .isInstanceOfSatisfying(MalformedPacketException.class, e -> assertThat(e.reason()).isEqualTo(DropReason.BAD_SEAL));
    PacketSeal none = seal("c");
    assertThatThrownBy(() -> none.open(sealed.duplicate()))
        .isInstanceOfSatisfying(MalformedPacketException.class, e -> assertThat(e.reason()).isEqualTo(DropReason.NO_KEY));
    assertThat(other.keyring().list()).allMatch(i -> i.opened() == 0);
  }

  @Test
  void theClusterNameIsAuthenticated() {
    byte[] k = key(32);
    // Same key, same name length: only the associated data differs.
    ByteBuffer sealed = seal("alpha", k).seal(plain("alpha", 3));
    byte[] forged = Arrays.copyOfRange(sealed.array(), 0, sealed.limit());
    byte[] beta = "bravo".getBytes();
    System.arraycopy(beta, 0, forged, WireFormat.CLUSTER_OFFSET, beta.length);
    assertThatThrownBy(() -> seal("bravo", k).open(ByteBuffer.wrap(forged)))
        .isInstanceOfSatisfying(MalformedPacketException.class, e -> assertThat(e.reason()).isEqualTo(DropReason.BAD_SEAL));
    // Unchanged, it is simply another cluster's.
    assertThatThrownBy(() -> seal("bravo", k).open(sealed.duplicate()))
        .isInstanceOfSatisfying(MalformedPacketException.class,
            e -> assertThat(e.reason()).isEqualTo(DropReason.FOREIGN_CLUSTER));
  }

  @Test
  void everyInstalledKeyOpensAndCountsWhatItOpened() throws Exception {
    byte[] oldKey = key(32);
    byte[] newKey = key(32);
    PacketSeal sender = seal("c", oldKey);
    PacketSeal receiver = seal("c", newKey, oldKey);
    readAck("c", receiver.open(sender.seal(plain("c", 1))));
    readAck("c", receiver.open(sender.seal(plain("c", 2))));
    sender.keyring().install(newKey);
    sender.keyring().use(newKey);
    readAck("c", receiver.open(sender.seal(plain("c", 3))));
    List<KeyInfo> keys = receiver.keyring().list();
    assertThat(keys.get(0).fingerprint()).isEqualTo(Keys.fingerprint(newKey));
    assertThat(keys.get(0).opened()).isEqualTo(1);
    assertThat(keys.get(1).opened()).isEqualTo(2);
  }

  @Test
  void aReplayInsideTheWindowIsADuplicateAndAMinuteLaterIsStale() throws Exception {
    byte[] k = key(32);
    PacketSeal sender = seal("c", k);
    PacketSeal receiver = seal("c", k);
    ByteBuffer sealed = sender.seal(plain("c", 9));
    byte[] captured = Arrays.copyOfRange(sealed.array(), 0, sealed.limit());
    readAck("c", receiver.open(ByteBuffer.wrap(captured)));
    wallMillis += 1_000;
    assertThatThrownBy(() -> receiver.open(ByteBuffer.wrap(captured)))
        .isInstanceOfSatisfying(MalformedPacketException.class,
            e -> assertThat(e.reason()).isEqualTo(DropReason.REPLAY_DUPLICATE));
    wallMillis += 60_000;
    assertThatThrownBy(() -> receiver.open(ByteBuffer.wrap(captured)))
        .isInstanceOfSatisfying(MalformedPacketException.class,
            e -> assertThat(e.reason()).isEqualTo(DropReason.REPLAY_STALE));
    // A node that never saw it (restarted, say) still refuses it a minute later.
    assertThatThrownBy(() -> seal("c", k).open(ByteBuffer.wrap(captured)))
        .isInstanceOfSatisfying(MalformedPacketException.class,
            e -> assertThat(e.reason()).isEqualTo(DropReason.REPLAY_STALE));
    assertThat(receiver.keyring().list().get(0).opened()).isEqualTo(1);
  }

  @Test
  void aSenderClockAheadByMoreThanTheWindowIsStale() throws Exception {
    byte[] k = key(16);
    EncryptionConfig tight = EncryptionConfig.defaults().toBuilder().replayWindow(Duration.ofSeconds(5)).build();
    PacketSeal sender = seal("c", tight, k);
    PacketSeal receiver = seal("c", tight, k);
    wallMillis += 6_000;
    ByteBuffer ahead = sender.seal(plain("c", 1));
    wallMillis -= 6_000;
    assertThatThrownBy(() -> receiver.open(ahead))
        .isInstanceOfSatisfying(MalformedPacketException.class,
            e -> assertThat(e.reason()).isEqualTo(DropReason.REPLAY_STALE));
    wallMillis += 4_000;
    ByteBuffer within = sender.seal(plain("c", 2));
    wallMillis -= 4_000;
    assertThat(readAck("c", receiver.open(within))).isEqualTo(2);
  }

  @Test
  void keysAreCheckedAndThePrimaryCannotBeRemoved() {
    assertThatThrownBy(() -> Keys.decode("not base64!")).hasMessageContaining("not valid base64");
    assertThatThrownBy(() -> Keys.decode(Keys.encode(new byte[20]))).hasMessage(
        "encryption key must be 16, 24 or 32 bytes (AES-128, -192 or -256), got 20 bytes");
    assertThat(Keys.decode(Keys.encode(new byte[24]))).hasSize(24);
    byte[] a = key(16);
    byte[] b = key(16);
    Keyring ring = Keyring.of(List.of(a));
    assertThat(ring.install(b)).isTrue();
    assertThat(ring.install(b)).isFalse();
    assertThatThrownBy(() -> ring.remove(a)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("is the primary key and cannot be removed");
    assertThatThrownBy(() -> ring.use(key(16))).hasMessageContaining("is not installed");
    assertThat(ring.use(b)).isTrue();
    assertThat(ring.remove(a)).isTrue();
    assertThat(ring.list()).extracting(KeyInfo::primary).containsExactly(true);
    assertThat(ring.list().get(0).toString()).doesNotContain(Keys.encode(b));
  }
}
