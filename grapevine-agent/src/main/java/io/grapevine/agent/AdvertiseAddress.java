// SPDX-License-Identifier: Apache-2.0
package io.grapevine.agent;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Picks the address to advertise when the agent binds a wildcard address (0.0.0.0 or ::) and is
 * given no {@code --advertise}: the host's one private address, as Serf does. {@link #pick} is a
 * pure function over a list of interface addresses so it can be tested with made-up hosts; {@link
 * #hostAddresses()} asks the operating system.
 *
 * <p>Private means: IPv4 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 (RFC 1918), 100.64.0.0/10
 * (RFC 6598, carrier-grade NAT) and 198.18.0.0/15 (RFC 2544, the range test networks use); IPv6
 * unique local fd00::/8 (RFC 4193). Loopback, link-local and public addresses never qualify: a
 * public address is rarely what a cluster inside one network should gossip on, and guessing wrong
 * splits the cluster, so the operator must then name it.
 */
public final class AdvertiseAddress {
  private AdvertiseAddress() {}

  /** One address of one interface, as the operating system lists it. */
  public record HostAddress(String interfaceName, InetAddress address, boolean up, boolean loopback) {}

  /** What {@link #pick} decided: the address to advertise, or the one-line reason there is none. */
  public record Choice(InetAddress address, String interfaceName, String error) {
    /** True when an address was picked. */
    public boolean picked() {
      return address != null;
    }
  }

  /**
   * The one private address among {@code addresses} of the family of the bind address: IPv4 for
   * 0.0.0.0, IPv6 for ::. Interfaces that are down and loopback interfaces are ignored; an address
   * listed on several interfaces counts once.
   *
   * @param ipv6 whether the bind address is {@code ::}
   * @return the chosen address, or an error naming every candidate when there are several, or
   *     saying there is none
   */
  public static Choice pick(List<HostAddress> addresses, boolean ipv6) {
    Map<InetAddress, String> candidates = new LinkedHashMap<>();
    for (HostAddress a : addresses) {
      if (!a.up() || a.loopback() || (a.address() instanceof Inet6Address) != ipv6 || !isPrivate(a.address())) {
        continue;
      }
      candidates.putIfAbsent(a.address(), a.interfaceName());
    }
    String family = ipv6 ? "IPv6 unique-local (fd00::/8)" : "private IPv4 (RFC 1918, RFC 6598 or 198.18.0.0/15)";
    if (candidates.isEmpty()) {
      return new Choice(null, null, "found no " + family + " address on this host to advertise");
    }
    if (candidates.size() > 1) {
      List<String> listed = new ArrayList<>();
      candidates.forEach((addr, iface) -> listed.add(addr.getHostAddress() + " (" + iface + ")"));
      return new Choice(null, null, "found several " + family + " addresses to advertise: "
          + String.join(", ", listed) + "; pick one");
    }
    Map.Entry<InetAddress, String> only = candidates.entrySet().iterator().next();
    return new Choice(only.getKey(), only.getValue(), null);
  }

  /** True for the private ranges listed on the class. */
  public static boolean isPrivate(InetAddress address) {
    byte[] b = address.getAddress();
    if (address instanceof Inet4Address) {
      int a0 = b[0] & 0xff;
      int a1 = b[1] & 0xff;
      return a0 == 10
          || (a0 == 172 && a1 >= 16 && a1 <= 31)
          || (a0 == 192 && a1 == 168)
          || (a0 == 100 && a1 >= 64 && a1 <= 127)
          || (a0 == 198 && (a1 == 18 || a1 == 19));
    }
    return (b[0] & 0xff) == 0xfd;
  }

  /** Every address of every interface of this host. */
  public static List<HostAddress> hostAddresses() throws SocketException {
    List<HostAddress> out = new ArrayList<>();
    for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
      boolean up = nif.isUp();
      boolean loopback = nif.isLoopback();
      for (InetAddress a : Collections.list(nif.getInetAddresses())) {
        // Without the scope the interface adds (fd00::2%eth0): others must not see it.
        try {
          out.add(new HostAddress(nif.getName(), InetAddress.getByAddress(a.getAddress()), up, loopback));
        } catch (java.net.UnknownHostException impossible) {
          throw new IllegalStateException(impossible);
        }
      }
    }
    return out;
  }
}
