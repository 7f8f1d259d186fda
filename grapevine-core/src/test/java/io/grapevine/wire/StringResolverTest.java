// SPDX-License-Identifier: Apache-2.0
package io.grapevine.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class StringResolverTest {
  static final String KNOWN = new String("node-7".getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8);

  /** A message with two strings, one the resolver knows, then a byte. */
  static PacketReader read(StringResolver strings) throws MalformedPacketException {
    PacketWriter w = new PacketWriter(256, "c");
    w.begin().beginMessage(MessageType.PING).putString8("node-7").putString8("node-8").putByte(42).endMessage();
    PacketReader r = new PacketReader("c");
    r.stringResolver(strings);
    r.open(w.finish());
    assertThat(r.nextMessage()).isTrue();
    return r;
  }

  static StringResolver knowing(String s, int[] asked) {
    byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
    return (array, from, length) -> {
      asked[0]++;
      return Arrays.equals(array, from, from + length, utf8, 0, utf8.length) ? s : null;
    };
  }

  @Test
  void knownStringsDecodeToTheSharedInstanceAndTheRestAsBefore() throws Exception {
    int[] asked = new int[1];
    PacketReader r = read(knowing(KNOWN, asked));
    assertThat(r.getString8()).isSameAs(KNOWN);
    String other = r.getString8();
    assertThat(other).isEqualTo("node-8");
    assertThat(r.getByte()).as("the reader is past both strings").isEqualTo(42);
    assertThat(asked[0]).isEqualTo(2);
  }

  @Test
  void withoutAResolverEveryStringIsNew() throws Exception {
    PacketReader r = read(null);
    assertThat(r.getString8()).isEqualTo(KNOWN).isNotSameAs(KNOWN);
    assertThat(r.getString8()).isEqualTo("node-8");
    assertThat(r.getByte()).isEqualTo(42);
  }

  @Test
  void invalidUtf8TheResolverDoesNotKnowIsStillRejected() throws Exception {
    PacketWriter w = new PacketWriter(256, "c");
    w.begin().beginMessage(MessageType.PING).putByte(2).putByte(0xC3).putByte(0x28).endMessage();
    PacketReader r = new PacketReader("c");
    r.stringResolver(knowing(KNOWN, new int[1]));
    r.open(w.finish());
    assertThat(r.nextMessage()).isTrue();
    assertThatThrownBy(r::getString8).isInstanceOf(MalformedPacketException.class).hasMessageContaining("UTF-8");
  }

  @Test
  void aNestedReaderSharesTheResolvers() throws Exception {
    int[] asked = new int[1];
    PacketReader outer = new PacketReader("c");
    outer.stringResolver(knowing(KNOWN, asked));
    PacketReader inner = new PacketReader("c");
    inner.shareResolvers(outer);
    PacketWriter w = new PacketWriter(256, "c");
    w.begin().beginMessage(MessageType.PING).putString8("node-7").endMessage();
    inner.open(w.finish());
    assertThat(inner.nextMessage()).isTrue();
    assertThat(inner.getString8()).isSameAs(KNOWN);
  }
}
