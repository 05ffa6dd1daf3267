package io.github.lth.core.io;

import io.github.lth.core.internal.InFlightWrites;
import io.github.lth.core.internal.KillPoints;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes a file so that readers see either the old content or the complete new one: the bytes
 * go to a temporary file in the same directory, are forced to disk, and the temporary file is
 * then renamed over the target. On any failure the temporary file is deleted.
 */
final class AtomicFiles {
  private AtomicFiles() {}

  @FunctionalInterface
  interface Body {
    void writeTo(OutputStream out) throws IOException;
  }

  /**
   * Writes {@code file} atomically.
   *
   * @throws IOException with a one-line message starting {@code cannot write FILE:}
   */
  static void write(Path file, Body body) throws IOException {
    Path target = file.toAbsolutePath();
    Path dir = target.getParent();
    if (dir == null || !Files.isDirectory(dir)) {
      Path shown = file.getParent() != null ? file.getParent() : dir;
      throw new IOException("cannot write " + file + ": directory " + shown + " does not exist");
    }
    if (Files.isDirectory(target)) {
      throw new IOException("cannot write " + file + ": it is a directory");
    }
    // not Files.createTempFile: it makes the file private (0600) whatever the umask says, and
    // the result would keep those permissions after the rename
    Path tmp = dir.resolve("." + target.getFileName() + "."
        + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
    boolean moved = false;
    try {
      InFlightWrites.add(tmp);
      try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE,
          StandardOpenOption.CREATE_NEW);
          OutputStream out = new BufferedOutputStream(Channels.newOutputStream(channel),
              ArrayData.CHUNK)) {
        body.writeTo(out);
        out.flush();
        channel.force(true);
      }
      KillPoints.reach("write " + target.getFileName());
      InFlightWrites.commit(() -> Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE,
          StandardCopyOption.REPLACE_EXISTING));
      moved = true;
    } catch (IOException e) {
      throw new IOException("cannot write " + file + ": " + Errors.describe(e), e);
    } finally {
      if (!moved) {
        deleteQuietly(tmp);
      }
      InFlightWrites.remove(tmp);
    }
    syncDirectory(dir);
  }

  /** Makes the rename itself durable where the platform allows opening a directory. */
  private static void syncDirectory(Path dir) {
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    } catch (IOException | UnsupportedOperationException e) {
      // Some platforms (Windows) cannot open a directory; the file is complete either way.
    }
  }

  private static void deleteQuietly(Path tmp) {
    try {
      Files.deleteIfExists(tmp);
    } catch (IOException e) {
      // The write already failed; that error is the one the caller needs to see.
    }
  }
}
