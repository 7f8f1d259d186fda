package io.grapevine.runtime;

import io.grapevine.node.Endpoint;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/** Parses and resolves seed addresses: {@code HOST:PORT} and {@code dns:NAME[:PORT]}. */
public final class Seeds {
  /** Port assumed for {@code dns:NAME} without a port. */
  public static final int DEFAULT_PORT = 7946;

  private Seeds() {}

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
      if (seed == null || seed.isBlank()) {
        throw new IllegalArgumentException("empty seed (expected HOST:PORT or dns:NAME[:PORT])");
      }
      String s = seed.trim();
      if (s.startsWith("dns:")) {
        out.addAll(resolveDns(s));
      } else {
        out.add(parseHostPort(s));
      }
    }
    return out;
  }

  /** Parses {@code HOST:PORT} ({@code [v6]:PORT} for IPv6), resolving a host name to one address. */
  public static Endpoint parseHostPort(String text) {
    int colon = text.lastIndexOf(':');
    if (colon <= 0 || colon == text.length() - 1) {
      throw new IllegalArgumentException("expected HOST:PORT, got '" + text + "'");
    }
    String host = text.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    } else if (host.indexOf(':') >= 0) {
      throw new IllegalArgumentException("IPv6 address needs brackets: [ADDR]:PORT, got '" + text + "'");
    }
    int port = port(text, text.substring(colon + 1));
    try {
      return Endpoint.of(new InetSocketAddress(InetAddress.getByName(host), port));
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("cannot resolve host '" + host + "' in '" + text + "'");
    }
  }

  private static List<Endpoint> resolveDns(String text) {
    String rest = text.substring("dns:".length());
    int port = DEFAULT_PORT;
    int colon = rest.lastIndexOf(':');
    if (colon >= 0) {
      port = port(text, rest.substring(colon + 1));
      rest = rest.substring(0, colon);
    }
    if (rest.isEmpty()) {
      throw new IllegalArgumentException("expected dns:NAME[:PORT], got '" + text + "'");
    }
    try {
      List<Endpoint> out = new ArrayList<>();
      for (InetAddress a : InetAddress.getAllByName(rest)) {
        out.add(Endpoint.of(new InetSocketAddress(a, port)));
      }
      return out;
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("no A/AAAA records for '" + rest + "' in '" + text + "'");
    }
  }

  private static int port(String text, String digits) {
    try {
      int port = Integer.parseInt(digits);
      if (port < 1 || port > 65535) {
        throw new NumberFormatException();
      }
      return port;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("bad port '" + digits + "' in '" + text + "' (expected 1..65535)");
    }
  }
}
