package io.github.lth.core.sparse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BlockFisherTest {

  @Test
  void woodburyInverseDiagonalEqualsDenseInversionOfEachBlock() {
    // m below and above the block size: Woodbury holds for both.
    for (int m : new int[] {3, 9}) {
      int n = 23;
      int block = 5;
      double lambda = 0.3;
      List<float[]> grads = gaussians(m, n, 100 + m);
      BlockFisher fisher = BlockFisher.estimate(grads, block, lambda);
      for (int start = 0; start < n; start += block) {
        int width = Math.min(block, n - start);
        double[][] inverse = invert(denseFisher(grads, start, width, lambda));
        for (int j = 0; j < width; j++) {
          double expected = inverse[j][j];
          double actual = fisher.inverseDiagonal(start + j);
          assertThat(Math.abs(actual - expected) / expected)
              .as("m=%s index %s", m, start + j).isLessThan(1e-9);
        }
      }
    }
  }

  @Test
  void pruneIsTheConstrainedMinimizerOfTheQuadraticModel() {
    int n = 12;
    int m = 5;
    double lambda = 0.5;
    List<float[]> grads = gaussians(m, n, 7);
    double[][] h = denseFisher(grads, 0, n, lambda);
    double[][] hInverse = invert(h);
    BlockFisher fisher = BlockFisher.estimate(grads, n, lambda);
    float[] optimum = gaussians(1, n, 8).get(0);
    // Fewer and more removed entries than gradients.
    for (int[] removed : new int[][] {{3, 9}, {0, 2, 3, 5, 6, 8, 11}, {1, 4, 7, 10}}) {
      BitSet keep = new BitSet();
      keep.set(0, n);
      for (int q : removed) {
        keep.clear(q);
      }
      float[] pruned = fisher.prune(optimum, keep.toLongArray());

      // Minimize ½ (w − w*)ᵀ H (w − w*) over the free coordinates with w_Q = 0:
      // H_ff (w_f − w*_f) + H_fQ (0 − w*_Q) = 0.
      int[] free = keep.stream().toArray();
      double[][] hff = new double[free.length][free.length];
      double[] rhs = new double[free.length];
      for (int a = 0; a < free.length; a++) {
        for (int c = 0; c < free.length; c++) {
          hff[a][c] = h[free[a]][free[c]];
        }
        for (int q : removed) {
          rhs[a] += h[free[a]][q] * optimum[q];
        }
      }
      double[] shift = solve(hff, rhs);
      double[] expected = new double[n];
      for (int a = 0; a < free.length; a++) {
        expected[free[a]] = optimum[free[a]] + shift[a];
      }

      // The update as written in the OBS derivation, from the dense inverse.
      double[][] sQq = new double[removed.length][removed.length];
      double[] wQ = new double[removed.length];
      for (int a = 0; a < removed.length; a++) {
        wQ[a] = optimum[removed[a]];
        for (int c = 0; c < removed.length; c++) {
          sQq[a][c] = hInverse[removed[a]][removed[c]];
        }
      }
      double[] z = solve(sQq, wQ);
      for (int q = 0; q < n; q++) {
        double delta = 0;
        for (int a = 0; a < removed.length; a++) {
          delta -= hInverse[q][removed[a]] * z[a];
        }
        double obs = keep.get(q) ? optimum[q] + delta : 0;
        assertThat(obs).as("OBS formula vs constrained minimizer at %s", q)
            .isCloseTo(expected[q], within(1e-9));
      }

      for (int q = 0; q < n; q++) {
        if (keep.get(q)) {
          assertThat((double) pruned[q]).as("index %s", q).isCloseTo(expected[q], within(1e-5));
        } else {
          assertThat(Float.floatToRawIntBits(pruned[q])).as("index %s", q).isZero();
        }
      }
      double increase = 0;
      for (int a = 0; a < n; a++) {
        for (int c = 0; c < n; c++) {
          increase += 0.5 * (pruned[a] - optimum[a]) * h[a][c] * (pruned[c] - optimum[c]);
        }
      }
      double predicted = 0;
      for (int a = 0; a < removed.length; a++) {
        predicted += 0.5 * wQ[a] * z[a];
      }
      assertThat(increase).isCloseTo(predicted, within(1e-5 * predicted));
      assertThat(optimum).as("input untouched").isEqualTo(gaussians(1, n, 8).get(0));
    }
  }

  @Test
  void updatesStayInsideTheirBlock() {
    int n = 40;
    int block = 8;
    int m = 3;
    List<float[]> grads = gaussians(m, n, 21);
    BlockFisher fisher = BlockFisher.estimate(grads, block, 0.1);
    float[] w = gaussians(1, n, 22).get(0);
    w[0] = -0.0f;
    w[9] = -0.0f;
    BitSet keep = new BitSet();
    keep.set(0, n);
    for (int q : new int[] {9, 12, 14, 24, 25, 26, 27, 28, 29, 30, 31}) {
      keep.clear(q);
    }
    float[] pruned = fisher.prune(w, keep.toLongArray());

    for (int q = 0; q < n; q++) {
      int b = q / block;
      if (b == 0 || b == 2 || b == 4) {
        assertThat(Float.floatToRawIntBits(pruned[q])).as("index %s", q)
            .isEqualTo(Float.floatToRawIntBits(w[q]));
      } else if (!keep.get(q)) {
        assertThat(Float.floatToRawIntBits(pruned[q])).as("index %s", q).isZero();
      }
    }
    // Block 1 lost some entries: its kept entries moved, exactly as a Fisher of that block alone.
    List<float[]> blockGrads = new ArrayList<>();
    for (float[] g : grads) {
      blockGrads.add(Arrays.copyOfRange(g, 8, 16));
    }
    BitSet blockKeep = keep.get(8, 16);
    float[] alone = BlockFisher.estimate(blockGrads, block, 0.1)
        .prune(Arrays.copyOfRange(w, 8, 16), blockKeep.toLongArray());
    for (int j = 0; j < 8; j++) {
      assertThat(pruned[8 + j]).isEqualTo(alone[j]);
    }
    assertThat(pruned[8]).isNotEqualTo(w[8]);
    // Block 3 lost everything.
    for (int q = 24; q < 32; q++) {
      assertThat(Float.floatToRawIntBits(pruned[q])).isZero();
    }
  }

  @Test
  void oneRemovedWeightGivesTheClassicObsUpdateAndSaliency() {
    int n = 20;
    int block = 10;
    double lambda = 0.2;
    List<float[]> grads = gaussians(4, n, 31);
    BlockFisher fisher = BlockFisher.estimate(grads, block, lambda);
    float[] w = gaussians(1, n, 32).get(0);
    double[][] inverse = invert(denseFisher(grads, block, block, lambda));
    int q = 13;
    int j = q - block;
    BitSet keep = new BitSet();
    keep.set(0, n);
    keep.clear(q);
    float[] pruned = fisher.prune(w, keep.toLongArray());

    for (int k = 0; k < block; k++) {
      double expected = w[block + k] - w[q] / inverse[j][j] * inverse[k][j];
      assertThat((double) pruned[block + k]).as("index %s", block + k)
          .isCloseTo(k == j ? 0 : expected, within(1e-5));
    }
    assertThat(Float.floatToRawIntBits(pruned[q])).isZero();
    float[] saliency = fisher.saliencies(w);
    for (int k = 0; k < block; k++) {
      double expected = (double) w[block + k] * w[block + k] / (2 * inverse[k][k]);
      assertThat((double) saliency[block + k]).isCloseTo(expected, within(1e-6 * expected));
    }
  }

  @Test
  void rejectsBadInputsWithClearMessages() {
    List<float[]> grads = gaussians(3, 5, 41);
    List<float[]> ragged = new ArrayList<>(grads);
    ragged.set(2, new float[4]);
    assertThatThrownBy(() -> BlockFisher.estimate(ragged, 2, 0.1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("gradient 2 has 4 entries, gradient 0 has 5");
    assertThatThrownBy(() -> BlockFisher.estimate(grads, 0, 0.1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("blockSize must be at least 1: 0");
    for (double bad : new double[] {0, -1, Double.NaN, Double.POSITIVE_INFINITY}) {
      assertThatThrownBy(() -> BlockFisher.estimate(grads, 2, bad))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("dampening must be positive and finite: " + bad);
    }
    List<float[]> nan = new ArrayList<>(grads);
    nan.set(1, new float[] {0, 0, 0, Float.NaN, 0});
    assertThatThrownBy(() -> BlockFisher.estimate(nan, 2, 0.1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("gradient 1 is not finite at index 3: NaN");
    assertThatThrownBy(() -> BlockFisher.estimate(List.of(), 2, 0.1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("at least one gradient is needed");

    BlockFisher fisher = BlockFisher.estimate(grads, 2, 0.1);
    assertThatThrownBy(() -> fisher.saliencies(new float[4]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("4 weights for a Fisher of 5 entries");
    assertThatThrownBy(() -> fisher.prune(new float[6], new long[] {-1L}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("6 weights for a Fisher of 5 entries");
    assertThatThrownBy(() -> fisher.prune(new float[5], new long[] {0b100001L}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("keptWords keeps index 5 of a layer of 5 weights");
    assertThatThrownBy(() -> fisher.prune(new float[] {0, 0, Float.POSITIVE_INFINITY, 0, 0},
        new long[] {0b11111L}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("weight 2 is not finite: Infinity");
    assertThatThrownBy(() -> fisher.inverseDiagonal(5))
        .isInstanceOf(IndexOutOfBoundsException.class);
  }

  private static List<float[]> gaussians(int count, int n, long seed) {
    Random random = new Random(seed);
    List<float[]> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      float[] g = new float[n];
      for (int q = 0; q < n; q++) {
        g[q] = (float) random.nextGaussian();
      }
      out.add(g);
    }
    return out;
  }

  /** λ I + (1/m) Σ g gᵀ on entries {@code start .. start + width − 1}. */
  private static double[][] denseFisher(List<float[]> grads, int start, int width,
      double lambda) {
    double[][] f = new double[width][width];
    for (float[] g : grads) {
      for (int a = 0; a < width; a++) {
        for (int c = 0; c < width; c++) {
          f[a][c] += (double) g[start + a] * g[start + c] / grads.size();
        }
      }
    }
    for (int a = 0; a < width; a++) {
      f[a][a] += lambda;
    }
    return f;
  }

  /** Gauss–Jordan elimination with partial pivoting. */
  private static double[][] invert(double[][] a) {
    int n = a.length;
    double[][] aug = new double[n][2 * n];
    for (int r = 0; r < n; r++) {
      System.arraycopy(a[r], 0, aug[r], 0, n);
      aug[r][n + r] = 1;
    }
    for (int col = 0; col < n; col++) {
      int pivot = col;
      for (int r = col + 1; r < n; r++) {
        if (Math.abs(aug[r][col]) > Math.abs(aug[pivot][col])) {
          pivot = r;
        }
      }
      double[] swap = aug[col];
      aug[col] = aug[pivot];
      aug[pivot] = swap;
      double p = aug[col][col];
      for (int c = 0; c < 2 * n; c++) {
        aug[col][c] /= p;
      }
      for (int r = 0; r < n; r++) {
        if (r != col) {
          double factor = aug[r][col];
          for (int c = 0; c < 2 * n; c++) {
            aug[r][c] -= factor * aug[col][c];
          }
        }
      }
    }
    double[][] out = new double[n][n];
    for (int r = 0; r < n; r++) {
      System.arraycopy(aug[r], n, out[r], 0, n);
    }
    return out;
  }

  private static double[] solve(double[][] a, double[] b) {
    double[][] inverse = invert(a);
    double[] x = new double[b.length];
    for (int r = 0; r < b.length; r++) {
      for (int c = 0; c < b.length; c++) {
        x[r] += inverse[r][c] * b[c];
      }
    }
    return x;
  }
}
