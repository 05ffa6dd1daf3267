package io.github.lth.core.io;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * Writes a whole file so that readers see the old content or the complete new one, never half
 * of it (temporary file beside it, forced to disk, renamed over it; removed on failure).
 *
 * <pre>{@code
 * AtomicWrite.text(Path.of("runs/x/results.csv"), csv);
 * }</pre>
 */
public final class AtomicWrite {
  private AtomicWrite() {}

  /**
   * Writes {@code bytes} to {@code file}.
   *
   * @throws IOException with a one-line message starting {@code cannot write FILE:}
   */
  public static void bytes(Path file, byte[] bytes) throws IOException {
    AtomicFiles.write(file, out -> out.write(bytes));
  }

  /** Writes {@code text} as UTF-8. */
  public static void text(Path file, String text) throws IOException {
    bytes(file, text.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Removes the temporary files that writes of {@code fileName} in {@code dir} left behind when
   * their process was killed. Call it only where no other process can be writing that file
   * (under the lock that guards it): a live writer's temporary file looks the same.
   *
   * @param fileName the target's name, or {@code "*"} for the temporaries of every target
   */
  public static void removeLeftovers(Path dir, String fileName) throws IOException {
    if (!Files.isDirectory(dir)) {
      return;
    }
    try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, "." + fileName + ".*.tmp")) {
      for (Path p : s) {
        if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
          Files.deleteIfExists(p);
        }
      }
    }
  }
}
