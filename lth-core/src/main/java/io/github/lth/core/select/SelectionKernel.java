package io.github.lth.core.select;

import java.util.List;

/**
 * The pruning selection rule, wherever the scores live. Given the layers of one pruning group,
 * a kernel chooses exactly {@code count} of the eligible elements with the lowest scores:
 *
 * <ul>
 *   <li>ties go to the lower layer index, then to the lower flat (C-order) index;
 *   <li>{@code -0.0} equals {@code 0.0}; subnormal scores order as the numbers they are;
 *   <li>ineligible elements (weights already pruned) are never chosen and their scores are not
 *       looked at;
 *   <li>a NaN or infinite eligible score is an {@link IllegalArgumentException} naming the first
 *       such layer and flat index ({@code layer fc1_weight holds a non-finite score (NaN at flat
 *       index 17)}), reported before a count out of range ({@code cannot choose 5 of 3 eligible
 *       elements});
 *   <li>the threshold is the score of the highest chosen element ({@code +0.0}, never
 *       {@code -0.0}), or NaN when nothing is chosen.
 * </ul>
 *
 * <p>{@link io.github.lth.core.Pruner} decides how many elements each group gives up and turns
 * the choice into the next mask; kernels only choose. lth-core's {@link LowestSelection}s work on
 * host {@code float[]} scores; lth-djl has one for device arrays. All give the same answer.
 *
 * <pre>{@code
 * SelectionKernel<float[]> host = LowestSelections.exact();
 * Selection s = host.select(List.of("fc1_weight"), List.of(scores), List.of(keptWords), 1000);
 * }</pre>
 *
 * @param <S> how one layer's scores are held: {@code float[]} on the host, a device array
 */
public interface SelectionKernel<S> {

  /**
   * Chooses the {@code count} lowest eligible scores of a group.
   *
   * @param layers the layers' names, in model order (for error messages)
   * @param scores one score array per layer, C order
   * @param eligible one {@link java.util.BitSet}-layout word array per layer (set = may be
   *     chosen)
   * @param count how many to choose, at most the number eligible
   * @return the chosen elements per layer, in input order
   * @throws IllegalArgumentException on a non-finite eligible score or a count out of range
   */
  Selection select(List<String> layers, List<S> scores, List<long[]> eligible, long count);
}
