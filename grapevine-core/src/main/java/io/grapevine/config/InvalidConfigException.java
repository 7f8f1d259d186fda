// SPDX-License-Identifier: Apache-2.0
package io.grapevine.config;

import java.util.List;

/**
 * A protocol config builder refused its settings: one {@link #problems() problem} per broken rule,
 * each naming the knob ({@code probeTimeout (2000ms) must be shorter than probeInterval (1000ms)}).
 * The message is {@code invalid <what> config: } and the problems joined by {@code ; }.
 */
public final class InvalidConfigException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;
  private final List<String> problems;

  /**
   * @param what the protocol, as in the message ({@code membership}, {@code anti-entropy})
   * @param problems one rule each, at least one
   */
  public InvalidConfigException(String what, List<String> problems) {
    super("invalid " + what + " config: " + String.join("; ", problems));
    if (problems.isEmpty()) {
      throw new IllegalArgumentException("no problems");
    }
    this.problems = List.copyOf(problems);
  }

  /** Each broken rule, without the {@code invalid ... config} prefix. */
  public List<String> problems() {
    return problems;
  }
}
