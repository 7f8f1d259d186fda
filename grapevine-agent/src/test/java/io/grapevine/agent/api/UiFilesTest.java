// SPDX-License-Identifier: Apache-2.0
package io.grapevine.agent.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.grapevine.api.MemberState;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The dashboard's files at /ui/: fixed names only, a strict policy, and the API behind the token. */
class UiFilesTest {
  private final FakeCluster cluster = new FakeCluster("n1").put("n2", MemberState.ALIVE, "zone=a");
  private final HttpClient http = HttpClient.newHttpClient();
  private ApiServer server;

  private void start(String token) throws Exception {
    var registry = ClusterMetrics.registry(cluster);
    server = new ApiServer(new InetSocketAddress("127.0.0.1", 0), cluster, () -> registry, token,
        () -> Map.of("profile", "local"), Duration.ofSeconds(1), () -> {});
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  private HttpResponse<String> call(String method, String path, String token) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.address().getPort() + path))
        .method(method, HttpRequest.BodyPublishers.noBody());
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** The request line exactly as given (no client normalizes it): status line and the whole answer. */
  private String raw(String target) throws Exception {
    try (Socket s = new Socket("127.0.0.1", server.address().getPort())) {
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      out.write(("GET " + target + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
          .getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = s.getInputStream();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void servesThePageWithItsMediaTypesAndAStrictPolicy() throws Exception {
    start(null);
    HttpResponse<String> page = call("GET", "/ui/", null);
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
    String csp = page.headers().firstValue("Content-Security-Policy").orElseThrow();
    assertThat(csp).contains("default-src 'none'", "script-src 'self'", "connect-src 'self'", "frame-ancestors 'none'")
        .doesNotContain("unsafe-inline", "unsafe-eval");
    assertThat(page.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
    assertThat(page.body()).contains("<script src=\"app.js\"", "id=\"members\"").doesNotContain("<script>");
    HttpResponse<String> js = call("GET", "/ui/app.js", null);
    assertThat(js.statusCode()).isEqualTo(200);
    assertThat(js.headers().firstValue("Content-Type")).hasValue("text/javascript; charset=utf-8");
    assertThat(js.headers().firstValue("Content-Security-Policy")).hasValue(csp);
    HttpResponse<String> css = call("GET", "/ui/app.css", null);
    assertThat(css.headers().firstValue("Content-Type")).hasValue("text/css; charset=utf-8");
    assertThat(call("HEAD", "/ui/", null).statusCode()).isEqualTo(200);
    assertThat(call("POST", "/ui/", null).statusCode()).isEqualTo(405);
  }

  @Test
  void rootAndUiRedirectToThePage() throws Exception {
    start("s3cret");
    for (String path : List.of("/", "/ui")) {
      HttpResponse<String> r = call("GET", path, null);
      assertThat(r.statusCode()).as(path).isEqualTo(302);
      assertThat(r.headers().firstValue("Location")).as(path).hasValue("/ui/");
    }
  }

  @Test
  void unknownNamesAndTraversalAre404() throws Exception {
    start(null);
    assertThat(call("GET", "/ui/x", null).statusCode()).isEqualTo(404);
    assertThat(call("GET", "/ui/app.js.map", null).statusCode()).isEqualTo(404);
    String js = call("GET", "/ui/app.js", null).body();
    for (String target : List.of(
        "/ui/../pom.xml",
        "/ui/../../../../etc/passwd",
        "/ui/..%2f..%2f..%2fetc%2fpasswd",
        "/ui/%2e%2e/%2e%2e/etc/passwd",
        "/ui/%2E%2E%2Fapp.js",
        "/ui/..%5c..%5capp.js",
        "/ui/..\\app.js",
        "/ui//app.js",
        "/ui/./app.js",
        "/ui/%61pp.js",
        "/ui/app.js%00.html",
        "/ui/../ui/app.js",
        "/ui/../io/grapevine/agent/ui/app.js",
        "/ui/../v1/members",
        "/ui/%2e%2e/v1/members")) {
      String answer = raw(target);
      // 404 from the dashboard, or 400 when the JDK's server refuses the request line itself.
      assertThat(answer).as(target).matches("(?s)HTTP/1\\.1 (404|400 Bad Request).*");
      assertThat(answer).as(target).doesNotContain("root:", "'use strict'", "\"members\"");
    }
    assertThat(js).contains("'use strict'");
  }

  @Test
  void withATokenThePageIsServedButEveryApiCallItMakesNeedsTheToken() throws Exception {
    start("s3cret");
    assertThat(call("GET", "/ui/", null).statusCode()).isEqualTo(200);
    assertThat(call("GET", "/ui/app.js", null).statusCode()).isEqualTo(200);
    // Every API path the page's script names, read from the script itself.
    String js = call("GET", "/ui/app.js", null).body();
    Matcher m = Pattern.compile("'(/(?:v1/[a-z/-]*|metrics))").matcher(js);
    TreeSet<String> paths = new TreeSet<>();
    while (m.find()) {
      paths.add(m.group(1));
    }
    assertThat(paths).contains("/v1/members", "/v1/monitor", "/v1/events/watch", "/v1/info", "/metrics",
        "/v1/aggregates", "/v1/coordinates", "/v1/kv/", "/v1/tree", "/v1/tree/value");
    for (String path : paths) {
      String p = path.endsWith("/") ? path + "config" : path;
      // HEAD: a stream answers with its headers only, after the same token check.
      assertThat(call("HEAD", p, null).statusCode()).as(p).isEqualTo(401);
      assertThat(call("HEAD", p, "wrong").statusCode()).as(p).isEqualTo(401);
      assertThat(call("HEAD", p, "s3cret").statusCode()).as(p).isNotEqualTo(401);
    }
    assertThat(call("GET", "/v1/members", "s3cret").body()).contains("\"n2\"");
  }
}
