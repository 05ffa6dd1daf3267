package io.github.lth.djl.train;

import io.github.lth.core.Metrics;
import io.github.lth.core.SparsityController;
import io.github.lth.core.TrainingContext;
import io.github.lth.core.TrainingPlan;
import io.github.lth.core.TrainingSummary;
import io.github.lth.djl.DjlModel;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A task that is a {@link TrainingTask} under a name of its own: training, evaluation and
 * closing go to the training task, and the settings are the training task's with the name in
 * front ({@code task}) and the objective's class left out, which is how {@link
 * ClassificationTask} and the self-supervised tasks describe themselves in a run's config.json.
 *
 * <pre>{@code
 * final class ReconstructionTask extends ForwardingTask {
 *   ReconstructionTask(TrainingTask task) {
 *     super(task, Map.of("task", "reconstruction"));
 *   }
 * }
 * }</pre>
 */
public abstract class ForwardingTask implements DjlTask {
  private final TrainingTask task;
  private final Map<String, Object> settings;

  /**
   * @param task the training task everything goes to; this task closes it
   * @param leading settings put before the training task's (the task's name and knobs)
   */
  protected ForwardingTask(TrainingTask task, Map<String, Object> leading) {
    this.task = task;
    Map<String, Object> s = new LinkedHashMap<>(leading);
    s.putAll(task.settings());
    s.remove("objective");
    this.settings = Collections.unmodifiableMap(s);
  }

  /** The general task this one is made of (objective, loop, evaluation splits). */
  public TrainingTask trainingTask() {
    return task;
  }

  @Override
  public TrainingPlan plan() {
    return task.plan();
  }

  @Override
  public TrainingSummary train(DjlModel model, SparsityController controller,
      TrainingContext context) {
    return task.train(model, controller, context);
  }

  /** The objective's metrics on the validation ({@code val_*}) and test ({@code test_*}) data. */
  @Override
  public Metrics evaluate(DjlModel model) {
    return task.evaluate(model);
  }

  @Override
  public String primaryMetric() {
    return task.primaryMetric();
  }

  @Override
  public boolean higherIsBetter() {
    return task.higherIsBetter();
  }

  @Override
  public Map<String, Object> settings() {
    return settings;
  }

  /** Frees the device copies of the data and the objective's device state. */
  @Override
  public void close() {
    task.close();
  }
}
