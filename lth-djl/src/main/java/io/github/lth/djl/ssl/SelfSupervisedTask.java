package io.github.lth.djl.ssl;

import static com.google.common.base.Preconditions.checkArgument;

import io.github.lth.core.Metrics;
import io.github.lth.core.Task;
import io.github.lth.djl.DjlModel;
import io.github.lth.djl.data.ImageDataset;
import io.github.lth.djl.models.HeadedBlock;
import io.github.lth.djl.train.LrSchedule;
import io.github.lth.djl.train.OptimizerSpec;
import io.github.lth.djl.train.ForwardingTask;
import io.github.lth.djl.train.ImageTaskData;
import io.github.lth.djl.train.TrainingTask;

/**
 * A self-supervised {@link Task} on in-memory images: a {@link Pretext}'s objective trained by
 * the one training loop (masks, optimizers, late rewinding, sparsity controllers) and measured
 * on held-out images. It is what {@code Imp.run}, branches and the sparse-training methods take
 * in place of a {@link io.github.lth.djl.train.ClassificationTask}; the model must carry the
 * pretext's head ({@link #attachHead}). As there, 10 % of the training images are held out by
 * default (stratified by class, seeded) and selection uses them; the test set is measured
 * beside. Metrics are the pretext's, prefixed by split: {@code val_rotation_accuracy},
 * {@code test_retrieval_accuracy}, S4L's {@code val_accuracy}, ...
 *
 * <p>The training images are {@link ImageDataset#indexed() indexed}, so objectives know each
 * row's image; labels reach only S4L, through its table of labelled images. Evaluation batches
 * are a multiple of the training batch size, so the retrieval metric ranks within groups of that
 * size.
 *
 * <pre>{@code
 * Pretext rotnet = Pretext.parse("rotnet");
 * try (SelfSupervisedTask task = SelfSupervisedTask.builder().setPretext(rotnet)
 *         .setTrainData(data.train()).setTestData(data.test()).optEpochs(2).build();
 *     DjlModel net = DjlModel.create(task.attachHead(Models.create("lenet300", 1, 28, 28, 10)),
 *         new Shape(1, 1, 28, 28), Device.cpu(), 0)) {
 *   ImpResult r = Imp.run(net, task, PruningSchedules.imp(0.2, 0.9));
 * }
 * }</pre>
 */
public final class SelfSupervisedTask extends ForwardingTask {
  private final Pretext pretext;
  private final ImageDataset train;

  private SelfSupervisedTask(TrainingTask task, Pretext pretext, ImageDataset train) {
    super(task, pretext.settings());
    this.pretext = pretext;
    this.train = train;
  }

  public static Builder builder() {
    return new Builder();
  }

  public Pretext pretext() {
    return pretext;
  }

  /**
   * Puts the pretext's head on {@code model} for the images this task trains on (Exemplar's
   * head has one output per training image): {@link Pretext#attachHead}.
   */
  public HeadedBlock attachHead(HeadedBlock model) {
    return pretext.attachHead(model, train.size());
  }

  /**
   * Builds a {@link SelfSupervisedTask}. Required: the pretext, training and test data.
   * Defaults as {@link io.github.lth.djl.train.ClassificationTask}'s: 1 epoch, batch size 60,
   * Adam 1.2e-3, constant rate, 10 % validation with seed 0, no normalisation.
   */
  public static final class Builder {
    private final TrainingTask.Builder task = TrainingTask.builder();
    private Pretext pretext;
    private ImageDataset train;
    private ImageDataset test;
    private int batchSize = 60;
    private OptimizerSpec optimizer = OptimizerSpec.adam(1.2e-3);
    private float mean;
    private float std;
    private double validation = 0.1;
    private long validationSeed;

    private Builder() {}

    public Builder setPretext(Pretext value) {
      this.pretext = value;
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

    /**
     * Holds out {@code fraction} of the training images (stratified by class, drawn with
     * {@code seed}); 0 turns validation off. Default 0.1 with seed 0. The seed also draws S4L's
     * labelled images.
     */
    public Builder optValidation(double fraction, long seed) {
      checkArgument(fraction >= 0 && fraction < 1, "validation fraction must be in [0, 1): %s",
          fraction);
      this.validation = fraction;
      this.validationSeed = seed;
      return this;
    }

    public Builder optEpochs(int value) {
      task.optEpochs(value);
      return this;
    }

    public Builder optSteps(long value) {
      task.optSteps(value);
      return this;
    }

    /** Default 60; the contrastive tasks need at least 2. */
    public Builder optBatchSize(int value) {
      this.batchSize = value;
      return this;
    }

    public Builder optOptimizer(OptimizerSpec value) {
      checkArgument(value != null, "optimizer must not be null");
      this.optimizer = value;
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
     * @throws IllegalArgumentException if something required is missing, the test images differ
     *     from the training images, a rotating task gets non-square images, a contrastive task
     *     a batch size below 2, or both epochs and steps were set
     */
    public SelfSupervisedTask build() {
      checkArgument(pretext != null, "the task needs a pretext (setPretext)");
      ImageTaskData data = ImageTaskData.split(train, test, validation, validationSeed, mean,
          std);
      checkArgument(!pretext.rotates() || train.height() == train.width(),
          "data set %s has %sx%s images; %s rotates images by 90 degrees and needs square"
              + " images", train.name(), train.height(), train.width(), pretext.name());
      checkArgument(pretext.kind() == Pretext.Kind.ROTNET || pretext.kind() == Pretext.Kind.S4L
          || batchSize >= 2, "batch size: %s needs at least 2 images per batch, got %s",
          pretext.name(), batchSize);
      ImageDataset trainPart = data.trainPart();
      checkArgument(pretext.kind() != Pretext.Kind.SIMCLR || trainPart.size() % batchSize != 1,
          "batch size: simclr pairs images within a batch, and %s training images in batches"
              + " of %s leave a last batch of one; choose another batch size", trainPart.size(),
          batchSize);
      task.setObjective(pretext.objective(trainPart, validationSeed, batchSize))
          .optBatchSize(batchSize)
          .optEvalBatchSize(ViewRetrieval.evaluationBatchSize(batchSize))
          .optOptimizer(optimizer);
      data.configure(task, data.batches(trainPart.indexed()));
      return new SelfSupervisedTask(task.build(), pretext, trainPart);
    }
  }
}
