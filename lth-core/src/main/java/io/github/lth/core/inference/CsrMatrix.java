package io.github.lth.core.inference;

import static com.google.common.base.Preconditions.checkArgument;

import io.github.lth.core.Mask;
import io.github.lth.core.Shapes;
import io.github.lth.core.Weights;
import java.util.Arrays;

/**
 * The kept weights of one linear layer in compressed sparse row form, for CPU inference with an
 * unstructured sparse mask: a weight {@code [out, in]} (row-major, as DJL's and PyTorch's
 * {@code Linear} store it) keeps, row by row, only the column index and value of each kept
 * weight. Multiplying computes {@code y = x Wᵀ + b} over the kept weights only, so its cost is
 * proportional to the number of kept weights rather than to {@code out × in}.
 *
 * <p>What is stored is decided by the mask, not by the values: a kept weight whose value is 0 is
 * stored, and a pruned weight is left out whatever its value (so the weights need not have been
 * zeroed by the mask). Instances are immutable and may be shared between threads.
 *
 * <pre>{@code
 * CsrMatrix fc1 = CsrMatrix.of("fc1_weight", weights, mask);      // [300, 784], 90 % pruned
 * float[] y = fc1.multiply(x, 64, weights.values("fc1_bias"));     // x [64, 784] -> y [64, 300]
 * }</pre>
 */
public final class CsrMatrix {
  /** Unrolled accumulators of the one-sample kernel: independent sums hide the add latency. */
  private static final int LANES = 4;

  private final String name;
  private final int rows;
  private final int columns;
  /** Row r's entries are at [rowStart[r], rowStart[r + 1]). */
  private final int[] rowStart;
  private final int[] columnIndex;
  private final float[] values;

  private CsrMatrix(String name, int rows, int columns, int[] rowStart, int[] columnIndex,
      float[] values) {
    this.name = name;
    this.rows = rows;
    this.columns = columns;
    this.rowStart = rowStart;
    this.columnIndex = columnIndex;
    this.values = values;
  }

  /**
   * The kept weights of parameter {@code layer} of {@code weights}, a rank-2 tensor {@code [out,
   * in]}. If {@code mask} covers the layer, its set bits decide which weights are kept; if not,
   * every weight is kept (a layer left dense).
   *
   * @throws IllegalArgumentException naming the layer if it is missing, not of rank 2, or of
   *     another shape than the mask's layer
   */
  public static CsrMatrix of(String layer, Weights weights, Mask mask) {
    checkArgument(weights.contains(layer), "layer %s: no such parameter in the weights", layer);
    long[] shape = weights.shape(layer);
    checkArgument(shape.length == 2, "layer %s: a sparse linear layer needs a weight of rank 2"
        + " [out, in], not %s", layer, Shapes.format(shape));
    if (!mask.contains(layer)) {
      return of(layer, weights.values(layer), Math.toIntExact(shape[0]),
          Math.toIntExact(shape[1]), null);
    }
    checkArgument(Arrays.equals(shape, mask.shape(layer)),
        "layer %s: the weight has shape %s, the mask %s", layer, Shapes.format(shape),
        Shapes.format(mask.shape(layer)));
    return build(layer, weights.values(layer), Math.toIntExact(shape[0]),
        Math.toIntExact(shape[1]), mask.words(layer));
  }

  /**
   * The weights of a dense row-major {@code [rows, columns]} matrix where {@code kept} is true
   * ({@code kept == null} keeps them all); {@code name} names the layer in error messages.
   *
   * <pre>{@code
   * CsrMatrix m = CsrMatrix.of("fc", new float[] {1, 2, 3, 4}, 2, 2,
   *     new boolean[] {true, false, false, true});    // 2 stored weights
   * }</pre>
   *
   * @throws IllegalArgumentException naming the layer if the lengths do not match the shape
   */
  public static CsrMatrix of(String name, float[] weight, int rows, int columns, boolean[] kept) {
    checkArgument(rows >= 0 && columns >= 0, "layer %s: negative shape [%s, %s]", name, rows,
        columns);
    long size = (long) rows * columns;
    checkArgument(weight.length == size, "layer %s: %s weight values for a [%s, %s] matrix",
        name, weight.length, rows, columns);
    checkArgument(kept == null || kept.length == size,
        "layer %s: %s mask entries for a [%s, %s] matrix", name,
        kept == null ? 0 : kept.length, rows, columns);
    long[] words = new long[(int) ((size + 63) >>> 6)];
    for (int i = 0; i < size; i++) {
      if (kept == null || kept[i]) {
        words[i >>> 6] |= 1L << i;
      }
    }
    return build(name, weight, rows, columns, words);
  }

  private static CsrMatrix build(String name, float[] weight, int rows, int columns,
      long[] words) {
    int nonZeros = 0;
    for (long w : words) {
      nonZeros += Long.bitCount(w);
    }
    int[] rowStart = new int[rows + 1];
    int[] columnIndex = new int[nonZeros];
    float[] values = new float[nonZeros];
    int k = 0;
    for (int r = 0; r < rows; r++) {
      int base = r * columns;
      for (int c = 0; c < columns; c++) {
        int i = base + c;
        if ((words[i >>> 6] & (1L << i)) != 0) {
          columnIndex[k] = c;
          values[k] = weight[i];
          k++;
        }
      }
      rowStart[r + 1] = k;
    }
    return new CsrMatrix(name, rows, columns, rowStart, columnIndex, values);
  }

  /** The layer name given at construction, used in error messages. */
  public String name() {
    return name;
  }

  /** Output features: the weight's first dimension. */
  public int rows() {
    return rows;
  }

  /** Input features: the weight's second dimension. */
  public int columns() {
    return columns;
  }

  /** Number of stored (kept) weights, including kept weights whose value is 0. */
  public int nonZeros() {
    return values.length;
  }

  /** Number of stored weights of one row. */
  public int nonZeros(int row) {
    return rowStart[row + 1] - rowStart[row];
  }

  /** The matrix as a dense row-major {@code [rows, columns]} array, pruned entries 0. */
  public float[] toDense() {
    float[] out = new float[rows * columns];
    for (int r = 0; r < rows; r++) {
      for (int k = rowStart[r]; k < rowStart[r + 1]; k++) {
        out[r * columns + columnIndex[k]] = values[k];
      }
    }
    return out;
  }

  /**
   * {@code y = x Wᵀ + b} for a batch: {@code input} is {@code [batch, columns]} row-major, the
   * result {@code [batch, rows]} row-major; {@code bias} (length {@code rows}) may be null.
   *
   * <pre>{@code
   * float[] y = m.multiply(x, 1, null);    // one sample, no bias
   * }</pre>
   *
   * @throws IllegalArgumentException naming the layer if a length does not fit
   */
  public float[] multiply(float[] input, int batch, float[] bias) {
    checkArgument(batch >= 1, "layer %s: batch must be at least 1, not %s", name, batch);
    checkArgument(input.length == (long) batch * columns,
        "layer %s: an input of %s values for batch %s x %s inputs", name, input.length, batch,
        columns);
    checkBias(bias);
    float[] out = new float[batch * rows];
    if (batch == 1) {
      multiplyVector(input, bias, out);
      return out;
    }
    float[][] outT = new float[rows][batch];
    multiplyFeatureMajor(featureMajor(input, batch, columns), bias, outT);
    return sampleMajor(outT);
  }

  /**
   * {@code y = x Wᵀ + b} for a batch in the feature-major layout: {@code inputT[c]} holds
   * feature {@code c} of every sample ({@code columns} arrays of length {@code batch}), and
   * {@code outputT[r]} receives output {@code r} of every sample ({@code rows} arrays of the same
   * length). Layers chained in this layout need no transposes between them, and each stored
   * weight updates one contiguous array from index 0, a loop the JIT vectorizes.
   *
   * <pre>{@code
   * float[][] yT = new float[m.rows()][64];
   * m.multiplyFeatureMajor(CsrMatrix.featureMajor(x, 64, m.columns()), bias, yT);
   * }</pre>
   *
   * @throws IllegalArgumentException naming the layer if a length does not fit
   */
  public void multiplyFeatureMajor(float[][] inputT, float[] bias, float[][] outputT) {
    checkArgument(inputT.length == columns && outputT.length == rows,
        "layer %s: %s input and %s output features for a [%s, %s] matrix", name,
        inputT.length, outputT.length, rows, columns);
    checkBias(bias);
    int batch = rows > 0 ? outputT[0].length : columns > 0 ? inputT[0].length : 0;
    for (float[] x : inputT) {
      checkArgument(x.length == batch, "layer %s: input features of %s and %s samples", name,
          x.length, batch);
    }
    for (float[] y : outputT) {
      checkArgument(y.length == batch, "layer %s: output features of %s and %s samples", name,
          y.length, batch);
    }
    int[] start = rowStart;
    int[] col = columnIndex;
    float[] v = values;
    for (int r = 0; r < rows; r++) {
      float[] acc = outputT[r];
      Arrays.fill(acc, bias == null ? 0f : bias[r]);
      for (int k = start[r]; k < start[r + 1]; k++) {
        float w = v[k];
        float[] x = inputT[col[k]];
        for (int s = 0; s < batch; s++) {
          acc[s] += w * x[s];
        }
      }
    }
  }

  /**
   * One sample, {@code y = W x + b}, into {@code out} (length {@code rows}); the kernel of batch
   * 1, without allocation.
   *
   * @throws IllegalArgumentException naming the layer if a length does not fit
   */
  public void multiplyVector(float[] x, float[] bias, float[] out) {
    checkArgument(x.length == columns && out.length == rows,
        "layer %s: an input of %s and an output of %s values for a [%s, %s] matrix", name,
        x.length, out.length, rows, columns);
    checkBias(bias);
    int[] start = rowStart;
    int[] col = columnIndex;
    float[] v = values;
    for (int r = 0; r < rows; r++) {
      int k = start[r];
      int end = start[r + 1];
      float s0 = 0;
      float s1 = 0;
      float s2 = 0;
      float s3 = 0;
      for (; k + LANES <= end; k += LANES) {
        s0 += v[k] * x[col[k]];
        s1 += v[k + 1] * x[col[k + 1]];
        s2 += v[k + 2] * x[col[k + 2]];
        s3 += v[k + 3] * x[col[k + 3]];
      }
      for (; k < end; k++) {
        s0 += v[k] * x[col[k]];
      }
      float sum = (s0 + s1) + (s2 + s3);
      out[r] = bias == null ? sum : sum + bias[r];
    }
  }

  private void checkBias(float[] bias) {
    checkArgument(bias == null || bias.length == rows,
        "layer %s: a bias of %s values for %s outputs", name,
        bias == null ? 0 : bias.length, rows);
  }

  /**
   * A row-major {@code [batch, features]} batch in the feature-major layout: {@code features}
   * arrays of length {@code batch}.
   */
  public static float[][] featureMajor(float[] input, int batch, int features) {
    checkArgument(batch >= 1 && input.length == (long) batch * features,
        "an input of %s values for batch %s x %s features", input.length, batch, features);
    float[][] out = new float[features][batch];
    for (int s = 0; s < batch; s++) {
      int base = s * features;
      for (int f = 0; f < features; f++) {
        out[f][s] = input[base + f];
      }
    }
    return out;
  }

  /** The feature-major {@code outputT} as a row-major {@code [batch, features]} batch. */
  public static float[] sampleMajor(float[][] outputT) {
    int features = outputT.length;
    int batch = features == 0 ? 0 : outputT[0].length;
    float[] out = new float[batch * features];
    for (int f = 0; f < features; f++) {
      float[] y = outputT[f];
      for (int s = 0; s < batch; s++) {
        out[s * features + f] = y[s];
      }
    }
    return out;
  }

  @Override
  public String toString() {
    return String.format("CsrMatrix[%s, %d x %d, %d stored]", name, rows, columns,
        values.length);
  }
}
