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
    super(String.join("\n", problems));
    this.problems = List.copyOf(problems);
  }

  /** One line per bad setting. */
  public List<String> problems() {
    return problems;
  }
}
