// SPDX-License-Identifier: Apache-2.0
package io.grapevine.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class MetadataTest {
  @Test
  void encodesSortedPairsOnePerLine() {
    byte[] bytes = Metadata.encode(Map.of("zone", "eu-1", "role", "web"));
    assertThat(new String(bytes, StandardCharsets.UTF_8)).isEqualTo("role=web\nzone=eu-1");
    assertThat(Metadata.decode(bytes)).containsExactly(Map.entry("role", "web"), Map.entry("zone", "eu-1"));
  }

  @Test
  void emptyMapIsZeroBytes() {
    assertThat(Metadata.encode(Map.of())).isEmpty();
    assertThat(Metadata.decode(new byte[0])).isEmpty();
  }

  @Test
  void valuesMayHoldEqualsSignsAndUnicode() {
    Map<String, String> m = Map.of("k", "a=b=c", "city", "Zürich");
    assertThat(Metadata.decode(Metadata.encode(m))).isEqualTo(m);
  }

  @Test
  void roundTripsRandomMaps() {
    long seed = new SplittableRandom().nextLong();
    SplittableRandom random = new SplittableRandom(seed);
    String keyChars = "abcXYZ019_.-";
    for (int round = 0; round < 500; round++) {
      Map<String, String> m = new TreeMap<>();
      int pairs = random.nextInt(5);
      for (int i = 0; i < pairs; i++) {
        StringBuilder key = new StringBuilder();
        for (int j = 1 + random.nextInt(8); j > 0; j--) {
          key.append(keyChars.charAt(random.nextInt(keyChars.length())));
        }
        StringBuilder value = new StringBuilder();
        for (int j = random.nextInt(10); j > 0; j--) {
          value.append((char) (' ' + random.nextInt(95)));
        }
        m.put(key.toString(), value.toString());
      }
      assertThat(Metadata.decode(Metadata.encode(m))).as("seed %d", seed).isEqualTo(m);
    }
  }

  @Test
  void foreignBytesAreNotDecoded() {
    assertThat(Metadata.decode(new byte[] {(byte) 0xff, 0x00, 0x01})).isNull();
    assertThat(Metadata.decode("no equals sign".getBytes(StandardCharsets.UTF_8))).isNull();
    assertThat(Metadata.decode("bad key!=1".getBytes(StandardCharsets.UTF_8))).isNull();
  }

  @Test
  void parsePairNamesTheBadPair() {
    assertThat(Metadata.parsePair("role=web")).isEqualTo(Map.entry("role", "web"));
    assertThat(Metadata.parsePair("empty=")).isEqualTo(Map.entry("empty", ""));
    assertThatThrownBy(() -> Metadata.parsePair("role")).hasMessageContaining("expected KEY=VALUE").hasMessageContaining("'role'");
    assertThatThrownBy(() -> Metadata.parsePair("=web")).hasMessageContaining("expected KEY=VALUE");
    assertThatThrownBy(() -> Metadata.parsePair("a b=c")).hasMessageContaining("metadata key 'a b'");
  }
}
