// SPDX-License-Identifier: Apache-2.0
package io.grapevine.agent;

import java.util.List;

/** Bad settings: each element of {@link #problems()} is one line naming one bad setting. */
public final class SettingsException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final List<String> problems;

  public SettingsException(String problem) {
    this(List.of(problem));
  }

  public SettingsException(List<String> problems) {
    super(String.join("\n", problems.stream().map(SettingsException::oneLine).toList()));
    this.problems = problems.stream().map(SettingsException::oneLine).toList();
  }

  /**
   * A problem quotes what the user wrote (a key, a value), which may hold a line break or another
   * control character (a properties file's {@code \n} escape): shown escaped, it stays one line.
   */
  static String oneLine(String problem) {
    StringBuilder b = null;
    for (int i = 0; i < problem.length(); i++) {
      char c = problem.charAt(i);
      if (!Character.isISOControl(c)) {
        if (b != null) {
          b.append(c);
        }
        continue;
      }
      if (b == null) {
        b = new StringBuilder(problem.length() + 8).append(problem, 0, i);
      }
      switch (c) {
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> b.append(String.format("\\u%04x", (int) c));
      }
    }
    return b == null ? problem : b.toString();
  }

  /** One line per bad setting. */
  public List<String> problems() {
    return problems;
  }
}
