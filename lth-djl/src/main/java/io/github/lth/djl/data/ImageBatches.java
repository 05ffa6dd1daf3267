package io.github.lth.djl.data;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkState;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.dataset.Batch;
import ai.djl.translate.Batchifier;
import com.google.common.base.Suppliers;
import io.github.lth.djl.internal.DeviceImages;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The fast {@link BatchSource}: an {@link ImageDataset} copied to each device once (float32 NCHW
 * pixels scaled to {@code [0, 1]}, optionally normalised as {@code (x − mean) / std} with one
 * mean and std for all channels or one per channel; int64 labels). A pass uploads its order
 * once; every batch is a slice of that order and a gather on the device, so no step copies
 * anything from the host.
 *
 * <pre>{@code
 * try (ImageBatches train = BatchSources.of(data.train(), 0.2860f, 0.3530f)) {
 *   BatchSource.Epoch epoch = train.epoch(epochScope, Device.cpu(), Shuffle.order(n, rng));
 *   Batch first = epoch.batch(batchScope, 0, 60);   // images [60, 1, 28, 28], labels [60]
 * }
 * }</pre>
 *
 * <p>Training passes ({@link #trainingEpoch}) apply the source's {@link Augmentation}, if any,
 * on the device: see {@link #withAugmentation}. Plain passes ({@link #epoch}, what evaluation
 * uses) never augment.
 *
 * <p>Batches of an ascending run of positions are views of the device copy, not copies: treat
 * batch arrays as read-only. Thread-safe; close it to free the device copies.
 */
public final class ImageBatches implements BatchSource {
  private final ImageDataset data;
  private final float mean;
  private final float std;
  // Per-channel normalisation, or null.
  private final float[] means;
  private final float[] stds;
  private final Augmentation augmentation;
  private final Supplier<String> fingerprint;
  private final Map<Device, DeviceImages> onDevice = new LinkedHashMap<>();
  private boolean closed;

  ImageBatches(ImageDataset data, float mean, float std) {
    this.data = Objects.requireNonNull(data, "data");
    checkArgument(std >= 0 && Float.isFinite(std),
        "normalization std must be positive (or 0 for none): %s", std);
    checkArgument(Float.isFinite(mean), "normalization mean must be finite: %s", mean);
    this.mean = std == 0 ? 0 : mean;
    this.std = std;
    this.means = null;
    this.stds = null;
    this.augmentation = Augmentation.none();
    // Hashing the pixels of the full Fashion-MNIST takes a while; config writers ask repeatedly.
    this.fingerprint = Suppliers.memoize(data::fingerprint);
  }

  ImageBatches(ImageDataset data, float[] mean, float[] std) {
    this.data = Objects.requireNonNull(data, "data");
    Objects.requireNonNull(mean, "mean");
    Objects.requireNonNull(std, "std");
    checkArgument(mean.length == data.channels() && std.length == data.channels(),
        "per-channel normalization of %s: %s means and %s stds for %s channels", data.name(),
        mean.length, std.length, data.channels());
    for (int c = 0; c < mean.length; c++) {
      checkArgument(std[c] > 0 && Float.isFinite(std[c]),
          "normalization std of channel %s must be positive and finite: %s", c, (Object) std[c]);
      checkArgument(Float.isFinite(mean[c]), "normalization mean of channel %s must be finite: %s",
          c, (Object) mean[c]);
    }
    this.mean = 0;
    this.std = 0;
    this.means = mean.clone();
    this.stds = std.clone();
    this.augmentation = Augmentation.none();
    this.fingerprint = Suppliers.memoize(data::fingerprint);
  }

  private ImageBatches(ImageBatches base, Augmentation augmentation) {
    this.data = base.data;
    this.mean = base.mean;
    this.std = base.std;
    this.means = base.means;
    this.stds = base.stds;
    this.augmentation = augmentation;
    // the same pixels and labels: share the (memoised) hash, not the device copies
    this.fingerprint = base.fingerprint;
  }

  /**
   * A new source of the same images and normalisation whose training passes ({@link
   * #trainingEpoch}) apply {@code augmentation}; {@link Augmentation#none()} turns it off. The
   * new source has device copies of its own (and closes them); this one is unchanged.
   *
   * <pre>{@code
   * try (ImageBatches train = BatchSources.of(data.train(), stats.mean(), stats.std())
   *     .withAugmentation(Augmentation.cropAndFlip(4))) {
   *   BatchSource.Epoch pass = train.trainingEpoch(scope, device, order, seed, epoch);
   * }
   * }</pre>
   *
   * <p>Padded pixels of the crop are black before normalisation: each channel's padding is
   * {@code (0 − mean) / std}, what a raw 0 pixel becomes (0 without normalisation).
   */
  public ImageBatches withAugmentation(Augmentation augmentation) {
    return new ImageBatches(this, Objects.requireNonNull(augmentation, "augmentation"));
  }

  /** The augmentation of training passes; {@link Augmentation#none()} unless one was set. */
  @Override
  public Augmentation augmentation() {
    return augmentation;
  }

  /** The images and labels on the host. */
  public ImageDataset dataset() {
    return data;
  }

  /** Whether the pixels are normalised after scaling to {@code [0, 1]}. */
  public boolean normalized() {
    return std != 0 || means != null;
  }

  /** Whether each channel has its own mean and std ({@link #channelMeans()}). */
  public boolean perChannel() {
    return means != null;
  }

  /**
   * Mean subtracted from the scaled pixels (0 without normalisation).
   *
   * @throws IllegalStateException with per-channel normalisation; see {@link #channelMeans()}
   */
  public float mean() {
    checkState(means == null, "%s is normalised per channel: use channelMeans()", name());
    return mean;
  }

  /**
   * Standard deviation the scaled pixels are divided by (0 without normalisation).
   *
   * @throws IllegalStateException with per-channel normalisation; see {@link #channelStds()}
   */
  public float std() {
    checkState(stds == null, "%s is normalised per channel: use channelStds()", name());
    return std;
  }

  /** The mean subtracted from each channel: the per-channel means, or the scalar mean repeated. */
  public float[] channelMeans() {
    return means != null ? means.clone() : repeat(mean);
  }

  /** The std each channel is divided by: the per-channel stds, or the scalar std repeated. */
  public float[] channelStds() {
    return stds != null ? stds.clone() : repeat(std);
  }

  private float[] repeat(float value) {
    float[] a = new float[data.channels()];
    java.util.Arrays.fill(a, value);
    return a;
  }

  @Override
  public String name() {
    return data.name();
  }

  @Override
  public int size() {
    return data.size();
  }

  /** {@link ImageDataset#fingerprint()}: the pixels and labels, not the normalisation. */
  @Override
  public String fingerprint() {
    return fingerprint.get();
  }

  /**
   * Uploads the images to {@code device} if this is the first pass there, and the order always.
   * An ascending run of consecutive positions (such as the identity order of evaluation) needs no
   * index on the device: its batches are slices of the images.
   */
  @Override
  public Epoch epoch(NDManager scope, Device device, int[] order) {
    Objects.requireNonNull(scope, "scope");
    Objects.requireNonNull(device, "device");
    BatchSources.checkOrder(order, size(), name());
    DeviceImages images = images(device);
    int n = order.length;
    if (BatchSources.isRun(order)) {
      long offset = n == 0 ? 0 : order[0];
      return (batchScope, from, to) -> {
        BatchSources.checkRange(from, to, n);
        NDManager owner = batchScope.newSubManager(device);
        NDArray x = images.images(offset + from, offset + to, owner);
        NDArray y = images.labels(offset + from, offset + to, owner);
        return batch(owner, x, y, from, to, n);
      };
    }
    long[] wide = new long[n];
    for (int i = 0; i < n; i++) {
      wide[i] = order[i];
    }
    // A manager of the scope on the device, so the order goes to the device in one copy even
    // when the scope itself lives elsewhere.
    NDArray index = scope.newSubManager(device).create(wide);
    return (batchScope, from, to) -> {
      BatchSources.checkRange(from, to, n);
      NDManager owner = batchScope.newSubManager(device);
      NDArray slice = index.get(from + ":" + to);
      slice.attach(owner);
      NDArray x = images.images(slice, owner);
      NDArray y = images.labels(slice, owner);
      return batch(owner, x, y, from, to, n);
    };
  }

  /**
   * A training pass: as {@link #epoch}, then each batch augmented on the device. The image at
   * position {@code k} of {@code order} gets the shift and flip {@link Augmentation} draws for
   * ({@code seed}, {@code epoch}, {@code k}), so any batch size or batch order gives it the same
   * transform. Only the three ints per image of the draws go from the host to the device per
   * batch.
   */
  @Override
  public Epoch trainingEpoch(NDManager scope, Device device, int[] order, long seed,
      int epoch) {
    long passSeed = Augmentation.passSeed(seed, epoch);
    Epoch plain = epoch(scope, device, order);
    if (augmentation.isNone()) {
      return plain;
    }
    AugmentedPass pass = new AugmentedPass(scope.newSubManager(device), augmentation, passSeed,
        data.channels(), data.height(), data.width(), paddingValues());
    int n = order.length;
    return (batchScope, from, to) -> {
      Batch batch = plain.batch(batchScope, from, to);
      NDManager owner = batch.getManager();
      NDArray x = batch.getData().head();
      NDArray augmented = pass.apply(x, from, owner);
      // not needed any more: free it now rather than with the batch
      x.close();
      return batch(owner, augmented, batch.getLabels().head(), from, to, n);
    };
  }

  /**
   * Per channel, what a raw 0 pixel becomes on the device: {@code (0 − mean) / std} in float, the
   * operations {@link DeviceImages#upload} applies, or 0 without normalisation.
   */
  float[] paddingValues() {
    float[] values = new float[data.channels()];
    if (normalized()) {
      float[] m = channelMeans();
      float[] s = channelStds();
      for (int c = 0; c < values.length; c++) {
        values[c] = (0f - m[c]) / s[c];
      }
    }
    return values;
  }

  private static Batch batch(NDManager owner, NDArray x, NDArray y, int from, int to, int n) {
    return new Batch(owner, new NDList(x), new NDList(y), to - from, Batchifier.STACK,
        Batchifier.STACK, to, n);
  }

  private synchronized DeviceImages images(Device device) {
    checkState(!closed, "image batches of %s were closed", name());
    return onDevice.computeIfAbsent(device, d -> means != null
        ? DeviceImages.upload(data, d, means, stds)
        : DeviceImages.upload(data, d, mean, std));
  }

  /** The device copy, if one was made (for tests). */
  synchronized DeviceImages cached(Device device) {
    return onDevice.get(device);
  }

  /** Frees the device copies; later passes fail. */
  @Override
  public synchronized void close() {
    if (!closed) {
      closed = true;
      onDevice.values().forEach(DeviceImages::close);
      onDevice.clear();
    }
  }

  @Override
  public String toString() {
    String augmented = augmentation.isNone() ? "" : ", augmented " + augmentation.spec();
    if (means != null) {
      return String.format("%s, normalised per channel (x - %s) / %s%s", data,
          java.util.Arrays.toString(means), java.util.Arrays.toString(stds), augmented);
    }
    return normalized()
        ? String.format("%s, normalised (x - %s) / %s%s", data, mean, std, augmented)
        : data + augmented;
  }
}
