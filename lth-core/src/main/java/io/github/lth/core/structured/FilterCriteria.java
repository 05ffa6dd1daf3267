package io.github.lth.core.structured;

import io.github.lth.core.Mask;
import io.github.lth.core.Subnetwork;
import java.nio.FloatBuffer;

/**
 * The built-in filter criteria: the L1 and L2 norms of each filter's kept weights (Li et al.
 * 2017, "Pruning Filters for Efficient ConvNets", rank filters by their L1 norm), taken per
 * weight of the filter: the L1 norm divided by the filter's size n (the mean |w|, pruned weights
 * counting as 0) and the L2 norm divided by √n (the root mean square). Within a layer every
 * filter has the same n, so the order is exactly the norms' order; across layers (a global
 * scope) the raw norms would compare a 3×3×1 filter's 9 weights with a linear neuron's thousands
 * and prune whole early layers first, cutting the network. Only the filter's row counts; its
 * companions (bias, BatchNorm gamma and beta) are pruned with it but not scored.
 *
 * <pre>{@code
 * FilterCriterion l1 = FilterCriteria.l1();   // or PruningCriteria.byName("filter-l1", 0)
 * FilterScores s = l1.scoreFilters(Subnetwork.of(mask, weights));
 * }</pre>
 */
public final class FilterCriteria {
  private FilterCriteria() {}

  /** Σ|w| / n over the kept weights of each filter of n weights. */
  public static FilterCriterion l1() {
    return L1.INSTANCE;
  }

  /** √(Σw² / n) over the kept weights of each filter of n weights. */
  public static FilterCriterion l2() {
    return L2.INSTANCE;
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

  /** A score computed from one filter's masked weights, for {@link #map}. */
  @FunctionalInterface
  public interface FilterFunction {
    double score(FloatBuffer maskedFilter);
  }

  /** Σ|w| / n per filter of n weights. */
  public static final class L1 implements FilterCriterion {
    static final L1 INSTANCE = new L1();

    private L1() {}

    @Override
    public FilterScores scoreFilters(Subnetwork s) {
      return map(s, row -> {
        int n = row.remaining();
        double sum = 0;
        while (row.hasRemaining()) {
          sum += Math.abs(row.get());
        }
        return sum / n;
      });
    }

    @Override
    public String toString() {
      return "filter-l1";
    }
  }

  /** √(Σw² / n) per filter of n weights. */
  public static final class L2 implements FilterCriterion {
    static final L2 INSTANCE = new L2();

    private L2() {}

    @Override
    public FilterScores scoreFilters(Subnetwork s) {
      return map(s, row -> {
        int n = row.remaining();
        double sum = 0;
        while (row.hasRemaining()) {
          double w = row.get();
          sum += w * w;
        }
        return Math.sqrt(sum / n);
      });
    }

    @Override
    public String toString() {
      return "filter-l2";
    }
  }
}
