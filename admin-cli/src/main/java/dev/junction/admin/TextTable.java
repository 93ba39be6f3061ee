package dev.junction.admin;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/** A table printed with aligned columns, two spaces apart, without trailing spaces. */
final class TextTable {
  private final List<List<String>> rows = new ArrayList<>();

  /** A table with these column headings. */
  TextTable(String... headings) {
    rows.add(List.of(headings));
  }

  /** Adds a row: one cell per heading. */
  TextTable row(String... cells) {
    rows.add(List.of(cells));
    return this;
  }

  /** Prints the headings and the rows. */
  void print(PrintWriter out) {
    int[] widths = widths();
    for (List<String> row : rows) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < row.size(); i++) {
        line.append(row.get(i));
        if (i < row.size() - 1) {
          line.append(" ".repeat(widths[i] - row.get(i).length() + 2));
        }
      }
      out.println(line.toString().stripTrailing());
    }
  }

  private int[] widths() {
    int[] widths = new int[rows.get(0).size()];
    for (List<String> row : rows) {
      for (int i = 0; i < row.size(); i++) {
        widths[i] = Math.max(widths[i], row.get(i).length());
      }
    }
    return widths;
  }
}
