package io.github.lth.djl.train;

import ai.djl.ndarray.NDArray;
import ai.djl.training.dataset.Batch;
import io.github.lth.core.Metrics;
import io.github.lth.core.TrainingContext;
import io.github.lth.djl.DjlModel;
import java.util.Map;

/**
 * What a training run minimises and measures, apart from the loop that runs it: a batch in, a
 * scalar loss out; evaluation data in, named metrics out. Supervised cross-entropy is
 * {@link ClassificationObjective}; self-supervised tasks (rotation prediction, contrastive
 * losses) and a user's own objectives are other implementations, all driven by the same
 * {@link TrainingLoop} with masks, optimizers, late rewinding and sparsity controllers.
 *
 * <p>Both methods run on the model's device: {@code loss} must not copy to the host, and
 * {@code evaluate} should accumulate on the device and read back only the final sums.
 *
 * <pre>{@code
 * // a reconstruction objective for an auto-encoder block
 * Objective reconstruction = new Objective() {
 *   public NDArray loss(DjlModel model, Batch batch) {
 *     NDArray x = batch.getData().singletonOrThrow();
 *     return model.forward(batch.getData(), true).singletonOrThrow().sub(x).square().mean();
 *   }
 *   public Metrics evaluate(DjlModel model, EvaluationData data) {
 *     NDArray sum = data.manager().zeros(new Shape());
 *     data.forEach(b -> sum.addi(loss(model, b).mul(b.getSize())));
 *     return Metrics.of(Map.of("mse", sum.getFloat() / data.size()));
 *   }
 *   public String primaryMetric() { return "mse"; }
 * };
 * }</pre>
 */
public interface Objective {

  /**
   * The scalar loss of one training batch. Called while gradients are recorded, with the model
   * in training mode ({@code model.forward(inputs, true)}); temporaries belong to the batch's
   * manager.
   */
  NDArray loss(DjlModel model, Batch batch);

  /**
   * Named metrics of the model over evaluation data (no gradients; forward with
   * {@code training = false}). The names are bare ({@code accuracy}); tasks prefix them with the
   * split ({@code val_accuracy}, {@code test_accuracy}).
   */
  Metrics evaluate(DjlModel model, EvaluationData data);

  /**
   * Called once at the start of every training run, before its first {@link #loss}, with the
   * run's context (seed, start step). Objectives with state across steps reset it here: a memory
   * bank, a step counter that keys the random views of each batch. The default does nothing.
   *
   * <pre>{@code
   * public void beginTraining(DjlModel model, TrainingContext context) {
   *   step = context.startStep();   // late rewinding: the views of step k, whatever the start
   * }
   * }</pre>
   */
  default void beginTraining(DjlModel model, TrainingContext context) {}

  /** The metric selection and verdicts use (bare name). */
  default String primaryMetric() {
    return "accuracy";
  }

  /** Whether a higher value of the primary metric is better (false for a loss or an error). */
  default boolean higherIsBetter() {
    return true;
  }

  /** The objective's settings for the run's config.json (JSON-friendly values). */
  default Map<String, Object> settings() {
    return Map.of("objective", getClass().getName());
  }
}
