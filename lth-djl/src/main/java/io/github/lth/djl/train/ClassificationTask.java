package io.github.lth.djl.train;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkState;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.common.base.Suppliers;
import io.github.lth.core.Mask;
import io.github.lth.core.Metrics;
import io.github.lth.core.Task;
import io.github.lth.core.TrainingContext;
import io.github.lth.core.TrainingListener;
import io.github.lth.core.TrainingSummary;
import io.github.lth.djl.DjlModel;
import io.github.lth.djl.data.ImageDataset;
import io.github.lth.djl.data.Shuffle;
import io.github.lth.djl.internal.DeviceImages;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;
import java.util.function.Supplier;

/**
 * Supervised image classification with softmax cross-entropy: trains a {@link DjlModel} with a
 * fixed mask ({@link MaskedTrainer}) and evaluates top-1 accuracy, mean per-class accuracy and
 * mean loss on the test set.
 *
 * <p>Each data set is copied to the model's device once per task (pixels scaled to {@code [0,
 * 1]}, optionally normalised); every epoch shuffles with a permutation drawn from the training
 * context's seed and gathers the batches on the device. The last batch of an epoch may be
 * smaller. The model receives {@code [batch, channels, height, width]} float32 images and must
 * return {@code [batch, classes]} logits. Close the task to free the device copies.
 *
 * <pre>{@code
 * try (ClassificationTask task = ClassificationTask.builder()
 *     .setTrainData(train).setTestData(test)
 *     .optEpochs(2).optBatchSize(60).optOptimizer("adam").optLearningRate(1.2e-3).build()) {
 *   TrainingSummary s = task.train(model, mask, new TrainingContext(0, 42, TrainingListener.NONE));
 *   double accuracy = task.evaluate(model).get("accuracy");
 * }
 * }</pre>
 */
public final class ClassificationTask implements Task<DjlModel>, AutoCloseable {
  private final ImageDataset train;
  private final ImageDataset test;
  private final int epochs;
  private final long steps;
  private final int batchSize;
  private final int evalBatchSize;
  private final OptimizerSpec optimizer;
  private final LrSchedule schedule;
  private final float mean;
  private final float std;
  private final Supplier<Map<String, Object>> settings;
  private final Map<Device, DeviceImages> trainOnDevice = new HashMap<>();
  private final Map<Device, DeviceImages> testOnDevice = new HashMap<>();
  private boolean closed;

  private ClassificationTask(Builder b) {
    this.train = b.train;
    this.test = b.test;
    this.epochs = b.epochs;
    this.steps = b.steps;
    this.batchSize = b.batchSize;
    this.evalBatchSize = b.evalBatchSize;
    this.optimizer = b.optimizerSpec();
    this.schedule = b.schedule;
    this.mean = b.mean;
    this.std = b.std;
    this.settings = Suppliers.memoize(this::describe);
  }

  public static Builder builder() {
    return new Builder();
  }

  public OptimizerSpec optimizer() {
    return optimizer;
  }

  /** Batches per epoch (the last may be smaller). */
  public long stepsPerEpoch() {
    return (train.size() + batchSize - 1) / batchSize;
  }

  /** Optimizer steps of one training run. */
  public long totalSteps() {
    return steps > 0 ? steps : epochs * stepsPerEpoch();
  }

  @Override
  public io.github.lth.core.TrainingPlan plan() {
    return new io.github.lth.core.TrainingPlan(totalSteps(), stepsPerEpoch());
  }

  @Override
  public TrainingSummary train(DjlModel model, io.github.lth.core.SparsityController controller,
      TrainingContext context) {
    checkArgument(controller instanceof io.github.lth.core.SparsityControllers.Fixed,
        "only fixed masks so far");
    return train(model, ((io.github.lth.core.SparsityControllers.Fixed) controller).mask(),
        context);
  }

  @Override
  public TrainingSummary train(DjlModel model, Mask mask, TrainingContext context) {
    checkState(!closed, "the task was closed");
    TrainingListener listener = context.listener();
    DeviceImages data = onDevice(trainOnDevice, train, model.device());
    long perEpoch = stepsPerEpoch();
    long total = totalSteps();
    int plannedEpochs = (int) ((total + perEpoch - 1) / perEpoch);
    Engine.getInstance().setRandomSeed(Long.hashCode(context.seed()));
    SplittableRandom rng = new SplittableRandom(context.seed());
    int n = train.size();
    int epochsDone = 0;
    double lastLoss = Double.NaN;
    listener.onTrainingStart(plannedEpochs, perEpoch);
    try (MaskedTrainer trainer = new MaskedTrainer(model, mask, optimizer, schedule, total)) {
      for (int epoch = 0; epoch < plannedEpochs; epoch++) {
        try (NDManager epochScope = model.manager().newSubManager()) {
          NDArray order = epochScope.create(Shuffle.indices(n, rng));
          NDArray lossSum = epochScope.zeros(new Shape(), DataType.FLOAT32);
          long batches = 0;
          for (long b = 0; b < perEpoch && trainer.steps() < total; b++) {
            try (NDManager batch = epochScope.newSubManager()) {
              long from = b * batchSize;
              long to = Math.min(n, from + batchSize);
              NDArray index = order.get(from + ":" + to);
              index.attach(batch);
              NDArray x = data.images(index, batch);
              NDArray y = data.labels(index, batch);
              NDArray loss = trainer.step(batch,
                  () -> crossEntropy(model.forward(new NDList(x), true).singletonOrThrow(), y)
                      .mean());
              lossSum.addi(loss);
              batches++;
              LazyLoss lazy = new LazyLoss(loss, trainer.steps());
              listener.onStep(trainer.steps(), epoch, b, lazy);
              lazy.expire();
            }
          }
          lastLoss = lossSum.getFloat() / batches;
          if (batches == perEpoch) {
            epochsDone++;
            listener.onEpochEnd(epoch, trainer.steps());
          }
        }
      }
      listener.onTrainingEnd(trainer.steps());
      return new TrainingSummary(trainer.steps(), epochsDone, lastLoss);
    }
  }

  /**
   * Top-1 {@code accuracy}, {@code mean_class_accuracy} (the mean over the classes present in
   * the test set of each class's accuracy) and {@code loss} (mean cross-entropy) on the test
   * set. Computed in batches on the device; only the per-class counts and the loss sum come
   * back.
   */
  @Override
  public Metrics evaluate(DjlModel model) {
    checkState(!closed, "the task was closed");
    DeviceImages data = onDevice(testOnDevice, test, model.device());
    int classes = test.classes();
    int n = test.size();
    long[] correct;
    double lossSum;
    try (NDManager scope = model.manager().newSubManager()) {
      NDArray perClass = scope.zeros(new Shape(classes), DataType.INT64);
      NDArray loss = scope.zeros(new Shape(), DataType.FLOAT64);
      for (long from = 0; from < n; from += evalBatchSize) {
        long to = Math.min(n, from + evalBatchSize);
        try (NDManager batch = scope.newSubManager()) {
          NDArray x = data.images(from, to, batch);
          NDArray y = data.labels(from, to, batch);
          NDArray logits = model.forward(new NDList(x), false).singletonOrThrow();
          loss.addi(crossEntropy(logits, y).sum().toType(DataType.FLOAT64, false));
          NDArray hit = logits.argMax(1).eq(y).toType(DataType.INT64, false);
          NDArray oneHot = y.oneHot(classes, DataType.INT64);
          perClass.addi(oneHot.mul(hit.reshape(-1, 1)).sum(new int[] {0}));
        }
      }
      correct = perClass.toLongArray();
      lossSum = loss.getDouble();
    }
    long[] support = new long[classes];
    for (int label : test.labels()) {
      support[label]++;
    }
    long hits = 0;
    double classAccuracy = 0;
    int present = 0;
    for (int c = 0; c < classes; c++) {
      hits += correct[c];
      if (support[c] > 0) {
        classAccuracy += (double) correct[c] / support[c];
        present++;
      }
    }
    Map<String, Double> m = new LinkedHashMap<>();
    m.put("accuracy", (double) hits / n);
    m.put("mean_class_accuracy", classAccuracy / present);
    m.put("loss", lossSum / n);
    return Metrics.of(m);
  }

  @Override
  public Map<String, Object> settings() {
    return settings.get();
  }

  /** Frees the device copies of the data. */
  @Override
  public void close() {
    if (!closed) {
      closed = true;
      trainOnDevice.values().forEach(DeviceImages::close);
      testOnDevice.values().forEach(DeviceImages::close);
    }
  }

  /** Per-sample softmax cross-entropy of logits {@code [b, c]} and int64 labels {@code [b]}. */
  static NDArray crossEntropy(NDArray logits, NDArray labels) {
    NDArray logp = logits.logSoftmax(1);
    return logp.gather(labels.reshape(-1, 1), 1).reshape(-1).neg();
  }

  private DeviceImages onDevice(Map<Device, DeviceImages> cache, ImageDataset data,
      Device device) {
    return cache.computeIfAbsent(device, d -> DeviceImages.upload(data, d, mean, std));
  }

  private Map<String, Object> describe() {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("task", "classification");
    if (steps > 0) {
      s.put("steps", steps);
    } else {
      s.put("epochs", epochs);
    }
    s.put("batch_size", batchSize);
    s.put("optimizer", optimizer.name());
    s.put("learning_rate", optimizer.learningRate());
    if (optimizer.kind() == OptimizerSpec.Kind.SGD) {
      s.put("momentum", optimizer.momentum());
    }
    s.put("weight_decay", optimizer.weightDecay());
    s.put("lr_schedule", schedule.spec());
    s.put("normalization", std == 0 ? "none" : List.of((double) mean, (double) std));
    s.put("train_data", train.name());
    s.put("train_size", train.size());
    s.put("train_fingerprint", train.fingerprint());
    s.put("test_data", test.name());
    s.put("test_size", test.size());
    s.put("test_fingerprint", test.fingerprint());
    return Collections.unmodifiableMap(s);
  }

  /** The loss of one step, copied from the device only if a listener asks during onStep. */
  private static final class LazyLoss implements DoubleSupplier {
    private final NDArray loss;
    private final long step;
    private boolean expired;
    private double value = Double.NaN;
    private boolean read;

    LazyLoss(NDArray loss, long step) {
      this.loss = loss;
      this.step = step;
    }

    @Override
    public double getAsDouble() {
      if (!read) {
        checkState(!expired, "the loss of step %s can only be read during onStep", step);
        value = loss.getFloat();
        read = true;
      }
      return value;
    }

    void expire() {
      expired = true;
    }
  }

  /**
   * Builds a {@link ClassificationTask}. Required: training and test data. Defaults: 1 epoch,
   * batch size 60, Adam with learning rate 1.2e-3 (SGD: 0.1, momentum 0.9), constant rate, no
   * weight decay, no normalisation.
   */
  public static final class Builder {
    private ImageDataset train;
    private ImageDataset test;
    private int epochs = 1;
    private boolean epochsSet;
    private long steps;
    private int batchSize = 60;
    private int evalBatchSize = 1000;
    private OptimizerSpec.Kind kind = OptimizerSpec.Kind.ADAM;
    private Double learningRate;
    private Double momentum;
    private double weightDecay;
    private LrSchedule schedule = LrSchedules.constant();
    private float mean;
    private float std;

    private Builder() {}

    public Builder setTrainData(ImageDataset data) {
      this.train = data;
      return this;
    }

    public Builder setTestData(ImageDataset data) {
      this.test = data;
      return this;
    }

    /** Trains for whole epochs (exclusive with {@link #optSteps}). */
    public Builder optEpochs(int value) {
      checkArgument(value > 0, "--epochs must be positive: %s", value);
      this.epochs = value;
      this.epochsSet = true;
      return this;
    }

    /** Trains for a number of optimizer steps (exclusive with {@link #optEpochs}). */
    public Builder optSteps(long value) {
      checkArgument(value > 0, "--steps must be positive: %s", value);
      this.steps = value;
      return this;
    }

    public Builder optBatchSize(int value) {
      checkArgument(value > 0, "--batch-size must be positive: %s", value);
      this.batchSize = value;
      return this;
    }

    /** Batch size of evaluation (memory only; does not change the metrics). */
    public Builder optEvalBatchSize(int value) {
      checkArgument(value > 0, "evaluation batch size must be positive: %s", value);
      this.evalBatchSize = value;
      return this;
    }

    /** {@code adam} or {@code sgd}. */
    public Builder optOptimizer(String name) {
      this.kind = OptimizerSpec.kindOf(name);
      return this;
    }

    public Builder optLearningRate(double value) {
      checkArgument(value > 0 && Double.isFinite(value), "--lr must be positive: %s", value);
      this.learningRate = value;
      return this;
    }

    /** Momentum of SGD (default 0.9; 0 for plain SGD). */
    public Builder optMomentum(double value) {
      checkArgument(value >= 0 && value < 1, "--momentum must be in [0, 1): %s", value);
      this.momentum = value;
      return this;
    }

    public Builder optWeightDecay(double value) {
      checkArgument(value >= 0 && Double.isFinite(value),
          "--weight-decay must not be negative: %s", value);
      this.weightDecay = value;
      return this;
    }

    public Builder optLrSchedule(LrSchedule value) {
      checkArgument(value != null, "--lr-schedule: missing");
      this.schedule = value;
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

    OptimizerSpec optimizerSpec() {
      if (kind == OptimizerSpec.Kind.ADAM) {
        checkArgument(momentum == null, "--momentum applies to sgd only");
        return OptimizerSpec.adam(learningRate == null ? 1.2e-3 : learningRate)
            .withWeightDecay(weightDecay);
      }
      return OptimizerSpec.sgd(learningRate == null ? 0.1 : learningRate,
          momentum == null ? 0.9 : momentum).withWeightDecay(weightDecay);
    }

    /**
     * @throws IllegalArgumentException if data is missing, the test images differ in shape or
     *     classes from the training images, or both epochs and steps were set
     */
    public ClassificationTask build() {
      checkArgument(train != null, "the task needs training data (setTrainData)");
      checkArgument(test != null, "the task needs test data (setTestData)");
      checkArgument(train.size() > 0, "data set %s is empty", train.name());
      checkArgument(test.size() > 0, "data set %s is empty", test.name());
      checkArgument(train.channels() == test.channels() && train.height() == test.height()
          && train.width() == test.width(),
          "test data %s has %sx%sx%s images, the training data %s has %sx%sx%s", test.name(),
          test.channels(), test.height(), test.width(), train.name(), train.channels(),
          train.height(), train.width());
      checkArgument(train.classes() == test.classes(),
          "test data %s has %s classes, the training data %s has %s", test.name(),
          test.classes(), train.name(), train.classes());
      checkArgument(!(epochsSet && steps > 0), "--epochs and --steps exclude each other");
      return new ClassificationTask(this);
    }
  }
}
