package io.github.lth.djl.data;

import static com.google.common.base.Preconditions.checkArgument;

import ai.djl.training.dataset.RandomAccessDataset;
import java.util.Objects;

/**
 * Factories of {@link BatchSource}s: in-memory images cached on the device, or any DJL {@link
 * RandomAccessDataset}.
 *
 * <pre>{@code
 * TrainTestSplit data = DataSources.load("embedded");
 * ValidationSplit<ImageDataset> split = data.train().splitValidation(0.1, 42);
 * try (BatchSource train = BatchSources.of(split.train(), 0.2860f, 0.3530f);
 *     BatchSource validation = BatchSources.of(split.validation(), 0.2860f, 0.3530f);
 *     BatchSource mine = BatchSources.of(new ArrayDataset.Builder()
 *         .setData(x).optLabels(y).setSampling(60, false).build())) {
 *   ...
 * }
 * }</pre>
 */
public final class BatchSources {
  private BatchSources() {}

  /** Images scaled to {@code [0, 1]}, not normalised. */
  public static ImageBatches of(ImageDataset data) {
    return new ImageBatches(data, 0, 0);
  }

  /**
   * Images scaled to {@code [0, 1]} and normalised as {@code (x − mean) / std}; {@code std} 0
   * means no normalisation (the mean is then ignored).
   *
   * @throws IllegalArgumentException if {@code std} is negative or not finite, or {@code mean}
   *     is not finite
   */
  public static ImageBatches of(ImageDataset data, float mean, float std) {
    return new ImageBatches(data, mean, std);
  }

  /**
   * Images scaled to {@code [0, 1]} and normalised per channel as {@code (x − mean[c]) /
   * std[c]}, for example with the statistics of the training set:
   *
   * <pre>{@code
   * ChannelStats stats = ChannelStats.of(data.train());
   * ImageBatches train = BatchSources.of(data.train(), stats.mean(), stats.std());
   * ImageBatches test = BatchSources.of(data.test(), stats.mean(), stats.std());
   * }</pre>
   *
   * @throws IllegalArgumentException if the arrays do not have one entry per channel, a std is
   *     not positive and finite, or a mean is not finite
   */
  public static ImageBatches of(ImageDataset data, float[] mean, float[] std) {
    return new ImageBatches(data, mean, std);
  }

  /**
   * Any DJL random-access data set, named after its class; see {@link DatasetBatches#builder()}
   * for a name or fingerprint of your own.
   *
   * @throws IllegalArgumentException if the data set is empty or holds more than {@code
   *     Integer.MAX_VALUE} samples
   */
  public static DatasetBatches of(RandomAccessDataset dataset) {
    return DatasetBatches.builder().setDataset(dataset).build();
  }

  static void checkOrder(int[] order, int size, String name) {
    Objects.requireNonNull(order, "order");
    for (int k = 0; k < order.length; k++) {
      checkArgument(order[k] >= 0 && order[k] < size,
          "%s: position %s (entry %s of the order) is outside [0, %s)", name, order[k], k, size);
    }
  }

  static void checkRange(int from, int to, int n) {
    checkArgument(from >= 0 && from < to && to <= n,
        "batch [%s, %s) is empty or outside the order of %s positions", from, to, n);
  }

  /** Whether the order is an ascending run of consecutive positions (identity, or a range). */
  static boolean isRun(int[] order) {
    for (int k = 1; k < order.length; k++) {
      if (order[k] != order[0] + k) {
        return false;
      }
    }
    return true;
  }
}
