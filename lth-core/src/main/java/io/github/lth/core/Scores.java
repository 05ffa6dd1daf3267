package io.github.lth.core;

import io.github.lth.core.prune.PruningCriterion;
import java.nio.FloatBuffer;
import java.util.List;

/**
 * Importance scores a {@link PruningCriterion} gives every prunable weight, one float tensor per
 * mask layer; the lowest scores are pruned first. {@code -0.0} and {@code 0.0} count as equal;
 * NaN and infinite scores are refused when the pruning threshold is drawn.
 *
 * <pre>{@code
 * Scores s = Scores.of(subnet.weights().select(subnet.mask().layers()));
 * }</pre>
 */
public final class Scores {
  private final Weights values;

  private Scores(Weights values) {
    this.values = values;
  }

  /** Scores held in a {@link Weights} object, one tensor per layer. */
  public static Scores of(Weights values) {
    return new Scores(values);
  }

  public List<String> layers() {
    return values.names();
  }

  public long[] shape(String layer) {
    return values.shape(layer);
  }

  /** Read-only view of a layer's scores in C order. */
  public FloatBuffer view(String layer) {
    return values.view(layer);
  }

  /** A copy of a layer's scores in C order. */
  public float[] values(String layer) {
    return values.values(layer);
  }

  float[] raw(String layer) {
    return values.raw(layer);
  }

  /** The scores as named tensors (for saving). */
  public Weights asWeights() {
    return values;
  }
}
