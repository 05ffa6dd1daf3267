package io.github.lth.cli;

import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Library errors name the parameter they are about in the library's words and carry the value
 * ("learning rate must be positive: 0.0", "learning-rate schedule: unknown schedule 'linear'");
 * on the command line the user knows the flag. This puts the flag of the failing command in
 * front of such a message: a leading label (the phrase and a colon) becomes the flag, a leading
 * phrase in a sentence keeps its place after the flag. A phrase names a flag only on a command
 * that has it ({@code sparsity} is {@code --sparsity} on {@code lth mask}, nothing on {@code lth
 * imp}); a message that already starts with a flag, or starts with no known phrase, is left as
 * it is.
 *
 * <pre>{@code
 * FlagNames.mention(imp, "learning rate must be positive: 0.0")
 * // "--lr: learning rate must be positive: 0.0"
 * FlagNames.mention(imp, "learning-rate schedule: unknown schedule 'linear' (use ...)")
 * // "--lr-schedule: unknown schedule 'linear' (use ...)"
 * }</pre>
 */
final class FlagNames {
  /** Leading phrases of library messages (lower case) and the flags they stand for. */
  private static final Map<String, String> PHRASES = Map.ofEntries(
      // lth-core
      Map.entry("criterion", "--criterion"),
      Map.entry("include pattern", "--include"),
      Map.entry("exclude pattern", "--exclude"),
      Map.entry("pruning rate", "--rate"),
      Map.entry("target sparsity", "--target-sparsity"),
      Map.entry("sparsity", "--sparsity"),
      Map.entry("previous mask", "--previous-mask"),
      Map.entry("rewind", "--rewind"),
      Map.entry("pre-trained weights", "--rewind"),
      // only the --out of lth imp and lth train is a run directory (report's is the page)
      Map.entry("run directory", "--out"),
      Map.entry("resume", "--resume"),
      Map.entry("key mapping", "--key-map"),
      Map.entry("transfer mode", "--mode"),
      Map.entry("control", "--control"),
      Map.entry("unknown control", "--control"),
      Map.entry("perturbation", "--control"),
      Map.entry("perturbed", "--control"),
      Map.entry("natural-random threshold", "--control"),
      Map.entry("round", "--rounds"),
      Map.entry("branch name", "--name"),
      // lth-djl
      Map.entry("data set", "--data"),
      Map.entry("validation fraction", "--validation"),
      Map.entry("model", "--model"),
      Map.entry("device", "--device"),
      Map.entry("epochs", "--epochs"),
      Map.entry("steps", "--steps"),
      Map.entry("batch size", "--batch-size"),
      Map.entry("optimizer", "--optimizer"),
      Map.entry("learning rate", "--lr"),
      Map.entry("learning-rate schedule", "--lr-schedule"),
      Map.entry("momentum", "--momentum"),
      Map.entry("weight decay", "--weight-decay"),
      Map.entry("augmentation", "--augment"),
      Map.entry("task", "--task"),
      Map.entry("classes", "--classes"),
      Map.entry("number of layers", "--depth"),
      Map.entry("temperature", "--temperature"),
      Map.entry("embedding dimension", "--embedding-dim"),
      Map.entry("views", "--views"),
      Map.entry("memory-bank momentum", "--memory-momentum"),
      Map.entry("labelled fraction", "--labelled"),
      Map.entry("sparsity distribution", "--distribution"));

  /** The commands whose --out is a run directory. */
  private static final Set<String> RUN_COMMANDS = Set.of("imp", "train");

  private FlagNames() {}

  /** The message with the flag of {@code command} that its leading phrase names, if any. */
  static String mention(CommandSpec command, String message) {
    return mention(message, flag -> command.findOption(flag) != null
        && (!flag.equals("--out") || RUN_COMMANDS.contains(command.name())));
  }

  /**
   * The message with the flag its leading phrase names, among the flags {@code hasFlag} accepts;
   * the longest phrase wins ({@code learning-rate schedule} over {@code learning rate}...).
   */
  static String mention(String message, Predicate<String> hasFlag) {
    if (message == null || message.startsWith("--")) {
      return message;
    }
    String lower = message.toLowerCase(Locale.ROOT);
    String best = null;
    for (Map.Entry<String, String> e : PHRASES.entrySet()) {
      String phrase = e.getKey();
      if (startsWithWord(lower, phrase) && hasFlag.test(e.getValue())
          && (best == null || phrase.length() > best.length())) {
        best = phrase;
      }
    }
    if (best == null) {
      return message;
    }
    String flag = PHRASES.get(best);
    // "learning-rate schedule: unknown ..." -> "--lr-schedule: unknown ..."
    if (message.startsWith(":", best.length())) {
      return flag + message.substring(best.length());
    }
    return flag + ": " + message;
  }

  /** Whether {@code text} starts with {@code phrase} as whole words ("model", not "models"). */
  private static boolean startsWithWord(String text, String phrase) {
    if (!text.startsWith(phrase)) {
      return false;
    }
    if (text.length() == phrase.length()) {
      return true;
    }
    char next = text.charAt(phrase.length());
    return !Character.isLetterOrDigit(next) && next != '-' && next != '_';
  }
}
