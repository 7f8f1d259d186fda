// SPDX-License-Identifier: Apache-2.0
package io.grapevine.runtime;

import io.grapevine.config.HostPort;
import io.grapevine.node.Endpoint;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Parses and resolves seed addresses: {@code HOST:PORT} (read by {@link HostPort}) and {@code
 * dns:NAME[:PORT]}.
 */
public final class Seeds {
  /** Port assumed for {@code dns:NAME} without a port. */
  public static final int DEFAULT_PORT = 7946;

  private static final String DNS = "dns:";

  private Seeds() {}

  /**
   * What is wrong with {@code seed} as {@code HOST:PORT} or {@code dns:NAME[:PORT]}, or null when it
   * is fine. Only the syntax is checked: no name is looked up.
   */
  public static String syntaxError(String seed) {
    if (seed == null || seed.isBlank()) {
      return "empty seed (expected HOST:PORT or dns:NAME[:PORT])";
    }
    String s = seed.strip();
    if (s.startsWith(DNS)) {
      String rest = s.substring(DNS.length());
      String error = rest.isEmpty() ? "empty name" : HostPort.error(withPort(rest), 1);
      return error == null ? null : "expected dns:NAME or dns:NAME:PORT, got '" + seed + "' (" + error + ")";
    }
    return HostPort.error(s, 1);
  }

  /**
   * Resolves every seed now. {@code dns:NAME[:PORT]} yields one endpoint per A and AAAA record.
   *
   * @throws IllegalArgumentException naming the first seed that is malformed or does not resolve
   */
  public static List<Endpoint> resolve(Collection<String> seeds) {
    if (seeds == null || seeds.isEmpty()) {
      throw new IllegalArgumentException("no seeds given (expected HOST:PORT or dns:NAME[:PORT])");
    }
    List<Endpoint> out = new ArrayList<>();
    for (String seed : seeds) {
      String error = syntaxError(seed);
      if (error != null) {
        throw new IllegalArgumentException(error);
      }
      String s = seed.strip();
      if (s.startsWith(DNS)) {
        out.addAll(resolveDns(s));
      } else {
        out.add(resolve(HostPort.parse(s)));
      }
    }
    return out;
  }

  /** Parses {@code HOST:PORT} ({@code [v6]:PORT} for IPv6), resolving a host name to one address. */
  public static Endpoint parseHostPort(String text) {
    return resolve(HostPort.parse(text));
  }

  /**
   * The endpoint of {@code hostPort}: an IP literal as it is, a name resolved to one address.
   *
   * @throws IllegalArgumentException when the name does not resolve
   */
  public static Endpoint resolve(HostPort hostPort) {
    if (hostPort.isIpLiteral()) {
      return Endpoint.of(new InetSocketAddress(hostPort.literalAddress(), hostPort.port()));
    }
    try {
      return Endpoint.of(new InetSocketAddress(InetAddress.getByName(hostPort.host()), hostPort.port()));
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("cannot resolve host '" + hostPort.host() + "' in '" + hostPort + "'");
    }
  }

  private static List<Endpoint> resolveDns(String text) {
    HostPort hp = HostPort.parse(withPort(text.substring(DNS.length())));
    try {
      List<Endpoint> out = new ArrayList<>();
      for (InetAddress a : InetAddress.getAllByName(hp.host())) {
        out.add(Endpoint.of(new InetSocketAddress(a, hp.port())));
      }
      return out;
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("no A/AAAA records for '" + hp.host() + "' in '" + text + "'");
    }
  }

  /** {@code NAME} gets the default port; {@code NAME:PORT} keeps its own. */
  private static String withPort(String nameAndPort) {
    return nameAndPort.indexOf(':') >= 0 ? nameAndPort : nameAndPort + ":" + DEFAULT_PORT;
  }
}
