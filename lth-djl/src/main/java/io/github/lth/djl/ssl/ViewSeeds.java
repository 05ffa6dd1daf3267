package io.github.lth.djl.ssl;

import io.github.lth.core.Seeds;
import io.github.lth.core.TrainingContext;

/**
 * The seed of each training step's views: drawn from the run's seed and the step number, so a
 * run that starts at step k (late rewinding) makes the views a run from step 0 makes from step k
 * on. The objectives that train on views keep one and call {@link #begin} at the start of every
 * training run and {@link #next} once per step.
 */
final class ViewSeeds {
  private long runSeed;
  private long step;

  void begin(TrainingContext context) {
    runSeed = context.seed();
    step = context.startStep();
  }

  /** The seed of the next step's views. */
  long next() {
    return Seeds.derive(runSeed, "views", Math.toIntExact(step++));
  }
}
