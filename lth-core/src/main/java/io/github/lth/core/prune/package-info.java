/**
 * What a pruning round decides with: criteria that score the weights ({@link
 * io.github.lth.core.prune.PruningCriteria}, your own {@link
 * io.github.lth.core.prune.PruningCriterion} or a registered {@link
 * io.github.lth.core.prune.PruningCriterionProvider}), selectors that choose the prunable
 * parameters, the scope of the threshold, and the {@link io.github.lth.core.prune.PruningStep}
 * that carries them to a model. {@link io.github.lth.core.Pruner} turns the scores into the next
 * mask, the same for every criterion.
 *
 * <pre>{@code
 * PruningCriterion c = PruningCriteria.byName("magnitude", seed);
 * ParameterSelector s = ParameterSelectors.defaults()
 *     .and(ParameterSelectors.excluding("fc3\\..*"));
 * Imp.builder().optCriterion(c).optSelector(s).optScope(PruningScope.LAYER)
 * }</pre>
 */
package io.github.lth.core.prune;
