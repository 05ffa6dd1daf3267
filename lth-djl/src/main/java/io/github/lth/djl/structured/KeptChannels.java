package io.github.lth.djl.structured;

import static com.google.common.base.Preconditions.checkArgument;

import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * Which of the {@code size} positions along axis 1 (channels of NCHW activations, features of
 * (batch, features) ones) of an activation of the original model survive in the rebuilt one, in
 * increasing order.
 */
record KeptChannels(int size, int[] indices) {

  KeptChannels {
    checkArgument(indices.length > 0 && indices.length <= size,
        "kept channels: %s of %s", indices.length, size);
  }

  static KeptChannels all(int size) {
    return new KeptChannels(size, IntStream.range(0, size).toArray());
  }

  /** Every position of axis 1 of {@code shape}, or a single one for shapes of rank below 2. */
  static KeptChannels allOf(Shape shape) {
    return all(shape.dimension() >= 2 ? Math.toIntExact(shape.get(1)) : 1);
  }

  int count() {
    return indices.length;
  }

  boolean complete() {
    return indices.length == size;
  }

  /** The indices to cut with, or null when nothing is cut. */
  int[] selection() {
    return complete() ? null : indices;
  }

  /**
   * The features of an NCHW flatten: channel c becomes features {@code c * per .. (c + 1) * per
   * - 1}, so a kept channel keeps its whole block.
   */
  KeptChannels expand(int per) {
    int[] out = new int[indices.length * per];
    for (int k = 0; k < indices.length; k++) {
      for (int j = 0; j < per; j++) {
        out[k * per + j] = indices[k] * per + j;
      }
    }
    return new KeptChannels(size * per, out);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof KeptChannels k && k.size == size && Arrays.equals(k.indices, indices);
  }

  @Override
  public int hashCode() {
    return 31 * size + Arrays.hashCode(indices);
  }

  @Override
  public String toString() {
    return count() + " of " + size;
  }
}
