package io.github.lth.benchmarks.inference;

import static com.google.common.base.Preconditions.checkState;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import io.github.lth.core.Mask;
import io.github.lth.core.ParameterInfo;
import io.github.lth.core.Pruner;
import io.github.lth.core.Subnetwork;
import io.github.lth.core.Weights;
import io.github.lth.core.prune.ParameterSelector;
import io.github.lth.core.prune.PruningCriteria;
import io.github.lth.core.prune.PruningScope;
import io.github.lth.djl.DjlModel;
import io.github.lth.core.structured.FilterCriteria;
import io.github.lth.core.structured.FilterPruner;
import io.github.lth.djl.models.Models;
import io.github.lth.djl.structured.ChannelRemoval;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * What the inference benchmarks share: the models (28×28 single-channel images, 10 classes, the
 * same initialization for every contender), their global magnitude masks, the input batches and
 * one DJL forward pass from a host array to host logits.
 */
final class InferenceModels {
  static final int CHANNELS = 1;
  static final int SIDE = 28;
  static final int CLASSES = 10;
  static final long MODEL_SEED = 42;
  static final long INPUT_SEED = 7;

  private InferenceModels() {}

  /**
   * A fresh model on the CPU with the benchmark's weights; fails unless PyTorch computes on one
   * intra-op thread, which the benchmarks' forks ask for so that DJL and the plain-Java path
   * each use one core.
   */
  static DjlModel create(String modelName) {
    System.setProperty("ai.djl.offline", "true");
    DjlModel model = DjlModel.create(Models.create(modelName, CHANNELS, SIDE, SIDE, CLASSES),
        new Shape(1, CHANNELS, SIDE, SIDE), Device.cpu(), MODEL_SEED);
    checkState(JniUtils.getNumThreads() == 1, "PyTorch runs %s intra-op threads; the inference"
        + " benchmarks compare one thread with one (-Dai.djl.pytorch.num_threads=1)",
        JniUtils.getNumThreads());
    return model;
  }

  /**
   * The model's default prunable weights (for LeNet-300-100: fc1 and fc2; the head fc3 stays
   * dense) pruned to {@code sparsity} by global magnitude; all kept at 0.
   */
  static Mask magnitudeMask(DjlModel model, String modelName, double sparsity) {
    Mask dense = denseMask(model, Models.defaultPrunable(modelName));
    if (sparsity == 0) {
      return dense;
    }
    Weights w = model.weights(dense.layers());
    return Pruner.pruneTo(dense, PruningCriteria.magnitude().score(Subnetwork.of(dense, w)),
        PruningScope.GLOBAL, sparsity);
  }

  /**
   * Width multiple of the rebuilt models: the PyTorch 2.7.1 CPU engine miscomputes convolutions
   * of more than 16 input channels that are not a multiple of 16 on AVX-512 machines (such as
   * the one the README's table comes from), and SIMD kernels favour such widths anyway.
   */
  static final int CHANNEL_MULTIPLE = 16;

  /**
   * The model with {@code filterSparsity} of the filters of {@code Models.structuredPrunable}
   * pruned by global L1 norm (whole filters with their biases and BatchNorm gamma, beta), rebuilt
   * smaller and dense by {@code ChannelRemoval.shrink}; checked to give the masked model's logits
   * on {@code images}. The caller closes it.
   */
  static DjlModel shrunk(String modelName, double filterSparsity, float[] images, int batch) {
    try (DjlModel masked = create(modelName)) {
      Mask dense = denseMask(masked, Models.structuredPrunable(modelName));
      Weights w = masked.weights(dense.layers());
      Mask mask = FilterPruner.pruneTo(dense,
          FilterCriteria.l1().scoreFilters(Subnetwork.of(dense, w)), PruningScope.GLOBAL,
          filterSparsity);
      masked.applyMask(mask);
      DjlModel small = ChannelRemoval.shrink(masked, CHANNEL_MULTIPLE);
      checkSameLogits("shrunk", forward(masked, images, batch), forward(small, images, batch));
      System.out.printf("%n%s: %.0f%% of the filters pruned, %s%n", modelName,
          100 * filterSparsity, ChannelRemoval.plan(masked, CHANNEL_MULTIPLE));
      return small;
    }
  }

  /** The all-kept mask of the parameters {@code selector} picks from the model. */
  private static Mask denseMask(DjlModel model, ParameterSelector selector) {
    Map<String, long[]> shapes = new LinkedHashMap<>();
    for (ParameterInfo p : selector.select(model.parameters())) {
      shapes.put(p.name(), p.shape());
    }
    return Mask.dense(shapes);
  }

  /** All parameters of the model, as they are now (masked if a mask was applied). */
  static Weights allWeights(DjlModel model) {
    List<String> names = model.parameters().stream().map(ParameterInfo::name).toList();
    return model.weights(names);
  }

  /** A batch of images with pixels uniform in [0, 1), row-major {@code [batch, 1, 28, 28]}. */
  static float[] images(int batch) {
    SplittableRandom rng = new SplittableRandom(INPUT_SEED);
    float[] x = new float[batch * CHANNELS * SIDE * SIDE];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) rng.nextDouble();
    }
    return x;
  }

  /**
   * One inference as an application runs it: the host images become a tensor, the model runs in
   * evaluation mode, the logits come back to the host; the pass's arrays are freed.
   */
  static float[] forward(DjlModel model, float[] images, int batch) {
    try (NDManager scope = model.manager().newSubManager()) {
      NDArray x = scope.create(images, new Shape(batch, CHANNELS, SIDE, SIDE));
      return model.forward(new NDList(x), false).singletonOrThrow().toFloatArray();
    }
  }

  /** Fails unless two contenders give the same logits, so that they are timed on one task. */
  static void checkSameLogits(String what, float[] expected, float[] actual) {
    checkState(expected.length == actual.length, "%s: %s logits, expected %s", what,
        actual.length, expected.length);
    double worst = 0;
    for (int i = 0; i < expected.length; i++) {
      worst = Math.max(worst, Math.abs(expected[i] - actual[i])
          / (1e-3 + Math.abs(expected[i])));
    }
    checkState(worst < 1e-3, "%s: logits differ from the masked DJL model's by a relative %s",
        what, worst);
  }
}
