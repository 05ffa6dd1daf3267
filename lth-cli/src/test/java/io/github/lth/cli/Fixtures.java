package io.github.lth.cli;

import io.github.lth.core.Mask;
import io.github.lth.core.Weights;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.function.DoubleUnaryOperator;

/** Test weights with many exact ties, and brute-force pruning to check the CLI against. */
final class Fixtures {
  private Fixtures() {}

  /**
   * conv.weight (4,3,3,3), conv.bias (4), fc.weight (10,12), fc.bias (10): values from a set of
   * nine multiples of 0.25 (so ties are everywhere), with -0.0 sprinkled in.
   */
  static Weights tiedWeights(long seed) {
    Random rng = new Random(seed);
    Weights.Builder b = Weights.builder();
    b.put("conv.weight", new long[] {4, 3, 3, 3}, values(108, rng));
    b.put("conv.bias", new long[] {4}, values(4, rng));
    b.put("fc.weight", new long[] {10, 12}, values(120, rng));
    b.put("fc.bias", new long[] {10}, values(10, rng));
    return b.build();
  }

  private static float[] values(int n, Random rng) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (rng.nextInt(9) - 4) * 0.25f;
      if (v[i] == 0 && rng.nextBoolean()) {
        v[i] = -0.0f;
      }
    }
    return v;
  }

  private record Entry(int layer, int index, double score) {}

  /**
   * Brute force: among the weights {@code start} keeps, sorts by (score, layer, index) with a
   * full sort and prunes the first {@code count}. Layers are the keys of {@code start} in order.
   */
  static Mask pruneLowest(Mask start, Weights weights, DoubleUnaryOperator score, long count) {
    List<Entry> entries = new ArrayList<>();
    List<String> layers = start.layers();
    for (int l = 0; l < layers.size(); l++) {
      float[] w = weights.values(layers.get(l));
      for (int i = 0; i < w.length; i++) {
        if (start.isKept(layers.get(l), i)) {
          // + 0.0 folds -0.0 into 0.0: they count as equal scores.
          entries.add(new Entry(l, i, score.applyAsDouble(w[i]) + 0.0));
        }
      }
    }
    entries.sort(Comparator.comparingDouble(Entry::score).thenComparingInt(Entry::layer)
        .thenComparingInt(Entry::index));
    boolean[][] kept = new boolean[layers.size()][];
    for (int l = 0; l < layers.size(); l++) {
      kept[l] = start.toBooleans(layers.get(l));
    }
    for (int k = 0; k < count; k++) {
      Entry e = entries.get(k);
      kept[e.layer()][e.index()] = false;
    }
    Mask.Builder b = Mask.builder();
    for (int l = 0; l < layers.size(); l++) {
      b.put(layers.get(l), start.shape(layers.get(l)), kept[l]);
    }
    return b.build();
  }

  /** A mask keeping everything of the named layers of {@code weights}. */
  static Mask dense(Weights weights, String... layers) {
    Mask.Builder b = Mask.builder();
    for (String layer : layers) {
      boolean[] all = new boolean[weights.values(layer).length];
      Arrays.fill(all, true);
      b.put(layer, weights.shape(layer), all);
    }
    return b.build();
  }

  /** Just one layer of a mask. */
  static Mask only(Mask mask, String layer) {
    return Mask.builder().putWords(layer, mask.shape(layer), mask.words(layer)).build();
  }
}
