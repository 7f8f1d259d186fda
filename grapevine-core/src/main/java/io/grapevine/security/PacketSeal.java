// SPDX-License-Identifier: Apache-2.0
package io.grapevine.security;

import io.grapevine.config.EncryptionConfig;
import io.grapevine.wire.DropReason;
import io.grapevine.wire.MalformedPacketException;
import io.grapevine.wire.WireFormat;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;

/**
 * Seals and opens one node's packets with its {@link Keyring}: AES-GCM with a 12-byte random nonce
 * and a 16-byte tag, the clear header (magic, version, flags, cluster name) as associated data.
 *
 * <pre>
 * clear header (flags bit 0 set) | nonce(12) | AES-GCM( senderTime(8) | messages... ) | tag(16)
 * </pre>
 *
 * A sealed packet has no CRC (the tag proves integrity), so it is {@link #OVERHEAD} bytes longer
 * than the same packet in plaintext. {@code senderTime} is the sender's wall-clock time in
 * milliseconds, which with the nonce lets the receiver drop replays ({@code encryption.replayWindow}).
 *
 * <p>Sans-I/O: the wall clock and the nonce randomness are given by the driver (the socket runtime:
 * {@code System.currentTimeMillis} and a {@code SecureRandom}; the simulator: its virtual clock and
 * seeded randomness). The switches ({@link #verifyIncoming}, {@link #verifyOutgoing}) and the keyring
 * may change while the node runs, from any thread; everything else runs on the node's driver thread.
 */
public final class PacketSeal {
  /** Bytes of the random nonce. */
  public static final int NONCE_BYTES = 12;
  /** Bytes of the GCM authentication tag. */
  public static final int TAG_BYTES = 16;
  /** Bytes of the sender's time inside the sealed part. */
  public static final int TIME_BYTES = 8;
  /** How much longer a sealed packet is than its plaintext: nonce, time and tag, less the CRC. */
  public static final int OVERHEAD = NONCE_BYTES + TIME_BYTES + TAG_BYTES - WireFormat.CRC_LENGTH;

  /** The node's wall clock, in milliseconds since the epoch; the driver's, never read here. */
  @FunctionalInterface
  public interface WallClock {
    long wallMillis();
  }

  /** Where nonces come from: a cryptographically strong source in production. */
  @FunctionalInterface
  public interface NonceSource {
    /** Fills {@code dst[offset .. offset + length)} with fresh random bytes. */
    void next(byte[] dst, int offset, int length);
  }

  // A Cipher per thread, shared by the nodes the thread steps (a simulator steps thousands).
  private static final ThreadLocal<Cipher> CIPHER = ThreadLocal.withInitial(() -> {
    try {
      return Cipher.getInstance("AES/GCM/NoPadding");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES/GCM is missing from this JDK", e);
    }
  });

  private final Keyring keyring;
  private final byte[] clusterName;
  private final WallClock clock;
  private final NonceSource nonces;
  private final long windowMillis;
  private final int replayCapacity;
  private volatile boolean verifyIncoming;
  private volatile boolean verifyOutgoing;
  private ReplayGuard replay;
  private volatile long sealed;
  private volatile long opened;

  /**
   * @param keyring the keys; may be empty (the node then speaks plaintext until a key is installed)
   * @param clusterName the node's cluster, checked in clear before any key is tried
   * @param config the switches' initial values and the replay window
   */
  public PacketSeal(Keyring keyring, String clusterName, EncryptionConfig config, WallClock clock,
      NonceSource nonces) {
    this.keyring = keyring;
    this.clusterName = clusterName.getBytes(StandardCharsets.UTF_8);
    this.clock = clock;
    this.nonces = nonces;
    this.windowMillis = config.replayWindow.toMillis();
    this.replayCapacity = config.replayCacheEntries;
    this.verifyIncoming = config.verifyIncoming;
    this.verifyOutgoing = config.verifyOutgoing;
  }

  /** The keys this seal uses. */
  public Keyring keyring() {
    return keyring;
  }

  /** Whether plaintext packets are refused (when a key is installed). */
  public boolean verifyIncoming() {
    return verifyIncoming;
  }

  /** Turns refusing plaintext on or off: a migration step. */
  public void verifyIncoming(boolean on) {
    verifyIncoming = on;
  }

  /** Whether outgoing packets are sealed (when a key is installed). */
  public boolean verifyOutgoing() {
    return verifyOutgoing;
  }

  /** Turns sealing outgoing packets on or off: a migration step. */
  public void verifyOutgoing(boolean on) {
    verifyOutgoing = on;
  }

  /** True when the next outgoing packet will be sealed. */
  public boolean sealsOutgoing() {
    return verifyOutgoing && !keyring.isEmpty();
  }

  /** True when a plaintext packet arriving now is dropped. */
  public boolean refusesPlaintext() {
    return verifyIncoming && !keyring.isEmpty();
  }

  /** Packets sealed so far. */
  public long sealedCount() {
    return sealed;
  }

  /** Packets opened (and accepted) so far. */
  public long openedCount() {
    return opened;
  }

  /**
   * Seals a finished plaintext packet (header, messages, CRC) with the primary key.
   *
   * @return a new buffer holding the sealed packet; the input is left as it was
   * @throws IllegalStateException when the keyring is empty
   */
  public ByteBuffer seal(ByteBuffer plain) {
    Keyring.Entry[] keys = keyring.entries();
    if (keys.length == 0) {
      throw new IllegalStateException("no key to seal with");
    }
    int pos = plain.position();
    int length = plain.remaining();
    int headerLength = WireFormat.CLUSTER_OFFSET + (plain.get(pos + WireFormat.CLUSTER_LENGTH_OFFSET) & 0xff);
    int messagesLength = length - headerLength - WireFormat.CRC_LENGTH;
    int bodyAt = headerLength + NONCE_BYTES;
    byte[] out = new byte[length + OVERHEAD];
    plain.get(pos, out, 0, headerLength);
    out[WireFormat.FLAGS_OFFSET] |= WireFormat.FLAG_SEALED;
    nonces.next(out, headerLength, NONCE_BYTES);
    long now = clock.wallMillis();
    for (int i = 0; i < TIME_BYTES; i++) {
      out[bodyAt + i] = (byte) (now >>> (56 - 8 * i));
    }
    plain.get(pos + headerLength, out, bodyAt + TIME_BYTES, messagesLength);
    Cipher cipher = CIPHER.get();
    GCMParameterSpec iv = new GCMParameterSpec(TAG_BYTES * 8, out, headerLength, NONCE_BYTES);
    try {
      try {
        cipher.init(Cipher.ENCRYPT_MODE, keys[0].spec, iv);
      } catch (InvalidAlgorithmParameterException e) {
        // The JDK refuses a cipher the key and nonce it encrypted with last. Random nonces never
        // repeat, but seeded ones in a simulation can (the same run twice on one thread): a fresh
        // cipher has no memory, and the output stays what the seed makes it.
        cipher = Cipher.getInstance("AES/GCM/NoPadding");
        CIPHER.set(cipher);
        cipher.init(Cipher.ENCRYPT_MODE, keys[0].spec, iv);
      }
      cipher.updateAAD(out, 0, headerLength);
      cipher.doFinal(out, bodyAt, TIME_BYTES + messagesLength, out, bodyAt);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("sealing failed", e);
    }
    sealed++;
    return ByteBuffer.wrap(out);
  }

  /**
   * Opens a sealed packet: checks the clear header, tries every key (primary first), then the
   * sender's time and nonce against replays.
   *
   * @return the plaintext packet, header (sealed flag cleared) then messages, with no CRC trailer
   * @throws MalformedPacketException naming why it is dropped: {@code no_key}, {@code bad_seal},
   *     {@code replay_stale}, {@code replay_duplicate}, or an envelope reason
   */
  public ByteBuffer open(ByteBuffer packet) throws MalformedPacketException {
    int pos = packet.position();
    int length = packet.remaining();
    if (length < WireFormat.CLUSTER_OFFSET) {
      throw new MalformedPacketException(DropReason.TRUNCATED, "sealed packet of " + length + " bytes");
    }
    if (packet.get(pos) != WireFormat.MAGIC_0 || packet.get(pos + 1) != WireFormat.MAGIC_1) {
      throw new MalformedPacketException(DropReason.BAD_MAGIC, "not a Grapevine packet");
    }
    int version = packet.get(pos + WireFormat.VERSION_OFFSET);
    if (version < WireFormat.MIN_VERSION || version > WireFormat.MAX_VERSION) {
      throw new MalformedPacketException(DropReason.UNSUPPORTED_VERSION, "version " + version);
    }
    int clen = packet.get(pos + WireFormat.CLUSTER_LENGTH_OFFSET) & 0xff;
    int headerLength = WireFormat.CLUSTER_OFFSET + clen;
    int sealedLength = length - headerLength - NONCE_BYTES;
    if (sealedLength < TIME_BYTES + TAG_BYTES) {
      throw new MalformedPacketException(DropReason.TRUNCATED, "sealed packet of " + length + " bytes");
    }
    if (clen != clusterName.length) {
      throw new MalformedPacketException(DropReason.FOREIGN_CLUSTER, "other cluster");
    }
    for (int i = 0; i < clen; i++) {
      if (packet.get(pos + WireFormat.CLUSTER_OFFSET + i) != clusterName[i]) {
        throw new MalformedPacketException(DropReason.FOREIGN_CLUSTER, "other cluster");
      }
    }
    Keyring.Entry[] keys = keyring.entries();
    if (keys.length == 0) {
      throw new MalformedPacketException(DropReason.NO_KEY, "sealed, and this node has no key");
    }
    byte[] in;
    int off;
    if (packet.hasArray()) {
      in = packet.array();
      off = packet.arrayOffset() + pos;
    } else {
      in = new byte[length];
      packet.get(pos, in);
      off = 0;
    }
    // Plaintext lands behind room for the header, so the header can be put right before the messages.
    int plainLength = sealedLength - TAG_BYTES;
    byte[] out = new byte[headerLength + plainLength];
    Keyring.Entry opener = null;
    Cipher cipher = CIPHER.get();
    GCMParameterSpec iv = new GCMParameterSpec(TAG_BYTES * 8, in, off + headerLength, NONCE_BYTES);
    for (Keyring.Entry key : keys) {
      try {
        cipher.init(Cipher.DECRYPT_MODE, key.spec, iv);
        cipher.updateAAD(in, off, headerLength);
        cipher.doFinal(in, off + headerLength + NONCE_BYTES, sealedLength, out, headerLength);
        opener = key;
        break;
      } catch (AEADBadTagException e) {
        // Not this key; try the next.
      } catch (GeneralSecurityException e) {
        throw new MalformedPacketException(DropReason.BAD_SEAL, e.getClass().getSimpleName());
      }
    }
    if (opener == null) {
      throw new MalformedPacketException(DropReason.BAD_SEAL, "no installed key opens it");
    }
    long sentMillis = 0;
    for (int i = 0; i < TIME_BYTES; i++) {
      sentMillis = (sentMillis << 8) | (out[headerLength + i] & 0xff);
    }
    long nonceId = 0;
    for (int i = 0; i < 8; i++) {
      nonceId = (nonceId << 8) | (in[off + headerLength + i] & 0xff);
    }
    if (replay == null) {
      replay = new ReplayGuard(windowMillis, replayCapacity);
    }
    DropReason replayed = replay.check(nonceId, sentMillis, clock.wallMillis());
    if (replayed != null) {
      throw new MalformedPacketException(replayed, "sent at " + sentMillis);
    }
    opener.opened.incrementAndGet();
    opened++;
    // The header goes right before the messages, over the time it no longer needs.
    System.arraycopy(in, off, out, TIME_BYTES, headerLength);
    out[TIME_BYTES + WireFormat.FLAGS_OFFSET] &= (byte) ~WireFormat.FLAG_SEALED;
    return ByteBuffer.wrap(out, TIME_BYTES, out.length - TIME_BYTES);
  }
}
