package io.github.lth.djl.train;

import io.github.lth.core.Task;
import io.github.lth.djl.DjlModel;

/**
 * A {@link Task} on DJL models that holds device copies of its data (and maybe objective state)
 * until it is closed: {@link TrainingTask}, {@link ClassificationTask} and the self-supervised
 * tasks. Code that runs whichever task a run was made with takes this type.
 *
 * <pre>{@code
 * try (DjlTask task = supervised ? classification : selfSupervised) {
 *   ImpResult r = Imp.run(model, task, schedule);
 *   System.out.println(task.totalSteps() + " steps per round");
 * }
 * }</pre>
 */
public interface DjlTask extends Task<DjlModel>, AutoCloseable {

  /** Optimizer steps of one training run from step 0. */
  default long totalSteps() {
    return plan().totalSteps();
  }

  /** Frees the device copies of the data and any device state; no checked exception. */
  @Override
  void close();
}
