package io.github.lth.core.io;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parses the small subset of Python literal syntax a .npy header uses: dicts, tuples, lists,
 * quoted strings, integers, {@code True}/{@code False}/{@code None}. Tuples and lists both
 * become {@link List}; the header's meaning is checked by {@link NpyHeader}.
 */
final class PyLiteral {
  /**
   * How deeply dicts, tuples and lists may nest. A real header nests two levels (a shape in a
   * dict, a structured dtype three or four); the bound keeps the recursive descent from
   * overflowing the stack on a corrupt header of a million brackets.
   */
  private static final int MAX_DEPTH = 32;

  private final String text;
  private int pos;
  private int depth;

  private PyLiteral(String text) {
    this.text = text;
  }

  /** Parses one literal that must fill the whole text (surrounding whitespace allowed). */
  static Object parse(String text) throws NpyFormatException {
    PyLiteral p = new PyLiteral(text);
    Object value = p.value();
    p.skipSpace();
    if (p.pos != text.length()) {
      throw p.error("unexpected text after the header dict");
    }
    return value;
  }

  private Object value() throws NpyFormatException {
    skipSpace();
    if (pos >= text.length()) {
      throw error("header ends early");
    }
    char c = text.charAt(pos);
    switch (c) {
      case '{':
        return nested(this::dict);
      case '(':
        return nested(() -> sequence(')'));
      case '[':
        return nested(() -> sequence(']'));
      case '\'':
      case '"':
        return string(c);
      default:
        if (c == '-' || c == '+' || Character.isDigit(c)) {
          return integer();
        }
        return word();
    }
  }

  @FunctionalInterface
  private interface Part {
    Object parse() throws NpyFormatException;
  }

  private Object nested(Part part) throws NpyFormatException {
    if (++depth > MAX_DEPTH) {
      throw error("more than " + MAX_DEPTH + " nested brackets");
    }
    Object value = part.parse();
    depth--;
    return value;
  }

  private Map<Object, Object> dict() throws NpyFormatException {
    Map<Object, Object> out = new LinkedHashMap<>();
    pos++;
    while (true) {
      skipSpace();
      if (peek() == '}') {
        pos++;
        return out;
      }
      Object key = value();
      skipSpace();
      expect(':');
      Object val = value();
      if (out.put(key, val) != null) {
        throw error("header key " + NpyHeader.pyRepr(key) + " appears twice");
      }
      skipSpace();
      if (peek() == ',') {
        pos++;
      } else if (peek() != '}') {
        throw error("expected ',' or '}' in the header dict");
      }
    }
  }

  private List<Object> sequence(char close) throws NpyFormatException {
    List<Object> out = new ArrayList<>();
    pos++;
    while (true) {
      skipSpace();
      if (peek() == close) {
        pos++;
        return out;
      }
      out.add(value());
      skipSpace();
      if (peek() == ',') {
        pos++;
      } else if (peek() != close) {
        throw error("expected ',' or '" + close + "' in the header");
      }
    }
  }

  private String string(char quote) throws NpyFormatException {
    int start = ++pos;
    while (pos < text.length() && text.charAt(pos) != quote) {
      if (text.charAt(pos) == '\\') {
        throw error("escaped characters are not supported in header strings");
      }
      pos++;
    }
    if (pos >= text.length()) {
      throw error("unterminated string in the header");
    }
    return text.substring(start, pos++);
  }

  private Long integer() throws NpyFormatException {
    int start = pos;
    if (text.charAt(pos) == '-' || text.charAt(pos) == '+') {
      pos++;
    }
    while (pos < text.length() && Character.isDigit(text.charAt(pos))) {
      pos++;
    }
    // numpy under Python 2 wrote large dimensions as Python longs, e.g. "3L"
    String digits = text.substring(start, pos);
    if (pos < text.length() && text.charAt(pos) == 'L') {
      pos++;
    }
    try {
      return Long.parseLong(digits);
    } catch (NumberFormatException e) {
      throw error("bad integer '" + Errors.shown(digits) + "' in the header");
    }
  }

  private Object word() throws NpyFormatException {
    int start = pos;
    while (pos < text.length() && Character.isLetter(text.charAt(pos))) {
      pos++;
    }
    String w = text.substring(start, pos);
    switch (w) {
      case "True":
        return Boolean.TRUE;
      case "False":
        return Boolean.FALSE;
      case "None":
        return NONE;
      default:
        String what = w.isEmpty() ? String.valueOf(text.charAt(pos)) : w;
        throw error("unexpected '" + Errors.shown(what) + "' in the header");
    }
  }

  /** Python's None (a distinct value, since maps and lists here hold no Java nulls). */
  static final Object NONE = new Object() {
    @Override
    public String toString() {
      return "None";
    }
  };

  private char peek() throws NpyFormatException {
    if (pos >= text.length()) {
      throw error("header ends early");
    }
    return text.charAt(pos);
  }

  private void expect(char c) throws NpyFormatException {
    if (peek() != c) {
      throw error("expected '" + c + "' in the header");
    }
    pos++;
  }

  private void skipSpace() {
    while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) {
      pos++;
    }
  }

  private NpyFormatException error(String what) {
    return new NpyFormatException("has a bad .npy header: " + what + " at character " + pos);
  }
}
