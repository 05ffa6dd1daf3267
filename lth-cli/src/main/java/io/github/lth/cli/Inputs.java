package io.github.lth.cli;

import io.github.lth.core.Mask;
import io.github.lth.core.Weights;
import io.github.lth.core.io.MaskIO;
import io.github.lth.core.io.WeightsIO;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Checks the files named on the command line before anything is computed, so the message names
 * the flag as the user typed it ({@code --weights: no such file: w.npz}) rather than a library's
 * exception text.
 *
 * <pre>{@code
 * Weights w = Inputs.readWeights("--weights", Path.of("w.npz"));
 * Inputs.checkWritable("--out", Path.of("runs/m.npz"));
 * }</pre>
 */
final class Inputs {
  private Inputs() {}

  /** Reads an .npz of float tensors named by {@code flag}. */
  static Weights readWeights(String flag, Path file) throws IOException {
    checkReadable(flag, file);
    return WeightsIO.read(file);
  }

  /** Reads an .npz of bool arrays named by {@code flag}. */
  static Mask readMask(String flag, Path file) throws IOException {
    checkReadable(flag, file);
    return MaskIO.read(file);
  }

  /** The file must exist, be a regular file and be readable. */
  static void checkReadable(String flag, Path file) {
    if (!Files.exists(file)) {
      throw new IllegalArgumentException(flag + ": no such file: " + file);
    }
    if (Files.isDirectory(file)) {
      throw new IllegalArgumentException(flag + ": " + file + " is a directory, not an .npz file");
    }
    if (!Files.isReadable(file)) {
      throw new IllegalArgumentException(flag + ": cannot read " + file + " (permission denied)");
    }
  }

  /**
   * The output must not replace an input the user will want again (the weights); replacing the
   * previous mask with the next one is allowed.
   */
  static void checkNotSame(String outFlag, Path out, String inFlag, Path in) throws IOException {
    if (in != null && Files.exists(out) && Files.exists(in) && Files.isSameFile(out, in)) {
      throw new IllegalArgumentException(outFlag + ": " + out + " is the " + inFlag
          + " file; choose another name");
    }
  }

  /**
   * An output file may be replaced, but its directory must already exist: creating directories
   * from a typo would hide the mistake.
   */
  static void checkWritable(String flag, Path file) {
    Path parent = file.toAbsolutePath().getParent();
    if (parent == null || !Files.isDirectory(parent)) {
      throw new IllegalArgumentException(flag + ": directory " + (parent == null ? file : parent)
          + " does not exist (for " + file + ")");
    }
    if (Files.isDirectory(file)) {
      throw new IllegalArgumentException(flag + ": " + file + " is a directory; give a file name");
    }
    if (!Files.isWritable(parent)) {
      throw new IllegalArgumentException(flag + ": cannot write in " + parent
          + " (permission denied)");
    }
  }
}
