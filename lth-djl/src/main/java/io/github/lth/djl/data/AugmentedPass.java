package io.github.lth.djl.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.lth.djl.internal.Temporaries;

/**
 * The device side of an {@link Augmentation} for one training pass of {@link ImageBatches}. Per
 * batch the host draws three ints per image ({@link Augmentation#draw}) and uploads them as one
 * small int64 array; the crop and the flip are then two gathers on the device: output pixel
 * {@code (i, j)} reads row {@code i + dy} and column {@code (flip ? W − 1 − j : j) + dx} of the
 * normalised image. Indices outside the image are clamped for the gather and the pixels they
 * read replaced by the padding value of their channel, which is exact (values are copied, never
 * computed) and needs no padded copy of the batch.
 */
final class AugmentedPass {
  private final Augmentation augmentation;
  private final long passSeed;
  private final int channels;
  private final int height;
  private final int width;
  // int64 [1, H] and [1, W]: the identity rows and columns.
  private final NDArray rows;
  private final NDArray columns;
  // int64 [1, W]: W − 1 − 2j, added to column j of flipped images to mirror it.
  private final NDArray mirror;
  // float32 [1, C, 1, 1]: a raw 0 pixel after normalisation, per channel.
  private final NDArray padding;

  /**
   * Keeps its arrays in {@code passManager} (on the pass's device) until the pass ends.
   *
   * @param paddingValues the normalised value of a raw 0 pixel, per channel
   */
  AugmentedPass(NDManager passManager, Augmentation augmentation, long passSeed, int channels,
      int height, int width, float[] paddingValues) {
    this.augmentation = augmentation;
    this.passSeed = passSeed;
    this.channels = channels;
    this.height = height;
    this.width = width;
    long[] identityRows = new long[height];
    for (int i = 0; i < height; i++) {
      identityRows[i] = i;
    }
    long[] identityColumns = new long[width];
    long[] mirrorShift = new long[width];
    for (int j = 0; j < width; j++) {
      identityColumns[j] = j;
      mirrorShift[j] = width - 1 - 2L * j;
    }
    this.rows = passManager.create(identityRows, new Shape(1, height));
    this.columns = passManager.create(identityColumns, new Shape(1, width));
    this.mirror = passManager.create(mirrorShift, new Shape(1, width));
    this.padding = passManager.create(paddingValues, new Shape(1, channels, 1, 1));
  }

  /**
   * The draws of positions {@code [from, from + count)} of the pass, three per image: {@code dy},
   * {@code dx}, and 1 for a flip or 0.
   */
  long[] draws(int from, int count) {
    long[] d = new long[3 * count];
    for (int k = 0; k < count; k++) {
      Augmentation.Draw draw = augmentation.draw(passSeed, from + (long) k);
      d[3 * k] = draw.dy();
      d[3 * k + 1] = draw.dx();
      d[3 * k + 2] = draw.flip() ? 1 : 0;
    }
    return d;
  }

  /**
   * The augmented copy of {@code images} ({@code [n, C, H, W]}, positions {@code [from, from +
   * n)} of the pass), attached to {@code owner}; {@code images} is left as it is.
   */
  NDArray apply(NDArray images, int from, NDManager owner) {
    int n = Math.toIntExact(images.getShape().get(0));
    Shape full = new Shape(n, channels, height, width);
    try (NDManager scratch = owner.newSubManager()) {
      // Results attach to their first operand's manager: every step starts from a scratch
      // array (or is moved there), so nothing but the result outlives the batch's scratch.
      NDArray draws = scratch.create(draws(from, n), new Shape(n, 3));
      NDArray dy = draws.get(":, 0:1");
      NDArray dx = draws.get(":, 1:2");
      NDArray flip = draws.get(":, 2:3");
      NDArray out = images;
      NDArray inside = null;
      if (augmentation.crops()) {
        NDArray sourceRows = dy.add(rows);
        inside = within(sourceRows, height).reshape(n, 1, height, 1);
        NDArray index = clamp(sourceRows, height, scratch).reshape(n, 1, height, 1);
        out = Temporaries.in(scratch, out.gather(index.broadcast(full), 2));
      }
      NDArray sourceColumns = augmentation.flips() ? flip.mul(mirror).add(columns)
          : Temporaries.in(scratch, columns.broadcast(n, width));
      if (augmentation.crops()) {
        sourceColumns = sourceColumns.add(dx);
        inside = inside.logicalAnd(within(sourceColumns, width).reshape(n, 1, 1, width));
        sourceColumns = clamp(sourceColumns, width, scratch);
      }
      NDArray index = sourceColumns.reshape(n, 1, 1, width);
      out = Temporaries.in(scratch, out.gather(index.broadcast(full), 3));
      if (inside != null) {
        // DJL's where wants the condition in the shape of the result (expanded views, no copies)
        NDArray paddingView = Temporaries.in(scratch, padding.broadcast(full));
        out = NDArrays.where(inside.broadcast(full), out, paddingView);
        out.attach(scratch);
      }
      out.attach(owner);
      return out;
    }
  }

  /** Whether each index lies in {@code [0, size)}. */
  private static NDArray within(NDArray index, int size) {
    return index.gte(0).logicalAnd(index.lt(size));
  }

  /** The indices clamped to {@code [0, size − 1]}, still int64 (gather needs int64). */
  private static NDArray clamp(NDArray index, int size, NDManager scratch) {
    NDArray clamped = Temporaries.in(scratch, index.clip(0, size - 1));
    return clamped.getDataType() == DataType.INT64 ? clamped
        : Temporaries.in(scratch, clamped.toType(DataType.INT64, false));
  }
}
