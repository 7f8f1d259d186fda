// SPDX-License-Identifier: Apache-2.0
package io.grapevine.config;

import java.util.List;

/**
 * Settings that could not be applied: one line per problem, each naming where the setting came from
 * and the rule it broke, e.g. {@code agent.yaml:12: kv.syncInterval: expected a duration like 250ms,
 * 1.5s, 2m or PT1S, got 'soon'}. The message is the lines joined by newlines.
 */
public final class ConfigException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;
  private final List<String> problems;

  /** @param problems one line each, at least one */
  public ConfigException(List<String> problems) {
    super(String.join("\n", problems));
    if (problems.isEmpty()) {
      throw new IllegalArgumentException("no problems");
    }
    this.problems = List.copyOf(problems);
  }

  /** One line per problem, each starting with its source. */
  public List<String> problems() {
    return problems;
  }
}
