package io.github.lth.core.transfer;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableMap;
import java.util.Map;

/**
 * One trained transfer: a subnetwork (a configuration at one round, hence one sparsity) trained
 * with one seed on one target, and the metrics it reached there. A target is a downstream task
 * or a transfer mode ({@code "full"} fine-tuning, {@code "linear"} probing, or a data-set name);
 * a configuration is how the mask was made ({@code "dense"}, {@code "imp"}, {@code "random"}).
 *
 * <pre>{@code
 * TransferResult r = new TransferResult("linear", "imp", 3, 0.488, 0,
 *     Map.of("test_accuracy", 0.874, "test_loss", 0.41));
 * }</pre>
 *
 * @param target the downstream target the subnetwork was trained on
 * @param configuration the subnetwork's kind, e.g. the reference {@code "dense"}
 * @param round the pruning round of the subnetwork (0 for the dense network), at least 0
 * @param sparsity the share of pruned weights, in [0, 1]
 * @param seedIndex which seed of the transfer this is, at least 0
 * @param metrics the metrics of the trained transfer, at least one; copied
 */
public record TransferResult(String target, String configuration, int round, double sparsity,
    int seedIndex, Map<String, Double> metrics) {

  public TransferResult {
    checkArgument(target != null && !target.isEmpty(), "a transfer result needs a target");
    checkArgument(configuration != null && !configuration.isEmpty(),
        "a transfer result needs a configuration (target %s)", target);
    checkArgument(round >= 0, "round must be >= 0; got %s (%s %s)", round, target, configuration);
    checkArgument(sparsity >= 0 && sparsity <= 1, "sparsity must be in [0, 1]; got %s (%s %s"
        + " round %s)", sparsity, target, configuration, round);
    checkArgument(seedIndex >= 0, "seedIndex must be >= 0; got %s (%s %s round %s)", seedIndex,
        target, configuration, round);
    checkArgument(metrics != null && !metrics.isEmpty(), "a transfer result needs at least one"
        + " metric (%s %s round %s seed %s)", target, configuration, round, seedIndex);
    for (Map.Entry<String, Double> e : metrics.entrySet()) {
      checkArgument(e.getKey() != null && e.getValue() != null, "metric %s of %s %s round %s seed"
          + " %s has no value", e.getKey(), target, configuration, round, seedIndex);
    }
    // Guava's copy keeps the caller's order (Map.copyOf does not), so metrics print as given
    metrics = ImmutableMap.copyOf(metrics);
  }
}
