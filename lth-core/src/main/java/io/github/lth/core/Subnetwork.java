package io.github.lth.core;

import static com.google.common.base.Preconditions.checkArgument;

import io.github.lth.core.prune.PruningCriteria;
import java.util.Arrays;
import java.util.Optional;

/**
 * A subnetwork f(x; m ⊙ θ): a mask over the prunable parameters together with the weights it
 * masks, and optionally the reference weights the run started from (θ₀ or the rewind point),
 * which criteria such as {@link PruningCriteria#magnitudeChange()} compare against.
 *
 * <pre>{@code
 * Subnetwork s = Subnetwork.of(mask, weights);
 * Weights effective = s.maskedWeights();   // pruned entries are zero
 * }</pre>
 */
public final class Subnetwork {
  private final Mask mask;
  private final Weights weights;
  private final Weights reference;

  private Subnetwork(Mask mask, Weights weights, Weights reference) {
    for (String layer : mask.layers()) {
      checkArgument(weights.contains(layer), "mask layer '%s' is not among the weights (%s)",
          layer, weights.names());
      checkArgument(Arrays.equals(mask.shape(layer), weights.shape(layer)),
          "layer %s: mask shape %s but weight shape %s", layer,
          Shapes.format(mask.shape(layer)), Shapes.format(weights.shape(layer)));
      if (reference != null) {
        checkArgument(reference.contains(layer)
            && Arrays.equals(reference.shape(layer), weights.shape(layer)),
            "layer %s: the reference weights lack it or have another shape", layer);
      }
    }
    this.mask = mask;
    this.weights = weights;
    this.reference = reference;
  }

  /** A subnetwork of the given mask and weights; every mask layer must be among the weights. */
  public static Subnetwork of(Mask mask, Weights weights) {
    return new Subnetwork(mask, weights, null);
  }

  /** The same with reference weights (θ₀ or the rewind point) for change-based criteria. */
  public static Subnetwork of(Mask mask, Weights weights, Weights reference) {
    return new Subnetwork(mask, weights, reference);
  }

  public Mask mask() {
    return mask;
  }

  /** The weights as trained, including entries the mask prunes. */
  public Weights weights() {
    return weights;
  }

  public Optional<Weights> reference() {
    return Optional.ofNullable(reference);
  }

  /** The weights with pruned entries set to zero. */
  public Weights maskedWeights() {
    return weights.masked(mask);
  }

  /** Overall sparsity of the mask. */
  public double sparsity() {
    return mask.sparsity();
  }
}
