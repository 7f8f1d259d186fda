// SPDX-License-Identifier: Apache-2.0
package io.grapevine.agent.client;

import java.util.List;

/** Plain-text tables: columns padded to their widest cell, two spaces apart, no trailing blanks. */
public final class Table {
  private Table() {}

  /** Formats a header row and data rows; every row must have as many cells as the header. */
  public static String format(List<String> header, List<List<String>> rows) {
    int[] widths = new int[header.size()];
    for (int i = 0; i < widths.length; i++) {
      widths[i] = header.get(i).length();
    }
    for (List<String> row : rows) {
      if (row.size() != widths.length) {
        throw new IllegalArgumentException("row has " + row.size() + " cells, header " + widths.length);
      }
      for (int i = 0; i < widths.length; i++) {
        widths[i] = Math.max(widths[i], row.get(i).length());
      }
    }
    StringBuilder sb = new StringBuilder();
    appendRow(sb, header, widths);
    for (List<String> row : rows) {
      appendRow(sb, row, widths);
    }
    return sb.toString();
  }

  private static void appendRow(StringBuilder sb, List<String> cells, int[] widths) {
    StringBuilder line = new StringBuilder();
    for (int i = 0; i < cells.size(); i++) {
      line.append(cells.get(i));
      if (i < cells.size() - 1) {
        line.append(" ".repeat(widths[i] - cells.get(i).length() + 2));
      }
    }
    sb.append(line.toString().stripTrailing()).append('\n');
  }
}
