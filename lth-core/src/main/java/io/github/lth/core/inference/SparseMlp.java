package io.github.lth.core.inference;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableList;
import io.github.lth.core.Mask;
import io.github.lth.core.Shapes;
import io.github.lth.core.Weights;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A multilayer perceptron of sparse linear layers ({@link CsrMatrix}) with ReLU between them and
 * none after the last, for CPU inference of a model pruned without structure, such as
 * LeNet-300-100 ({@code flatten → fc1 → ReLU → fc2 → ReLU → fc3}). The input is flattened: a
 * sample is the C-order flattening of its image, as DJL's batch-flatten block produces it.
 *
 * <p>Built from a model's weights and mask: each linear layer is a rank-2 parameter named
 * {@code <layer>_weight} (DJL) or {@code <layer>.weight} (PyTorch), with an optional rank-1
 * {@code <layer>_bias} / {@code <layer>.bias}. Weights the mask covers keep only their kept
 * entries; a bias the mask covers has its pruned entries set to 0; layers the mask does not
 * cover stay dense. Instances are immutable and thread-safe; every {@link #forward} allocates
 * its own buffers.
 *
 * <pre>{@code
 * DjlModel model = ...;                        // LeNet-300-100, trained and masked
 * Weights w = model.weights(model.parameters().stream().map(ParameterInfo::name).toList());
 * SparseMlp mlp = SparseMlp.of(w, model.mask().orElseThrow());
 * float[] logits = mlp.forward(images, 64);    // images [64, 784] -> logits [64, 10]
 * }</pre>
 */
public final class SparseMlp {
  private final ImmutableList<CsrMatrix> layers;
  /** Per layer, the bias with the mask applied, or null for a layer without one. */
  private final float[][] biases;

  private SparseMlp(List<CsrMatrix> layers, List<float[]> biases) {
    this.layers = ImmutableList.copyOf(layers);
    this.biases = biases.toArray(new float[0][]);
  }

  /**
   * The linear layers of {@code weights}, in their order: every parameter is either a rank-2
   * weight or the rank-1 bias of one.
   *
   * @throws IllegalArgumentException naming the parameter if one is neither (a convolution, a
   *     BatchNorm parameter), if consecutive layers do not fit, or if the mask covers a parameter
   *     the weights do not have or has another shape
   */
  public static SparseMlp of(Weights weights, Mask mask) {
    List<String> layers = new ArrayList<>();
    Set<String> biases = new LinkedHashSet<>();
    for (String name : weights.names()) {
      long[] shape = weights.shape(name);
      String prefix = prefix(name, "weight");
      if (prefix != null && shape.length == 2) {
        layers.add(prefix);
        String bias = biasName(weights, name, prefix);
        if (bias != null) {
          biases.add(bias);
        }
      }
    }
    for (String name : weights.names()) {
      if (!biases.contains(name) && !layers.contains(prefix(name, "weight"))) {
        throw new IllegalArgumentException(String.format("parameter %s of shape %s is not a"
            + " linear layer's weight or bias; a SparseMlp has only linear layers", name,
            Shapes.format(weights.shape(name))));
      }
    }
    return of(weights, mask, layers);
  }

  /**
   * The named linear layers of {@code weights} in the given order ({@code "fc1"} stands for
   * {@code fc1_weight} or {@code fc1.weight} and its bias); other parameters are ignored.
   *
   * <pre>{@code
   * SparseMlp backbone = SparseMlp.of(w, mask, List.of("fc1", "fc2"));   // 784 -> 100
   * }</pre>
   *
   * @throws IllegalArgumentException naming the layer if it is missing, not of rank 2, does not
   *     fit the previous layer or its mask, or has a bias of the wrong shape
   */
  public static SparseMlp of(Weights weights, Mask mask, List<String> layerNames) {
    checkArgument(!layerNames.isEmpty(), "a SparseMlp needs at least one layer");
    for (String layer : mask.layers()) {
      checkArgument(weights.contains(layer), "mask layer %s is not a parameter of the weights",
          layer);
      checkArgument(Arrays.equals(weights.shape(layer), mask.shape(layer)),
          "mask layer %s has shape %s, the weights have %s", layer,
          Shapes.format(mask.shape(layer)), Shapes.format(weights.shape(layer)));
    }
    List<CsrMatrix> csr = new ArrayList<>();
    List<float[]> biases = new ArrayList<>();
    for (String layer : layerNames) {
      String weight = weights.contains(layer + "_weight") ? layer + "_weight"
          : weights.contains(layer + ".weight") ? layer + ".weight" : null;
      checkArgument(weight != null, "layer %s: no parameter %s_weight or %s.weight", layer,
          layer, layer);
      CsrMatrix m = CsrMatrix.of(weight, weights, mask);
      if (!csr.isEmpty()) {
        CsrMatrix previous = csr.get(csr.size() - 1);
        checkArgument(m.columns() == previous.rows(), "layer %s: takes %s inputs, but the"
            + " previous layer %s gives %s outputs", weight, m.columns(), previous.name(),
            previous.rows());
      }
      csr.add(m);
      String bias = biasName(weights, weight, layer);
      float[] b = null;
      if (bias != null) {
        long[] shape = weights.shape(bias);
        checkArgument(shape.length == 1 && shape[0] == m.rows(), "layer %s: bias %s has shape"
            + " %s, expected %s", layer, bias, Shapes.format(shape),
            Shapes.format(new long[] {m.rows()}));
        b = weights.values(bias);
        if (mask.contains(bias)) {
          mask.applyTo(bias, b);
        }
      }
      biases.add(b);
    }
    return new SparseMlp(csr, biases);
  }

  /** What precedes {@code suffix} and its separator ({@code _} or {@code .}), or null. */
  private static String prefix(String name, String suffix) {
    for (String sep : new String[] {"_", "."}) {
      if (name.endsWith(sep + suffix)) {
        return name.substring(0, name.length() - suffix.length() - 1);
      }
    }
    return name.equals(suffix) ? "" : null;
  }

  /** The bias written in the same convention as {@code weight}, if the weights have it. */
  private static String biasName(Weights weights, String weight, String prefix) {
    String bias = prefix.isEmpty() ? "bias"
        : prefix + weight.charAt(prefix.length()) + "bias";
    return weights.contains(bias) ? bias : null;
  }

  /** The layers in order. */
  public List<CsrMatrix> layers() {
    return layers;
  }

  /** Input features of a sample. */
  public int inputSize() {
    return layers.get(0).columns();
  }

  /** Outputs (logits) of a sample. */
  public int outputSize() {
    return layers.get(layers.size() - 1).rows();
  }

  /** Stored weights over all layers. */
  public long nonZeros() {
    long n = 0;
    for (CsrMatrix m : layers) {
      n += m.nonZeros();
    }
    return n;
  }

  /**
   * The logits of a batch: {@code input} is {@code [batch, inputSize()]} row-major (each sample
   * flattened), the result {@code [batch, outputSize()]} row-major.
   *
   * <pre>{@code
   * float[] logits = mlp.forward(image, 1);    // image: 784 floats
   * }</pre>
   *
   * @throws IllegalArgumentException if the input length is not {@code batch × inputSize()}
   */
  public float[] forward(float[] input, int batch) {
    checkArgument(batch >= 1, "batch must be at least 1, not %s", batch);
    checkArgument(input.length == (long) batch * inputSize(),
        "an input of %s values for batch %s x %s inputs of layer %s", input.length, batch,
        inputSize(), layers.get(0).name());
    if (batch == 1) {
      float[] x = input;
      for (int l = 0; l < layers.size(); l++) {
        CsrMatrix m = layers.get(l);
        float[] y = new float[m.rows()];
        m.multiplyVector(x, biases[l], y);
        if (l < layers.size() - 1) {
          relu(y);
        }
        x = y;
      }
      return x;
    }
    // activations stay feature-major ([features][batch]) from the first layer to the last, so
    // a batch is transposed once on the way in and once on the way out
    float[][] x = CsrMatrix.featureMajor(input, batch, inputSize());
    for (int l = 0; l < layers.size(); l++) {
      CsrMatrix m = layers.get(l);
      float[][] y = new float[m.rows()][batch];
      m.multiplyFeatureMajor(x, biases[l], y);
      if (l < layers.size() - 1) {
        for (float[] feature : y) {
          relu(feature);
        }
      }
      x = y;
    }
    return CsrMatrix.sampleMajor(x);
  }

  private static void relu(float[] v) {
    for (int i = 0; i < v.length; i++) {
      v[i] = Math.max(v[i], 0f);
    }
  }

  @Override
  public String toString() {
    StringBuilder s = new StringBuilder("SparseMlp[");
    for (int l = 0; l < layers.size(); l++) {
      CsrMatrix m = layers.get(l);
      s.append(l == 0 ? "" : ", ").append(m.name()).append(' ').append(m.rows()).append('x')
          .append(m.columns()).append(" (").append(m.nonZeros()).append(" stored)");
    }
    return s.append(']').toString();
  }
}
