// SPDX-License-Identifier: Apache-2.0
package io.grapevine.agent.api;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.sun.net.httpserver.Headers;
import io.grapevine.api.MemberState;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

/**
 * The HTTP API's request handling on arbitrary requests: the real {@link ApiServer#handle} (routing,
 * the bearer token, bodies, JSON, the answers' serialization) in process, over a scripted cluster.
 * A bad request gets a 4xx; a 500 or an exception escaping the handler is a finding (503 is the API's
 * documented answer when the node cannot serve, e.g. too many watches).
 *
 * <p>Input: an HTTP/1.1 request as text, {@code METHOD TARGET}, header lines, an empty line, the
 * body. A request the JDK's server would refuse before any handler (a target that is no URI, a
 * header line without a colon) is skipped. Corpus: {@code
 * src/test/resources/io/grapevine/agent/api/ApiFuzzTestInputs/fuzz/}, one seed per endpoint.
 */
class ApiFuzzTest {
  static final String TOKEN = "fuzz-token";
  private static final FakeCluster CLUSTER = new FakeCluster("n1");
  private static final io.micrometer.prometheusmetrics.PrometheusMeterRegistry METRICS =
      ClusterMetrics.registry(CLUSTER);
  private static final java.util.function.Supplier<io.micrometer.prometheusmetrics.PrometheusMeterRegistry> REGISTRY =
      () -> METRICS;
  private static final ApiServer SERVER = start();

  private static ApiServer start() {
    try {
      // Bound once on loopback, as the agent does, but never sent to: requests come in process.
      return new ApiServer(ApiServer.bind(new InetSocketAddress("127.0.0.1", 0)), CLUSTER,
          REGISTRY, TOKEN, () -> Map.of("profile", "local"), Duration.ofSeconds(1),
          () -> {});
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  @FuzzTest(maxDuration = "30m")
  void fuzz(byte[] input) throws IOException {
    FuzzExchange ex = parse(input);
    if (ex == null) {
      return;
    }
    reset();
    SERVER.handle(ex);
    int status = ex.status();
    if (status == 500 || status < 200 || status > 599 || (status >= 500 && status != 503)) {
      throw new AssertionError("status " + status + " for " + ex.getRequestMethod() + " " + ex.getRequestURI()
          + ": " + new String(ex.responseBytes(), StandardCharsets.UTF_8));
    }
  }

  /** The cluster as every input finds it: three members in three states, no data. */
  private static void reset() {
    CLUSTER.members.keySet().retainAll(java.util.Set.of("n1"));
    CLUSTER.put("n2", MemberState.ALIVE, "zone=a").put("n3", MemberState.DEAD, "").put("n4", MemberState.LEFT, "");
    CLUSTER.joins.clear();
    CLUSTER.forced.clear();
    CLUSTER.maps.clear();
    CLUSTER.aggregates.estimates.clear();
    CLUSTER.events.subs.clear();
  }

  /** The request in {@code input}, or null if the JDK's server would not hand it to a handler. */
  static FuzzExchange parse(byte[] input) {
    int split = indexOf(input, new byte[] {'\n', '\n'});
    String head = new String(input, 0, split < 0 ? input.length : split, StandardCharsets.UTF_8);
    byte[] body = split < 0 ? new byte[0] : java.util.Arrays.copyOfRange(input, split + 2, input.length);
    String[] lines = head.split("\r?\n", -1);
    String[] requestLine = lines[0].split(" ", 2);
    if (requestLine.length != 2 || requestLine[0].isEmpty() || !requestLine[0].chars().allMatch(ApiFuzzTest::tokenChar)) {
      return null;
    }
    URI uri;
    try {
      uri = new URI(requestLine[1]);
    } catch (URISyntaxException e) {
      return null;
    }
    if (uri.getRawPath() == null || !uri.getRawPath().startsWith("/")) {
      return null;
    }
    Headers headers = new Headers();
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      if (colon <= 0 || !lines[i].substring(0, colon).chars().allMatch(ApiFuzzTest::tokenChar)) {
        return null;
      }
      try {
        headers.add(lines[i].substring(0, colon), lines[i].substring(colon + 1).strip());
      } catch (IllegalArgumentException e) {
        return null; // a value the server's own header parsing refuses (a bare CR)
      }
    }
    return new FuzzExchange(requestLine[0], uri, headers, body);
  }

  private static boolean tokenChar(int c) {
    return c > 32 && c < 127 && "()<>@,;:\\\"/[]?={}".indexOf(c) < 0;
  }

  private static int indexOf(byte[] a, byte[] b) {
    outer:
    for (int i = 0; i + b.length <= a.length; i++) {
      for (int j = 0; j < b.length; j++) {
        if (a[i + j] != b[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
