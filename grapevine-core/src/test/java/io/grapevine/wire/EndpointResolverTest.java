// SPDX-License-Identifier: Apache-2.0
package io.grapevine.wire;

import static org.assertj.core.api.Assertions.assertThat;

import io.grapevine.node.Endpoint;
import org.junit.jupiter.api.Test;

class EndpointResolverTest {
  static final Endpoint KNOWN = Endpoint.ipv4(10 << 24 | 7, 7946);
  static final Endpoint OTHER = Endpoint.ipv4(10 << 24 | 8, 7947);
  static final Endpoint V6 = Endpoint.parse("[::1]:7946");

  /** A packet with three endpoints: one the resolver knows, one it does not, one IPv6. */
  static PacketReader read(EndpointResolver resolver) throws MalformedPacketException {
    PacketWriter w = new PacketWriter(256, "c");
    w.begin().beginMessage(MessageType.PING).putEndpoint(KNOWN).putEndpoint(OTHER).putEndpoint(V6).putByte(42)
        .endMessage();
    PacketReader r = new PacketReader("c");
    r.endpointResolver(resolver);
    r.open(w.finish());
    assertThat(r.nextMessage()).isTrue();
    return r;
  }

  @Test
  void knownAddressesDecodeToTheSharedInstanceAndTheRestAsBefore() throws Exception {
    int[] asked = new int[1];
    PacketReader r = read((address, port) -> {
      asked[0]++;
      return address == (10 << 24 | 7) && port == 7946 ? KNOWN : null;
    });
    assertThat(r.getEndpoint()).isSameAs(KNOWN);
    Endpoint other = r.getEndpoint();
    assertThat(other).isEqualTo(OTHER).isNotSameAs(OTHER);
    assertThat(r.getEndpoint()).isEqualTo(V6);
    assertThat(r.getByte()).as("the reader is past all three endpoints").isEqualTo(42);
    assertThat(asked[0]).as("asked for IPv4 addresses only").isEqualTo(2);
  }

  @Test
  void withoutAResolverEveryEndpointIsNew() throws Exception {
    PacketReader r = read(null);
    assertThat(r.getEndpoint()).isEqualTo(KNOWN).isNotSameAs(KNOWN);
    assertThat(r.getEndpoint()).isEqualTo(OTHER);
    assertThat(r.getEndpoint()).isEqualTo(V6);
    assertThat(r.getByte()).isEqualTo(42);
  }
}
