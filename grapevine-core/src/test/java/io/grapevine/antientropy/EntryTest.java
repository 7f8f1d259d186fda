// SPDX-License-Identifier: Apache-2.0
package io.grapevine.antientropy;

import io.grapevine.config.AntiEntropyConfig;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.fail;

import io.grapevine.wire.MalformedPacketException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Merge is a join (commutative, associative, idempotent) over random versions; codec round trips. */
class EntryTest {
  private static final AntiEntropyConfig CONFIG = AntiEntropyConfig.defaults();
  private static final StoreKey KEY = new StoreKey("m", "k");

  /** Random versions of one key, as replicas would produce them (several generations, all kinds). */
  static List<Entry> randomVersions(SplittableRandom r, int count) {
    List<Entry> out = new ArrayList<>();
    String[] replicas = {"a", "b", "c"};
    for (int i = 0; i < count; i++) {
      String origin = replicas[r.nextInt(3)];
      long gen = r.nextInt(3) == 0 ? 0 : 1 + r.nextInt(4);
      long hlc = Math.max(gen, 1) + r.nextInt(5);
      String genOrigin = gen == 0 ? "" : replicas[r.nextInt(3)];
      out.add(switch (r.nextInt(4)) {
        case 0 -> Entry.tombstone(KEY, gen == 0 ? 1 : gen, genOrigin.isEmpty() ? origin : genOrigin);
        case 1 -> Entry.value(KEY, gen == 0 ? 1 : gen, genOrigin.isEmpty() ? origin : genOrigin,
            new byte[] {(byte) r.nextInt(3)}, r.nextBoolean() ? 0 : 99);
        case 2 -> {
          PnCounter c = PnCounter.EMPTY;
          for (int j = r.nextInt(3); j >= 0; j--) {
            c = c.add(replicas[r.nextInt(3)], r.nextInt(7) - 3);
          }
          yield Entry.counter(KEY, gen, genOrigin, hlc, c);
        }
        default -> {
          OrSet s = OrSet.EMPTY;
          for (int j = r.nextInt(4); j >= 0; j--) {
            int e = r.nextInt(3);
            String el = "e" + e;
            // A tag names one add of one element, as on real replicas.
            s = r.nextInt(3) == 0 ? s.remove(el) : s.add(el, new Tag(replicas[r.nextInt(3)], e * 10 + r.nextInt(3)));
          }
          yield Entry.set(KEY, gen, genOrigin, hlc, s);
        }
      });
    }
    return out;
  }

  @Test
  void mergeIsCommutativeAssociativeAndIdempotent() {
    long base = 0x5be0cd19137e2179L;
    for (int run = 0; run < 3000; run++) {
      long seed = base + run;
      SplittableRandom r = new SplittableRandom(seed);
      List<Entry> v = randomVersions(r, 3);
      Entry a = v.get(0);
      Entry b = v.get(1);
      Entry c = v.get(2);
      try {
        assertThat(Entry.merge(a, b)).isEqualTo(Entry.merge(b, a));
        assertThat(Entry.merge(Entry.merge(a, b), c)).isEqualTo(Entry.merge(a, Entry.merge(b, c)));
        assertThat(Entry.merge(a, a)).isEqualTo(a);
        Entry ab = Entry.merge(a, b);
        assertThat(Entry.merge(ab, a)).isEqualTo(ab);
      } catch (AssertionError e) {
        fail("join law broken, seed " + seed + ": " + a + " / " + b + " / " + c, e);
      }
    }
  }

  @Test
  void encodingRoundTripsAndIsCanonical() throws MalformedPacketException {
    SplittableRandom r = new SplittableRandom(42);
    for (Entry e : randomVersions(r, 500)) {
      Entry back = Entry.decode(e.encoded(), CONFIG);
      assertThat(back.encoded()).isEqualTo(e.encoded());
      assertThat(back.hash()).isEqualTo(e.hash());
      assertThat(back).isEqualTo(e);
    }
  }

  @Test
  void laterGenerationWinsAndTiesBreakOnOrigin() {
    Entry older = Entry.value(KEY, 10, "b", new byte[] {1}, 0);
    Entry newer = Entry.value(KEY, 11, "a", new byte[] {2}, 0);
    assertThat(Entry.merge(older, newer)).isSameAs(newer);
    Entry sameTimeA = Entry.value(KEY, 11, "a", new byte[] {2}, 0);
    Entry sameTimeB = Entry.value(KEY, 11, "b", new byte[] {3}, 0);
    assertThat(Entry.merge(sameTimeA, sameTimeB)).isSameAs(sameTimeB);
    Entry delete = Entry.tombstone(KEY, 12, "a");
    assertThat(Entry.merge(newer, delete).isLive(0)).isFalse();
  }

  @Test
  void concurrentCounterCreationsKeepEveryIncrement() {
    Entry a = Entry.counter(KEY, 0, "", 5, PnCounter.EMPTY.add("a", 3));
    Entry b = Entry.counter(KEY, 0, "", 7, PnCounter.EMPTY.add("b", -1));
    Entry m = Entry.merge(a, b);
    assertThat(m.counter().value()).isEqualTo(2);
    assertThat(m.hlc()).isEqualTo(7);
  }

  @Test
  void orSetAddWinsOverConcurrentRemove() {
    OrSet base = OrSet.EMPTY.add("x", new Tag("a", 1));
    OrSet removedOnA = base.remove("x");
    OrSet addedAgainOnB = base.add("x", new Tag("b", 2));
    OrSet m = OrSet.merge(removedOnA, addedAgainOnB);
    assertThat(m.contains("x")).isTrue();
    assertThat(m.adds().get("x")).containsExactly(new Tag("b", 2));
    assertThat(OrSet.merge(removedOnA, base).contains("x")).isFalse();
  }

  @Test
  void decodeRejectsNonCanonicalOrOversizedFields() {
    Entry set = Entry.set(KEY, 0, "", 3, OrSet.EMPTY.add("a", new Tag("r", 1)).add("b", new Tag("r", 2)));
    byte[] bytes = set.encoded().clone();
    // Swap the two element names: same content, non-canonical order.
    String s = new String(bytes, java.nio.charset.StandardCharsets.ISO_8859_1);
    int ia = s.indexOf("\u0000\u0001a");
    int ib = s.indexOf("\u0000\u0001b");
    bytes[ia + 2] = 'b';
    bytes[ib + 2] = 'a';
    assertThatThrownBy(() -> Entry.decode(bytes, CONFIG)).isInstanceOf(MalformedPacketException.class);

    AntiEntropyConfig small = CONFIG.toBuilder().valueMaxBytes(10).build();
    Entry big = Entry.value(KEY, 1, "a", new byte[11], 0);
    assertThatThrownBy(() -> Entry.decode(big.encoded(), small)).isInstanceOf(MalformedPacketException.class)
        .hasMessageContaining("oversized");
    byte[] trailing = java.util.Arrays.copyOf(big.encoded(), big.encoded().length + 1);
    assertThatThrownBy(() -> Entry.decode(trailing, CONFIG)).isInstanceOf(MalformedPacketException.class);
  }

  @Test
  void namesDecodeAsUtf8AndInvalidUtf8IsRefused() throws MalformedPacketException {
    // ASCII names take a fast path; others go through the strict decoder.
    for (String key : new String[] {"plain/key-1", "caf\u00e9/\u65e5\u672c", "\ud83c\udf47"}) {
      Entry e = Entry.value(new StoreKey("m", key), 1, "r\u00e9plica", new byte[] {1}, 0);
      Entry back = Entry.decode(e.encoded(), CONFIG);
      assertThat(back.key().key()).isEqualTo(key);
      assertThat(back.genOrigin()).isEqualTo("r\u00e9plica");
      assertThat(back.hash()).isEqualTo(e.hash());
    }
    byte[] bytes = Entry.value(new StoreKey("m", "kx"), 1, "a", new byte[] {1}, 0).encoded().clone();
    int at = new String(bytes, java.nio.charset.StandardCharsets.ISO_8859_1).indexOf("kx");
    bytes[at + 1] = (byte) 0xC3; // a lead byte with no continuation byte after it
    assertThatThrownBy(() -> Entry.decode(bytes, CONFIG)).isInstanceOf(MalformedPacketException.class)
        .hasMessageContaining("not valid UTF-8");
  }

  @Test
  void hlcIsMonotonicAndBoundsSkew() {
    Hlc c = new Hlc(1000);
    long t1 = c.next(100);
    long t2 = c.next(100);
    long t3 = c.next(99);
    assertThat(t2).isGreaterThan(t1);
    assertThat(t3).isGreaterThan(t2);
    assertThat(Hlc.physicalOf(t3)).isEqualTo(100);
    assertThat(c.observe(Hlc.of(1050, 0), 100)).isTrue();
    assertThat(c.next(100)).isGreaterThan(Hlc.of(1050, 0));
    assertThat(c.observe(Hlc.of(5000, 0), 100)).isFalse();
    assertThat(Hlc.physicalOf(c.next(100))).isEqualTo(1050);
  }

  @Test
  void badNamesGiveClearErrors() {
    assertThat(Names.mapNameProblem("feature flags")).contains("may only contain");
    assertThat(Names.mapNameProblem("")).contains("must not be empty");
    assertThat(Names.keyProblem("x".repeat(600), 512)).contains("longer than keyMaxBytes 512");
    assertThat(Names.keyProblem("\ud800", 512)).contains("surrogate");
    assertThat(Names.mapNameProblem("flags-v1.2_x")).isNull();
  }

  @Test
  void configValidationNamesTheKnob() {
    assertThatThrownBy(() -> AntiEntropyConfig.builder().merkleDepth(9).valueMaxBytes(70_000).build())
        .hasMessageContaining("merkleDepth must be in 1..6, got 9")
        .hasMessageContaining("valueMaxBytes must be in 0..60000, got 70000");
  }
}
