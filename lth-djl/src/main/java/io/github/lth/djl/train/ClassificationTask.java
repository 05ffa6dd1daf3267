package io.github.lth.djl.train;

import static com.google.common.base.Preconditions.checkArgument;

import io.github.lth.core.Metrics;
import io.github.lth.core.TrainingContext;
import io.github.lth.core.TrainingSummary;
import io.github.lth.djl.DjlModel;
import io.github.lth.djl.data.Augmentation;
import io.github.lth.djl.data.ImageDataset;
import java.util.Map;

/**
 * Supervised image classification with softmax cross-entropy ({@link ClassificationObjective})
 * on in-memory image data sets: a {@link TrainingTask} whose training, validation and test data
 * are cached on the model's device. By default 10 % of the training images are held out as
 * validation data (stratified by class, seeded), on which selection and verdicts are made; the
 * test set is measured beside it. Metrics: {@code val_accuracy}, {@code val_mean_class_accuracy},
 * {@code val_loss}, {@code test_accuracy}, ...
 *
 * <p>Pixels are scaled to {@code [0, 1]} and optionally normalised; training batches are
 * optionally augmented ({@link Builder#optAugmentation}), validation and test batches never. The
 * model receives {@code [batch, channels, height, width]} float32 images and must return
 * {@code [batch, classes]} logits. Close the task to free the device copies.
 *
 * <pre>{@code
 * try (ClassificationTask task = ClassificationTask.builder()
 *     .setTrainData(train).setTestData(test).optValidation(0.1, 7)
 *     .optEpochs(2).optBatchSize(60).optOptimizer("adam").optLearningRate(1.2e-3).build()) {
 *   TrainingSummary s = task.train(model, mask, new TrainingContext(0, 42, TrainingListener.NONE));
 *   double accuracy = task.evaluate(model).get("val_accuracy");
 * }
 * }</pre>
 */
public final class ClassificationTask extends ForwardingTask {

  private ClassificationTask(TrainingTask task) {
    super(task, Map.of("task", "classification"));
  }

  public static Builder builder() {
    return new Builder();
  }

  public OptimizerSpec optimizer() {
    return trainingTask().loop().optimizer();
  }

  /** Batches per epoch (the last may be smaller). */
  public long stepsPerEpoch() {
    return plan().stepsPerEpoch();
  }

  /**
   * Top-1 {@code accuracy}, {@code mean_class_accuracy} (the mean over the classes present of
   * each class's accuracy) and {@code loss} (mean cross-entropy) on the validation data
   * ({@code val_*}, when held out) and the test data ({@code test_*}).
   */
  @Override
  public Metrics evaluate(DjlModel model) {
    return super.evaluate(model);
  }

  /**
   * Builds a {@link ClassificationTask}. Required: training and test data. Defaults: 1 epoch,
   * batch size 60, Adam with learning rate 1.2e-3 (SGD: 0.1, momentum 0.9), constant rate, no
   * weight decay, no normalisation, no augmentation.
   */
  public static final class Builder {
    // the loop settings and their checks are TrainingTask's; this builder adds the images
    private final TrainingTask.Builder task = TrainingTask.builder();
    private ImageDataset train;
    private ImageDataset test;
    private OptimizerSpec.Kind kind = OptimizerSpec.Kind.ADAM;
    private Double learningRate;
    private Double momentum;
    private double weightDecay;
    private float mean;
    private float std;
    private Augmentation augmentation = Augmentation.none();
    private double validation = 0.1;
    private long validationSeed;

    private Builder() {}

    /**
     * Holds out {@code fraction} of the training images (stratified by class, drawn with
     * {@code seed}) as validation data; 0 turns validation off (selection then uses the test
     * set). Default 0.1 with seed 0.
     */
    public Builder optValidation(double fraction, long seed) {
      checkArgument(fraction >= 0 && fraction < 1, "validation fraction must be in [0, 1): %s",
          fraction);
      this.validation = fraction;
      this.validationSeed = seed;
      return this;
    }

    public Builder setTrainData(ImageDataset data) {
      this.train = data;
      return this;
    }

    public Builder setTestData(ImageDataset data) {
      this.test = data;
      return this;
    }

    /** Trains for whole epochs (exclusive with {@link #optSteps}); default 1. */
    public Builder optEpochs(int value) {
      task.optEpochs(value);
      return this;
    }

    /** Trains for a number of optimizer steps (exclusive with {@link #optEpochs}). */
    public Builder optSteps(long value) {
      task.optSteps(value);
      return this;
    }

    /** Default 60. */
    public Builder optBatchSize(int value) {
      task.optBatchSize(value);
      return this;
    }

    /** Batch size of evaluation (memory only; does not change the metrics); default 1000. */
    public Builder optEvalBatchSize(int value) {
      task.optEvalBatchSize(value);
      return this;
    }

    /** {@code adam}, {@code adamw}, {@code sgd} or {@code nesterov}. */
    public Builder optOptimizer(String name) {
      this.kind = OptimizerSpec.kindOf(name);
      return this;
    }

    public Builder optLearningRate(double value) {
      checkArgument(value > 0 && Double.isFinite(value), "learning rate must be positive: %s",
          value);
      this.learningRate = value;
      return this;
    }

    /** Momentum of SGD (default 0.9; 0 for plain SGD). */
    public Builder optMomentum(double value) {
      checkArgument(value >= 0 && value < 1, "momentum must be in [0, 1): %s", value);
      this.momentum = value;
      return this;
    }

    public Builder optWeightDecay(double value) {
      checkArgument(value >= 0 && Double.isFinite(value),
          "weight decay must not be negative: %s", value);
      this.weightDecay = value;
      return this;
    }

    public Builder optLrSchedule(LrSchedule value) {
      task.optLrSchedule(value);
      return this;
    }

    /** Normalises pixels (after scaling to [0, 1]) as {@code (x − mean) / std}. */
    public Builder optNormalization(float meanValue, float stdValue) {
      checkArgument(stdValue > 0 && Float.isFinite(stdValue),
          "normalization std must be positive: %s", stdValue);
      this.mean = meanValue;
      this.std = stdValue;
      return this;
    }

    /**
     * Augments the training batches on the device (validation and test batches stay as they
     * are), drawn from the run's seed and epoch; default {@link Augmentation#none()}. When on,
     * the settings get the key {@code augmentation} with its {@link Augmentation#spec()}; when
     * off they are unchanged.
     *
     * <pre>{@code
     * ClassificationTask.builder().setTrainData(train).setTestData(test)
     *     .optAugmentation(Augmentation.cropAndFlip(4))   // or Augmentation.parse("crop:4,flip")
     *     .build();
     * }</pre>
     */
    public Builder optAugmentation(Augmentation value) {
      checkArgument(value != null, "augmentation must not be null (use Augmentation.none())");
      this.augmentation = value;
      return this;
    }

    OptimizerSpec optimizerSpec() {
      return OptimizerSpec.of(kind, learningRate, momentum, weightDecay);
    }

    /**
     * @throws IllegalArgumentException if data is missing, the test images differ in shape or
     *     classes from the training images, or both epochs and steps were set
     */
    public ClassificationTask build() {
      ImageTaskData data = ImageTaskData.split(train, test, validation, validationSeed, mean,
          std);
      checkArgument(train.classes() == test.classes(),
          "test data %s has %s classes, the training data %s has %s", test.name(),
          test.classes(), train.name(), train.classes());
      task.setObjective(new ClassificationObjective()).optOptimizer(optimizerSpec());
      data.configure(task, data.batches(data.trainPart()).withAugmentation(augmentation));
      return new ClassificationTask(task.build());
    }
  }
}
