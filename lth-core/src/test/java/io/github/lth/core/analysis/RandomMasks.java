package io.github.lth.core.analysis;

import io.github.lth.core.Mask;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Random masks for the analysis tests, kept beside their plain boolean arrays, which is what the
 * tests compute every expected value from.
 */
final class RandomMasks {
  private RandomMasks() {}

  /**
   * Shapes with word boundaries inside kernels (kernel size 10, 70-bit layer), an empty layer,
   * a scalar, and convolution layers with kernel size 1 and 9.
   */
  static Map<String, long[]> shapes() {
    Map<String, long[]> shapes = new LinkedHashMap<>();
    shapes.put("conv1.weight", new long[] {5, 4, 3, 3});
    shapes.put("conv2.weight", new long[] {3, 7, 2, 5});
    shapes.put("pointwise.weight", new long[] {6, 5, 1, 1});
    shapes.put("fc.weight", new long[] {7, 10});
    shapes.put("bias", new long[] {70});
    shapes.put("empty", new long[] {0, 3});
    shapes.put("scalar", new long[0]);
    return shapes;
  }

  /**
   * Bits drawn kernel by kernel (a kernel being the last two dimensions of a rank-4 layer, one
   * weight otherwise): a third of kernels all pruned, a third all kept, a third kept with
   * probability {@code density}, so every kernel state turns up.
   */
  static Map<String, boolean[]> bits(Map<String, long[]> shapes, double density, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    Map<String, boolean[]> out = new LinkedHashMap<>();
    shapes.forEach((name, shape) -> {
      int size = 1;
      for (long d : shape) {
        size *= (int) d;
      }
      int kernel = shape.length == 4 ? (int) (shape[2] * shape[3]) : 1;
      boolean[] b = new boolean[size];
      for (int start = 0; start < size; start += kernel) {
        int kind = rng.nextInt(3);
        for (int i = start; i < start + kernel; i++) {
          b[i] = kind == 1 || (kind == 2 && rng.nextDouble() < density);
        }
      }
      out.put(name, b);
    });
    return out;
  }

  static Mask mask(Map<String, long[]> shapes, Map<String, boolean[]> bits) {
    Mask.Builder b = Mask.builder();
    shapes.forEach((name, shape) -> b.put(name, shape, bits.get(name)));
    return b.build();
  }
}
