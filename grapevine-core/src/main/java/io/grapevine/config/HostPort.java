// SPDX-License-Identifier: Apache-2.0
package io.grapevine.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Objects;

/**
 * A {@code HOST:PORT} address as written in settings, checked but not resolved: the one parser of
 * bind, advertise, seed and HTTP addresses.
 *
 * <p>HOST is an IPv4 address ({@code 10.0.0.5}), an IPv6 address in brackets ({@code [::1]}, {@code
 * [fe80::1%eth0]}) or a host name ({@code seeds.example}, letters, digits, {@code -} and {@code _}
 * in dot-separated labels of at most 63 characters). PORT is a decimal number up to 65535; whether 0
 * ("any free port") is allowed depends on the setting, so {@link #parse(String, int)} takes the
 * lowest port. Parsing never looks a name up; {@link #literalAddress()} converts IP literals, and
 * names are resolved by whoever opens the connection.
 *
 * @param host the host without brackets: {@code ::1} for {@code [::1]:7946}
 * @param port 0..65535
 */
public record HostPort(String host, int port) {

  /** Checks the parts; use {@link #parse} to read text. */
  public HostPort {
    Objects.requireNonNull(host, "host");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port must be 0..65535, got " + port);
    }
    String error = hostError(host, host);
    if (error != null) {
      throw new IllegalArgumentException(error);
    }
  }

  /**
   * Parses {@code HOST:PORT} with a port of 1..65535 (a peer's address: port 0 cannot be dialled).
   *
   * @throws IllegalArgumentException with one line naming the problem and quoting {@code text}
   */
  public static HostPort parse(String text) {
    return parse(text, 1);
  }

  /**
   * Parses {@code HOST:PORT} with a port of {@code minPort}..65535: 0 where "any free port" makes
   * sense (an address to bind), 1 elsewhere.
   *
   * @throws IllegalArgumentException with one line naming the problem and quoting {@code text}
   */
  public static HostPort parse(String text, int minPort) {
    Objects.requireNonNull(text, "text");
    if (minPort < 0 || minPort > 1) {
      throw new IllegalArgumentException("minPort must be 0 or 1, got " + minPort);
    }
    String t = text.strip();
    if (t.contains("://") || t.contains("/")) {
      throw new IllegalArgumentException("expected HOST:PORT, without a scheme or path, got '" + text + "'");
    }
    String host;
    String portText;
    if (t.startsWith("[")) {
      int close = t.indexOf(']');
      if (close < 0 || close + 1 >= t.length() || t.charAt(close + 1) != ':' || close + 2 == t.length()) {
        throw new IllegalArgumentException("expected HOST:PORT, got '" + text + "'");
      }
      host = t.substring(1, close);
      portText = t.substring(close + 2);
      if (host.isEmpty() || host.indexOf(':') < 0) {
        throw new IllegalArgumentException("only an IPv6 address goes in brackets, got '" + text + "'");
      }
    } else {
      int colon = t.lastIndexOf(':');
      if (colon <= 0 || colon == t.length() - 1) {
        throw new IllegalArgumentException("expected HOST:PORT, got '" + text + "'");
      }
      host = t.substring(0, colon);
      portText = t.substring(colon + 1);
      if (host.indexOf(':') >= 0) {
        throw new IllegalArgumentException(
            "put an IPv6 address in brackets, like [::1]:7946, got '" + text + "'");
      }
    }
    int port = -1;
    if (portText.length() <= 5 && portText.chars().allMatch(c -> c >= '0' && c <= '9')) {
      port = Integer.parseInt(portText);
    } else if (!portText.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw new IllegalArgumentException("bad port in '" + text + "': expected a number, got '" + portText + "'");
    }
    if (port < minPort || port > 65535) {
      throw new IllegalArgumentException("port must be " + minPort + "..65535 in '" + text + "'");
    }
    String error = hostError(host, text);
    if (error != null) {
      throw new IllegalArgumentException(error);
    }
    return new HostPort(host, port);
  }

  /**
   * What is wrong with {@code text} as {@code HOST:PORT} with a port of {@code minPort}..65535, or
   * null when it is fine: for callers that collect every problem before reporting.
   */
  public static String error(String text, int minPort) {
    try {
      parse(text, minPort);
      return null;
    } catch (IllegalArgumentException e) {
      return e.getMessage();
    }
  }

  /** True when the host is an IPv6 address. */
  public boolean isIpv6() {
    return host.indexOf(':') >= 0;
  }

  /** True when the host is an IP address, not a name. */
  public boolean isIpLiteral() {
    return isIpv6() || isIpv4(host);
  }

  /**
   * The host as an address, without any name lookup.
   *
   * @throws IllegalStateException when the host is a name, or an IPv6 zone names no interface here
   */
  public InetAddress literalAddress() {
    if (!isIpLiteral()) {
      throw new IllegalStateException("'" + host + "' is a host name, not an IP address");
    }
    try {
      // An IP literal is only checked, never looked up.
      return InetAddress.getByName(isIpv6() ? "[" + host + "]" : host);
    } catch (UnknownHostException e) {
      throw new IllegalStateException("cannot use '" + host + "' here: " + e.getMessage(), e);
    }
  }

  /** {@code HOST:PORT} again, with an IPv6 host in brackets. */
  @Override
  public String toString() {
    return (isIpv6() ? "[" + host + "]" : host) + ":" + port;
  }

  /** Null when {@code host} is a valid IPv4 address, bracket-less IPv6 address or host name. */
  private static String hostError(String host, String text) {
    if (host.isEmpty()) {
      return "expected HOST:PORT, got '" + text + "'";
    }
    if (host.indexOf(':') >= 0) {
      return ipv6Error(host, text);
    }
    if (host.chars().allMatch(c -> (c >= '0' && c <= '9') || c == '.')) {
      return isIpv4(host) ? null : "'" + host + "' is not an IPv4 address (four numbers 0..255) in '" + text + "'";
    }
    if (host.length() > 253 || (host.length() == 253 && host.endsWith("."))) {
      return "host name longer than 253 characters in '" + text + "'";
    }
    String name = host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
    for (String label : name.split("\\.", -1)) {
      boolean ok = !label.isEmpty() && label.length() <= 63 && label.charAt(0) != '-'
          && label.charAt(label.length() - 1) != '-'
          && label.chars().allMatch(c -> Character.isLetterOrDigit(c) && c < 128 || c == '-' || c == '_');
      if (!ok) {
        return "bad host name '" + host + "' in '" + text + "' (letters, digits, - and _ in dot-separated labels)";
      }
    }
    return null;
  }

  private static boolean isIpv4(String host) {
    String[] parts = host.split("\\.", -1);
    if (parts.length != 4) {
      return false;
    }
    for (String p : parts) {
      if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(c -> c >= '0' && c <= '9') || Integer.parseInt(p) > 255) {
        return false;
      }
    }
    return true;
  }

  private static String ipv6Error(String host, String text) {
    int zone = host.indexOf('%');
    String address = zone < 0 ? host : host.substring(0, zone);
    boolean chars = address.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == ':' || c == '.')
        && (zone < 0 || zone < host.length() - 1);
    if (chars) {
      try {
        // With brackets, only a literal is accepted: no lookup can happen.
        InetAddress.getByName("[" + address + "]");
        return null;
      } catch (UnknownHostException e) {
        // fall through
      }
    }
    return "'" + host + "' is not an IPv6 address in '" + text + "'";
  }
}
