package io.github.lth.djl.structured;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.LambdaBlock;
import ai.djl.training.ParameterStore;
import java.util.function.Function;

/**
 * Parameter-free functions (DJL {@link LambdaBlock}s: activations, poolings, flatten) are opaque,
 * so before channels are removed from a function's input, the function is run on a probe: the
 * full input with the removed channels zero, and the narrow input without them. It qualifies
 * when the full output is zero wherever the removed channels went and equals the narrow output
 * everywhere else, which holds for ReLU, max and average pooling (also global) and NCHW flatten.
 */
final class FunctionCheck {
  /** Lambda blocks run their function and touch no parameter, so any store does. */
  private static final ParameterStore NO_PARAMETERS = new ParameterStore();
  private static final float TOLERANCE = 1e-6f;

  private FunctionCheck() {}

  /**
   * The positions along axis 1 of the function's output that survive, given the kept input
   * channels: the same channels when the function keeps axis 1's size, their blocks of features
   * when it flattens NCHW channels into (batch, features).
   *
   * @throws IllegalArgumentException naming the block if the function mixes channels, maps a
   *     zero channel to something else, or reshapes in another way
   */
  static KeptChannels keptAfter(LambdaBlock function, String block, Shape input,
      KeptChannels kept, NDManager scratch) {
    long[] dims = input.getShape().clone();
    dims[0] = 1;
    Shape full = new Shape(dims.clone());
    int inner = Math.toIntExact(full.size() / kept.size());
    float[] fullValues = new float[Math.toIntExact(full.size())];
    float[] narrowValues = new float[kept.count() * inner];
    for (int k = 0; k < kept.count(); k++) {
      int c = kept.indices()[k];
      for (int j = 0; j < inner; j++) {
        float v = probeValue(c * inner + j);
        fullValues[c * inner + j] = v;
        narrowValues[k * inner + j] = v;
      }
    }
    dims[1] = kept.count();
    try (NDManager m = scratch.newSubManager()) {
      NDArray wide = run(function, m.create(fullValues, full));
      NDArray narrow = run(function, m.create(narrowValues, new Shape(dims)));
      Shape out = wide.getShape();
      KeptChannels next = mapped(out, kept);
      if (next == null) {
        throw cannot(block, String.format("it turns %s into %s, which is neither per channel nor"
            + " an NCHW flatten", full, out));
      }
      long[] narrowOut = out.getShape().clone();
      narrowOut[1] = next.count();
      if (!narrow.getShape().equals(new Shape(narrowOut))) {
        throw cannot(block, String.format("with %s of its input channels it gives %s, not %s",
            next, narrow.getShape(), new Shape(narrowOut)));
      }
      if (!agrees(wide.toFloatArray(), narrow.toFloatArray(), next, out)) {
        throw cannot(block, "its output at the kept channels depends on the removed ones, or a"
            + " removed (zero) channel does not stay zero");
      }
      return next;
    }
  }

  /** The new block in place of {@code original}: the same function, run through it. */
  static LambdaBlock copy(LambdaBlock original) {
    Function<NDList, NDList> same = inputs -> original.forward(NO_PARAMETERS, inputs, false);
    return new LambdaBlock(same, original.getName());
  }

  private static NDArray run(LambdaBlock function, NDArray input) {
    return function.forward(NO_PARAMETERS, new NDList(input), false).singletonOrThrow();
  }

  private static KeptChannels mapped(Shape out, KeptChannels kept) {
    if (out.dimension() < 2) {
      return null;
    }
    long size = out.get(1);
    if (size == kept.size()) {
      return kept;
    }
    if (out.dimension() == 2 && size % kept.size() == 0) {
      return kept.expand(Math.toIntExact(size / kept.size()));
    }
    return null;
  }

  private static boolean agrees(float[] wide, float[] narrow, KeptChannels next, Shape out) {
    int inner = Math.toIntExact(out.size() / out.get(1));
    boolean[] keep = new boolean[next.size()];
    for (int p : next.indices()) {
      keep[p] = true;
    }
    int k = 0;
    for (int p = 0; p < next.size(); p++) {
      for (int j = 0; j < inner; j++) {
        float w = wide[p * inner + j];
        if (keep[p] ? Math.abs(w - narrow[k * inner + j]) > TOLERANCE * Math.max(1, Math.abs(w))
            : w != 0) {
          return false;
        }
      }
      if (keep[p]) {
        k++;
      }
    }
    return k * inner == narrow.length;
  }

  /** Positive and negative values of varied size, so ReLU and pooling both have work. */
  private static float probeValue(int i) {
    return ((i * 37L) % 23 - 11) / 7f;
  }

  private static IllegalArgumentException cannot(String block, String why) {
    return new IllegalArgumentException(String.format("channel removal: cannot remove channels"
        + " through block '%s': %s (a parameter-free block must act on each channel separately"
        + " and keep a zero channel zero, as ReLU, pooling and flatten do)", block, why));
  }
}
