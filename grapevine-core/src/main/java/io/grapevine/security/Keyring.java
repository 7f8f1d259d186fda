// SPDX-License-Identifier: Apache-2.0
package io.grapevine.security;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import javax.crypto.spec.SecretKeySpec;

/**
 * The AES keys a node seals and opens packets with. The first key is the <em>primary</em>: it seals
 * every outgoing packet. Every installed key is tried, primary first, to open an incoming one, and
 * counts the packets it opened, so an operator sees when an old key is unused and can be removed.
 *
 * <p>Rotation without downtime: {@link #install} the new key everywhere (nodes now open both),
 * {@link #use} it everywhere (nodes now seal with it), then {@link #remove} the old one.
 *
 * <p>Thread-safe: changes are serialised and publish an immutable array, which the packet path reads
 * without locking; a change applies from the next packet on. Listeners (persistence) run on the
 * changing thread after each change.
 */
public final class Keyring {
  /**
   * Most keys held at once: every inbound packet may be tried against each, so the count bounds the
   * cost of a packet no key opens. Rotation needs two.
   */
  public static final int MAX_KEYS = 16;

  /** One key with its cipher spec and counter. */
  static final class Entry {
    final byte[] key;
    final SecretKeySpec spec;
    final String fingerprint;
    final AtomicLong opened = new AtomicLong();

    Entry(byte[] key) {
      this.key = key.clone();
      this.spec = new SecretKeySpec(this.key, "AES");
      this.fingerprint = Keys.fingerprint(this.key);
    }
  }

  private static final Entry[] NONE = new Entry[0];

  private volatile Entry[] entries = NONE;
  private final List<Runnable> listeners = new CopyOnWriteArrayList<>();

  /** An empty keyring: the node neither seals nor opens until a key is installed. */
  public Keyring() {}

  /**
   * A keyring holding {@code keys}, the first primary.
   *
   * @throws IllegalArgumentException for a key of a bad length, or more than {@link #MAX_KEYS}
   */
  public static Keyring of(List<byte[]> keys) {
    Keyring k = new Keyring();
    for (byte[] key : keys) {
      k.add(key);
    }
    return k;
  }

  /**
   * Installs {@code key}; the first key installed becomes primary, later ones only open packets.
   *
   * @return false if it was installed already
   * @throws IllegalArgumentException for a key of a bad length, or a full keyring
   */
  public boolean install(byte[] key) {
    boolean added = add(key);
    if (added) {
      changed();
    }
    return added;
  }

  private synchronized boolean add(byte[] key) {
    Keys.check(key);
    if (indexOf(key) >= 0) {
      return false;
    }
    if (entries.length >= MAX_KEYS) {
      throw new IllegalArgumentException("keyring is full (" + MAX_KEYS + " keys); remove an old key first");
    }
    Entry[] next = Arrays.copyOf(entries, entries.length + 1);
    next[entries.length] = new Entry(key);
    entries = next;
    return true;
  }

  /**
   * Makes the installed {@code key} primary: it seals every packet from now on.
   *
   * @return false if it was primary already
   * @throws IllegalArgumentException if it is not installed
   */
  public boolean use(byte[] key) {
    synchronized (this) {
      int i = indexOf(key);
      if (i < 0) {
        throw new IllegalArgumentException("key " + Keys.fingerprint(key) + " is not installed; install it first");
      }
      if (i == 0) {
        return false;
      }
      Entry[] next = entries.clone();
      Entry e = next[i];
      System.arraycopy(next, 0, next, 1, i);
      next[0] = e;
      entries = next;
    }
    changed();
    return true;
  }

  /**
   * Removes {@code key}.
   *
   * @return false if it was not installed
   * @throws IllegalArgumentException if it is the primary key
   */
  public boolean remove(byte[] key) {
    synchronized (this) {
      int i = indexOf(key);
      if (i < 0) {
        return false;
      }
      if (i == 0) {
        throw new IllegalArgumentException("key " + entries[0].fingerprint
            + " is the primary key and cannot be removed; make another key primary first");
      }
      Entry[] next = new Entry[entries.length - 1];
      System.arraycopy(entries, 0, next, 0, i);
      System.arraycopy(entries, i + 1, next, i, entries.length - i - 1);
      entries = next;
    }
    changed();
    return true;
  }

  /** Every installed key, primary first, with the packets each opened. */
  public List<KeyInfo> list() {
    Entry[] es = entries;
    List<KeyInfo> list = new ArrayList<>(es.length);
    for (int i = 0; i < es.length; i++) {
      Entry e = es[i];
      list.add(new KeyInfo(e.fingerprint, Keys.encode(e.key), e.key.length * 8, i == 0, e.opened.get()));
    }
    return List.copyOf(list);
  }

  /** The installed keys, primary first (copies): what a keyring file stores. */
  public List<byte[]> keys() {
    Entry[] es = entries;
    List<byte[]> list = new ArrayList<>(es.length);
    for (Entry e : es) {
      list.add(e.key.clone());
    }
    return list;
  }

  /** Whether {@code key} is installed. */
  public boolean contains(byte[] key) {
    return indexOf(key) >= 0;
  }

  /** True when no key is installed: the node speaks plaintext. */
  public boolean isEmpty() {
    return entries.length == 0;
  }

  /** Installed keys. */
  public int size() {
    return entries.length;
  }

  /** The fingerprint of the primary key, or null when empty. */
  public String primaryFingerprint() {
    Entry[] es = entries;
    return es.length == 0 ? null : es[0].fingerprint;
  }

  /**
   * Calls {@code listener} after every change (on the changing thread), e.g. to persist the keyring.
   */
  public void addListener(Runnable listener) {
    listeners.add(listener);
  }

  /** The current keys, primary first: read once per packet, never modified. */
  Entry[] entries() {
    return entries;
  }

  private int indexOf(byte[] key) {
    Entry[] es = entries;
    for (int i = 0; i < es.length; i++) {
      if (Arrays.equals(es[i].key, key)) {
        return i;
      }
    }
    return -1;
  }

  private void changed() {
    for (Runnable r : listeners) {
      r.run();
    }
  }

  @Override
  public String toString() {
    Entry[] es = entries;
    StringBuilder sb = new StringBuilder("Keyring[");
    for (int i = 0; i < es.length; i++) {
      sb.append(i == 0 ? "" : ", ").append(es[i].fingerprint).append(i == 0 ? " (primary)" : "");
    }
    return sb.append(']').toString();
  }
}
