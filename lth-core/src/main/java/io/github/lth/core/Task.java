package io.github.lth.core;

import java.util.Map;

/**
 * A training problem: trains a model while a {@link SparsityController} decides its mask, and
 * measures it. The task keeps every pruned weight (and its optimizer state) at zero throughout
 * training, reports each step to the context's listener, and starts at the context's start step
 * (late rewinding) with the learning-rate schedule and data order continued from there.
 *
 * <p>{@link #evaluate} reports each metric of every evaluation split under a prefixed name:
 * {@code val_accuracy}, {@code test_accuracy}, ... Selection and verdicts use the validation
 * metrics ({@link #primaryMetric()}); test metrics are reported beside them.
 *
 * <pre>{@code
 * TrainingSummary t = task.train(model, mask, new TrainingContext(0, 7, TrainingListener.NONE));
 * Metrics m = task.evaluate(model);           // val_accuracy, val_loss, test_accuracy, ...
 * }</pre>
 *
 * @param <M> the model type it trains
 */
public interface Task<M extends PrunableModel> extends Evaluator<M> {

  /** Trains {@code model}; the controller decides the mask at the start and after every step. */
  TrainingSummary train(M model, SparsityController controller, TrainingContext context);

  /** Trains {@code model} with {@code mask} enforced from the first to the last step. */
  default TrainingSummary train(M model, Mask mask, TrainingContext context) {
    return train(model, SparsityControllers.fixed(mask), context);
  }

  /** How many steps a run from step 0 takes, and the steps of one epoch. */
  TrainingPlan plan();

  /**
   * The metric a run selects by, plots and compares with the dense network: a validation
   * metric when the task has validation data ({@code val_accuracy}), else a test metric. The
   * default, {@code accuracy}, suits a task that reports unsplit metrics; a task that reports
   * {@code val_}/{@code test_} names returns the validation one.
   */
  default String primaryMetric() {
    return "accuracy";
  }

  /**
   * Whether a higher value of {@link #primaryMetric()} is better (accuracy) or a lower one
   * (a loss, an error); selection such as {@link ImpResult#sparsestWithin} follows it.
   */
  default boolean higherIsBetter() {
    return true;
  }

  /** Every setting of the task, for the run's config.json (JSON-friendly values). */
  Map<String, Object> settings();
}
