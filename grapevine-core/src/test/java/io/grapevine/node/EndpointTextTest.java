// SPDX-License-Identifier: Apache-2.0
package io.grapevine.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;

class EndpointTextTest {
  private static String text(String literal) throws Exception {
    return Endpoint.ipv6Text(InetAddress.getByName(literal).getAddress());
  }

  @Test
  void ipv6IsPrintedInItsCanonicalShortForm() throws Exception {
    assertThat(text("0:0:0:0:0:0:0:1")).isEqualTo("::1");
    assertThat(text("0:0:0:0:0:0:0:0")).isEqualTo("::");
    assertThat(text("2001:db8:0:0:0:0:2:1")).isEqualTo("2001:db8::2:1");
    // A single zero group is not shortened; of two equal runs the first is.
    assertThat(text("2001:db8:0:1:1:1:1:1")).isEqualTo("2001:db8:0:1:1:1:1:1");
    assertThat(text("2001:0:0:1:0:0:1:1")).isEqualTo("2001::1:0:0:1:1");
    assertThat(text("2001:db8:0:0:1:0:0:0")).isEqualTo("2001:db8:0:0:1::");
    assertThat(text("FE80:0000:0000:0000:0202:B3FF:FE1E:8329")).isEqualTo("fe80::202:b3ff:fe1e:8329");
  }

  @Test
  void endpointsPrintAsAddressAndPort() throws Exception {
    assertThat(Endpoint.parse("[::1]:7946").toString()).isEqualTo("[::1]:7946");
    assertThat(Endpoint.parse("127.0.0.1:7946").toString()).isEqualTo("127.0.0.1:7946");
    assertThat(Endpoint.parse("[2001:db8:0:0:0:0:2:1]:80").toString()).isEqualTo("[2001:db8::2:1]:80");
  }

  @Test
  void parseTakesIpLiteralsOnlyWithTheSharedGrammar() {
    assertThat(Endpoint.parse("10.0.0.1:0").port()).isZero();
    assertThatThrownBy(() -> Endpoint.parse("localhost:7946"))
        .hasMessage("expected an IP address, not the host name 'localhost', in 'localhost:7946'");
    assertThatThrownBy(() -> Endpoint.parse("::1:7946"))
        .hasMessage("put an IPv6 address in brackets, like [::1]:7946, got '::1:7946'");
    assertThatThrownBy(() -> Endpoint.parse("10.0.0.1:65536")).hasMessage("port must be 0..65535 in '10.0.0.1:65536'");
  }

  @Test
  void ipv4MappedAddressesKeepTheDottedQuad() {
    byte[] a = new byte[16];
    a[10] = (byte) 0xff;
    a[11] = (byte) 0xff;
    a[12] = (byte) 192;
    a[13] = 0;
    a[14] = 2;
    a[15] = 1;
    assertThat(Endpoint.ipv6Text(a)).isEqualTo("::ffff:192.0.2.1");
  }
}
