package io.github.lth.core.select;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.ArrayList;
import java.util.List;

/**
 * Chooses exactly {@code count} of the eligible elements with the lowest scores across several
 * layers held on the host, by the rules of {@link SelectionKernel}. Ties are broken
 * deterministically: lower layer index first, then lower flat index. {@code -0.0} equals
 * {@code 0.0}. A NaN or infinite score among the eligible elements is an error naming its layer.
 * Implementations score element {@code i} of a layer by {@link ScoredLayer#score(int)}: a layer
 * marked {@linkplain ScoredLayer#absolute() absolute} holds weights whose magnitudes are the
 * scores.
 *
 * <pre>{@code
 * Selection s = LowestSelections.exact().select(List.of(new ScoredLayer("fc", scores, kept)), 1000);
 * }</pre>
 */
@FunctionalInterface
public interface LowestSelection extends SelectionKernel<float[]> {

  /**
   * @param layers the layers, in model order
   * @param count how many eligible elements to choose, at most the number eligible
   * @throws IllegalArgumentException on non-finite scores or a count out of range
   */
  Selection select(List<ScoredLayer> layers, long count);

  /** The {@link SelectionKernel} form: the parallel lists become {@link ScoredLayer}s. */
  @Override
  default Selection select(List<String> layers, List<float[]> scores, List<long[]> eligible,
      long count) {
    checkArgument(layers.size() == scores.size() && layers.size() == eligible.size(),
        "%s layer names, %s score arrays and %s eligibility arrays", layers.size(),
        scores.size(), eligible.size());
    List<ScoredLayer> input = new ArrayList<>(layers.size());
    for (int l = 0; l < layers.size(); l++) {
      input.add(new ScoredLayer(layers.get(l), scores.get(l), eligible.get(l)));
    }
    return select(input, count);
  }
}
