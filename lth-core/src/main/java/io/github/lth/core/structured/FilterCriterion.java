package io.github.lth.core.structured;

import io.github.lth.core.Scores;
import io.github.lth.core.Subnetwork;
import io.github.lth.core.Weights;
import io.github.lth.core.prune.PruningCriterion;
import java.util.Arrays;

/**
 * A pruning criterion that scores whole filters (see {@link FilterLayout}); the filters with the
 * lowest scores are pruned, row and companions together, by {@link FilterPruner}. {@link
 * io.github.lth.core.PrunableModel#prune} recognises the type and counts filters, not weights.
 *
 * <p>{@link #score} broadcasts each filter's score to every weight of its row and to element
 * {@code f} of its companions, so code that only knows {@link PruningCriterion} still sees the
 * filter ranking (as float scores).
 *
 * <pre>{@code
 * // prune the filters whose largest kept weight is smallest
 * FilterCriterion maxAbs = s -> FilterCriteria.map(s, row -> {
 *   double max = 0;
 *   while (row.hasRemaining()) {
 *     max = Math.max(max, Math.abs(row.get()));
 *   }
 *   return max;
 * });
 * }</pre>
 */
@FunctionalInterface
public interface FilterCriterion extends PruningCriterion {

  /** One score per filter of every filter layer of {@code subnetwork.mask()}. */
  FilterScores scoreFilters(Subnetwork subnetwork);

  /** Each filter's score, given to every weight of the filter (row and companion elements). */
  @Override
  default Scores score(Subnetwork subnetwork) {
    FilterLayout layout = FilterLayout.of(subnetwork.mask());
    FilterScores filters = scoreFilters(subnetwork);
    Weights.Builder b = Weights.builder();
    for (FilterLayout.Group g : layout.groups()) {
      double[] s = FilterPruner.scoresOf(filters, g);
      float[] row = new float[Math.toIntExact(g.filters() * g.filterSize())];
      for (int f = 0; f < g.filters(); f++) {
        Arrays.fill(row, Math.toIntExact(f * g.filterSize()),
            Math.toIntExact((f + 1) * g.filterSize()), (float) s[f]);
      }
      b.putOwned(g.layer(), subnetwork.mask().shape(g.layer()), row);
      for (String companion : g.companions()) {
        float[] c = new float[g.filters()];
        for (int f = 0; f < c.length; f++) {
          c[f] = (float) s[f];
        }
        b.putOwned(companion, subnetwork.mask().shape(companion), c);
      }
    }
    // groups with their companions in turn are the mask order: the scores come out in it
    return Scores.of(b.build());
  }
}
