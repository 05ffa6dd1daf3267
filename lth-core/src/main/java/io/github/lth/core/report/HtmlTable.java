package io.github.lth.core.report;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A table of plain-text cells with an id, so a reader (or a test in a browser) can find it;
 * columns from {@link #numericFrom} on hold numbers and align right. Cells are escaped when the
 * table is rendered.
 */
final class HtmlTable {
  private final String id;
  private final List<String> header;
  private final List<List<String>> rows = new ArrayList<>();
  private int firstNumeric;

  HtmlTable(String id, List<String> header) {
    this.id = id;
    this.header = List.copyOf(header);
    this.firstNumeric = header.size();
  }

  HtmlTable(String id, String... header) {
    this(id, Arrays.asList(header));
  }

  HtmlTable numericFrom(int column) {
    this.firstNumeric = column;
    return this;
  }

  HtmlTable row(List<String> cells) {
    if (cells.size() != header.size()) {
      throw new IllegalStateException(cells.size() + " cells for " + header.size() + " columns");
    }
    rows.add(List.copyOf(cells));
    return this;
  }

  HtmlTable row(String... cells) {
    return row(Arrays.asList(cells));
  }

  /** The table in a scrolling box: wide tables (many rounds or layers) stay inside the page. */
  String toHtml() {
    StringBuilder sb = new StringBuilder();
    sb.append("<div class=\"scroll\"><table id=\"").append(Html.escape(id))
        .append("\">\n<thead><tr>");
    for (int c = 0; c < header.size(); c++) {
      sb.append(c >= firstNumeric ? "<th class=\"num\">" : "<th>")
          .append(Html.escape(header.get(c))).append("</th>");
    }
    sb.append("</tr></thead>\n<tbody>\n");
    for (List<String> r : rows) {
      sb.append("<tr>");
      for (int c = 0; c < r.size(); c++) {
        sb.append(c >= firstNumeric ? "<td class=\"num\">" : "<td>")
            .append(Html.escape(r.get(c))).append("</td>");
      }
      sb.append("</tr>\n");
    }
    return sb.append("</tbody>\n</table></div>\n").toString();
  }
}
