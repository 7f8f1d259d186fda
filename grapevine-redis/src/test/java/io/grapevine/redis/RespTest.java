// SPDX-License-Identifier: Apache-2.0
package io.grapevine.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class RespTest {
  static final Resp.Limits LIMITS = new Resp.Limits(8, 16, 64);

  static List<byte[]> read(String s) throws Exception {
    return Resp.readRequest(new ByteArrayInputStream(s.getBytes(StandardCharsets.ISO_8859_1)), LIMITS);
  }

  @Test
  void readsArraysAndInlineCommands() throws Exception {
    assertThat(read("*2\r\n$3\r\nGET\r\n$3\r\nfoo\r\n")).extracting(Resp::str).containsExactly("GET", "foo");
    assertThat(read("PING hello\r\n")).extracting(Resp::str).containsExactly("PING", "hello");
    assertThat(read("")).isNull();
  }

  @Test
  void refusesMalformedAndOversizedRequests() {
    assertThatThrownBy(() -> read("*2\r\n+GET\r\n")).isInstanceOf(Resp.ProtocolException.class)
        .hasMessageContaining("expected '$'");
    assertThatThrownBy(() -> read("*x\r\n")).isInstanceOf(Resp.ProtocolException.class);
    assertThatThrownBy(() -> read("*9\r\n")).isInstanceOf(Resp.ProtocolException.class)
        .hasMessageContaining("multibulk length");
    assertThatThrownBy(() -> read("*1\r\n$17\r\n")).isInstanceOf(Resp.ProtocolException.class)
        .hasMessageContaining("bulk length");
    assertThatThrownBy(() -> read("*1\r\n$3\r\nfooXY")).isInstanceOf(Resp.ProtocolException.class);
    assertThatThrownBy(() -> read("x".repeat(100) + "\r\n")).isInstanceOf(Resp.ProtocolException.class);
  }

  @Test
  void writesReplies() throws Exception {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    Resp.write(b, List.of(Resp.OK, new Resp.Err("ERR x"), 5L, "ab", List.of()));
    Resp.write(b, null);
    assertThat(b.toString(StandardCharsets.ISO_8859_1)).isEqualTo("*5\r\n+OK\r\n-ERR x\r\n:5\r\n$2\r\nab\r\n*0\r\n$-1\r\n");
  }
}
