// SPDX-License-Identifier: Apache-2.0
package io.grapevine.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class KeySlotTest {

  @Test
  void crc16OfTheCheckStringIsXmodemsCheckValue() {
    assertThat(KeySlot.crc16("123456789".getBytes(StandardCharsets.US_ASCII))).isEqualTo(0x31C3);
  }

  @Test
  void knownSlots() {
    assertThat(KeySlot.slot("foo")).isEqualTo(12182);
    assertThat(KeySlot.slot("bar")).isEqualTo(5061);
    assertThat(KeySlot.slot("")).isEqualTo(0);
  }

  @Test
  void hashTagsPickTheSlot() {
    assertThat(KeySlot.slot("{user1000}.following")).isEqualTo(KeySlot.slot("{user1000}.followers"));
    assertThat(KeySlot.slot("{user1000}.following")).isEqualTo(KeySlot.slot("user1000"));
    // only the first {...}; an empty tag hashes the whole key; an unclosed brace is no tag
    assertThat(KeySlot.slot("foo{bar}{zap}")).isEqualTo(KeySlot.slot("bar"));
    assertThat(KeySlot.slot("foo{}{bar}")).isEqualTo(KeySlot.slot("foo{}{bar}".getBytes(StandardCharsets.US_ASCII)));
    assertThat(KeySlot.slot("foo{}{bar}")).isNotEqualTo(KeySlot.slot("bar"));
    assertThat(KeySlot.slot("foo{{bar}}zap")).isEqualTo(KeySlot.slot("{bar"));
    assertThat(KeySlot.slot("foo{bar")).isEqualTo(KeySlot.crc16("foo{bar".getBytes(StandardCharsets.US_ASCII)) & 16383);
  }

  @Test
  void slotsAreInRange() {
    for (int i = 0; i < 10_000; i++) {
      assertThat(KeySlot.slot("key:" + i)).isBetween(0, KeySlot.SLOTS - 1);
    }
  }
}
