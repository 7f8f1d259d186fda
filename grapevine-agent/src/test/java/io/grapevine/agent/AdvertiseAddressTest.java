// SPDX-License-Identifier: Apache-2.0
package io.grapevine.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.grapevine.agent.AdvertiseAddress.Choice;
import io.grapevine.agent.AdvertiseAddress.HostAddress;
import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

class AdvertiseAddressTest {
  private static HostAddress up(String iface, String ip) throws Exception {
    return new HostAddress(iface, InetAddress.getByName(ip), true, false);
  }

  @Test
  void privateRanges() throws Exception {
    for (String ip : List.of("10.0.0.1", "10.255.255.255", "172.16.0.1", "172.31.255.1", "192.168.0.1",
        "100.64.0.1", "100.127.255.254", "198.18.0.1", "198.19.255.1", "fd00::1", "fdff::1")) {
      assertThat(AdvertiseAddress.isPrivate(InetAddress.getByName(ip))).as(ip).isTrue();
    }
    for (String ip : List.of("172.15.0.1", "172.32.0.1", "192.169.0.1", "100.63.0.1", "100.128.0.1",
        "198.17.0.1", "198.20.0.1", "192.0.2.1", "8.8.8.8", "127.0.0.1", "169.254.1.1", "fc00::1", "fe80::1",
        "2001:db8::1", "::1")) {
      assertThat(AdvertiseAddress.isPrivate(InetAddress.getByName(ip))).as(ip).isFalse();
    }
  }

  @Test
  void picksTheOnePrivateAddressOfTheBindFamily() throws Exception {
    List<HostAddress> host = List.of(
        new HostAddress("lo", InetAddress.getByName("127.0.0.1"), true, true),
        up("eth0", "203.0.113.7"), up("eth0", "fe80::1"), up("eth1", "10.1.2.3"), up("eth1", "fd12::3"));
    Choice v4 = AdvertiseAddress.pick(host, false);
    assertThat(v4.picked()).isTrue();
    assertThat(v4.address().getHostAddress()).isEqualTo("10.1.2.3");
    assertThat(v4.interfaceName()).isEqualTo("eth1");
    Choice v6 = AdvertiseAddress.pick(host, true);
    assertThat(v6.address()).isEqualTo(InetAddress.getByName("fd12::3"));
  }

  @Test
  void ignoresDownInterfacesAndCountsARepeatedAddressOnce() throws Exception {
    List<HostAddress> host = List.of(
        new HostAddress("eth9", InetAddress.getByName("10.9.9.9"), false, false),
        up("br0", "192.168.5.5"), up("br0-alias", "192.168.5.5"));
    Choice c = AdvertiseAddress.pick(host, false);
    assertThat(c.address().getHostAddress()).isEqualTo("192.168.5.5");
    assertThat(c.interfaceName()).isEqualTo("br0");
  }

  @Test
  void severalCandidatesAreAmbiguous() throws Exception {
    Choice c = AdvertiseAddress.pick(List.of(up("eth0", "10.0.0.1"), up("eth1", "100.64.0.9")), false);
    assertThat(c.picked()).isFalse();
    assertThat(c.error()).contains("several").contains("10.0.0.1 (eth0)").contains("100.64.0.9 (eth1)");
  }

  @Test
  void noCandidateIsAnError() throws Exception {
    Choice c = AdvertiseAddress.pick(List.of(up("eth0", "192.0.2.2"), up("eth0", "fd00::2")), false);
    assertThat(c.picked()).isFalse();
    assertThat(c.error()).startsWith("found no private IPv4");
    assertThat(AdvertiseAddress.pick(List.of(), true).error()).startsWith("found no IPv6 unique-local");
  }
}
