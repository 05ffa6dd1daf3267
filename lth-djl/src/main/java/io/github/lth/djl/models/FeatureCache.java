package io.github.lth.djl.models;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkState;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.dataset.ArrayDataset;
import io.github.lth.djl.DjlModel;
import io.github.lth.djl.data.ImageDataset;
import io.github.lth.djl.internal.DeviceImages;

/**
 * The backbone features of a whole {@link ImageDataset}, computed once on the model's device
 * (batched, in inference mode, without gradients) and kept there with the labels. A linear probe
 * then trains only a head on them, without running the backbone every epoch.
 *
 * <p>Pixels are scaled to {@code [0, 1]} and optionally normalized as {@code (x − mean) / std},
 * as {@code ClassificationTask} does. The cache owns its arrays; {@link #close()} frees them (and
 * invalidates datasets made from them). It does not depend on the model once computed.
 *
 * <pre>{@code
 * try (FeatureCache train = FeatureCache.compute(model, data.train(), 256)) {
 *   ArrayDataset probeData = train.toDataset(64, true);   // features (n, 64), labels (n,)
 *   // train a Linear(classes) on probeData
 * }
 * }</pre>
 */
public final class FeatureCache implements AutoCloseable {
  private final NDManager manager;
  private final NDArray features;
  private final NDArray labels;
  private boolean closed;

  private FeatureCache(NDManager manager, NDArray features, NDArray labels) {
    this.manager = manager;
    this.features = features;
    this.labels = labels;
  }

  /** Features of {@code data} with pixels scaled to {@code [0, 1]}, no normalization. */
  public static FeatureCache compute(DjlModel model, ImageDataset data, int batchSize) {
    return compute(model, data, batchSize, 0f, 0f);
  }

  /**
   * Features of {@code data}, pixels scaled to {@code [0, 1]} and normalized as {@code (x −
   * mean) / std} ({@code std} 0: not normalized), in batches of {@code batchSize}.
   *
   * @throws IllegalStateException if the model's block is not a {@link HeadedBlock}
   * @throws IllegalArgumentException for a non-positive batch size or an empty data set
   */
  public static FeatureCache compute(DjlModel model, ImageDataset data, int batchSize,
      float mean, float std) {
    checkArgument(batchSize > 0, "FeatureCache: batch size must be positive: %s", batchSize);
    checkArgument(data.size() > 0, "FeatureCache: data set %s is empty", data.name());
    checkArgument(std >= 0 && Float.isFinite(std) && Float.isFinite(mean),
        "FeatureCache: normalization needs a finite mean and std >= 0: %s, %s", mean, std);
    NDManager m = NDManager.newBaseManager(model.device());
    try (DeviceImages images = DeviceImages.upload(data, model.device(), mean, std)) {
      NDList parts = new NDList();
      for (int from = 0; from < data.size(); from += batchSize) {
        int to = Math.min(data.size(), from + batchSize);
        try (NDManager batch = m.newSubManager()) {
          NDArray x = images.images(from, to, batch);
          NDArray f = model.features(new NDList(x)).singletonOrThrow();
          // the batch manager closes everything else the forward pass made
          f.attach(m);
          parts.add(f);
        }
      }
      NDArray all = parts.size() == 1 ? parts.get(0) : NDArrays.concat(parts);
      all.attach(m);
      for (NDArray p : parts) {
        if (p != all) {
          p.close();
        }
      }
      int[] l = data.labels();
      long[] wide = new long[l.length];
      for (int i = 0; i < l.length; i++) {
        wide[i] = l[i];
      }
      return new FeatureCache(m, all, m.create(wide));
    } catch (RuntimeException e) {
      m.close();
      throw e;
    }
  }

  /** All features, {@code (n, ...)} as the backbone outputs them, on the model's device. */
  public NDArray features() {
    checkOpen();
    return features;
  }

  /** The labels as int64 {@code (n,)}, on the same device. */
  public NDArray labels() {
    checkOpen();
    return labels;
  }

  /** Number of examples. */
  public int size() {
    return Math.toIntExact(labels.getShape().get(0));
  }

  /** The shape of one example's features (without the batch axis). */
  public Shape featureShape() {
    return features.getShape().slice(1);
  }

  /**
   * The features and labels as a DJL dataset, for a {@code Trainer} or a manual loop. It reads
   * this cache's arrays: keep the cache open while using it. With {@code shuffle}, DJL draws the
   * order from its engine's random generator.
   */
  public ArrayDataset toDataset(int batchSize, boolean shuffle) {
    checkOpen();
    checkArgument(batchSize > 0, "FeatureCache: batch size must be positive: %s", batchSize);
    return new ArrayDataset.Builder().setData(features).optLabels(labels)
        .setSampling(batchSize, shuffle).build();
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      manager.close();
    }
  }

  private void checkOpen() {
    checkState(!closed, "the feature cache was closed");
  }
}
