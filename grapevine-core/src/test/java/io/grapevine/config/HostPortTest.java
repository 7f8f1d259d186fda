// SPDX-License-Identifier: Apache-2.0
package io.grapevine.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HostPortTest {

  @ParameterizedTest(name = "[{index}] {0}")
  @CsvSource(delimiter = '|', value = {
      "127.0.0.1:7946          | 127.0.0.1        | 7946  | 127.0.0.1:7946",
      "0.0.0.0:0               | 0.0.0.0          | 0     | 0.0.0.0:0",
      "[::1]:7946              | ::1              | 7946  | [::1]:7946",
      "[::]:65535              | ::               | 65535 | [::]:65535",
      "[2001:db8::2:1]:80      | 2001:db8::2:1    | 80    | [2001:db8::2:1]:80",
      "[::ffff:10.0.0.1]:1     | ::ffff:10.0.0.1  | 1     | [::ffff:10.0.0.1]:1",
      "localhost:8946          | localhost        | 8946  | localhost:8946",
      "seeds.example.com:7946  | seeds.example.com | 7946 | seeds.example.com:7946",
      "seeds.example.com.:7946 | seeds.example.com. | 7946 | seeds.example.com.:7946",
      "my_service-2:7946       | my_service-2     | 7946  | my_service-2:7946",
      "'  10.0.0.5:7946 '      | 10.0.0.5         | 7946  | 10.0.0.5:7946",
  })
  void accepts(String text, String host, int port, String canonical) {
    HostPort hp = HostPort.parse(text, 0);
    assertThat(hp.host()).isEqualTo(host);
    assertThat(hp.port()).isEqualTo(port);
    assertThat(hp.toString()).isEqualTo(canonical);
    assertThat(HostPort.error(text, 0)).isNull();
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @CsvSource(delimiter = '|', value = {
      "nowhere            | expected HOST:PORT, got 'nowhere'",
      "127.0.0.1          | expected HOST:PORT, got '127.0.0.1'",
      "host:              | expected HOST:PORT, got 'host:'",
      ":7946              | expected HOST:PORT, got ':7946'",
      "''                 | expected HOST:PORT, got ''",
      "[::1]              | expected HOST:PORT, got '[::1]'",
      "[::1]7946          | expected HOST:PORT, got '[::1]7946'",
      "[::1:7946          | expected HOST:PORT, got '[::1:7946'",
      "::1:7946           | put an IPv6 address in brackets, like [::1]:7946, got '::1:7946'",
      "[10.0.0.1]:7946    | only an IPv6 address goes in brackets, got '[10.0.0.1]:7946'",
      "[zz::1]:7946       | 'zz::1' is not an IPv6 address in '[zz::1]:7946'",
      "[1::2::3]:7946     | '1::2::3' is not an IPv6 address in '[1::2::3]:7946'",
      "host:x             | bad port in 'host:x': expected a number, got 'x'",
      "host:-1            | bad port in 'host:-1': expected a number, got '-1'",
      "host:0             | port must be 1..65535 in 'host:0'",
      "host:65536         | port must be 1..65535 in 'host:65536'",
      "host:99999999999   | port must be 1..65535 in 'host:99999999999'",
      "999.1.1.1:80       | '999.1.1.1' is not an IPv4 address (four numbers 0..255) in '999.1.1.1:80'",
      "1.2.3:80           | '1.2.3' is not an IPv4 address (four numbers 0..255) in '1.2.3:80'",
      "a..b:80            | bad host name 'a..b' in 'a..b:80' (letters, digits, - and _ in dot-separated labels)",
      "-a.b:80            | bad host name '-a.b' in '-a.b:80' (letters, digits, - and _ in dot-separated labels)",
      "a b:80             | bad host name 'a b' in 'a b:80' (letters, digits, - and _ in dot-separated labels)",
      "http://x:80        | expected HOST:PORT, without a scheme or path, got 'http://x:80'",
      "x:80/v1            | expected HOST:PORT, without a scheme or path, got 'x:80/v1'",
  })
  void rejectsWithOneLine(String text, String message) {
    assertThatThrownBy(() -> HostPort.parse(text)).isInstanceOf(IllegalArgumentException.class).hasMessage(message);
    assertThat(HostPort.error(text, 1)).isEqualTo(message);
  }

  @Test
  void portZeroOnlyWhereAllowed() {
    assertThat(HostPort.parse("127.0.0.1:0", 0).port()).isZero();
    assertThat(HostPort.error("127.0.0.1:0", 1)).isEqualTo("port must be 1..65535 in '127.0.0.1:0'");
    assertThat(HostPort.error("127.0.0.1:99999", 0)).isEqualTo("port must be 0..65535 in '127.0.0.1:99999'");
  }

  @Test
  void literalsConvertWithoutLookupAndNamesDoNot() throws Exception {
    assertThat(HostPort.parse("[::1]:1").literalAddress()).isEqualTo(InetAddress.getByName("::1"));
    assertThat(HostPort.parse("10.1.2.3:1").literalAddress().getHostAddress()).isEqualTo("10.1.2.3");
    assertThat(HostPort.parse("10.1.2.3:1").isIpLiteral()).isTrue();
    assertThat(HostPort.parse("[::1]:1").isIpv6()).isTrue();
    HostPort name = HostPort.parse("does-not-exist.invalid:1");
    assertThat(name.isIpLiteral()).isFalse();
    assertThatThrownBy(name::literalAddress).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("host name");
  }

  @Test
  void theConstructorChecksToo() {
    assertThat(new HostPort("::1", 7)).hasToString("[::1]:7");
    assertThatThrownBy(() -> new HostPort("a b", 7)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new HostPort("h", 70000)).hasMessage("port must be 0..65535, got 70000");
  }
}
