// SPDX-License-Identifier: Apache-2.0
package io.grapevine.redis;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * RESP2 reading (requests: arrays of bulk strings, or inline commands) and writing (replies),
 * with bounds on every size a peer controls.
 */
public final class Resp {
  private Resp() {}

  /** A malformed request; the server answers {@code -ERR Protocol error: MESSAGE} and closes. */
  public static final class ProtocolException extends IOException {
    private static final long serialVersionUID = 1L;

    ProtocolException(String message) {
      super(message);
    }
  }

  /** A status reply ({@code +OK}). */
  public record Simple(String text) {}

  /** An error reply ({@code -ERR ...}); {@code text} starts with the error code. */
  public record Err(String text) {}

  /** The null array ({@code *-1}). */
  public record NullArray() {}

  /** {@code +OK}. */
  public static final Simple OK = new Simple("OK");

  /** Limits on what a request may be. */
  public record Limits(int maxArgs, int maxBulkBytes, int maxInlineBytes) {}

  /**
   * Reads one request, or returns null at a clean end of stream before it.
   *
   * @throws ProtocolException if it is malformed or over the limits
   */
  public static List<byte[]> readRequest(InputStream in, Limits limits) throws IOException {
    int first = in.read();
    if (first < 0) {
      return null;
    }
    if (first != '*') {
      return inline(first, in, limits);
    }
    long n = readLong(in, "multibulk length");
    if (n > limits.maxArgs()) {
      throw new ProtocolException("invalid multibulk length");
    }
    List<byte[]> args = new ArrayList<>((int) Math.max(n, 0));
    for (long i = 0; i < n; i++) {
      int b = read(in);
      if (b != '$') {
        throw new ProtocolException("expected '$', got '" + printable(b) + "'");
      }
      long len = readLong(in, "bulk length");
      if (len < 0 || len > limits.maxBulkBytes()) {
        throw new ProtocolException("invalid bulk length");
      }
      byte[] data = in.readNBytes((int) len);
      if (data.length != len) {
        throw new EOFException();
      }
      if (read(in) != '\r' || read(in) != '\n') {
        throw new ProtocolException("expected CRLF after bulk string");
      }
      args.add(data);
    }
    return args;
  }

  /**
   * Reads one reply of any type from a server (the replication stream and tests): Long, byte[],
   * null, Simple, Err or List.
   */
  public static Object readReply(InputStream in, Limits limits) throws IOException {
    int t = read(in);
    switch (t) {
      case '+':
        return new Simple(readLine(in, limits.maxInlineBytes()));
      case '-':
        return new Err(readLine(in, limits.maxInlineBytes()));
      case ':':
        return readLong(in, "integer");
      case '$': {
        long len = readLong(in, "bulk length");
        if (len == -1) {
          return null;
        }
        if (len < 0 || len > limits.maxBulkBytes()) {
          throw new ProtocolException("invalid bulk length");
        }
        byte[] data = in.readNBytes((int) len);
        if (data.length != len || read(in) != '\r' || read(in) != '\n') {
          throw new ProtocolException("bad bulk string");
        }
        return data;
      }
      case '*': {
        long n = readLong(in, "multibulk length");
        if (n == -1) {
          return new NullArray();
        }
        if (n < 0 || n > limits.maxArgs()) {
          throw new ProtocolException("invalid multibulk length");
        }
        List<Object> items = new ArrayList<>();
        for (long i = 0; i < n; i++) {
          items.add(readReply(in, limits));
        }
        return items;
      }
      default:
        throw new ProtocolException("unexpected reply type '" + printable(t) + "'");
    }
  }

  private static List<byte[]> inline(int first, InputStream in, Limits limits) throws IOException {
    StringBuilder sb = new StringBuilder();
    int b = first;
    while (b != '\n') {
      if (sb.length() >= limits.maxInlineBytes()) {
        throw new ProtocolException("too big inline request");
      }
      if (b != '\r') {
        sb.append((char) b);
      }
      b = read(in);
    }
    List<byte[]> args = new ArrayList<>();
    for (String part : sb.toString().trim().split("\\s+")) {
      if (!part.isEmpty()) {
        if (part.indexOf('"') >= 0) {
          throw new ProtocolException("unbalanced quotes in request");
        }
        args.add(part.getBytes(StandardCharsets.ISO_8859_1));
      }
    }
    if (args.size() > limits.maxArgs()) {
      throw new ProtocolException("invalid multibulk length");
    }
    return args;
  }

  private static int read(InputStream in) throws IOException {
    int b = in.read();
    if (b < 0) {
      throw new EOFException();
    }
    return b;
  }

  private static String readLine(InputStream in, int max) throws IOException {
    StringBuilder sb = new StringBuilder();
    while (true) {
      int b = read(in);
      if (b == '\r') {
        if (read(in) != '\n') {
          throw new ProtocolException("expected LF after CR");
        }
        return sb.toString();
      }
      if (sb.length() >= max) {
        throw new ProtocolException("line too long");
      }
      sb.append((char) b);
    }
  }

  private static long readLong(InputStream in, String what) throws IOException {
    String line = readLine(in, 24);
    try {
      return Long.parseLong(line);
    } catch (NumberFormatException e) {
      throw new ProtocolException("invalid " + what);
    }
  }

  private static String printable(int b) {
    return b >= 32 && b < 127 ? String.valueOf((char) b) : String.format("\\x%02x", b);
  }

  /** Writes a reply: Simple, Err, Long/Integer, byte[] or String (bulk), null (null bulk), List. */
  public static void write(OutputStream out, Object reply) throws IOException {
    if (reply == null) {
      out.write("$-1\r\n".getBytes(StandardCharsets.US_ASCII));
    } else if (reply instanceof Simple s) {
      out.write(('+' + s.text() + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
    } else if (reply instanceof Err e) {
      out.write(('-' + e.text().replace('\r', ' ').replace('\n', ' ') + "\r\n")
          .getBytes(StandardCharsets.ISO_8859_1));
    } else if (reply instanceof Long || reply instanceof Integer) {
      out.write((":" + reply + "\r\n").getBytes(StandardCharsets.US_ASCII));
    } else if (reply instanceof byte[] b) {
      out.write(('$' + String.valueOf(b.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
      out.write(b);
      out.write('\r');
      out.write('\n');
    } else if (reply instanceof String s) {
      write(out, s.getBytes(StandardCharsets.ISO_8859_1));
    } else if (reply instanceof NullArray) {
      out.write("*-1\r\n".getBytes(StandardCharsets.US_ASCII));
    } else if (reply instanceof List<?> list) {
      out.write(('*' + String.valueOf(list.size()) + "\r\n").getBytes(StandardCharsets.US_ASCII));
      for (Object o : list) {
        write(out, o);
      }
    } else {
      throw new IllegalArgumentException("not a reply: " + reply.getClass());
    }
  }

  /** A request as RESP bytes (arrays of bulk strings). */
  public static byte[] command(List<byte[]> args) {
    java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
    try {
      write(b, new ArrayList<Object>(args));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return b.toByteArray();
  }

  /** ISO-8859-1 bytes of {@code s}: the one-char-per-byte view this server uses for keys. */
  public static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  /** {@code b} as one char per byte. */
  public static String str(byte[] b) {
    return new String(b, StandardCharsets.ISO_8859_1);
  }
}
