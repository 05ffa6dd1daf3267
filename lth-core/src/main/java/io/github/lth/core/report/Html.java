package io.github.lth.core.report;

import java.util.Base64;

/**
 * The few pieces of HTML the report is made of. Every string that comes from a run's files
 * (layer names, settings, branch names) goes through {@link #escape}, so a name like
 * {@code a<b>} shows as text instead of becoming markup.
 */
final class Html {
  private Html() {}

  /** Text safe inside an element or a double- or single-quoted attribute. */
  static String escape(String text) {
    StringBuilder sb = new StringBuilder(text.length() + 16);
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '&' -> sb.append("&amp;");
        case '<' -> sb.append("&lt;");
        case '>' -> sb.append("&gt;");
        case '"' -> sb.append("&quot;");
        case '\'' -> sb.append("&#39;");
        default -> sb.append(c);
      }
    }
    return sb.toString();
  }

  /** An image embedded as a data URI: the page needs no file next to it and no network. */
  static String image(byte[] png, String alt) {
    return "<img src=\"data:image/png;base64," + Base64.getEncoder().encodeToString(png)
        + "\" alt=\"" + escape(alt) + "\">";
  }

  /** A paragraph of plain text. */
  static String paragraph(String text) {
    return "<p>" + escape(text) + "</p>\n";
  }
}
