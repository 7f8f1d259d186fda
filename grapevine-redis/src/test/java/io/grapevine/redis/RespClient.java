// SPDX-License-Identifier: Apache-2.0
package io.grapevine.redis;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;

/** A minimal blocking RESP client for tests: raw bytes in, parsed replies out. */
final class RespClient implements AutoCloseable {
  private static final Resp.Limits LIMITS = new Resp.Limits(1 << 20, 1 << 24, 1 << 16);
  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;

  RespClient(int port) throws IOException {
    socket = new Socket();
    socket.connect(new InetSocketAddress("127.0.0.1", port), 2000);
    socket.setSoTimeout(5000);
    in = new BufferedInputStream(socket.getInputStream());
    out = socket.getOutputStream();
  }

  Object call(String... args) throws IOException {
    List<byte[]> a = new ArrayList<>();
    for (String s : args) {
      a.add(Resp.bytes(s));
    }
    out.write(Resp.command(a));
    out.flush();
    return reply();
  }

  void sendRaw(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
  }

  Object reply() throws IOException {
    return strings(Resp.readReply(in, LIMITS));
  }

  /** Bulk strings as Strings, at every depth. */
  private static Object strings(Object r) {
    if (r instanceof byte[] b) {
      return Resp.str(b);
    }
    if (r instanceof List<?> l) {
      List<Object> out = new ArrayList<>();
      for (Object o : l) {
        out.add(strings(o));
      }
      return out;
    }
    return r;
  }

  /** -1 once the server has closed the connection. */
  int readByte() throws IOException {
    return in.read();
  }

  static Object call(int port, String... args) throws IOException {
    try (RespClient c = new RespClient(port)) {
      return c.call(args);
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
