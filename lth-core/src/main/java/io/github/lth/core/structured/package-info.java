/**
 * Structured (filter / channel) pruning: whole output filters are pruned instead of single
 * weights, so the pruned channels can later be removed from the model.
 *
 * <p>A <em>filter layer</em> is a mask layer of rank ≥ 2; its filters are its slices along axis
 * 0 (the output channels of a convolution, the output neurons of a linear layer). A
 * <em>companion</em> is a rank-1 mask layer right after it in mask order whose length is its
 * filter count (its bias, the following BatchNorm's gamma and beta): pruning filter {@code f}
 * also prunes element {@code f} of every companion, so the channel's output is exactly zero.
 * {@link io.github.lth.core.structured.FilterLayout} finds the filters and companions, a {@link
 * io.github.lth.core.structured.FilterCriterion} scores filters ({@link
 * io.github.lth.core.structured.FilterCriteria}: L1 and L2 norms), and {@link
 * io.github.lth.core.structured.FilterPruner} prunes exact numbers of filters. {@link
 * io.github.lth.core.PrunableModel#prune} hands filter criteria to it, so {@link
 * io.github.lth.core.Imp} prunes filters when given one.
 *
 * <pre>{@code
 * Imp.builder()
 *     .setSchedule(PruningSchedules.imp(0.2, 0.9))   // 20 % of the remaining FILTERS per round
 *     .optCriterion(FilterCriteria.l1())
 *     .optSelector(Models.structuredPrunable("conv4"))
 *     .build();
 * }</pre>
 */
package io.github.lth.core.structured;
