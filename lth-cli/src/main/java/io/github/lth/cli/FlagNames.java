package io.github.lth.cli;

import java.util.Locale;
import java.util.Map;

/**
 * Library errors name the parameter they are about in the library's words ("rewind step:50 is
 * ...", "learning rate must be positive: -1"); on the command line the user knows the flag.
 * This prefixes such a message with the flag it came from, unless it already names a flag.
 *
 * <pre>{@code
 * FlagNames.mention("rewind step:50 is step 50, but training ends after 3 steps")
 * // "--rewind: rewind step:50 is step 50, but training ends after 3 steps"
 * }</pre>
 */
final class FlagNames {
  // longest phrases first where one begins another
  private static final Map<String, String> PHRASES = Map.ofEntries(
      Map.entry("rewind", "--rewind"),
      Map.entry("pre-trained weights", "--rewind"),
      Map.entry("learning rate", "--lr"),
      Map.entry("learning-rate schedule", "--lr-schedule"),
      Map.entry("momentum", "--momentum"),
      Map.entry("weight decay", "--weight-decay"),
      Map.entry("batch size", "--batch-size"),
      Map.entry("epochs", "--epochs"),
      Map.entry("steps", "--steps"),
      Map.entry("validation fraction", "--validation"),
      Map.entry("pruning rate", "--rate"),
      Map.entry("target sparsity", "--target-sparsity"),
      Map.entry("optimizer", "--optimizer"));

  private FlagNames() {}

  /** The message, prefixed with the flag its leading phrase names (if any and not yet named). */
  static String mention(String message) {
    if (message == null || message.startsWith("--")) {
      return message;
    }
    String lower = message.toLowerCase(Locale.ROOT);
    String best = null;
    for (String phrase : PHRASES.keySet()) {
      if (lower.startsWith(phrase) && (best == null || phrase.length() > best.length())) {
        best = phrase;
      }
    }
    return best == null ? message : PHRASES.get(best) + ": " + message;
  }
}
