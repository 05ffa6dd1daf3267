package io.github.lth.core.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.offset;

import io.github.lth.core.Mask;
import io.github.lth.core.Weights;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class CsrMatrixTest {

  @Test
  void storesExactlyTheKeptWeightsRowByRow() {
    float[] w = {1, 2, 3, 4, 5, 6};
    CsrMatrix m = CsrMatrix.of("fc", w, 2, 3, new boolean[] {true, false, true, false, false,
        true});
    assertThat(m.rows()).isEqualTo(2);
    assertThat(m.columns()).isEqualTo(3);
    assertThat(m.nonZeros()).isEqualTo(3);
    assertThat(m.nonZeros(0)).isEqualTo(2);
    assertThat(m.nonZeros(1)).isEqualTo(1);
    assertThat(m.toDense()).containsExactly(1, 0, 3, 0, 0, 6);
    // x = [1, 10, 100]: row 0 = 1 + 300, row 1 = 600; plus the bias
    assertThat(m.multiply(new float[] {1, 10, 100}, 1, new float[] {0.5f, -1}))
        .containsExactly(301.5f, 599f);
  }

  @Test
  void aKeptZeroIsStoredAndAPrunedValueIsIgnoredWhateverItIs() {
    float[] w = {0, Float.NaN, Float.POSITIVE_INFINITY, 2};
    CsrMatrix m = CsrMatrix.of("fc", w, 2, 2, new boolean[] {true, false, false, true});
    assertThat(m.nonZeros()).isEqualTo(2);
    assertThat(m.multiply(new float[] {3, 4, 5, 6}, 2, null)).containsExactly(0, 8, 0, 12);
  }

  @Test
  void matchesTheDenseProductAtEverySparsityBatchAndBias() {
    SplittableRandom rng = new SplittableRandom(3);
    int rows = 37;
    int cols = 53;
    for (double sparsity : new double[] {0, 0.5, 0.9, 0.98, 1}) {
      for (int batch : new int[] {1, 2, 7, 64}) {
        for (boolean withBias : new boolean[] {false, true}) {
          float[] w = gaussian(rng, rows * cols);
          boolean[] keep = randomKeep(rng, rows * cols, sparsity);
          float[] x = gaussian(rng, batch * cols);
          float[] bias = withBias ? gaussian(rng, rows) : null;
          CsrMatrix m = CsrMatrix.of("fc", w, rows, cols, keep);
          assertThat(m.nonZeros()).isEqualTo(count(keep));
          assertClose(m.multiply(x, batch, bias), dense(w, keep, rows, cols, x, batch, bias),
              w, x, rows, cols, batch, "sparsity " + sparsity + " batch " + batch);
        }
      }
    }
  }

  @Test
  void fullyPrunedRowsGiveTheBiasAndFullyPrunedColumnsAreNeverRead() {
    int rows = 6;
    int cols = 5;
    SplittableRandom rng = new SplittableRandom(5);
    float[] w = gaussian(rng, rows * cols);
    boolean[] keep = new boolean[rows * cols];
    Arrays.fill(keep, true);
    for (int c = 0; c < cols; c++) {
      keep[2 * cols + c] = false;   // row 2
      keep[5 * cols + c] = false;   // row 5, the last
    }
    for (int r = 0; r < rows; r++) {
      keep[r * cols] = false;       // column 0
      keep[r * cols + 3] = false;   // column 3
    }
    CsrMatrix m = CsrMatrix.of("fc", w, rows, cols, keep);
    assertThat(m.nonZeros()).isEqualTo(4 * 3);
    assertThat(m.nonZeros(2)).isZero();
    assertThat(m.nonZeros(5)).isZero();
    float[] bias = {1, 2, 3, 4, 5, 6};
    for (int batch : new int[] {1, 3}) {
      float[] x = gaussian(rng, batch * cols);
      for (int s = 0; s < batch; s++) {
        // whatever pruned columns hold, nothing changes
        x[s * cols] = Float.NaN;
        x[s * cols + 3] = Float.NaN;
      }
      float[] y = m.multiply(x, batch, bias);
      for (int s = 0; s < batch; s++) {
        assertThat(y[s * rows + 2]).isEqualTo(3f);
        assertThat(y[s * rows + 5]).isEqualTo(6f);
      }
      assertThat(y).doesNotContain(Float.NaN);
    }
  }

  @Test
  void buildsFromWeightsAndAMaskLayerOrKeepsAnUncoveredLayerDense() {
    SplittableRandom rng = new SplittableRandom(8);
    float[] w = gaussian(rng, 4 * 9);
    boolean[] keep = randomKeep(rng, 36, 0.75);
    Weights weights = Weights.builder().put("fc1_weight", new long[] {4, 9}, w)
        .put("fc2_weight", new long[] {2, 4}, gaussian(rng, 8)).build();
    Mask mask = Mask.builder().put("fc1_weight", new long[] {4, 9}, keep).build();
    CsrMatrix fc1 = CsrMatrix.of("fc1_weight", weights, mask);
    assertThat(fc1.name()).isEqualTo("fc1_weight");
    assertThat(fc1.nonZeros()).isEqualTo(mask.kept("fc1_weight")).isEqualTo(9);
    float[] expected = w.clone();
    mask.applyTo("fc1_weight", expected);
    assertThat(fc1.toDense()).containsExactly(expected);
    CsrMatrix fc2 = CsrMatrix.of("fc2_weight", weights, mask);
    assertThat(fc2.nonZeros()).isEqualTo(8);
    assertThat(fc2.toDense()).containsExactly(weights.values("fc2_weight"));
  }

  @Test
  void featureMajorLayoutGivesTheTransposedProduct() {
    SplittableRandom rng = new SplittableRandom(13);
    int rows = 11;
    int cols = 17;
    int batch = 9;
    float[] w = gaussian(rng, rows * cols);
    boolean[] keep = randomKeep(rng, rows * cols, 0.6);
    float[] x = gaussian(rng, batch * cols);
    float[] bias = gaussian(rng, rows);
    CsrMatrix m = CsrMatrix.of("fc", w, rows, cols, keep);
    float[][] xT = CsrMatrix.featureMajor(x, batch, cols);
    assertThat(xT[4][2]).isEqualTo(x[2 * cols + 4]);
    float[][] outT = new float[rows][batch];
    m.multiplyFeatureMajor(xT, bias, outT);
    float[] y = CsrMatrix.sampleMajor(outT);
    assertThat(y[3 * rows + 5]).isEqualTo(outT[5][3]);
    assertClose(y, dense(w, keep, rows, cols, x, batch, bias), w, x, rows, cols, batch,
        "feature-major");
    assertThat(y).containsExactly(m.multiply(x, batch, bias));
    // one sample through the vector kernel
    float[] one = new float[rows];
    m.multiplyVector(Arrays.copyOf(x, cols), bias, one);
    assertClose(one, dense(w, keep, rows, cols, x, 1, bias), w, x, rows, cols, 1, "vector");
  }

  @Test
  void badShapesNameTheLayer() {
    CsrMatrix m = CsrMatrix.of("fc1_weight", new float[6], 2, 3, null);
    assertThatThrownBy(() -> m.multiply(new float[5], 2, null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("layer fc1_weight: an input of 5 values for batch 2 x 3 inputs");
    assertThatThrownBy(() -> m.multiply(new float[3], 0, null))
        .hasMessage("layer fc1_weight: batch must be at least 1, not 0");
    assertThatThrownBy(() -> m.multiply(new float[3], 1, new float[3]))
        .hasMessage("layer fc1_weight: a bias of 3 values for 2 outputs");
    assertThatThrownBy(() -> m.multiplyFeatureMajor(new float[3][2], null, new float[3][2]))
        .hasMessage("layer fc1_weight: 3 input and 3 output features for a [2, 3] matrix");
    assertThatThrownBy(() -> m.multiplyFeatureMajor(new float[][] {{1, 2}, {3}, {4, 5}}, null,
        new float[2][2]))
        .hasMessage("layer fc1_weight: input features of 1 and 2 samples");
    assertThatThrownBy(() -> m.multiplyVector(new float[3], null, new float[3]))
        .hasMessage("layer fc1_weight: an input of 3 and an output of 3 values for a [2, 3]"
            + " matrix");
    assertThatThrownBy(() -> CsrMatrix.of("fc", new float[5], 2, 3, null))
        .hasMessage("layer fc: 5 weight values for a [2, 3] matrix");
    assertThatThrownBy(() -> CsrMatrix.of("fc", new float[6], 2, 3, new boolean[5]))
        .hasMessage("layer fc: 5 mask entries for a [2, 3] matrix");

    Weights weights = Weights.builder().put("conv1_weight", new long[] {2, 1, 3, 3}, new float[18])
        .put("fc_weight", new long[] {2, 3}, new float[6]).build();
    Mask dense = Mask.dense(Map.of("fc_weight", new long[] {3, 2}));
    assertThatThrownBy(() -> CsrMatrix.of("conv1_weight", weights, dense))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("layer conv1_weight: a sparse linear layer needs a weight of rank 2 [out,"
            + " in], not (2, 1, 3, 3)");
    assertThatThrownBy(() -> CsrMatrix.of("fc_weight", weights, dense))
        .hasMessage("layer fc_weight: the weight has shape (2, 3), the mask (3, 2)");
    assertThatThrownBy(() -> CsrMatrix.of("fc9_weight", weights, dense))
        .hasMessage("layer fc9_weight: no such parameter in the weights");
  }

  // ---------------------------------------------------------------------------------------------

  /** y[s, r] = Σ_c kept(w[r, c]) x[s, c] + b[r], in double. */
  static double[] dense(float[] w, boolean[] keep, int rows, int cols, float[] x, int batch,
      float[] bias) {
    double[] y = new double[batch * rows];
    for (int s = 0; s < batch; s++) {
      for (int r = 0; r < rows; r++) {
        double sum = bias == null ? 0 : bias[r];
        for (int c = 0; c < cols; c++) {
          if (keep[r * cols + c]) {
            sum += (double) w[r * cols + c] * x[s * cols + c];
          }
        }
        y[s * rows + r] = sum;
      }
    }
    return y;
  }

  /** Float accumulation against double: within a few float epsilons of Σ|w x| per output. */
  private static void assertClose(float[] actual, double[] expected, float[] w, float[] x,
      int rows, int cols, int batch, String what) {
    assertThat(actual).hasSize(expected.length);
    for (int s = 0; s < batch; s++) {
      for (int r = 0; r < rows; r++) {
        double scale = 1;
        for (int c = 0; c < cols; c++) {
          scale += Math.abs((double) w[r * cols + c] * x[s * cols + c]);
        }
        int i = s * rows + r;
        assertThat((double) actual[i]).as("%s, sample %s row %s", what, s, r)
            .isCloseTo(expected[i], offset(1e-5 * scale));
      }
    }
  }

  static float[] gaussian(SplittableRandom rng, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      double u = rng.nextDouble(Double.MIN_NORMAL, 1.0);
      v[i] = (float) (Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.nextDouble()));
    }
    return v;
  }

  /** Exactly round((1 − sparsity) n) kept entries at random positions. */
  static boolean[] randomKeep(SplittableRandom rng, int n, double sparsity) {
    int kept = (int) Math.round((1 - sparsity) * n);
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      int t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    boolean[] keep = new boolean[n];
    for (int i = 0; i < kept; i++) {
      keep[order[i]] = true;
    }
    return keep;
  }

  static int count(boolean[] keep) {
    int n = 0;
    for (boolean k : keep) {
      n += k ? 1 : 0;
    }
    return n;
  }
}
