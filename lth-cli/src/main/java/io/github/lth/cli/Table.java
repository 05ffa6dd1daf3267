package io.github.lth.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A plain-text table with columns sized to their widest cell; text columns align left, the rest
 * right. Also the number formats every lth command prints, so outputs read alike.
 *
 * <pre>{@code
 * Table t = new Table("layer", "kept").rightAlignFrom(1);
 * t.row("fc1.weight", Table.count(47040));
 * t.print(out);
 * }</pre>
 */
final class Table {
  private final List<String[]> rows = new ArrayList<>();
  private final int columns;
  private int firstRightAligned;

  Table(String... header) {
    this.columns = header.length;
    this.firstRightAligned = header.length;
    rows.add(header);
  }

  /** Columns from {@code column} on hold numbers and align right. */
  Table rightAlignFrom(int column) {
    this.firstRightAligned = column;
    return this;
  }

  Table row(String... cells) {
    if (cells.length != columns) {
      throw new IllegalStateException(cells.length + " cells for " + columns + " columns");
    }
    rows.add(cells);
    return this;
  }

  void print(PrintWriter out) {
    int[] width = new int[columns];
    for (String[] r : rows) {
      for (int c = 0; c < columns; c++) {
        width[c] = Math.max(width[c], r[c].length());
      }
    }
    for (String[] r : rows) {
      StringBuilder line = new StringBuilder();
      for (int c = 0; c < columns; c++) {
        if (c > 0) {
          line.append("  ");
        }
        String pad = " ".repeat(width[c] - r[c].length());
        line.append(c >= firstRightAligned ? pad + r[c] : r[c] + pad);
      }
      out.println(line.toString().stripTrailing());
    }
  }

  /** A count with thousands separators: {@code 213,120}. */
  static String count(long n) {
    return String.format(Locale.ROOT, "%,d", n);
  }

  /** A fraction as a percentage with two decimals: {@code 80.06%}. */
  static String percent(double fraction) {
    return String.format(Locale.ROOT, "%.2f%%", 100 * fraction);
  }

  /** An intersection-over-union value with four decimals. */
  static String ratio(double value) {
    return String.format(Locale.ROOT, "%.4f", value);
  }

  /** A number without trailing zeros: {@code 10}, {@code 2.5}. */
  static String number(double value) {
    return java.math.BigDecimal.valueOf(value).stripTrailingZeros().toPlainString();
  }
}
