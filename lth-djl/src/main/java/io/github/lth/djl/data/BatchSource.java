package io.github.lth.djl.data;

import static com.google.common.base.Preconditions.checkArgument;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.training.dataset.Batch;

/**
 * Samples a training loop can batch: any DJL {@link ai.djl.training.dataset.RandomAccessDataset}
 * ({@link DatasetBatches}), or in-memory images cached on the device ({@link ImageBatches}, the
 * fast path). The loop chooses the order of every pass; the source only turns positions of that
 * order into batches on the device.
 *
 * <pre>{@code
 * try (BatchSource train = BatchSources.of(data.train(), 0.2860f, 0.3530f);
 *     NDManager epochScope = model.manager().newSubManager()) {
 *   BatchSource.Epoch epoch = train.epoch(epochScope, model.device(),
 *       Shuffle.order(train.size(), rng));
 *   for (int from = 0; from < train.size(); from += 60) {
 *     try (NDManager batchScope = epochScope.newSubManager()) {
 *       Batch batch = epoch.batch(batchScope, from, Math.min(train.size(), from + 60));
 *       NDArray x = batch.getData().head();
 *       NDArray y = batch.getLabels().head();
 *       ...
 *     }
 *   }
 * }
 * }</pre>
 */
public interface BatchSource extends AutoCloseable {
  /** The name recorded in a run's config. */
  String name();

  /** Number of samples; positions run from 0 to {@code size() - 1}. */
  int size();

  /**
   * SHA-256 (hex) of the content or of a stable description of it, recorded in a run's config so
   * that two runs can tell whether they saw the same data.
   */
  String fingerprint();

  /**
   * Prepares one pass in the given order: {@code order[k]} is the position (0 to {@code size() -
   * 1}) of the {@code k}-th sample of the pass. Anything the pass keeps (such as the order on the
   * device) is attached to {@code scope} and lives until it closes.
   *
   * @throws IllegalArgumentException if a position is outside {@code [0, size())}
   */
  Epoch epoch(NDManager scope, Device device, int[] order);

  /**
   * The train-time augmentation of {@link #trainingEpoch}; {@link Augmentation#none()} (the
   * default) for sources that do not augment.
   */
  default Augmentation augmentation() {
    return Augmentation.none();
  }

  /**
   * Prepares one training pass: as {@link #epoch}, with the source's {@link #augmentation()}
   * applied to every batch, drawn from the run's {@code seed} and the {@code epoch} number, so
   * that the same seed, epoch and positions give the same batches. {@link #epoch} itself never
   * augments (evaluation uses it). The default, for sources without augmentation, is {@link
   * #epoch}.
   *
   * @throws IllegalArgumentException if a position is outside {@code [0, size())} or the epoch
   *     is negative
   */
  default Epoch trainingEpoch(NDManager scope, Device device, int[] order, long seed,
      int epoch) {
    checkArgument(epoch >= 0, "epoch must not be negative: %s", epoch);
    return epoch(scope, device, order);
  }

  /** One pass over the samples in a fixed order. */
  interface Epoch {
    /**
     * The samples at positions {@code [from, to)} of the pass's order, on the pass's device: data
     * and labels as {@link Batch#getData()} and {@link Batch#getLabels()}. The arrays belong to a
     * manager inside {@code batchScope} (the batch's own, so closing the batch frees them early);
     * closing {@code batchScope} frees them at the latest.
     *
     * @throws IllegalArgumentException unless {@code 0 <= from < to <= order.length}
     */
    Batch batch(NDManager batchScope, int from, int to);
  }

  /** Frees what the source keeps on devices; the default keeps nothing. */
  @Override
  default void close() {}
}
