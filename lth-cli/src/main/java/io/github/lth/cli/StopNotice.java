package io.github.lth.cli;

import io.github.lth.core.run.RunStore;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Supplier;

/**
 * The line a long command prints when SIGTERM or Ctrl-C stops it: what is kept on disk and how
 * to continue. The JVM then exits with 128 + the signal's number (143 for SIGTERM, 130 for
 * SIGINT); the temporary files of the write in progress are removed by lth-core's clean-up and
 * the run's lock goes with the process.
 *
 * <pre>{@code
 * try (StopNotice notice = StopNotice.install(err, "lth imp", () -> StopNotice.rounds(runDir)
 *     + "; run the same command with --resume to continue")) {
 *   ... the long work ...
 * }
 * // on SIGTERM:  lth imp: stopped; rounds 0-2 of runs/a are complete, ...
 * }</pre>
 */
final class StopNotice implements AutoCloseable {
  private final Thread hook;

  private StopNotice(Thread hook) {
    this.hook = hook;
  }

  /**
   * Prints {@code command: stopped; STATE} if the JVM shuts down before {@link #close}.
   *
   * @param state what is kept and how to continue, computed when the stop happens
   */
  static StopNotice install(PrintWriter err, String command, Supplier<String> state) {
    Thread hook = new Thread(() -> {
      String line;
      try {
        line = command + ": stopped; " + state.get();
      } catch (RuntimeException e) {
        line = command + ": stopped";
      }
      // a progress bar may be half drawn on the terminal's line (it ends lines with \r only)
      err.println();
      err.println(line);
      err.flush();
    }, "lth-stop-notice");
    Runtime.getRuntime().addShutdownHook(hook);
    return new StopNotice(hook);
  }

  /**
   * "rounds 0-2 of DIR are complete, the round in progress is abandoned" (or that none is
   * complete yet), read from the run directory.
   */
  static String rounds(Path runDir) {
    List<Integer> done;
    try {
      done = RunStore.storedRoundIndices(runDir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (done.isEmpty()) {
      return "no round of " + runDir + " is complete yet";
    }
    int first = done.get(0);
    int last = done.get(done.size() - 1);
    String which;
    if (done.size() == 1) {
      which = "round " + first;
    } else if (last - first + 1 == done.size()) {
      which = "rounds " + first + "-" + last;
    } else {
      // a branch trains only the rounds asked for
      which = "rounds " + String.join(", ", done.stream().map(String::valueOf).toList());
    }
    return which + " of " + runDir + (done.size() == 1 ? " is" : " are")
        + " complete, the round in progress is abandoned";
  }

  @Override
  public void close() {
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException e) {
      // the JVM is already shutting down: the hook runs, as it should
    }
  }
}
