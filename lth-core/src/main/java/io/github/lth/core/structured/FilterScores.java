package io.github.lth.core.structured;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableMap;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * The importance a {@link FilterCriterion} gives every filter: one score per filter of each
 * filter layer, in filter order; the lowest scores are pruned first. {@code -0.0} and {@code 0.0}
 * count as equal; NaN and infinite scores are refused by {@link FilterPruner}.
 *
 * <pre>{@code
 * FilterScores s = FilterScores.builder()
 *     .put("conv1_weight", new double[] {0.5, 2.0, 0.1})
 *     .build();
 * double[] conv1 = s.scores("conv1_weight");
 * }</pre>
 */
public final class FilterScores {
  private final ImmutableMap<String, double[]> scores;

  private FilterScores(ImmutableMap<String, double[]> scores) {
    this.scores = scores;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The filter layers scored, in the order they were put. */
  public List<String> layers() {
    return scores.keySet().asList();
  }

  /** Whether the filters of this layer are scored. */
  public boolean contains(String layer) {
    return scores.containsKey(layer);
  }

  /** A copy of the scores of one filter layer, one per filter. */
  public double[] scores(String layer) {
    return raw(layer).clone();
  }

  double[] raw(String layer) {
    double[] s = scores.get(layer);
    checkArgument(s != null, "no filter scores for layer %s (scored: %s)", layer,
        scores.keySet());
    return s;
  }

  @Override
  public String toString() {
    return "FilterScores" + scores.keySet();
  }

  /** Builds {@link FilterScores}; layers keep the order they are put in. */
  public static final class Builder {
    private final LinkedHashMap<String, double[]> scores = new LinkedHashMap<>();

    private Builder() {}

    /** Adds the scores of one filter layer, one per filter (copied). */
    public Builder put(String layer, double[] filterScores) {
      checkArgument(layer != null && !layer.isEmpty(), "layer name must not be empty");
      checkArgument(!scores.containsKey(layer), "filter scores for layer %s given twice", layer);
      scores.put(layer, filterScores.clone());
      return this;
    }

    public FilterScores build() {
      return new FilterScores(ImmutableMap.copyOf(scores));
    }
  }
}
