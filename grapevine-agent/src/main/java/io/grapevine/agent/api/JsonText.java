// SPDX-License-Identifier: Apache-2.0
package io.grapevine.agent.api;

import java.util.Base64;
import java.util.Collection;
import java.util.Map;

/**
 * Writes the API's response bodies (maps, lists, strings, numbers, booleans and nulls) as JSON text,
 * laid out as Jackson's default pretty printer lays them out, so that clients see the same text as
 * before. The agent answers every read with it and so needs no JSON library loaded while it idles:
 * the data-binding library costs hundreds of classes (about 2 MiB resident) for the life of the
 * process, and is now loaded only if a request carries a JSON body.
 */
final class JsonText {
  private JsonText() {}

  /** {@code value} pretty-printed: two-space indented objects, arrays on one line. */
  static String pretty(Object value) {
    StringBuilder out = new StringBuilder(256);
    write(out, value, 0, true);
    return out.toString();
  }

  /** {@code value} on one line without spaces, for server-sent event data. */
  static String compact(Object value) {
    StringBuilder out = new StringBuilder(128);
    write(out, value, 0, false);
    return out.toString();
  }

  private static void write(StringBuilder out, Object v, int depth, boolean pretty) {
    if (v == null) {
      out.append("null");
    } else if (v instanceof CharSequence || v instanceof Character) {
      string(out, v.toString());
    } else if (v instanceof Boolean || v instanceof Integer || v instanceof Long || v instanceof Short
        || v instanceof Byte || v instanceof java.math.BigInteger || v instanceof java.math.BigDecimal) {
      out.append(v);
    } else if (v instanceof Double || v instanceof Float) {
      double d = ((Number) v).doubleValue();
      // As Jackson writes them by default: NaN and the infinities as strings, not bare tokens.
      if (Double.isNaN(d) || Double.isInfinite(d)) {
        string(out, v.toString());
      } else {
        out.append(v);
      }
    } else if (v instanceof Number n) {
      out.append(n.toString());
    } else if (v instanceof Enum<?> e) {
      string(out, e.name());
    } else if (v instanceof byte[] b) {
      string(out, Base64.getEncoder().encodeToString(b));
    } else if (v instanceof Map<?, ?> m) {
      object(out, m, depth, pretty);
    } else if (v instanceof Collection<?> c) {
      array(out, c, depth, pretty);
    } else if (v instanceof Object[] a) {
      array(out, java.util.Arrays.asList(a), depth, pretty);
    } else {
      throw new IllegalArgumentException("no JSON form for " + v.getClass().getName());
    }
  }

  private static void object(StringBuilder out, Map<?, ?> m, int depth, boolean pretty) {
    out.append('{');
    if (m.isEmpty()) {
      out.append(pretty ? " }" : "}");
      return;
    }
    boolean first = true;
    for (Map.Entry<?, ?> e : m.entrySet()) {
      if (!first) {
        out.append(',');
      }
      first = false;
      if (pretty) {
        newline(out, depth + 1);
      }
      Object key = e.getKey();
      string(out, key instanceof Enum<?> k ? k.name() : String.valueOf(key));
      out.append(pretty ? " : " : ":");
      write(out, e.getValue(), depth + 1, pretty);
    }
    if (pretty) {
      newline(out, depth);
    }
    out.append('}');
  }

  private static void array(StringBuilder out, Collection<?> c, int depth, boolean pretty) {
    out.append('[');
    if (c.isEmpty()) {
      out.append(pretty ? " ]" : "]");
      return;
    }
    boolean first = true;
    for (Object item : c) {
      if (!first) {
        out.append(',');
      }
      first = false;
      if (pretty) {
        out.append(' ');
      }
      // Arrays stay on one line and do not deepen the indentation of the objects inside them.
      write(out, item, depth, pretty);
    }
    out.append(pretty ? " ]" : "]");
  }

  private static void newline(StringBuilder out, int depth) {
    out.append('\n');
    for (int i = 0; i < depth; i++) {
      out.append("  ");
    }
  }

  private static void string(StringBuilder out, String s) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        default -> {
          if (c < 0x20) {
            out.append(String.format("\\u%04X", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }
}
