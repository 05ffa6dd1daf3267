package io.github.lth.core;

import static com.google.common.base.Preconditions.checkArgument;

/**
 * What a task needs to know about the run it trains: the round index, the seed of its data order
 * (derived from the run seed, so a resumed run shuffles the same way), the listener to report
 * progress to, and the step to start at. A run that starts at step {@code k} (late rewinding)
 * trains steps {@code k … T−1}: the learning-rate schedule and the data order continue from step
 * {@code k} exactly as a run from step 0 with the same seed would have reached it.
 *
 * <pre>{@code
 * task.train(model, mask, new TrainingContext(0, 42L, TrainingListener.NONE));
 * task.train(model, mask, new TrainingContext(3, 42L, TrainingListener.NONE, 500));  // θ_500 on
 * }</pre>
 *
 * @param startStep optimizer steps already taken before this run (0 for a run from scratch)
 */
public record TrainingContext(int round, long seed, TrainingListener listener, long startStep) {
  public TrainingContext {
    listener = listener == null ? TrainingListener.NONE : listener;
    checkArgument(startStep >= 0, "start step must not be negative: %s", startStep);
  }

  /** A run from step 0. */
  public TrainingContext(int round, long seed, TrainingListener listener) {
    this(round, seed, listener, 0);
  }
}
