package io.github.lth.core.io;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;

/**
 * Turns JDK I/O exceptions into short one-line reasons for "cannot read/write FILE: ...".
 *
 * <pre>{@code
 * throw new IOException("cannot write " + file + ": " + Errors.describe(e), e);
 * // cannot write runs/a/.lock: Read-only file system
 * }</pre>
 */
public final class Errors {
  /** The most characters of a name or word from a file that a message repeats. */
  static final int MAX_SHOWN = 80;

  private Errors() {}

  /**
   * Text taken from a file (a key, a dtype, a header word) as a message may repeat it: control
   * and line-separator characters escaped (a backslash, u, four hex digits) so the message stays
   * one line, and cut after {@value #MAX_SHOWN} characters, since a corrupt file can hold a name
   * of megabytes.
   */
  static String shown(String s) {
    return escaped(s, MAX_SHOWN);
  }

  /**
   * A Gson parse error as one line: without the troubleshooting link and the advice to use
   * lenient mode, which speak to programmers rather than to whoever wrote the file, and with the
   * JSON path (which repeats the file's keys) escaped and cut like {@link #shown}.
   */
  static String gson(Exception e) {
    String reason = oneLine(String.valueOf(e.getMessage()))
        .replaceFirst("\\s*See https?://\\S+$", "")
        .replace("Use JsonReader.setStrictness(Strictness.LENIENT) to accept malformed JSON",
            "malformed JSON");
    return escaped(reason, 4 * MAX_SHOWN);
  }

  /**
   * {@code s} with control and line-separator characters escaped (a backslash, u, four hex
   * digits), cut after {@code max} characters: safe to repeat in a one-line message.
   */
  public static String escaped(String s, int max) {
    StringBuilder b = new StringBuilder();
    int n = Math.min(s.length(), max);
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      int type = Character.getType(c);
      if (Character.isISOControl(c) || type == Character.LINE_SEPARATOR
          || type == Character.PARAGRAPH_SEPARATOR) {
        b.append(String.format("\\u%04x", (int) c));
      } else {
        b.append(c);
      }
    }
    return s.length() > n ? b.append("...").toString() : b.toString();
  }

  /** The reason of {@code e} in one line, without the file name the JDK puts in front. */
  public static String describe(IOException e) {
    if (e instanceof NoSuchFileException) {
      return "no such file or directory";
    }
    if (e instanceof AccessDeniedException) {
      return "permission denied";
    }
    if (e instanceof FileSystemException fs && fs.getReason() != null) {
      return oneLine(fs.getReason());
    }
    String message = e.getMessage();
    return oneLine(message == null || message.isBlank() ? e.getClass().getSimpleName() : message);
  }

  static String oneLine(String s) {
    return s.replaceAll("\\s*[\\r\\n]+\\s*", " ").strip();
  }
}
