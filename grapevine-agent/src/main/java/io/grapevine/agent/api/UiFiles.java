// SPDX-License-Identifier: Apache-2.0
package io.grapevine.agent.api;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The dashboard's static files, served at {@code /ui/} from the agent's own jar. Only the names in a
 * fixed table are served, looked up by the exact raw request path: no path is ever joined to a
 * directory, so no spelling of {@code ..} (plain, percent-encoded or doubled) can reach another
 * resource. The files hold no data: the page reads everything through the API, which asks for the
 * token as usual, so they are served without one.
 */
final class UiFiles {
  /**
   * Everything the page loads comes from this origin: its own script and style (no inline code, no
   * eval), and API calls to the same address. Framing is refused.
   */
  static final String CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self';"
      + " connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

  /** A file of the page: where it lies on the class path and its media type. */
  record File(String resource, String contentType) {}

  /** Request path to file; nothing outside this table is served. */
  private static final Map<String, File> FILES = Map.of(
      "/ui/", new File("index.html", "text/html; charset=utf-8"),
      "/ui/index.html", new File("index.html", "text/html; charset=utf-8"),
      "/ui/app.js", new File("app.js", "text/javascript; charset=utf-8"),
      "/ui/app.css", new File("app.css", "text/css; charset=utf-8"));

  private static final Map<String, byte[]> CACHE = new ConcurrentHashMap<>();

  private UiFiles() {}

  /** True for the paths the dashboard owns: {@code /}, {@code /ui} and everything under {@code /ui/}. */
  static boolean owns(String rawPath) {
    return rawPath.equals("/") || rawPath.equals("/ui") || rawPath.startsWith("/ui/");
  }

  /** The file served at {@code rawPath}, or null. */
  static File lookup(String rawPath) {
    return FILES.get(rawPath);
  }

  /** The bytes of a file of the table, read once from the jar. */
  static byte[] bytes(File f) {
    return CACHE.computeIfAbsent(f.resource(), name -> {
      try (InputStream in = UiFiles.class.getResourceAsStream("/io/grapevine/agent/ui/" + name)) {
        if (in == null) {
          throw new IllegalStateException("the jar lacks the dashboard file " + name);
        }
        return in.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
  }
}
