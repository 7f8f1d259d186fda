// SPDX-License-Identifier: Apache-2.0
package io.grapevine.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SharedInternerTest {
  @Test
  void everyInternedNameResolvesFromItsBytesAndNothingElseDoes() {
    SharedInterner interner = new SharedInterner();
    SplittableRandom random = new SplittableRandom(7);
    String[] names = new String[5_000];
    for (int i = 0; i < names.length; i++) {
      // Some names with non-ASCII characters: the table holds their UTF-8 bytes, as on the wire.
      names[i] = (random.nextInt(10) == 0 ? "nœud-" : "n") + i;
      assertThat(interner.name(names[i])).isSameAs(names[i]);
    }
    for (String name : names) {
      // Fresh copies, embedded at an offset, as a packet holds them.
      byte[] utf8 = name.getBytes(StandardCharsets.UTF_8);
      byte[] packet = new byte[utf8.length + 5];
      System.arraycopy(utf8, 0, packet, 3, utf8.length);
      assertThat(interner.resolve(packet, 3, utf8.length)).isSameAs(name);
      assertThat(interner.name(new String(utf8, StandardCharsets.UTF_8))).isSameAs(name);
    }
    byte[] unknown = "n5000".getBytes(StandardCharsets.UTF_8);
    assertThat(interner.resolve(unknown, 0, unknown.length)).isNull();
    byte[] prefix = "n12".getBytes(StandardCharsets.UTF_8);
    assertThat(interner.resolve(prefix, 0, 2)).as("n1 (a prefix of n12)").isSameAs(names[1]);
  }

  @Test
  void valuesAreSharedByContent() {
    SharedInterner interner = new SharedInterner();
    String a = interner.value(new String("x-1"));
    assertThat(interner.value(new String("x-1"))).isSameAs(a);
    assertThat(interner.value(new String("x-2"))).isNotSameAs(a).isEqualTo("x-2");
  }
}
