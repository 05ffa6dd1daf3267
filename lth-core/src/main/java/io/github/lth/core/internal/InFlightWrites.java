package io.github.lth.core.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The temporary files and directories of the writes in progress, removed when the JVM shuts
 * down (SIGTERM, Ctrl-C, {@code System.exit}) so that a stopped command leaves nothing half
 * written behind. A write makes its result visible with {@link #commit}, which is refused once
 * shutdown has begun: the clean-up and a commit never interleave, so a target is either
 * committed whole before the clean-up or not at all.
 *
 * <pre>{@code
 * Path tmp = dir.resolve(".round-03.tmp");
 * InFlightWrites.add(tmp);
 * try {
 *   ... write into tmp ...
 *   InFlightWrites.commit(() -> Files.move(tmp, dir.resolve("round-03"), ATOMIC_MOVE));
 * } finally {
 *   InFlightWrites.remove(tmp);
 * }
 * }</pre>
 */
public final class InFlightWrites {
  private static final Object MONITOR = new Object();
  private static final Set<Path> TEMPORARY = new LinkedHashSet<>();
  private static boolean stopping;

  static {
    // installed with the class, not at the first write: a first write during shutdown would
    // find addShutdownHook refusing
    Runtime.getRuntime().addShutdownHook(new Thread(InFlightWrites::cleanUp,
        "lth-remove-temporary-files"));
  }

  private InFlightWrites() {}

  /** An action that makes a write visible, typically a rename. */
  @FunctionalInterface
  public interface Commit {
    /** Makes the write visible. */
    void run() throws IOException;
  }

  /**
   * Registers a temporary file or directory to remove if the JVM stops before its commit.
   *
   * @throws IOException when shutdown has begun: no new temporary file may appear then
   */
  public static void add(Path temporary) throws IOException {
    synchronized (MONITOR) {
      if (stopping) {
        throw new IOException("not written: the process is stopping");
      }
      TEMPORARY.add(temporary.toAbsolutePath());
    }
  }

  /** Forgets a temporary path: committed, or removed by its writer after a failure. */
  public static void remove(Path temporary) {
    synchronized (MONITOR) {
      TEMPORARY.remove(temporary.toAbsolutePath());
    }
  }

  /**
   * Runs {@code commit} unless the JVM is shutting down.
   *
   * @throws IOException when shutdown has begun (the temporary files are being removed), or
   *     what the commit throws
   */
  public static void commit(Commit commit) throws IOException {
    synchronized (MONITOR) {
      if (stopping) {
        throw new IOException("not committed: the process is stopping");
      }
      commit.run();
    }
  }

  private static void cleanUp() {
    synchronized (MONITOR) {
      stopping = true;
      for (Path p : List.copyOf(TEMPORARY)) {
        deleteQuietly(p);
      }
      TEMPORARY.clear();
    }
  }

  /**
   * Deletes a file or a directory tree; a writer still adding files to the directory can make
   * one pass miss them, hence a few passes. Whatever remains is removed when the run is opened
   * next.
   */
  private static void deleteQuietly(Path p) {
    for (int pass = 0; pass < 3 && Files.exists(p); pass++) {
      try (Stream<Path> walk = Files.walk(p)) {
        for (Path q : walk.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(q);
        }
      } catch (IOException | RuntimeException e) {
        // best effort while the JVM stops; the next open removes leftovers
      }
    }
  }
}
