package io.github.lth.djl.train;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkState;

import ai.djl.ndarray.NDManager;
import ai.djl.training.dataset.Batch;
import io.github.lth.core.Metrics;
import io.github.lth.core.SparsityController;
import io.github.lth.core.Task;
import io.github.lth.core.TrainingContext;
import io.github.lth.core.TrainingPlan;
import io.github.lth.core.TrainingSummary;
import io.github.lth.djl.DjlModel;
import io.github.lth.djl.data.Augmentation;
import io.github.lth.djl.data.BatchSource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A {@link Task} made of an {@link Objective}, a {@link TrainingLoop} over training data, and
 * evaluation splits: validation (what selection and verdicts use) and test (reported beside
 * it). {@link #evaluate} reports every metric of the objective once per split, as
 * {@code val_<name>} and {@code test_<name>}. Close the task to close its data sources.
 *
 * <pre>{@code
 * try (TrainingTask task = TrainingTask.builder()
 *     .setObjective(new RotationObjective())
 *     .setTrainData(BatchSources.of(train)).optValidationData(BatchSources.of(val))
 *     .optTestData(BatchSources.of(test))
 *     .optEpochs(2).optOptimizer(OptimizerSpec.adam(1e-3)).build()) {
 *   ImpResult r = Imp.run(model, task, PruningSchedules.imp(0.2, 0.9));
 * }
 * }</pre>
 */
public final class TrainingTask implements DjlTask {
  /** Prefix of validation metrics. */
  public static final String VALIDATION = "val_";
  /** Prefix of test metrics. */
  public static final String TEST = "test_";

  private final TrainingLoop loop;
  private final BatchSource validation;
  private final BatchSource test;
  private final int evalBatchSize;
  private final Map<String, Object> extraSettings;
  private boolean closed;

  private TrainingTask(Builder b) {
    this.loop = b.loop.build();
    this.validation = b.validation;
    this.test = b.test;
    this.evalBatchSize = b.evalBatchSize;
    // insertion order: settings are hashed into the run's fingerprint
    this.extraSettings = Collections.unmodifiableMap(new LinkedHashMap<>(b.extraSettings));
  }

  public static Builder builder() {
    return new Builder();
  }

  public TrainingLoop loop() {
    return loop;
  }

  public Objective objective() {
    return loop.objective();
  }

  @Override
  public TrainingPlan plan() {
    return loop.plan();
  }

  @Override
  public TrainingSummary train(DjlModel model, SparsityController controller,
      TrainingContext context) {
    checkState(!closed, "the task was closed");
    return loop.run(model, controller, context);
  }

  /**
   * The objective's metrics on the validation data ({@code val_*}) and the test data
   * ({@code test_*}), each split present.
   */
  @Override
  public Metrics evaluate(DjlModel model) {
    checkState(!closed, "the task was closed");
    Map<String, Double> all = new LinkedHashMap<>();
    if (validation != null) {
      evaluate(model, validation).asMap().forEach((k, v) -> all.put(VALIDATION + k, v));
    }
    if (test != null) {
      evaluate(model, test).asMap().forEach((k, v) -> all.put(TEST + k, v));
    }
    return Metrics.of(all);
  }

  /** The objective's metrics (bare names) on any data, in order, without gradients. */
  public Metrics evaluate(DjlModel model, BatchSource data) {
    checkState(!closed, "the task was closed");
    try (NDManager scope = model.manager().newSubManager()) {
      int[] order = new int[data.size()];
      for (int i = 0; i < order.length; i++) {
        order[i] = i;
      }
      BatchSource.Epoch pass = data.epoch(scope, model.device(), order);
      return loop.objective().evaluate(model, new EvaluationData() {
        @Override
        public int size() {
          return order.length;
        }

        @Override
        public NDManager manager() {
          return scope;
        }

        @Override
        public void forEach(Consumer<Batch> action) {
          for (int from = 0; from < order.length; from += evalBatchSize) {
            try (NDManager batchScope = scope.newSubManager()) {
              action.accept(pass.batch(batchScope, from, Math.min(order.length,
                  from + evalBatchSize)));
            }
          }
        }
      });
    }
  }

  /** {@code val_<primary>} when there is validation data, else {@code test_<primary>}. */
  @Override
  public String primaryMetric() {
    return (validation != null ? VALIDATION : TEST) + loop.objective().primaryMetric();
  }

  @Override
  public boolean higherIsBetter() {
    return loop.objective().higherIsBetter();
  }

  /**
   * The objective's and the loop's settings, those added with {@link Builder#optSetting}, the
   * training data's {@code augmentation} spec when it augments (no such key otherwise), and
   * name, size and fingerprint of each data split.
   */
  @Override
  public Map<String, Object> settings() {
    Map<String, Object> s = new LinkedHashMap<>();
    s.putAll(loop.objective().settings());
    s.putAll(loop.settings());
    s.putAll(extraSettings);
    // only when on: settings are hashed into run fingerprints, and runs without augmentation
    // must keep the fingerprints they had before augmentation existed
    Augmentation augmentation = loop.trainData().augmentation();
    if (!augmentation.isNone()) {
      s.put("augmentation", augmentation.spec());
    }
    describe(s, "train", loop.trainData());
    if (validation != null) {
      describe(s, "validation", validation);
    }
    if (test != null) {
      describe(s, "test", test);
    }
    return Collections.unmodifiableMap(s);
  }

  private static void describe(Map<String, Object> s, String split, BatchSource data) {
    s.put(split + "_data", data.name());
    s.put(split + "_size", data.size());
    s.put(split + "_fingerprint", data.fingerprint());
  }

  /**
   * Closes the data sources it was given (their device copies) and the objective when it is
   * {@link AutoCloseable}: the task owns them, so give
   * each task sources of its own rather than sharing one between two open tasks.
   */
  @Override
  public void close() {
    if (!closed) {
      closed = true;
      List<BatchSource> sources = new ArrayList<>();
      sources.add(loop.trainData());
      if (validation != null) {
        sources.add(validation);
      }
      if (test != null) {
        sources.add(test);
      }
      try {
        closeSources(sources);
      } finally {
        if (loop.objective() instanceof AutoCloseable stateful) {
          // objectives with device state (a memory bank) free it with the task
          try {
            stateful.close();
          } catch (Exception e) {
            throw new IllegalStateException("closing the objective: " + e.getMessage(), e);
          }
        }
      }
    }
  }

  private static void closeSources(List<BatchSource> sources) {
    for (BatchSource s : sources) {
      try {
        s.close();
      } catch (Exception e) {
        throw new IllegalStateException("closing data " + s.name() + ": " + e.getMessage(), e);
      }
    }
  }

  /**
   * Builds a {@link TrainingTask}: the {@link TrainingLoop.Builder} settings plus evaluation
   * data. At least one of validation and test data is required.
   */
  public static final class Builder {
    private final TrainingLoop.Builder loop = TrainingLoop.builder();
    private BatchSource validation;
    private BatchSource test;
    private int evalBatchSize = 1000;
    private final Map<String, Object> extraSettings = new LinkedHashMap<>();

    private Builder() {}

    public Builder setObjective(Objective value) {
      loop.setObjective(value);
      return this;
    }

    public Builder setTrainData(BatchSource value) {
      loop.setTrainData(value);
      return this;
    }

    /** Data the primary metric is measured on (selection, verdicts). */
    public Builder optValidationData(BatchSource value) {
      this.validation = value;
      return this;
    }

    /** Data measured and reported beside the validation metrics. */
    public Builder optTestData(BatchSource value) {
      this.test = value;
      return this;
    }

    public Builder optEpochs(int value) {
      loop.optEpochs(value);
      return this;
    }

    public Builder optSteps(long value) {
      loop.optSteps(value);
      return this;
    }

    public Builder optBatchSize(int value) {
      loop.optBatchSize(value);
      return this;
    }

    /** Batch size of evaluation (memory only; does not change the metrics). */
    public Builder optEvalBatchSize(int value) {
      checkArgument(value > 0, "evaluation batch size must be positive: %s", value);
      this.evalBatchSize = value;
      return this;
    }

    public Builder optOptimizer(OptimizerSpec value) {
      loop.optOptimizer(value);
      return this;
    }

    public Builder optLrSchedule(LrSchedule value) {
      loop.optLrSchedule(value);
      return this;
    }

    /** Records a setting in the task's settings (config.json), e.g. a preprocessing choice. */
    public Builder optSetting(String key, Object value) {
      extraSettings.put(key, value);
      return this;
    }

    public TrainingTask build() {
      checkArgument(validation != null || test != null,
          "the task needs validation or test data to measure (optValidationData, optTestData)");
      return new TrainingTask(this);
    }
  }
}
