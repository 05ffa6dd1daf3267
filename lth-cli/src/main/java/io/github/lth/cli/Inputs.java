package io.github.lth.cli;

import io.github.lth.core.Mask;
import io.github.lth.core.Weights;
import io.github.lth.core.io.MaskIO;
import io.github.lth.core.io.WeightsIO;
import io.github.lth.core.run.RunStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks the files named on the command line before anything is computed, so the message names
 * the flag as the user typed it ({@code --weights: no such file: w.npz}) rather than a library's
 * exception text.
 *
 * <pre>{@code
 * Weights w = Inputs.readWeights("--weights", Path.of("w.npz"));
 * Inputs.checkWritable("--out", Path.of("runs/m.npz"));
 * List<Inputs.MaskSource> rounds = Inputs.maskSources("A", "runs/x@2..5");
 * }</pre>
 */
final class Inputs {
  /** {@code RUN@N}, {@code RUN@N..M} or {@code RUN@all}. */
  private static final Pattern ROUNDS = Pattern.compile("(.+)@(all|(\\d+)(?:\\.\\.(\\d+))?)");

  private Inputs() {}

  /** A mask file and the name it is shown under (the argument as typed, or {@code RUN@N}). */
  record MaskSource(String label, Path file) {}

  /**
   * The mask files an argument names: a mask file (.npz or .safetensors); a round directory
   * ({@code runs/x/round-05}: its mask.npz); or rounds of a run directory, {@code RUN@5},
   * {@code RUN@2..5} or {@code RUN@all} (every complete round from 0). An existing path is
   * always taken as a path, so a file whose name contains {@code @} is still read.
   *
   * @throws IllegalArgumentException naming {@code flag} and the argument when nothing fits
   */
  static List<MaskSource> maskSources(String flag, String argument) {
    Path path = Path.of(argument);
    if (Files.isDirectory(path)) {
      Path mask = path.resolve(RunStore.MASK);
      if (Files.isRegularFile(mask)) {
        return List.of(new MaskSource(argument, mask));
      }
      if (Files.isDirectory(roundDirectory(path, 0))) {
        throw new IllegalArgumentException(flag + ": " + argument + " is a run directory; name"
            + " its rounds as " + argument + "@N, " + argument + "@N..M or " + argument + "@all");
      }
      throw new IllegalArgumentException(flag + ": " + argument + " is a directory without "
          + RunStore.MASK + " (give a mask file, a round directory or RUN@N)");
    }
    Matcher m = ROUNDS.matcher(argument);
    if (Files.exists(path) || !m.matches()) {
      checkReadable(flag, path);
      return List.of(new MaskSource(argument, path));
    }
    String runName = m.group(1);
    Path run = Path.of(runName);
    if (!Files.isDirectory(run)) {
      throw new IllegalArgumentException(flag + ": no such run directory: " + runName + " (in "
          + argument + ")");
    }
    int from;
    int to;
    if (m.group(2).equals("all")) {
      from = 0;
      to = completeRounds(run) - 1;
      if (to < 0) {
        throw new IllegalArgumentException(flag + ": " + runName + " has no complete round"
            + " (no " + roundDirectory(run, 0).getFileName() + ")");
      }
    } else {
      from = parseRound(flag, argument, m.group(3));
      to = m.group(4) == null ? from : parseRound(flag, argument, m.group(4));
      if (from > to) {
        throw new IllegalArgumentException(flag + ": " + argument + " counts rounds backwards;"
            + " write " + runName + "@" + to + ".." + from);
      }
    }
    List<MaskSource> out = new ArrayList<>();
    for (int r = from; r <= to; r++) {
      Path mask = roundDirectory(run, r).resolve(RunStore.MASK);
      if (!Files.isRegularFile(mask)) {
        int complete = completeRounds(run);
        throw new IllegalArgumentException(flag + ": " + runName + " has no round " + r + " ("
            + (complete == 0 ? "no complete round" : "complete rounds: 0.." + (complete - 1))
            + ")");
      }
      out.add(new MaskSource(runName + "@" + r, mask));
    }
    return out;
  }

  /** The directory of round {@code r} of a run, as {@link RunStore} lays it out. */
  private static Path roundDirectory(Path run, int round) {
    return run.resolve(String.format(Locale.ROOT, "round-%02d", round));
  }

  /** Rounds 0, 1, ... up to the first one without a mask, as a run is resumed. */
  private static int completeRounds(Path run) {
    int r = 0;
    while (Files.isRegularFile(roundDirectory(run, r).resolve(RunStore.MASK))) {
      r++;
    }
    return r;
  }

  private static int parseRound(String flag, String argument, String digits) {
    try {
      return Integer.parseInt(digits);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(flag + ": round number too large in " + argument);
    }
  }

  /** Reads an .npz of float tensors named by {@code flag}. */
  static Weights readWeights(String flag, Path file) throws IOException {
    checkReadable(flag, file);
    Phase.reading(flag, file);
    return WeightsIO.read(file);
  }

  /** Reads an .npz of bool arrays named by {@code flag}. */
  static Mask readMask(String flag, Path file) throws IOException {
    checkReadable(flag, file);
    Phase.reading(flag, file);
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
