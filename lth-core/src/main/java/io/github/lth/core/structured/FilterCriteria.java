package io.github.lth.core.structured;

import io.github.lth.core.Mask;
import io.github.lth.core.Subnetwork;
import java.nio.FloatBuffer;

/**
 * The built-in filter criteria: the L1 and L2 norms of each filter's kept weights (Li et al.
 * 2017, "Pruning Filters for Efficient ConvNets", rank filters by their L1 norm), each divided by
 * the root mean square of the norms of its layer's kept filters (the per-layer normalization of
 * Molchanov et al. 2017). Within a layer the order is exactly the norms' order. Across layers (a
 * global scope) raw norms are not comparable: they grow with a filter's size and shrink with
 * its layer's initialization scale, so a global ranking of raw or per-weight norms prunes whole
 * layers first and cuts the network (Conv-2 lost every fc1 neuron in its third round that way);
 * normalized, a score says how a filter compares with the rest of its layer, a typical filter
 * scores about 1 in every layer, and a layer can never lose all its filters to the others. Only
 * the filter's row counts; its companions (bias, BatchNorm gamma and beta) are pruned with it
 * but not scored.
 *
 * <pre>{@code
 * FilterCriterion l1 = FilterCriteria.l1();   // or PruningCriteria.byName("filter-l1", 0)
 * FilterScores s = l1.scoreFilters(Subnetwork.of(mask, weights));
 * }</pre>
 */
public final class FilterCriteria {
  private static final FilterCriterion L1 = new LayerNormalizedNorm("filter-l1", row -> {
    double sum = 0;
    while (row.hasRemaining()) {
      sum += Math.abs(row.get());
    }
    return sum;
  });

  private static final FilterCriterion L2 = new LayerNormalizedNorm("filter-l2", row -> {
    double sum = 0;
    while (row.hasRemaining()) {
      double w = row.get();
      sum += w * w;
    }
    return Math.sqrt(sum);
  });

  private FilterCriteria() {}

  /** Σ|w| over the kept weights of each filter, over the root mean square of its layer's. */
  public static FilterCriterion l1() {
    return L1;
  }

  /** √(Σw²) over the kept weights of each filter, over the root mean square of its layer's. */
  public static FilterCriterion l2() {
    return L2;
  }

  /**
   * Scores each filter of every filter layer of {@code s.mask()} by a function of its weights:
   * {@code f} gets a read-only view of the filter's row (C order) with pruned weights set to
   * zero.
   */
  public static FilterScores map(Subnetwork s, FilterFunction f) {
    Mask mask = s.mask();
    FilterScores.Builder b = FilterScores.builder();
    for (FilterLayout.Group g : FilterLayout.of(mask).groups()) {
      float[] w = s.weights().values(g.layer());
      mask.applyTo(g.layer(), w);
      FloatBuffer all = FloatBuffer.wrap(w).asReadOnlyBuffer();
      int size = Math.toIntExact(g.filterSize());
      double[] out = new double[g.filters()];
      for (int filter = 0; filter < out.length; filter++) {
        out[filter] = f.score(all.position(filter * size).slice().limit(size));
      }
      b.put(g.layer(), out);
    }
    return b.build();
  }

  /**
   * Each layer's scores divided by the root mean square of the scores of its kept filters (in
   * filter order, summed left to right); a layer whose kept filters all score 0 keeps its zeros.
   */
  static FilterScores normalizedPerLayer(Mask mask, FilterScores raw) {
    FilterLayout layout = FilterLayout.of(mask);
    FilterScores.Builder b = FilterScores.builder();
    for (String layer : raw.layers()) {
      double[] scores = raw.scores(layer).clone();
      boolean[] kept = layout.keptFilters(mask, layer);
      double sumOfSquares = 0;
      int count = 0;
      for (int f = 0; f < scores.length; f++) {
        if (kept[f]) {
          sumOfSquares += scores[f] * scores[f];
          count++;
        }
      }
      double rms = count == 0 ? 0 : Math.sqrt(sumOfSquares / count);
      if (rms > 0) {
        for (int f = 0; f < scores.length; f++) {
          scores[f] /= rms;
        }
      }
      b.put(layer, scores);
    }
    return b.build();
  }

  /** A score computed from one filter's masked weights, for {@link #map}. */
  @FunctionalInterface
  public interface FilterFunction {
    double score(FloatBuffer maskedFilter);
  }

  /** A norm of each filter's masked row, normalized per layer; named for run settings. */
  private static final class LayerNormalizedNorm implements FilterCriterion {
    private final String name;
    private final FilterFunction norm;

    LayerNormalizedNorm(String name, FilterFunction norm) {
      this.name = name;
      this.norm = norm;
    }

    @Override
    public FilterScores scoreFilters(Subnetwork s) {
      return normalizedPerLayer(s.mask(), map(s, norm));
    }

    @Override
    public String toString() {
      return name;
    }
  }
}
