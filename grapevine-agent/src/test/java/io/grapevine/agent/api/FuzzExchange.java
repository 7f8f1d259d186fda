// SPDX-License-Identifier: Apache-2.0
package io.grapevine.agent.api;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpPrincipal;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;

/**
 * One request as the JDK's HTTP server hands it to a handler, in memory. A streamed answer (a
 * watch) sees its client gone at the first write, so the handler ends it at once.
 */
final class FuzzExchange extends HttpExchange {
  private final String method;
  private final URI uri;
  private final Headers requestHeaders;
  private final Headers responseHeaders = new Headers();
  private final InputStream body;
  private final ByteArrayOutputStream responseBody = new ByteArrayOutputStream();
  private int status = -1;
  private boolean streaming;

  FuzzExchange(String method, URI uri, Headers requestHeaders, byte[] body) {
    this.method = method;
    this.uri = uri;
    this.requestHeaders = requestHeaders;
    this.body = new ByteArrayInputStream(body);
  }

  int status() {
    return status;
  }

  byte[] responseBytes() {
    return responseBody.toByteArray();
  }

  @Override
  public Headers getRequestHeaders() {
    return requestHeaders;
  }

  @Override
  public Headers getResponseHeaders() {
    return responseHeaders;
  }

  @Override
  public URI getRequestURI() {
    return uri;
  }

  @Override
  public String getRequestMethod() {
    return method;
  }

  @Override
  public HttpContext getHttpContext() {
    return null;
  }

  @Override
  public void close() {}

  @Override
  public InputStream getRequestBody() {
    return body;
  }

  @Override
  public OutputStream getResponseBody() {
    return new OutputStream() {
      @Override
      public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        if (streaming) {
          throw new IOException("client gone");
        }
        responseBody.write(b, off, len);
      }
    };
  }

  @Override
  public void sendResponseHeaders(int rCode, long responseLength) throws IOException {
    if (status != -1) {
      throw new IOException("headers already sent");
    }
    status = rCode;
    streaming = responseLength == 0;
  }

  @Override
  public InetSocketAddress getRemoteAddress() {
    return new InetSocketAddress("127.0.0.1", 40000);
  }

  @Override
  public int getResponseCode() {
    return status;
  }

  @Override
  public InetSocketAddress getLocalAddress() {
    return new InetSocketAddress("127.0.0.1", 8946);
  }

  @Override
  public String getProtocol() {
    return "HTTP/1.1";
  }

  @Override
  public Object getAttribute(String name) {
    return null;
  }

  @Override
  public void setAttribute(String name, Object value) {}

  @Override
  public void setStreams(InputStream i, OutputStream o) {}

  @Override
  public HttpPrincipal getPrincipal() {
    return null;
  }
}
