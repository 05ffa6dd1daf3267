package io.github.lth.core.inference;

import static io.github.lth.core.inference.CsrMatrixTest.gaussian;
import static io.github.lth.core.inference.CsrMatrixTest.randomKeep;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.offset;

import io.github.lth.core.Mask;
import io.github.lth.core.Pruner;
import io.github.lth.core.Subnetwork;
import io.github.lth.core.Weights;
import io.github.lth.core.prune.PruningCriteria;
import io.github.lth.core.prune.PruningScope;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SparseMlpTest {
  /** A small LeNet-shaped MLP: 20 → 12 → 8 → 3, DJL parameter names. */
  private static final int[] SIZES = {20, 12, 8, 3};

  @Test
  void matchesADenseForwardWithReluBetweenLayersAtEverySparsity() {
    SplittableRandom rng = new SplittableRandom(21);
    Weights w = mlpWeights(rng, SIZES, "_", true);
    for (double sparsity : new double[] {0, 0.5, 0.8, 0.95}) {
      Mask mask = randomMask(rng, w, sparsity);
      SparseMlp mlp = SparseMlp.of(w, mask);
      assertThat(mlp.inputSize()).isEqualTo(20);
      assertThat(mlp.outputSize()).isEqualTo(3);
      assertThat(mlp.layers()).extracting(CsrMatrix::name)
          .containsExactly("fc1_weight", "fc2_weight", "fc3_weight");
      assertThat(mlp.nonZeros()).isEqualTo(mask.kept());
      for (int batch : new int[] {1, 5, 64}) {
        float[] x = gaussian(rng, batch * 20);
        assertClose(mlp.forward(x, batch), reference(w, mask, x, batch), "sparsity " + sparsity
            + " batch " + batch);
      }
    }
  }

  @Test
  void aGlobalMagnitudeMaskOfLenet300ShapesKeepsExactlyItsCount() {
    SplittableRandom rng = new SplittableRandom(4);
    Weights w = mlpWeights(rng, new int[] {784, 300, 100, 10}, "_", true);
    Map<String, long[]> prunable = new LinkedHashMap<>();
    prunable.put("fc1_weight", w.shape("fc1_weight"));
    prunable.put("fc2_weight", w.shape("fc2_weight"));
    Mask dense = Mask.dense(prunable);
    Mask mask = Pruner.pruneTo(dense,
        PruningCriteria.magnitude().score(Subnetwork.of(dense, w.select(dense.layers()))),
        PruningScope.GLOBAL, 0.9);
    SparseMlp mlp = SparseMlp.of(w, mask);
    // 10 % of the 265,200 weights of fc1 and fc2, and the 1,000 of the head, left dense
    assertThat(mlp.nonZeros()).isEqualTo(26_520 + 1_000);
    assertThat(mlp.layers().get(2).nonZeros()).isEqualTo(1_000);
    float[] x = gaussian(rng, 2 * 784);
    assertClose(mlp.forward(x, 2), reference(w, mask, x, 2), "lenet300");
  }

  @Test
  void fullyPrunedLayersAndMaskedBiasesAreHonoured() {
    SplittableRandom rng = new SplittableRandom(9);
    Weights w = mlpWeights(rng, SIZES, "_", true);
    Mask.Builder b = Mask.builder();
    b.put("fc1_weight", w.shape("fc1_weight"), randomKeep(rng, 240, 0.5));
    // every weight of fc2 pruned and half its bias: fc2's output is its kept bias, ReLU'd
    b.put("fc2_weight", w.shape("fc2_weight"), new boolean[96]);
    boolean[] halfBias = new boolean[8];
    for (int i = 0; i < 8; i += 2) {
      halfBias[i] = true;
    }
    b.put("fc2_bias", w.shape("fc2_bias"), halfBias);
    Mask mask = b.build();
    SparseMlp mlp = SparseMlp.of(w, mask);
    assertThat(mlp.layers().get(1).nonZeros()).isZero();
    float[] x = gaussian(rng, 3 * 20);
    float[] y = mlp.forward(x, 3);
    double[] expected = reference(w, mask, x, 3);
    assertClose(y, expected, "fc2 pruned");
    // the three samples then get the same logits: the input no longer reaches the output
    for (int o = 0; o < 3; o++) {
      assertThat(y[3 + o]).isEqualTo(y[o]);
      assertThat(y[6 + o]).isEqualTo(y[o]);
    }
  }

  @Test
  void takesPytorchNamesLayersWithoutBiasAndAnExplicitLayerList() {
    SplittableRandom rng = new SplittableRandom(17);
    Weights w = mlpWeights(rng, SIZES, ".", false);
    Mask mask = randomMask(rng, w, 0.7);
    SparseMlp mlp = SparseMlp.of(w, mask);
    float[] x = gaussian(rng, 4 * 20);
    assertClose(mlp.forward(x, 4), reference(w, mask, x, 4), "pytorch names");

    SparseMlp backbone = SparseMlp.of(w, mask, List.of("fc1", "fc2"));
    assertThat(backbone.outputSize()).isEqualTo(8);
    assertThat(backbone.nonZeros()).isEqualTo(mask.kept("fc1.weight") + mask.kept("fc2.weight"));
  }

  @Test
  void badModelsAndInputsNameTheLayer() {
    SplittableRandom rng = new SplittableRandom(1);
    Weights w = mlpWeights(rng, SIZES, "_", true);
    Mask none = Mask.builder().build();
    SparseMlp mlp = SparseMlp.of(w, none);
    assertThatThrownBy(() -> mlp.forward(new float[39], 2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("an input of 39 values for batch 2 x 20 inputs of layer fc1_weight");

    Weights conv = Weights.builder().put("conv1_weight", new long[] {4, 1, 3, 3}, new float[36])
        .put("conv1_bias", new long[] {4}, new float[4])
        .put("fc1_weight", new long[] {3, 4}, new float[12]).build();
    assertThatThrownBy(() -> SparseMlp.of(conv, none))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("parameter conv1_weight of shape (4, 1, 3, 3) is not a linear layer's weight"
            + " or bias; a SparseMlp has only linear layers");

    Weights misfit = Weights.builder().put("fc1_weight", new long[] {5, 4}, new float[20])
        .put("fc2_weight", new long[] {3, 6}, new float[18]).build();
    assertThatThrownBy(() -> SparseMlp.of(misfit, none))
        .hasMessage("layer fc2_weight: takes 6 inputs, but the previous layer fc1_weight gives"
            + " 5 outputs");

    Weights badBias = Weights.builder().put("fc1_weight", new long[] {5, 4}, new float[20])
        .put("fc1_bias", new long[] {4}, new float[4]).build();
    assertThatThrownBy(() -> SparseMlp.of(badBias, none))
        .hasMessage("layer fc1: bias fc1_bias has shape (4,), expected (5,)");

    Mask stranger = Mask.dense(Map.of("fc9_weight", new long[] {2, 2}));
    assertThatThrownBy(() -> SparseMlp.of(w, stranger))
        .hasMessage("mask layer fc9_weight is not a parameter of the weights");
    Mask wrongShape = Mask.dense(Map.of("fc1_weight", new long[] {20, 12}));
    assertThatThrownBy(() -> SparseMlp.of(w, wrongShape))
        .hasMessage("mask layer fc1_weight has shape (20, 12), the weights have (12, 20)");
    assertThatThrownBy(() -> SparseMlp.of(w, none, List.of("fc1", "head")))
        .hasMessage("layer head: no parameter head_weight or head.weight");
  }

  // ---------------------------------------------------------------------------------------------

  private static Weights mlpWeights(SplittableRandom rng, int[] sizes, String sep,
      boolean bias) {
    Weights.Builder b = Weights.builder();
    for (int l = 1; l < sizes.length; l++) {
      // scaled by 1/sqrt(fan-in), as initializers do, so activations keep their size
      float[] v = gaussian(rng, sizes[l] * sizes[l - 1]);
      for (int i = 0; i < v.length; i++) {
        v[i] /= (float) Math.sqrt(sizes[l - 1]);
      }
      b.put("fc" + l + sep + "weight", new long[] {sizes[l], sizes[l - 1]}, v);
      if (bias) {
        b.put("fc" + l + sep + "bias", new long[] {sizes[l]}, gaussian(rng, sizes[l]));
      }
    }
    return b.build();
  }

  /** Every rank-2 weight pruned at random to {@code sparsity}. */
  private static Mask randomMask(SplittableRandom rng, Weights w, double sparsity) {
    Mask.Builder b = Mask.builder();
    for (String name : w.names()) {
      long[] shape = w.shape(name);
      if (shape.length == 2) {
        b.put(name, shape, randomKeep(rng, (int) (shape[0] * shape[1]), sparsity));
      }
    }
    return b.build();
  }

  /** The masked dense forward in double: linear layers in order, ReLU between them. */
  private static double[] reference(Weights w, Mask mask, float[] x, int batch) {
    Weights masked = w.masked(mask);
    double[] act = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      act[i] = x[i];
    }
    List<String> weights = w.names().stream().filter(n -> w.shape(n).length == 2).toList();
    for (int l = 0; l < weights.size(); l++) {
      String name = weights.get(l);
      long[] shape = w.shape(name);
      int rows = (int) shape[0];
      int cols = (int) shape[1];
      float[] wv = masked.values(name);
      String biasName = name.substring(0, name.length() - "weight".length()) + "bias";
      float[] bias = w.contains(biasName) ? masked.values(biasName) : null;
      double[] out = new double[batch * rows];
      for (int s = 0; s < batch; s++) {
        for (int r = 0; r < rows; r++) {
          double sum = bias == null ? 0 : bias[r];
          for (int c = 0; c < cols; c++) {
            sum += wv[r * cols + c] * act[s * cols + c];
          }
          out[s * rows + r] = l < weights.size() - 1 ? Math.max(sum, 0) : sum;
        }
      }
      act = out;
    }
    return act;
  }

  private static void assertClose(float[] actual, double[] expected, String what) {
    assertThat(actual).hasSize(expected.length);
    for (int i = 0; i < expected.length; i++) {
      assertThat((double) actual[i]).as("%s, output %s", what, i)
          .isCloseTo(expected[i], offset(1e-4 * (1 + Math.abs(expected[i]))));
    }
  }
}
