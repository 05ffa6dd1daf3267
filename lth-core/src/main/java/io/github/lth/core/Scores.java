package io.github.lth.core;

import io.github.lth.core.prune.PruningCriterion;
import java.nio.FloatBuffer;
import java.util.List;

/**
 * Importance scores a {@link PruningCriterion} gives every prunable weight, one float tensor per
 * mask layer; the lowest scores are pruned first. {@code -0.0} and {@code 0.0} count as equal;
 * NaN and infinite scores are refused when the pruning threshold is drawn.
 *
 * <p>Magnitude scores ({@link #magnitudes}) hold no array of their own: they keep the weights,
 * and {@link Pruner} selects straight from them, reading {@code |w|} on the fly, so pruning a
 * model by magnitude needs no second copy of its weights. {@link #values} and {@link #view}
 * compute the magnitudes when asked.
 *
 * <pre>{@code
 * Scores s = Scores.of(subnet.weights().select(subnet.mask().layers()));
 * Scores m = Scores.magnitudes(subnet);   // |w|, no copy
 * }</pre>
 */
public final class Scores {
  private final Weights values;
  /** Whether {@code values} are weights whose magnitudes are the scores. */
  private final boolean magnitudes;

  private Scores(Weights values, boolean magnitudes) {
    this.values = values;
    this.magnitudes = magnitudes;
  }

  /** Scores held in a {@link Weights} object, one tensor per layer. */
  public static Scores of(Weights values) {
    return new Scores(values, false);
  }

  /**
   * The magnitudes {@code |w|} of the subnetwork's weights, one tensor per layer of its mask (in
   * mask order and with the mask's shapes). The weights are shared, not copied: {@link Weights}
   * never change.
   *
   * @throws IllegalArgumentException if the weights lack a mask layer or a tensor's size differs
   *     from its mask layer's
   */
  public static Scores magnitudes(Subnetwork s) {
    Weights.Builder b = Weights.builder();
    for (String layer : s.mask().layers()) {
      b.putOwned(layer, s.mask().shape(layer), s.weights().raw(layer));
    }
    return new Scores(b.build(), true);
  }

  public List<String> layers() {
    return values.names();
  }

  public long[] shape(String layer) {
    return values.shape(layer);
  }

  /** Read-only view of a layer's scores in C order (computed, for magnitude scores). */
  public FloatBuffer view(String layer) {
    return magnitudes ? FloatBuffer.wrap(values(layer)).asReadOnlyBuffer() : values.view(layer);
  }

  /** A copy of a layer's scores in C order. */
  public float[] values(String layer) {
    float[] out = values.values(layer);
    if (magnitudes) {
      for (int i = 0; i < out.length; i++) {
        out[i] = Math.abs(out[i]);
      }
    }
    return out;
  }

  /** The stored array: the scores, or the weights when {@link #magnitudes()} is set. */
  float[] raw(String layer) {
    return values.raw(layer);
  }

  /** Whether {@link #raw} holds weights whose magnitudes are the scores. */
  boolean magnitudes() {
    return magnitudes;
  }

  /** The scores as named tensors (for saving); magnitude scores are computed here. */
  public Weights asWeights() {
    if (!magnitudes) {
      return values;
    }
    Weights.Builder b = Weights.builder();
    for (String layer : values.names()) {
      b.putOwned(layer, values.shape(layer), values(layer));
    }
    return b.build();
  }
}
