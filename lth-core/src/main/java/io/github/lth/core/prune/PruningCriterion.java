package io.github.lth.core.prune;

import io.github.lth.core.Pruner;
import io.github.lth.core.Scores;
import io.github.lth.core.Subnetwork;

/**
 * The extension point of pruning: scores every prunable weight of a subnetwork; the weights with
 * the lowest scores are pruned. A criterion only scores; the exact count, the scope and the tie
 * rule are applied by {@link Pruner}, the same for every criterion.
 *
 * <p>To make a criterion available by name on the command line ({@code --criterion NAME}),
 * register a {@link PruningCriterionProvider} through {@link java.util.ServiceLoader}; a public
 * class with a no-argument constructor also works by its fully qualified name.
 *
 * <pre>{@code
 * // prune the weights whose magnitude grew least during training
 * PruningCriterion growth = s -> PruningCriteria.map(s, (w, w0) -> Math.abs(w) - Math.abs(w0));
 * }</pre>
 */
@FunctionalInterface
public interface PruningCriterion {

  /** One score per weight of every layer of {@code subnetwork.mask()}, same shapes. */
  Scores score(Subnetwork subnetwork);
}
