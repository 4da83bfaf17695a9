package scrittabot.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A table printed as aligned Markdown, readable in a terminal and pasted as is into
 * BENCHMARKS.md. Numbers are formatted by {@link #ms} and {@link #num}.
 */
public final class Table {
  private final String title;
  private final String[] header;
  private final List<String[]> rows = new ArrayList<>();
  private final List<String> notes = new ArrayList<>();

  public Table(String title, String... header) {
    this.title = title;
    this.header = header;
  }

  public Table row(Object... cells) {
    var row = new String[header.length];
    for (int i = 0; i < header.length; i++) {
      row[i] = i < cells.length ? String.valueOf(cells[i]) : "";
    }
    rows.add(row);
    return this;
  }

  /** A line under the table, such as a goal and whether it was met. */
  public Table note(String text) {
    notes.add(text);
    return this;
  }

  public Table goal(String goal, boolean met) {
    return note("Goal: " + goal + ": " + (met ? "met" : "NOT met"));
  }

  public void print() {
    int[] width = new int[header.length];
    for (int i = 0; i < header.length; i++) {
      width[i] = header[i].length();
      for (String[] row : rows) {
        width[i] = Math.max(width[i], row[i].length());
      }
    }
    var out = new StringBuilder("\n### ").append(title).append("\n\n");
    line(out, header, width);
    var rule = new String[header.length];
    for (int i = 0; i < header.length; i++) {
      rule[i] = "-".repeat(width[i]);
    }
    line(out, rule, width);
    rows.forEach(row -> line(out, row, width));
    if (!notes.isEmpty()) {
      out.append('\n');
      notes.forEach(n -> out.append(n).append("\n"));
    }
    System.out.print(out);
    System.out.flush();
  }

  private static void line(StringBuilder out, String[] cells, int[] width) {
    out.append('|');
    for (int i = 0; i < cells.length; i++) {
      out.append(' ').append(cells[i]).append(" ".repeat(width[i] - cells[i].length()))
          .append(" |");
    }
    out.append('\n');
  }

  public static String ms(double millis) {
    if (millis >= 100) {
      return String.format(Locale.ROOT, "%.0f ms", millis);
    }
    return String.format(Locale.ROOT, millis >= 10 ? "%.1f ms" : "%.2f ms", millis);
  }

  public static String num(double value, int decimals) {
    return String.format(Locale.ROOT, "%." + decimals + "f", value);
  }

  public static String percent(double share) {
    return String.format(Locale.ROOT, "%.1f%%", share * 100);
  }

  static String mb(long kilobytes) {
    return String.format(Locale.ROOT, "%.0f MB", kilobytes / 1024.0);
  }
}
