package io.github.lth.core.sparse;

import static com.google.common.base.Preconditions.checkArgument;

import io.github.lth.core.Shapes;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.ToDoubleFunction;

/**
 * Factories for {@link SparsityDistribution}: uniform, Erdős–Rényi (ER) and Erdős–Rényi-Kernel
 * (ERK) from Evci et al., "Rigging the Lottery" (RigL, 2020).
 *
 * <p>ER and ERK give layer l the density ε × raw_l, where raw_l is a score that is high for
 * small, thin layers, and solve ε so that the layers keep {@code (1 − sparsity) × N} weights in
 * all. A layer whose density would exceed 1 becomes dense and ε is solved again over the others,
 * the layer with the highest score first, until no density exceeds 1 (RigL's procedure). Counts
 * are {@code round(density × size)}, half to even, so the total is within one weight per layer
 * of the target.
 *
 * <pre>{@code
 * Map<String, long[]> lenet = new LinkedHashMap<>();
 * lenet.put("fc1.weight", new long[] {300, 784});
 * lenet.put("fc2.weight", new long[] {100, 300});
 * lenet.put("fc3.weight", new long[] {10, 100});
 * SparsityDistributions.erk().keptCounts(lenet, 0.9);      // fc3 keeps more than 10 %
 * SparsityDistributions.byName("uniform").keptCounts(lenet, 0.9);  // 10 % of every layer
 * }</pre>
 */
public final class SparsityDistributions {
  private static final SparsityDistribution UNIFORM = new Uniform();
  private static final SparsityDistribution ERK =
      new ErdosRenyi("erk", SparsityDistributions::kernelScore);
  private static final SparsityDistribution ER =
      new ErdosRenyi("er", SparsityDistributions::matrixScore);

  private SparsityDistributions() {}

  /**
   * Every layer at the same sparsity: a layer of n weights keeps {@code n − round(sparsity × n)}
   * (half to even, as the pruning schedules count). With dense layers the others share the
   * sparsity {@code sparsity × N / N_rest}, N_rest being their number of weights.
   */
  public static SparsityDistribution uniform() {
    return UNIFORM;
  }

  /**
   * Erdős–Rényi-Kernel: raw_l is the sum of the layer's dimensions over their product, {@code
   * (out + in + kh + kw) / (out × in × kh × kw)} for a convolution kernel and {@code (out + in) /
   * (out × in)} for a matrix. A 1-D tensor of n weights scores n / n = 1.
   */
  public static SparsityDistribution erk() {
    return ERK;
  }

  /**
   * Erdős–Rényi: as {@link #erk()} but only the first two dimensions score, {@code (out + in) /
   * (out × in)}, so a convolution gets the density of a matrix of its channels whatever its
   * kernel size. A 1-D tensor scores 1, as under ERK.
   */
  public static SparsityDistribution erdosRenyi() {
    return ER;
  }

  /**
   * The distribution with the given name, ignoring case: {@code erk}, {@code er} or {@code
   * uniform}.
   *
   * @throws IllegalArgumentException naming the value and the known names if none fits
   */
  public static SparsityDistribution byName(String name) {
    if (name != null) {
      for (SparsityDistribution d : List.of(ERK, ER, UNIFORM)) {
        if (d.name().equals(name.trim().toLowerCase(Locale.ROOT))) {
          return d;
        }
      }
    }
    throw new IllegalArgumentException("sparsity distribution: unknown distribution '" + name
        + "' (known: " + String.join(", ", names()) + ")");
  }

  /** The names {@link #byName} knows. */
  public static List<String> names() {
    return List.of(ERK.name(), ER.name(), UNIFORM.name());
  }

  private static double kernelScore(long[] shape) {
    double sum = 0;
    double product = 1;
    for (long d : shape) {
      sum += d;
      product *= d;
    }
    return sum / product;
  }

  private static double matrixScore(long[] shape) {
    if (shape.length < 2) {
      return 1;
    }
    return (double) (shape[0] + shape[1]) / ((double) shape[0] * shape[1]);
  }

  /** Checks the arguments and settles the dense layers; subclasses split the rest. */
  private abstract static class Budgeted implements SparsityDistribution {
    private final String name;

    Budgeted(String name) {
      this.name = name;
    }

    @Override
    public final String name() {
      return name;
    }

    @Override
    public final Map<String, Long> keptCounts(Map<String, long[]> shapes, double sparsity,
        Set<String> denseLayers) {
      checkArgument(sparsity >= 0 && sparsity < 1, "sparsity must be in [0, 1): %s", sparsity);
      checkArgument(shapes != null && !shapes.isEmpty(), "no layers to distribute sparsity over");
      checkArgument(denseLayers != null, "dense layers must not be null (use an empty set)");
      Map<String, Long> sizes = new LinkedHashMap<>();
      long total = 0;
      for (Map.Entry<String, long[]> e : shapes.entrySet()) {
        String layer = e.getKey();
        long[] shape = e.getValue();
        checkArgument(shape != null && shape.length > 0, "layer %s has no dimensions", layer);
        for (long d : shape) {
          checkArgument(d > 0, "layer %s has a non-positive dimension in shape %s", layer,
              Shapes.format(shape));
        }
        long size = Shapes.size(shape);
        sizes.put(layer, size);
        total += size;
      }
      long denseTotal = 0;
      for (String layer : denseLayers) {
        checkArgument(sizes.containsKey(layer), "dense layer %s is not among the layers %s",
            layer, sizes.keySet());
        denseTotal += sizes.get(layer);
      }
      List<String> rest = new ArrayList<>();
      for (String layer : sizes.keySet()) {
        if (!denseLayers.contains(layer)) {
          rest.add(layer);
        }
      }
      checkArgument(!rest.isEmpty() || sparsity == 0,
          "every layer is dense, so sparsity %s cannot be met", sparsity);
      // Dense layers count toward the target as RigL counts them: what they keep comes out of
      // the others' share instead of lowering the overall sparsity.
      double budget = (1 - sparsity) * total - denseTotal;
      checkArgument(rest.isEmpty() || budget > 0,
          "dense layers %s keep %s of the %s weights, leaving nothing at sparsity %s for %s",
          denseLayers, denseTotal, total, sparsity, rest);
      // Without dense layers the rest's sparsity is the given one, kept to the last bit so that
      // uniform counts match the schedules' one-shot counts.
      double restSparsity = denseTotal == 0 ? sparsity : sparsity * total / (total - denseTotal);
      Map<String, Long> split = sparsity == 0 || rest.isEmpty()
          ? Map.of() : split(rest, shapes, sizes, budget, restSparsity);
      Map<String, Long> out = new LinkedHashMap<>();
      for (Map.Entry<String, Long> e : sizes.entrySet()) {
        out.put(e.getKey(), split.getOrDefault(e.getKey(), e.getValue()));
      }
      return out;
    }

    /**
     * Kept counts of {@code rest}, the layers not forced dense, which keep {@code budget} weights
     * in all, a share {@code 1 − restSparsity} of theirs; a layer left out of the result stays
     * dense.
     */
    abstract Map<String, Long> split(List<String> rest, Map<String, long[]> shapes,
        Map<String, Long> sizes, double budget, double restSparsity);

    @Override
    public String toString() {
      return name;
    }
  }

  private static final class Uniform extends Budgeted {
    Uniform() {
      super("uniform");
    }

    @Override
    Map<String, Long> split(List<String> rest, Map<String, long[]> shapes,
        Map<String, Long> sizes, double budget, double restSparsity) {
      Map<String, Long> out = new LinkedHashMap<>();
      for (String layer : rest) {
        long size = sizes.get(layer);
        out.put(layer, size - Math.min(size, (long) Math.rint(restSparsity * size)));
      }
      return out;
    }
  }

  private static final class ErdosRenyi extends Budgeted {
    private final ToDoubleFunction<long[]> score;

    ErdosRenyi(String name, ToDoubleFunction<long[]> score) {
      super(name);
      this.score = score;
    }

    @Override
    Map<String, Long> split(List<String> rest, Map<String, long[]> shapes,
        Map<String, Long> sizes, double budget, double restSparsity) {
      Map<String, Double> raw = new LinkedHashMap<>();
      for (String layer : rest) {
        raw.put(layer, score.applyAsDouble(shapes.get(layer)));
      }
      Set<String> dense = new HashSet<>();
      double left = budget;
      while (true) {
        double divisor = 0;
        String top = null;
        for (String layer : rest) {
          if (!dense.contains(layer)) {
            divisor += raw.get(layer) * sizes.get(layer);
            if (top == null || raw.get(layer) > raw.get(top)) {
              top = layer;
            }
          }
        }
        if (top == null) {
          return Map.of();
        }
        double eps = left / divisor;
        if (eps * raw.get(top) <= 1) {
          Map<String, Long> out = new LinkedHashMap<>();
          for (String layer : rest) {
            if (!dense.contains(layer)) {
              long size = sizes.get(layer);
              long kept = (long) Math.rint(eps * raw.get(layer) * size);
              out.put(layer, Math.max(0, Math.min(size, kept)));
            }
          }
          return out;
        }
        // The highest score is the first to overflow; making it dense raises ε for the rest,
        // so a layer once dense never has to become sparse again.
        dense.add(top);
        left -= sizes.get(top);
      }
    }
  }
}
