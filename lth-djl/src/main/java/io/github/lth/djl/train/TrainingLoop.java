package io.github.lth.djl.train;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkState;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.dataset.Batch;
import io.github.lth.core.Mask;
import io.github.lth.core.ParameterInfo;
import io.github.lth.core.PrunableModel;
import io.github.lth.core.SparsityController;
import io.github.lth.core.TrainingContext;
import io.github.lth.core.TrainingListener;
import io.github.lth.core.TrainingPlan;
import io.github.lth.core.TrainingState;
import io.github.lth.core.TrainingSummary;
import io.github.lth.core.Weights;
import io.github.lth.core.prune.ParameterSelectors;
import io.github.lth.djl.DjlModel;
import io.github.lth.djl.data.BatchSource;
import io.github.lth.djl.data.Shuffle;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;

/**
 * The one training loop every method runs on: an {@link Objective} gives each batch's loss, a
 * {@link MaskedTrainer} takes the optimizer step with the mask kept, and a
 * {@link SparsityController} decides the mask at the start, after every step and at every epoch
 * end. When the controller changes the mask, the loop applies it to the model and the optimizer
 * state follows it ({@link MaskedTrainer#maskChanged()}).
 *
 * <p>Epoch {@code e} visits the training data in the {@code e}-th permutation drawn from the
 * context's seed, so a run that starts at step {@code k} (late rewinding) draws and skips the
 * permutations of the epochs before {@code k} and continues with exactly the batches and learning
 * rates a run from step 0 would have had from step {@code k} on. The last batch of an epoch may
 * be smaller. A training source with an {@link io.github.lth.djl.data.Augmentation} augments
 * the batches of epoch {@code e} from the context's seed and {@code e}
 * ({@link BatchSource#trainingEpoch}).
 *
 * <pre>{@code
 * TrainingLoop loop = TrainingLoop.builder()
 *     .setObjective(new ClassificationObjective()).setTrainData(train)
 *     .optEpochs(2).optBatchSize(60).optOptimizer(OptimizerSpec.adam(1.2e-3)).build();
 * TrainingSummary s = loop.run(model, SparsityControllers.fixed(mask),
 *     new TrainingContext(0, 42, TrainingListener.NONE));
 * }</pre>
 */
public final class TrainingLoop {
  private final Objective objective;
  private final BatchSource train;
  private final int epochs;
  private final long steps;
  private final int batchSize;
  private final OptimizerSpec optimizer;
  private final LrSchedule schedule;

  private TrainingLoop(Builder b) {
    this.objective = b.objective;
    this.train = b.train;
    this.epochs = b.epochs;
    this.steps = b.steps;
    this.batchSize = b.batchSize;
    this.optimizer = b.optimizer;
    this.schedule = b.schedule;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Steps of a run from step 0 and steps per epoch. */
  public TrainingPlan plan() {
    long perEpoch = (train.size() + batchSize - 1) / batchSize;
    return new TrainingPlan(steps > 0 ? steps : epochs * perEpoch, perEpoch);
  }

  public OptimizerSpec optimizer() {
    return optimizer;
  }

  public LrSchedule schedule() {
    return schedule;
  }

  public int batchSize() {
    return batchSize;
  }

  public Objective objective() {
    return objective;
  }

  public BatchSource trainData() {
    return train;
  }

  /** Settings of the loop for config.json. */
  public Map<String, Object> settings() {
    Map<String, Object> s = new LinkedHashMap<>();
    if (steps > 0) {
      s.put("steps", steps);
    } else {
      s.put("epochs", epochs);
    }
    s.put("batch_size", batchSize);
    s.put("optimizer", optimizer.name());
    s.put("learning_rate", optimizer.learningRate());
    if (!optimizer.kind().isAdam()) {
      s.put("momentum", optimizer.momentum());
    }
    s.put("weight_decay", optimizer.weightDecay());
    s.put("lr_schedule", schedule.spec());
    return s;
  }

  /**
   * Trains {@code model} from step {@code context.startStep()} to the end of the plan.
   *
   * @throws IllegalArgumentException if the start step is not before the end of training
   */
  public TrainingSummary run(DjlModel model, SparsityController controller,
      TrainingContext context) {
    TrainingPlan plan = plan();
    long total = plan.totalSteps();
    long perEpoch = plan.stepsPerEpoch();
    long start = context.startStep();
    checkArgument(start < total, "start step %s is not before the end of training (%s steps)",
        start, total);
    TrainingListener listener = context.listener();
    int plannedEpochs = plan.epochs();
    int n = train.size();
    Engine.getInstance().setRandomSeed(Long.hashCode(context.seed()));
    SplittableRandom rng = new SplittableRandom(context.seed());
    LoopState state = new LoopState(model, plan, startMask(model), start);
    objective.beginTraining(model, context);
    state.mask = controller.start(state);
    checkState(state.mask != null, "the sparsity controller returned no mask at the start");
    model.applyMask(state.mask);
    int epochsDone = 0;
    double lastLoss = Double.NaN;
    listener.onTrainingStart(plannedEpochs, perEpoch);
    try (MaskedTrainer trainer = new MaskedTrainer(model, optimizer, schedule, total, start)) {
      state.trainer = trainer;
      for (int epoch = 0; epoch < plannedEpochs; epoch++) {
        // every epoch's permutation is drawn, so skipped epochs leave the generator where a
        // run from step 0 would have it
        int[] order = Shuffle.order(n, rng);
        long firstBatch = Math.max(0, start - epoch * perEpoch);
        if (firstBatch >= perEpoch) {
          continue;
        }
        state.epoch = epoch;
        try (NDManager epochScope = model.manager().newSubManager()) {
          // augmenting sources draw from (seed, epoch, position), not from rng: runs without
          // augmentation keep their orders, and a late-rewound run gets the same crops
          BatchSource.Epoch data = train.trainingEpoch(epochScope, model.device(), order,
              context.seed(), epoch);
          NDArray lossSum = epochScope.zeros(new Shape(), DataType.FLOAT32);
          long batches = 0;
          for (long b = firstBatch; b < perEpoch && trainer.steps() < total; b++) {
            try (NDManager batchScope = epochScope.newSubManager()) {
              int from = (int) (b * batchSize);
              int to = (int) Math.min(n, from + (long) batchSize);
              Batch batch = data.batch(batchScope, from, to);
              trainer.keepDenseGradients(controller.needsDenseGradients(trainer.steps() + 1));
              NDArray loss = trainer.step(batchScope, () -> objective.loss(model, batch));
              lossSum.addi(loss);
              batches++;
              LazyLoss lazy = new LazyLoss(loss, trainer.steps());
              listener.onStep(trainer.steps(), epoch, b, lazy);
              lazy.expire();
              follow(controller.afterStep(state), state, model, trainer);
            }
          }
          lastLoss = lossSum.getFloat() / batches;
          if (firstBatch + batches == perEpoch) {
            // the schedule's epoch ends, also the first one of a late-rewound run; only epochs
            // this run trained whole count as its epochs
            if (firstBatch == 0) {
              epochsDone++;
            }
            listener.onEpochEnd(epoch, trainer.steps());
            follow(controller.atEpochEnd(state), state, model, trainer);
          }
        }
      }
      listener.onTrainingEnd(trainer.steps());
      return new TrainingSummary(trainer.steps() - start, epochsDone, lastLoss, start, state.mask);
    }
  }

  /** Applies a mask the controller changed to, and makes the optimizer state follow it. */
  private static void follow(Mask next, LoopState state, DjlModel model, MaskedTrainer trainer) {
    checkState(next != null, "the sparsity controller returned no mask at step %s",
        trainer.steps());
    if (next != state.mask && !next.equals(state.mask)) {
      model.applyMask(next);
      trainer.maskChanged();
    }
    state.mask = next;
  }

  /** The model's current mask, or a dense one over its default prunable parameters. */
  private static Mask startMask(DjlModel model) {
    if (model.mask().isPresent()) {
      return model.mask().get();
    }
    Map<String, long[]> shapes = new LinkedHashMap<>();
    for (ParameterInfo p : ParameterSelectors.defaults().select(model.parameters())) {
      shapes.put(p.name(), p.shape());
    }
    return Mask.dense(shapes);
  }

  /** What the controller sees. */
  private static final class LoopState implements TrainingState {
    private final DjlModel model;
    private final TrainingPlan plan;
    private final long startStep;
    private MaskedTrainer trainer;
    private Mask mask;
    private int epoch;

    LoopState(DjlModel model, TrainingPlan plan, Mask mask, long startStep) {
      this.model = model;
      this.plan = plan;
      this.mask = mask;
      this.startStep = startStep;
      this.epoch = (int) (startStep / plan.stepsPerEpoch());
    }

    @Override
    public long step() {
      return trainer == null ? startStep : trainer.steps();
    }

    @Override
    public long totalSteps() {
      return plan.totalSteps();
    }

    @Override
    public long stepsPerEpoch() {
      return plan.stepsPerEpoch();
    }

    @Override
    public int epoch() {
      return epoch;
    }

    @Override
    public Mask mask() {
      return mask;
    }

    @Override
    public PrunableModel model() {
      return model;
    }

    @Override
    public Weights denseGradients(List<String> names) {
      Weights.Builder b = Weights.builder();
      for (String name : names) {
        NDArray g = trainer == null ? null : trainer.denseGradient(name).orElse(null);
        checkState(g != null, "no dense gradient of %s at step %s: the controller's "
            + "needsDenseGradients(%s) must answer true", name, step(), step());
        b.putOwned(name, g.getShape().getShape(), g.toType(DataType.FLOAT32, false)
            .toFloatArray());
      }
      return b.build();
    }
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
   * Builds a {@link TrainingLoop}. Required: objective and training data. Defaults: 1 epoch,
   * batch size 60, Adam with learning rate 1.2e-3, constant learning rate.
   */
  public static final class Builder {
    private Objective objective;
    private BatchSource train;
    private int epochs = 1;
    private boolean epochsSet;
    private long steps;
    private int batchSize = 60;
    private OptimizerSpec optimizer = OptimizerSpec.adam(1.2e-3);
    private LrSchedule schedule = LrSchedules.constant();

    private Builder() {}

    public Builder setObjective(Objective value) {
      this.objective = value;
      return this;
    }

    public Builder setTrainData(BatchSource value) {
      this.train = value;
      return this;
    }

    /** Trains for whole epochs (exclusive with {@link #optSteps}). */
    public Builder optEpochs(int value) {
      checkArgument(value > 0, "epochs must be positive: %s", value);
      this.epochs = value;
      this.epochsSet = true;
      return this;
    }

    /** Trains for a number of optimizer steps (exclusive with {@link #optEpochs}). */
    public Builder optSteps(long value) {
      checkArgument(value > 0, "steps must be positive: %s", value);
      this.steps = value;
      return this;
    }

    public Builder optBatchSize(int value) {
      checkArgument(value > 0, "batch size must be positive: %s", value);
      this.batchSize = value;
      return this;
    }

    public Builder optOptimizer(OptimizerSpec value) {
      checkArgument(value != null, "optimizer must not be null");
      this.optimizer = value;
      return this;
    }

    public Builder optLrSchedule(LrSchedule value) {
      checkArgument(value != null, "learning-rate schedule must not be null");
      this.schedule = value;
      return this;
    }

    /**
     * @throws IllegalArgumentException if the objective or data is missing, the data is empty,
     *     or both epochs and steps were set
     */
    public TrainingLoop build() {
      checkArgument(objective != null, "the training loop needs an objective (setObjective)");
      checkArgument(train != null, "the training loop needs training data (setTrainData)");
      checkArgument(train.size() > 0, "training data %s is empty", train.name());
      checkArgument(!(epochsSet && steps > 0), "epochs and steps exclude each other: %s epochs,"
          + " %s steps", epochs, steps);
      return new TrainingLoop(this);
    }
  }
}
