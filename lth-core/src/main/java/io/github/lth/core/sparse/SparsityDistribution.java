package io.github.lth.core.sparse;

import io.github.lth.core.Shapes;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * How an overall target sparsity is split across layers, for methods that fix each layer's
 * sparsity before training (RigL's initial mask, static sparse baselines). The overall kept count
 * is {@code (1 − sparsity) × N} up to rounding, N being the number of weights of all layers,
 * forced-dense ones included; implementations say how far each layer's count may round.
 *
 * <pre>{@code
 * Map<String, long[]> shapes = ...;   // layer name to shape, in layer order
 * Map<String, Long> kept = SparsityDistributions.erk().keptCounts(shapes, 0.9);
 * Map<String, Long> firstDense = SparsityDistributions.uniform()
 *     .keptCounts(shapes, 0.9, Set.of("conv1.weight"));
 * }</pre>
 *
 * @see SparsityDistributions
 */
public interface SparsityDistribution {
  /** The name {@link SparsityDistributions#byName} knows this distribution by. */
  String name();

  /**
   * How many weights each layer keeps.
   *
   * @param shapes the layers' shapes, in the order the result follows
   * @param sparsity overall share of all weights to prune, in [0, 1)
   * @param denseLayers layers that keep every weight; they still count toward the total, so the
   *     other layers become sparser to meet it
   * @return a new map, in the iteration order of {@code shapes}, of counts in [0, layer size]
   * @throws IllegalArgumentException if the sparsity is outside [0, 1), {@code shapes} is empty,
   *     a layer has no dimension or a non-positive one, a dense layer is not in {@code shapes},
   *     every layer is dense at a sparsity above 0, or the dense layers alone keep all that the
   *     sparsity allows
   */
  Map<String, Long> keptCounts(Map<String, long[]> shapes, double sparsity,
      Set<String> denseLayers);

  /** {@link #keptCounts(Map, double, Set)} with no layer forced dense. */
  default Map<String, Long> keptCounts(Map<String, long[]> shapes, double sparsity) {
    return keptCounts(shapes, sparsity, Set.of());
  }

  /**
   * Each layer's density as its kept count over its size: what {@link #keptCounts(Map, double,
   * Set)} gives, after rounding, not the unrounded target.
   */
  default Map<String, Double> densities(Map<String, long[]> shapes, double sparsity,
      Set<String> denseLayers) {
    Map<String, Long> kept = keptCounts(shapes, sparsity, denseLayers);
    Map<String, Double> out = new LinkedHashMap<>();
    for (Map.Entry<String, Long> e : kept.entrySet()) {
      out.put(e.getKey(), (double) e.getValue() / Shapes.size(shapes.get(e.getKey())));
    }
    return out;
  }

  /** {@link #densities(Map, double, Set)} with no layer forced dense. */
  default Map<String, Double> densities(Map<String, long[]> shapes, double sparsity) {
    return densities(shapes, sparsity, Set.of());
  }
}
