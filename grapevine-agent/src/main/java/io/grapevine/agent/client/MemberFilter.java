// SPDX-License-Identifier: Apache-2.0
package io.grapevine.agent.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The member filters of {@code grapevine members} (Serf's {@code -status}, {@code -name}, {@code
 * -tag}), applied to the JSON of {@code GET /v1/members}. Every filter must match; a regular
 * expression must match the whole value.
 */
final class MemberFilter {
  private static final Set<String> STATES = Set.of("alive", "suspect", "dead", "left");

  private final Set<String> states;
  private final Pattern name;
  private final Map<String, Pattern> tags;

  private MemberFilter(Set<String> states, Pattern name, Map<String, Pattern> tags) {
    this.states = states;
    this.name = name;
    this.tags = tags;
  }

  /**
   * @throws IllegalArgumentException one line naming the bad option, for an unknown state, a
   *     malformed regular expression or a tag filter without {@code =}
   */
  static MemberFilter parse(List<String> status, String nameRegex, List<String> tagFilters) {
    List<String> wanted = new ArrayList<>();
    for (String s : status) {
      String st = s.strip().toLowerCase(Locale.ROOT);
      if (!STATES.contains(st)) {
        throw new IllegalArgumentException("--status: unknown state '" + s + "' (known: alive, suspect, dead, left)");
      }
      wanted.add(st);
    }
    Pattern n = nameRegex == null ? null : compile("--name", nameRegex);
    Map<String, Pattern> t = new LinkedHashMap<>();
    for (String f : tagFilters) {
      int eq = f.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("--tag: expected KEY=REGEX, got '" + f + "'");
      }
      t.put(f.substring(0, eq), compile("--tag " + f.substring(0, eq), f.substring(eq + 1)));
    }
    return new MemberFilter(Set.copyOf(wanted), n, t);
  }

  private static Pattern compile(String option, String regex) {
    try {
      return Pattern.compile(regex);
    } catch (PatternSyntaxException e) {
      throw new IllegalArgumentException(option + ": bad regular expression '" + regex + "': "
          + e.getDescription());
    }
  }

  boolean matches(JsonNode member) {
    if (!states.isEmpty() && !states.contains(member.path("state").asText())) {
      return false;
    }
    if (name != null && !name.matcher(member.path("name").asText()).matches()) {
      return false;
    }
    for (Map.Entry<String, Pattern> e : tags.entrySet()) {
      JsonNode v = member.path("metadata").get(e.getKey());
      if (v == null || !e.getValue().matcher(v.asText()).matches()) {
        return false;
      }
    }
    return true;
  }
}
