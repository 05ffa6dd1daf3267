package io.github.lth.core.select;

import static com.google.common.base.Preconditions.checkArgument;

/**
 * One layer's input to a {@link LowestSelection}: its scores in C order and which of its
 * elements may be chosen ({@code eligible} bit words in {@link java.util.BitSet} layout; in
 * pruning, the weights still kept). The arrays are read, never written.
 *
 * <p>With {@code absolute} set, the score of element {@code i} is {@code |scores[i]|}: magnitude
 * pruning hands the weights themselves to the kernel, which reads |w| on the fly (clearing the
 * sign bit) instead of from a full copy of the scores.
 *
 * <pre>{@code
 * ScoredLayer scored = new ScoredLayer("fc1", scores, keptWords);
 * ScoredLayer byMagnitude = ScoredLayer.magnitudes("fc1", weights, keptWords);   // |w|, no copy
 * }</pre>
 *
 * @param name the layer's name, for error messages
 * @param scores the scores, or with {@code absolute} the values whose magnitudes are the scores
 * @param eligible one bit per element: set = may be chosen
 * @param absolute whether the score is {@code |scores[i]|} rather than {@code scores[i]}
 */
public record ScoredLayer(String name, float[] scores, long[] eligible, boolean absolute) {
  public ScoredLayer {
    checkArgument(eligible.length == (scores.length + 63) >>> 6,
        "layer %s: %s eligibility words for %s scores", name, eligible.length, scores.length);
  }

  /** A layer scored by {@code scores} itself. */
  public ScoredLayer(String name, float[] scores, long[] eligible) {
    this(name, scores, eligible, false);
  }

  /** A layer scored by the magnitudes {@code |values[i]|}, read without copying. */
  public static ScoredLayer magnitudes(String name, float[] values, long[] eligible) {
    return new ScoredLayer(name, values, eligible, true);
  }

  /** The score of element {@code i}: {@code scores[i]}, or its magnitude when absolute. */
  public float score(int i) {
    // Math.abs, not a bit clear, so a materialized |w| (PruningCriteria.magnitude's values)
    // and this agree bit for bit, NaN included
    return absolute ? Math.abs(scores[i]) : scores[i];
  }

  /** Number of elements. */
  public int size() {
    return scores.length;
  }
}
