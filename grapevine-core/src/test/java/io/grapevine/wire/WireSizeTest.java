// SPDX-License-Identifier: Apache-2.0
package io.grapevine.wire;

import static org.assertj.core.api.Assertions.assertThat;

import io.grapevine.node.Endpoint;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** WireSize counts exactly what PacketWriter writes. */
class WireSizeTest {
  @Test
  void countsWhatThePacketWriterWrites() {
    Endpoint v4 = Endpoint.of(new InetSocketAddress("127.0.0.1", 7946));
    Endpoint v6 = Endpoint.of(new InetSocketAddress("::1", 7946));
    for (String name : List.of("", "n1", "名前", "émile", "\uD83D\uDE00x", "a\uD800b")) {
      for (int body : List.of(0, 10, 70_000)) {
        Consumer<FieldWriter> fields = w -> w.putByte(1).putShort(2).putInt(3).putLong(4).putString8(name)
            .putEndpoint(v4).putEndpoint(v6).putBytes16(new byte[Math.min(body, 60_000)]).putBytes32(new byte[body]);
        PacketWriter p = new PacketWriter(1 << 20, "c").begin();
        int before = p.remaining();
        p.beginMessage(0xC0);
        fields.accept(p);
        p.endMessage();
        assertThat((long) before - p.remaining()).as(name + " " + body).isEqualTo(WireSize.message(fields));
      }
      assertThat(WireSize.utf8Length(name)).isEqualTo(name.getBytes(StandardCharsets.UTF_8).length);
    }
  }
}
