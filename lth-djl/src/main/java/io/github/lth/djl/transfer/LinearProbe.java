package io.github.lth.djl.transfer;

import static com.google.common.base.Preconditions.checkArgument;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import io.github.lth.core.Mask;
import io.github.lth.core.Metrics;
import io.github.lth.core.SparsityControllers;
import io.github.lth.core.TrainingContext;
import io.github.lth.core.TrainingListener;
import io.github.lth.core.Weights;
import io.github.lth.djl.DjlModel;
import io.github.lth.djl.data.BatchSources;
import io.github.lth.djl.data.ImageDataset;
import io.github.lth.djl.models.FeatureCache;
import io.github.lth.djl.train.ClassificationObjective;
import io.github.lth.djl.train.OptimizerSpec;
import io.github.lth.djl.train.TrainingTask;
import java.util.ArrayList;
import java.util.List;

/**
 * Linear finetuning (Iofinova et al.): the sparse backbone is frozen, its features of the
 * target's images are computed once and kept on the device, and only a linear classifier sized
 * to the target's classes trains on them. Metrics are named as a {@link TrainingTask} names
 * them ({@code val_accuracy}, {@code test_mean_class_accuracy}, ...).
 *
 * <pre>{@code
 * LinearProbe probe = LinearProbe.builder()
 *     .setTrainData(target.train()).optValidationData(val).optTestData(target.test())
 *     .optEpochs(10).build();
 * Metrics m = probe.run(targetModel, thetaP, mP, seed);   // targetModel's backbone is untouched
 * }</pre>
 */
public final class LinearProbe {
  private final ImageDataset train;
  private final ImageDataset validation;
  private final ImageDataset test;
  private final int epochs;
  private final int batchSize;
  private final OptimizerSpec optimizer;
  private final float mean;
  private final float std;

  private LinearProbe(Builder b) {
    this.train = b.train;
    this.validation = b.validation;
    this.test = b.test;
    this.epochs = b.epochs;
    this.batchSize = b.batchSize;
    this.optimizer = b.optimizer;
    this.mean = b.mean;
    this.std = b.std;
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Loads {@code start}'s backbone and {@code mask} into {@code target} (see
   * {@link Transfer#fineTune}), computes the backbone's features of every split once, trains a
   * fresh linear classifier (initialized from {@code seed}, data order from {@code seed}) on
   * them and evaluates it. The backbone's weights are not changed by the training.
   *
   * @throws IllegalArgumentException if the backbone's features are not one vector per image
   */
  public Metrics run(DjlModel target, Weights start, Mask mask, long seed) {
    Transfer.prepare(target, start, mask);
    List<FeatureCache> caches = new ArrayList<>();
    try {
      FeatureCache trainFeatures = cache(caches, target, train);
      Shape feature = trainFeatures.featureShape();
      checkArgument(feature.dimension() == 1, "a linear probe needs one feature vector per"
          + " image; the backbone gives %s", feature);
      TrainingTask.Builder head = TrainingTask.builder()
          .setObjective(new ClassificationObjective())
          .setTrainData(BatchSources.of(trainFeatures.toDataset(batchSize, false)))
          .optEpochs(epochs).optBatchSize(batchSize).optOptimizer(optimizer);
      if (validation != null) {
        head.optValidationData(BatchSources.of(
            cache(caches, target, validation).toDataset(batchSize, false)));
      }
      if (test != null) {
        head.optTestData(BatchSources.of(cache(caches, target, test).toDataset(batchSize, false)));
      }
      try (TrainingTask task = head.build();
          DjlModel classifier = DjlModel.create(
              Linear.builder().setUnits(train.classes()).build(),
              new Shape(1, feature.get(0)), target.device(), seed)) {
        task.train(classifier, SparsityControllers.unchanged(),
            new TrainingContext(0, seed, TrainingListener.NONE, 0));
        return task.evaluate(classifier);
      }
    } finally {
      caches.forEach(FeatureCache::close);
    }
  }

  private FeatureCache cache(List<FeatureCache> caches, DjlModel model, ImageDataset data) {
    FeatureCache c = FeatureCache.compute(model, data, 256, mean, std);
    caches.add(c);
    return c;
  }

  /** Configures a {@link LinearProbe}; training data and one evaluation split are required. */
  public static final class Builder {
    private ImageDataset train;
    private ImageDataset validation;
    private ImageDataset test;
    private int epochs = 10;
    private int batchSize = 60;
    private OptimizerSpec optimizer = OptimizerSpec.adam(1e-3);
    private float mean;
    private float std;

    private Builder() {}

    public Builder setTrainData(ImageDataset value) {
      this.train = value;
      return this;
    }

    public Builder optValidationData(ImageDataset value) {
      this.validation = value;
      return this;
    }

    public Builder optTestData(ImageDataset value) {
      this.test = value;
      return this;
    }

    /** Epochs of the classifier over the cached features; default 10. */
    public Builder optEpochs(int value) {
      checkArgument(value > 0, "epochs must be positive: %s", value);
      this.epochs = value;
      return this;
    }

    /** Default 60. */
    public Builder optBatchSize(int value) {
      checkArgument(value > 0, "batch size must be positive: %s", value);
      this.batchSize = value;
      return this;
    }

    /** Default Adam with learning rate 1e-3. */
    public Builder optOptimizer(OptimizerSpec value) {
      this.optimizer = value;
      return this;
    }

    /** Pixel normalization {@code (x − mean) / std} after scaling to [0, 1]; default none. */
    public Builder optNormalization(float meanValue, float stdValue) {
      checkArgument(stdValue > 0, "normalization std must be positive: %s", stdValue);
      this.mean = meanValue;
      this.std = stdValue;
      return this;
    }

    public LinearProbe build() {
      checkArgument(train != null, "a linear probe needs training data (setTrainData)");
      checkArgument(validation != null || test != null,
          "a linear probe needs validation or test data to evaluate on");
      for (ImageDataset d : new ImageDataset[] {validation, test}) {
        checkArgument(d == null || d.classes() == train.classes(), "data set %s has %s classes,"
            + " the training data %s", d == null ? "" : d.name(), d == null ? 0 : d.classes(),
            train.classes());
      }
      return new LinearProbe(this);
    }
  }
}
