package io.github.lth.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What the running command is doing, in a few words, so that running out of memory is one line
 * that says where ({@link ErrorReporter}):
 * {@code lth mask: out of memory while reading --weights w.npz (Java heap limit 64 MB); ...}.
 * A command names its phase just before each of its few big allocations (reading its inputs,
 * loading data, training, pruning, writing); a phase lasts until the next one is named. The
 * sizes of the files read also size the heap the line suggests.
 *
 * <pre>{@code
 * Phase.reading("--weights", weightsFile);   // Inputs.readWeights does this
 * Weights w = WeightsIO.read(weightsFile);
 * Phase.set("computing the mask");
 * }</pre>
 *
 * <p>The phase belongs to the thread that runs the command, and {@link ErrorReporter} starts
 * every execution from none, so in-process runs (the tests) do not see each other's phases.
 */
final class Phase {
  private static final ThreadLocal<Phase> CURRENT = ThreadLocal.withInitial(Phase::new);

  private String doing;
  private long inputBytes;

  private Phase() {}

  /** From now on the command is doing {@code doing}, e.g. {@code "computing the mask"}. */
  static void set(String doing) {
    CURRENT.get().doing = doing;
  }

  /** From now on the command is reading {@code file}, named on the command line by {@code flag}. */
  static void reading(String flag, Path file) {
    Phase p = CURRENT.get();
    p.doing = "reading " + flag + " " + file;
    try {
      p.inputBytes += Files.size(file);
    } catch (IOException | SecurityException e) {
      // the reader says what is wrong with the file; its size only refines the advice
    }
  }

  /** No phase, nothing read: a new execution. */
  static void reset() {
    Phase p = CURRENT.get();
    p.doing = null;
    p.inputBytes = 0;
  }

  /** The phase in words, or null when the command named none. */
  static String doing() {
    return CURRENT.get().doing;
  }

  /** The bytes of the files read since {@link #reset}: they are in memory together. */
  static long inputBytes() {
    return CURRENT.get().inputBytes;
  }
}
