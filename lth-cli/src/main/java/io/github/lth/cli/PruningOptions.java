package io.github.lth.cli;

import io.github.lth.core.prune.ParameterSelector;
import io.github.lth.core.prune.ParameterSelectors;
import io.github.lth.core.prune.PruningCriterion;
import io.github.lth.core.prune.PruningScope;
import io.github.lth.core.structured.FilterCriterion;
import io.github.lth.djl.models.Models;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import picocli.CommandLine.Option;

/**
 * The pruning flags every pruning command shares: what to score with, where to draw the
 * threshold and which parameters may be pruned. Each command decides the default set of
 * prunable parameters that {@code --include} replaces.
 *
 * <pre>{@code
 * @Mixin PruningOptions pruning;
 * ...
 * PruningCriterion c = PruningCriteria.byName(pruning.criterion, seed);
 * }</pre>
 */
final class PruningOptions {

  @Option(names = "--criterion", defaultValue = "magnitude", paramLabel = "NAME",
      description = "Pruning criterion: magnitude, random, magnitude-change, filter-l1,"
          + " filter-l2, a registered name, or the fully qualified name of a PruningCriterion"
          + " class on the class path (./lth adds the jars in $LTH_CLASSPATH). filter-l1 and"
          + " filter-l2 prune whole output filters (with their bias and BatchNorm entries) by"
          + " their L1 or L2 norm; rates and sparsities then count filters, not weights."
          + " Default: ${DEFAULT-VALUE}.")
  String criterion;

  @Option(names = "--scope", defaultValue = "global", paramLabel = "global|layer",
      description = "global: one threshold over all prunable layers; layer: each layer pruned"
          + " separately to the same sparsity. Default: ${DEFAULT-VALUE}.")
  PruningScope scope;

  @Option(names = "--include", paramLabel = "REGEX",
      description = "Prune only parameters whose whole name matches (replaces the default"
          + " choice of prunable parameters).")
  String include;

  @Option(names = "--exclude", paramLabel = "REGEX",
      description = "Leave parameters whose whole name matches dense.")
  String exclude;

  /**
   * The parameters a command that builds {@code model} may prune: the model's preset (what its
   * paper prunes), or those {@code --include} matches instead, less those {@code --exclude}
   * matches.
   */
  ParameterSelector selector(String model) {
    return selector(model, null);
  }

  /**
   * The same for a run pruned by {@code criterion}: a {@link FilterCriterion}'s preset is the
   * model's {@link Models#structuredPrunable} (filter layers with their companions).
   */
  ParameterSelector selector(String model, PruningCriterion criterion) {
    ParameterSelector s = include != null ? ParameterSelectors.matching(include)
        : criterion instanceof FilterCriterion ? Models.structuredPrunable(model)
        : Models.defaultPrunable(model);
    return exclude != null ? s.and(ParameterSelectors.excluding(exclude)) : s;
  }

  /** {@code --include} compiled, or null when not given. */
  Pattern includePattern() {
    return compile("--include", include);
  }

  /** {@code --exclude} compiled, or null when not given. */
  Pattern excludePattern() {
    return compile("--exclude", exclude);
  }

  private static Pattern compile(String flag, String regex) {
    if (regex == null) {
      return null;
    }
    try {
      return Pattern.compile(regex);
    } catch (PatternSyntaxException e) {
      throw new IllegalArgumentException(
          flag + ": not a valid regular expression '" + regex + "': " + e.getDescription());
    }
  }
}
