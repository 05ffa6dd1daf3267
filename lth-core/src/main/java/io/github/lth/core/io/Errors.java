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
  private Errors() {}

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
