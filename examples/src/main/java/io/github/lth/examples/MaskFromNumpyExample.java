package io.github.lth.examples;

import io.github.lth.core.Mask;
import io.github.lth.core.Pruner;
import io.github.lth.core.Scores;
import io.github.lth.core.Subnetwork;
import io.github.lth.core.Weights;
import io.github.lth.core.io.MaskIO;
import io.github.lth.core.io.WeightsIO;
import io.github.lth.core.prune.PruningCriteria;
import io.github.lth.core.prune.PruningScope;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Prunes 80% of the layer weights of a numpy {@code .npz} with one global magnitude threshold
 * and writes the mask, which numpy reads back with {@code np.load("mask.npz")["fc1.weight"]}.
 *
 * <pre>{@code
 * # python: np.savez("w.npz", **{"fc1.weight": w1, "fc1.bias": b1, "fc2.weight": w2})
 * java -cp ... io.github.lth.examples.MaskFromNumpyExample w.npz mask.npz
 * }</pre>
 */
public final class MaskFromNumpyExample {
  private MaskFromNumpyExample() {}

  public static void main(String[] args) throws IOException {
    if (args.length != 2) {
      System.err.println("usage: MaskFromNumpyExample WEIGHTS.npz MASK.npz");
      System.exit(2);
    }
    Weights weights = WeightsIO.read(Path.of(args[0]));
    weights.checkFinite();

    // Prune matrices and convolution kernels; biases (rank 1) stay dense.
    Map<String, long[]> prunable = new LinkedHashMap<>();
    for (String name : weights.names()) {
      if (weights.shape(name).length >= 2) {
        prunable.put(name, weights.shape(name));
      }
    }
    Mask dense = Mask.dense(prunable);
    Scores scores = PruningCriteria.magnitude().score(Subnetwork.of(dense, weights));
    Mask mask = Pruner.pruneTo(dense, scores, PruningScope.GLOBAL, 0.8);

    MaskIO.write(mask, Path.of(args[1]));
    for (String layer : mask.layers()) {
      System.out.printf("%-20s %6.2f%% pruned%n", layer, 100 * mask.sparsity(layer));
    }
    System.out.printf("overall %.2f%% pruned, wrote %s%n", 100 * mask.sparsity(), args[1]);
  }
}
